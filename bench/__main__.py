"""Run every benchmark: ``python -m bench [--quick] [name ...]`` (names: render, import, reader, inbound,
inbound865, hl_chain, sftp, workers, scorecard, console, api, changes, capacity;
``--postgres`` adds the API benchmark on PostgreSQL).

Each figure is printed beside a baseline measured in the same run; the exit status is 1
when a target is missed.
"""

from __future__ import annotations

import importlib
import sys

from bench.harness import print_table

BENCHMARKS = ["render", "import", "reader", "inbound", "inbound865", "hl_chain", "sftp", "workers", "scorecard",
              "console", "api", "changes", "capacity"]


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks (all by default) and print one table."""
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")] or BENCHMARKS
    results = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"running {name}{' (quick)' if quick else ''} ...", file=sys.stderr, flush=True)
        results += module.run(quick=quick)
    print_table(results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
