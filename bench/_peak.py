"""Run a Python module, file or -c snippet, then write this process's peak RSS (kB) to a file.

Used by bench.harness.peak_rss_mb: the kernel's ru_maxrss for a child also counts the
parent's memory from before the child's exec, so the child reports its own VmHWM instead.
"""

from __future__ import annotations

import atexit
import runpy
import sys


def _report(marker: str) -> None:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(marker, "w") as out:
        out.write(peak)


def main() -> None:
    """python -m bench._peak MARKER (-m MODULE | -c CODE | FILE) [ARGS...]"""
    marker, args = sys.argv[1], sys.argv[2:]
    atexit.register(_report, marker)
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
