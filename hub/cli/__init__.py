"""The ``edihub`` command.

Every command takes ``--home DIR`` (or ``EDIHUB_HOME``; default: the current directory)
naming the instance folder. Exit status: 0 success, 1 a problem with the input (refused
orders, errors in a file), 2 a configuration problem.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from hub.cli.common import HomeContext
from hub.cli.documents import documents
from hub.cli.inbound import inbound
from hub.cli.incidents import incidents
from hub.cli.instance import demo, init
from hub.cli.orders import orders
from hub.cli.partners import partners
from hub.cli.suppliers import suppliers
from hub.cli.users import users
from hub.cli.worker import run, serve
from hub.cli.x12 import x12


@click.group()
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="EDIHUB_HOME",
              help="Instance folder (default: current directory; env EDIHUB_HOME).")
@click.option("-v", "--verbose", is_flag=True, help="Log what the hub does.")
@click.version_option(package_name="edihub")
@click.pass_context
def main(ctx: click.Context, home: Path | None, verbose: bool) -> None:
    """edihub: orders in from every channel, purchase orders out to every supplier."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "alembic"):   # a line per job run or migration step is noise
        logging.getLogger(chatty).setLevel(logging.WARNING)
    ctx.obj = HomeContext(home)
    ctx.call_on_close(ctx.obj.close)


for command in (init, demo, run, serve, orders, partners, inbound, incidents, documents, suppliers, users,
                x12):
    main.add_command(command)
