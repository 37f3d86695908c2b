"""Shared benchmark plumbing: timing, peak memory of a child process, and the result table.

Machines are shared and noisy, so every benchmark reports a ratio against a baseline
measured in the same run, and each timing is the best of a few repeats.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass
class Result:
    """One benchmark line: our figure, the baseline's, and the target ratio."""

    name: str
    ours: float               # a rate (per second) or an amount, see ``unit``
    baseline: float | None
    unit: str                 # e.g. "docs/s", "MB peak"
    target: str               # human-readable target, e.g. ">= 3.0x pyx12"
    ok: bool
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / baseline, when there is a baseline."""
        return None if not self.baseline else self.ours / self.baseline


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """The shortest wall time of ``repeat`` calls, with the garbage collector settled first."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@contextmanager
def as_the_worker():
    """Run the timed part as ``edihub run`` would: what existed before it (the set-up, like
    a worker's start-up) is out of the collector's way (hub.cli.common.settle_startup_heap),
    and back in it afterwards for the next benchmark of the same process."""
    from hub.cli.common import settle_startup_heap
    settle_startup_heap()
    try:
        yield
    finally:
        gc.unfreeze()


def peak_rss_mb(argv: list[str]) -> tuple[float, int, str]:
    """Run ``python argv...`` as a child; return its own peak resident memory (MB), exit status, stdout.

    The child reports its VmHWM itself (bench._peak): ru_maxrss would also count the memory
    this process had when the child was started.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as marker:
        proc = subprocess.run([sys.executable, "-m", "bench._peak", marker.name, *argv],
                              stdout=subprocess.PIPE, text=True)
        peak_kb = int(Path(marker.name).read_text() or 0)
    return peak_kb / 1024.0, proc.returncode, proc.stdout


def print_table(results: list[Result]) -> None:
    """Print results as an aligned table."""
    print(f"{'benchmark':<52} {'ours':>14} {'baseline':>14} {'ratio':>7}  {'target':<26} ok")
    for r in results:
        base = "-" if r.baseline is None else f"{r.baseline:,.1f}"
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        print(f"{r.name:<52} {r.ours:>10,.1f} {r.unit:<3} {base:>14} {ratio:>7}  "
              f"{r.target:<26} {'yes' if r.ok else 'NO'}")
        if r.note:
            print(f"    {r.note}")
