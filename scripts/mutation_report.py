"""Print the score of the last ``mutmut run`` per module: mutants, killed, score.

mutmut keeps each mutated module's verdicts in ``mutants/<path>.meta`` (JSON, mutant name ->
exit code of its test run). A mutant counts as killed when its tests failed, timed out or
crashed; a survivor (tests passed) or a mutant that no test reaches is not killed.

Usage: ``python scripts/mutation_report.py [--survivors]``; exits 1 when a module's score is
under ``--min`` percent (default 0: report only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py): 1, 3 tests failed; 24, 36, 152, 255, -24 timeout;
# -9, -11 the mutant crashed the worker. 0 survived; 5, 33 no test reached it.
KILLED = {1, 3, 24, 36, 152, 255, -24, -9, -11}


def scores(root: Path) -> list[tuple[str, int, int, list[str]]]:
    """(module, mutants, killed, survivors) for every ``.meta`` file under ``root``."""
    rows = []
    for meta in sorted(root.rglob("*.py.meta")):
        verdicts = json.loads(meta.read_text())["exit_code_by_key"]
        if not verdicts:
            continue
        killed = sum(1 for code in verdicts.values() if code in KILLED)
        survivors = sorted(k for k, code in verdicts.items() if code not in KILLED)
        rows.append((str(meta.relative_to(root))[:-len(".meta")], len(verdicts), killed, survivors))
    return rows


def main(argv: list[str]) -> int:
    """Print the table (and the survivors' names with ``--survivors``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--survivors", action="store_true", help="list the mutants not killed")
    parser.add_argument("--min", type=float, default=0.0, help="lowest acceptable score (percent)")
    args = parser.parse_args(argv)
    rows = scores(args.root)
    if not rows:
        print(f"no mutmut results under {args.root}/: run `make mutation`", file=sys.stderr)
        return 1
    print(f"| {'module':<24} | {'mutants':>7} | {'killed':>6} | {'score':>6} |")
    print(f"|{'-' * 26}|{'-' * 9}|{'-' * 8}|{'-' * 8}|")
    low = []
    for module, total, killed, _ in rows:
        score = 100.0 * killed / total
        print(f"| {module:<24} | {total:>7} | {killed:>6} | {score:>5.1f}% |")
        if score < args.min:
            low.append(module)
    if args.survivors:
        for module, _, _, survivors in rows:
            for name in survivors:
                print(f"survived: {name}")
    if low:
        print(f"under {args.min:.0f}%: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
