"""Changes from a file (``edihub orders change FILE``): record by record, each naming its
order; a bad record is refused alone and filed as an Incident keeping its text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hub.domain.model import IncidentDraft
from hub.services.changes import CREATED, INVALID, UNCHANGED, ChangeResult, request_change
from hub.services.ports import HubContext


@dataclass
class ChangeFileReport:
    """What a file of changes did: one result per record, and the problems to show."""

    label: str
    results: list[ChangeResult] = field(default_factory=list)
    fatal: str = ""

    @property
    def ok(self) -> bool:
        """True when every record was taken (or had been taken before, the same)."""
        return not self.fatal and all(r.status in (CREATED, UNCHANGED) for r in self.results)

    def summary(self) -> str:
        """One line: taken, already taken, refused."""
        count = {s: sum(r.status == s for r in self.results) for s in (CREATED, UNCHANGED)}
        refused = len(self.results) - sum(count.values())
        return (f"{self.label}: {count[CREATED]} change(s) taken, {count[UNCHANGED]} already taken, "
                f"{refused} refused")


def take_change_records(hub: HubContext, records, label: str, actor: str) -> ChangeFileReport:
    """Changes from a file, record by record (objects with source, data, error, raw): each names
    its channel, channel_order_id and change_id; a bad record is refused alone, with an
    Incident keeping its text."""
    report = ChangeFileReport(label)
    for rec in records:
        where = f"{label} {rec.source}"
        data = rec.data if isinstance(rec.data, dict) else {}
        channel, order_id = str(data.get("channel") or ""), str(data.get("channel_order_id") or "")
        if rec.error or not channel or not order_id or channel not in hub.channels:
            problem = rec.error or ("channel: is not a configured channel" if channel else
                                    "channel and channel_order_id: name the order the change is for")
            result = ChangeResult(where, INVALID, channel, order_id, str(data.get("change_id", "")),
                                  problems=[problem])
        else:
            result = request_change(hub, channel, order_id, data, where, actor)
        report.results.append(result)
        if result.status not in (CREATED, UNCHANGED):
            _file_refusal(hub, result, rec.raw or json.dumps(rec.data, default=str)[:4096])
    return report


def _file_refusal(hub: HubContext, result: ChangeResult, raw: str) -> None:
    """A change from a file that was refused: an Incident keeping what was sent."""
    with hub.uow() as uow:
        uow.repo.file_incidents([IncidentDraft(
            code="change.refused_record", order_id=result.order_id, channel=result.channel,
            message=result.message, detail={"source": result.source, "raw": raw},
            dedupe_key=f"change.refused_record:{result.source}:{result.change_id}")], hub.clock())
        uow.commit()
