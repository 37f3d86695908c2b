"""``python -m hub`` is the ``edihub`` command."""

from hub.cli import main

main()
