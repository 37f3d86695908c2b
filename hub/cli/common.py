"""What every command shares: the consoles, the instance folder, report printing."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from hub.errors import ConfigError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class HomeContext:
    """The instance folder chosen on the command line, bootstrapped on first use."""

    def __init__(self, home: Path | None):
        self.home = home
        self._hub = None

    def hub(self):
        """The bootstrapped hub; a configuration problem exits with status 2."""
        if self._hub is None:
            from hub.bootstrap import bootstrap
            try:
                self._hub = bootstrap(self.home)
            except ConfigError as exc:
                fail(f"configuration error: {exc}", 2)
        return self._hub

    def close(self) -> None:
        """Release the hub's connections."""
        if self._hub is not None:
            self._hub.close()


pass_home = click.make_pass_decorator(HomeContext)


def settle_startup_heap() -> None:
    """For a long-running process (``run``, ``serve``): take what start-up built (modules,
    configuration, the bootstrapped hub) out of the garbage collector's way for good. A full
    collection then walks only what the work since has made: a quarter of the time of a big
    inbound file went to walking the start-up heap again and again, and pauses under load
    are shorter. Never in a one-shot command, which may run inside another process."""
    gc.collect()
    gc.freeze()


actor_option = click.option("--as", "actor", default=lambda: os.environ.get("USER") or "operator",
                            show_default="$USER", help="Who does it (kept in the audit log).")


def _since(ctx, param, value: str | None):
    """A moment from "2026-12-01", "2026-12-01T08:00" or an age: "90m", "12h", "7d"."""
    from datetime import datetime, timedelta, timezone
    if value is None:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(timezone.utc) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a date (2026-12-01), a time (2026-12-01T08:00) or an age (90m, 12h, 7d)")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


since_option = click.option("--since", callback=_since, metavar="WHEN",
                            help="Changed since: a date, a time (UTC) or an age such as 12h or 7d.")


def command_name() -> str:
    """How the person can run edihub again: ``edihub`` when that is on PATH, else the path used."""
    import shutil
    invoked = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    on_path = shutil.which("edihub")
    if invoked is None or invoked.name != "edihub" or (
            on_path and Path(on_path).resolve() == invoked.resolve()):
        return "edihub"
    try:
        return os.path.relpath(invoked)
    except ValueError:
        return str(invoked)


def fail(message: str, status: int = 1) -> None:
    """Print an error to stderr and exit with ``status``."""
    err.print(f"[red]error[/red]: {escape(message)}", markup=True)   # "[x12]" is not markup
    sys.exit(status)


# Problems a command lists before it only counts the rest: a broken file can have thousands,
# and each is an Incident (grouped by kind) the exceptions queue shows anyway.
SHOWN_PROBLEMS = 50


def print_problems(problems: list[str]) -> None:
    """Print a report's problems, one a line, the first SHOWN_PROBLEMS of them and a count."""
    for problem in problems[:SHOWN_PROBLEMS]:
        out.print(f"  {problem}", markup=False)
    if len(problems) > SHOWN_PROBLEMS:
        out.print(f"  ... and {len(problems) - SHOWN_PROBLEMS:,} more problem(s) not listed here: "
                  "see `edihub incidents list` or the console's exceptions queue", markup=False)


def print_report(report) -> None:
    """Print an import report: summary, notes, the problems found."""
    out.print(report.summary())
    for note in report.notes:
        out.print(f"  note: {note}")
    if report.fatal:
        err.print(f"  stopped: {report.fatal}")
    print_problems(report.problems)


def progress_bar() -> Progress | None:
    """A byte progress bar when stderr is a terminal; None otherwise."""
    if not err.is_terminal:
        return None
    return Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                    TimeRemainingColumn(), console=err, transient=True)
