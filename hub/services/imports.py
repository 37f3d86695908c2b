"""Import an order file: stream its records through intake in batches, report every problem.

The file never aborts half-way: bad records become Incidents (with their text), good ones
are stored, and a second run of the same file imports nothing twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from hub.services.intake import CONFLICT, INVALID, Submission, accept
from hub.services.ports import HubContext

BATCH = 500
MAX_LISTED = 200  # problems listed in a report; all of them are Incidents anyway


@dataclass
class ImportReport:
    """Counts and problems of one import."""

    label: str
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fatal: str = ""

    @property
    def ok(self) -> bool:
        """True when every record was stored or was already there unchanged."""
        return not self.fatal and not self.counts[INVALID] and not self.counts[CONFLICT]

    def summary(self) -> str:
        """One line: created, unchanged, conflicts, invalid."""
        c = self.counts
        return (f"{self.label}: {c['created']} created, {c['unchanged']} already there, "
                f"{c[CONFLICT]} conflicting, {c[INVALID]} refused")


def import_records(hub: HubContext, records: Iterable, label: str, channel: str | None = None,
                   progress: Callable[[int], None] = lambda n: None) -> ImportReport:
    """Run records (objects with source, data, error, raw) through intake, a batch at a time."""
    report = ImportReport(label)
    batch: list[Submission] = []
    for rec in records:
        batch.append(Submission(f"{label} {rec.source}", rec.data, rec.error, rec.raw))
        if len(batch) >= BATCH:
            _run(hub, batch, channel, report)
            progress(len(batch))
            batch = []
    if batch:
        _run(hub, batch, channel, report)
        progress(len(batch))
    return report


def _run(hub: HubContext, batch: list[Submission], channel: str | None, report: ImportReport) -> None:
    for result in accept(hub, batch, channel):
        report.counts[result.status] += 1
        if result.status in (INVALID, CONFLICT) and len(report.problems) < MAX_LISTED:
            report.problems.append(result.message)
