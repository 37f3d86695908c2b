"""Pick up marketplace export files dropped in a channel's folder.

A file is claimed by renaming it into ``processing/`` (so two workers never take the same
one), imported, then moved to ``done/`` or, when it could not be read at all, ``failed/``,
with a short report beside it. A file left in ``processing/`` by a crash is picked up first
next time; importing it again adds nothing twice.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hub.services.imports import ImportReport

_PARTIAL = (".part", ".tmp", ".filepart", ".crdownload")


@dataclass(frozen=True, slots=True)
class DropFolder:
    """One channel's drop folder."""

    channel: str
    path: Path
    fmt: str = "auto"
    settle_seconds: float = 2.0


def ready_files(folder: DropFolder, now: float | None = None) -> list[Path]:
    """Files to import: leftovers in processing/ first, then settled new files, oldest first."""
    now = time.time() if now is None else now
    processing = folder.path / "processing"
    leftovers = sorted(p for p in processing.iterdir() if p.is_file()) if processing.is_dir() else []
    fresh = []
    if folder.path.is_dir():
        for entry in os.scandir(folder.path):
            if (not entry.is_file(follow_symlinks=False) or entry.name.startswith(".")
                    or entry.name.endswith(_PARTIAL)):
                continue
            st = entry.stat(follow_symlinks=False)
            if now - st.st_mtime >= folder.settle_seconds:  # younger: probably still being written
                fresh.append((st.st_mtime, entry.name))
    return leftovers + [folder.path / name for _, name in sorted(fresh)]


def claim(folder: DropFolder, path: Path) -> Path | None:
    """Move a new file into processing/; None if another worker took it first."""
    if path.parent.name == "processing":
        return path
    target = _free_name(folder.path / "processing", path.name)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    return target


def settle(folder: DropFolder, path: Path, report: ImportReport) -> Path:
    """Move an imported file to done/ (or failed/ when unreadable) with its report beside it."""
    target = _free_name(folder.path / ("failed" if report.fatal else "done"), path.name)
    os.rename(path, target)
    lines = [report.summary(), *report.notes, *(["FATAL: " + report.fatal] if report.fatal else []),
             *report.problems]
    target.with_name(target.name + ".report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def process(folder: DropFolder, run_import: Callable[[Path, DropFolder], ImportReport]) -> list[ImportReport]:
    """Import every ready file of one drop folder."""
    reports = []
    for path in ready_files(folder):
        claimed = claim(folder, path)
        if claimed is None:
            continue
        report = run_import(claimed, folder)
        settle(folder, claimed, report)
        reports.append(report)
    return reports


def _free_name(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target, n = directory / name, 1
    while target.exists():
        target = directory / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target
