"""``edihub x12 check``: read X12 files the way the hub does and report what is in them."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import out


@click.group()
def x12() -> None:
    """Tools for X12 files."""


@x12.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Check X12 FILES: interchanges, groups, transactions and every envelope error."""
    from hub.edi.x12.check import check_files, exit_code, format_report
    reports = check_files(list(files))
    out.print(format_report(reports), markup=False, highlight=False)
    raise SystemExit(exit_code(reports))
