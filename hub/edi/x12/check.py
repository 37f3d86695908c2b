"""The logic of ``edihub x12 check FILE...``: read X12 files, check envelopes, report.

For each file: its interchanges (sender, receiver, ISA13, version, delimiters shown so that
invisible ones can be seen), their groups, the transaction sets in them, and every error and
warning with its position. A file that cannot be read is reported and the others are still
checked. The exit code is non-zero when any file has an error; warnings alone give 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hub.edi.x12.envelope import LISTING, Group, Transaction, check_envelopes
from hub.edi.x12.reader import Interchange, X12Error

USAGE = {"T": "test", "P": "production", "I": "information"}


@dataclass
class FileReport:
    """What checking one file found."""

    path: Path
    size: int | None = None
    interchanges: list[Interchange] = field(default_factory=list)
    interchange_count: int = 0
    problems: list[X12Error] = field(default_factory=list)   # in file order
    unlisted: int = 0       # problems beyond the per-place cap, counted only

    @property
    def errors(self) -> list[X12Error]:
        """The problems that make the file unusable as it is."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[X12Error]:
        """The problems that were read past."""
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        """True when the file has no error (warnings allowed)."""
        return not self.errors


def check_files(paths: list[Path]) -> list[FileReport]:
    """Check every file; an unreadable one gets an error report and the rest go on."""
    return [check_file(Path(p)) for p in paths]


def check_file(path: Path) -> FileReport:
    """Read one file and check its envelopes."""
    report = FileReport(path)
    try:
        with open(path, "rb") as stream:
            report.size = os.fstat(stream.fileno()).st_size
            envelopes = check_envelopes(stream, listing=LISTING)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        report.problems.append(X12Error(
            "file.unreadable", f"{path} cannot be read ({reason}); check the path and its "
            f"permissions"))
        return report
    report.interchanges = envelopes.interchanges
    report.interchange_count = envelopes.interchange_count
    isas = [(ic.isa.offset, ic.isa.number) for ic in envelopes.interchanges]
    report.problems = sorted(envelopes.all_errors(), key=lambda p: _where(p, isas))
    report.unlisted = envelopes.suppressed + sum(_suppressed(ic) for ic in envelopes.interchanges)
    return report


def exit_code(reports: list[FileReport]) -> int:
    """1 when any file has an error, else 0 (warnings alone do not fail the check)."""
    return 1 if any(not r.ok for r in reports) else 0


def format_report(reports: list[FileReport]) -> str:
    """The reports as text for an operator."""
    lines: list[str] = []
    for report in reports:
        lines += _file_lines(report)
    failed = sum(1 for r in reports if not r.ok)
    lines.append(f"{len(reports)} file(s) checked, {failed} with errors")
    return "\n".join(lines) + "\n"


def _file_lines(report: FileReport) -> list[str]:
    n_err, n_warn = len(report.errors), len(report.warnings)
    status = "FAILED" if n_err else "OK"
    size = f"{report.size:,} bytes, " if report.size is not None else ""
    lines = [f"{report.path}: {status} ({size}{report.interchange_count} interchange(s), "
             f"{n_err} error(s), {n_warn} warning(s))"]
    for ic in report.interchanges:
        lines += _interchange_lines(ic)
    if report.interchange_count > len(report.interchanges):
        lines.append(f"  ... and {report.interchange_count - len(report.interchanges):,} more "
                     f"interchanges")
    for problem in report.problems:
        lines.append("  " + _problem_line(problem))
    if report.unlisted:
        lines.append(f"  ... and {report.unlisted:,} more problems of the same kinds, not listed")
    lines.append("")
    return lines


def _interchange_lines(ic: Interchange) -> list[str]:
    isa = ic.isa
    usage = USAGE.get(ic.usage, ic.usage)
    lines = [
        f"  interchange {ic.index} at segment {isa.number} (byte {isa.offset}): "
        f"ISA13 {ic.control}, version {ic.version}, {usage}",
        f"    sender {ic.sender_qualifier}/{ic.sender_id} -> receiver "
        f"{ic.receiver_qualifier}/{ic.receiver_id}, sent {ic.date} {ic.time}",
        f"    delimiters: {ic.delimiters.describe()}",
    ]
    if ic.ta1_count:
        lines.append(f"    {ic.ta1_count} TA1 interchange acknowledgment(s)")
    for group in ic.groups:
        lines += _group_lines(group)
    if ic.ungrouped:
        lines.append("    transaction sets outside any group:")
        lines += [_transaction_line(tx) for tx in ic.ungrouped]
    trailer = f"IEA at segment {ic.iea.number}" if ic.iea is not None else "no IEA"
    lines.append(f"    {len(ic.groups)} group(s), {trailer}")
    return lines


def _group_lines(group: Group) -> list[str]:
    lines = [f"    group {group.index} at segment {group.gs.number}: GS01 {group.functional_id}, "
             f"GS06 {group.control}, {group.sender} -> {group.receiver}, version {group.version}, "
             f"{group.transaction_count:,} transaction set(s)"]
    lines += [_transaction_line(tx) for tx in sorted(group.listed, key=lambda t: t.number)]
    more = group.transaction_count - len(group.listed)
    if more > 0:
        lines.append(f"      ... and {more:,} more transaction sets")
    return lines


def _transaction_line(tx: Transaction) -> str:
    flag = f"  ({len(tx.errors)} problem(s))" if tx.errors else ""
    return (f"      {tx.set_id} {tx.control}: {tx.segment_count} segments, ST at segment "
            f"{tx.number}{flag}")


def _problem_line(problem: X12Error) -> str:
    kind = "ERROR  " if problem.is_error else "warning"
    where = f"segment {problem.segment_position}" if problem.segment_position else \
        f"byte {problem.offset}" if problem.offset is not None else "file"
    return f"{kind} {problem.code:<26} {where}: {problem.message}"


def _where(problem: X12Error, isas: list[tuple[int, int]]) -> float:
    """Sort key in file order; bytes outside any interchange go before the next ISA."""
    if problem.segment_position is not None:
        return problem.segment_position
    following = [number for offset, number in isas if offset > (problem.offset or 0)]
    return min(following) - 0.5 if following else float("inf")


def _suppressed(ic: Interchange) -> int:
    total = ic.suppressed + sum(tx.suppressed for tx in ic.ungrouped)
    for group in ic.groups:
        total += group.suppressed + sum(tx.suppressed for tx in group.listed)
    return total
