"""Changes from a file (``edihub orders change FILE``): record by record, each naming its
order; a bad record is refused alone and filed as an Incident keeping its text."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import InterfaceError, OperationalError

from hub.services.changes import (CREATED, INVALID, UNCHANGED, ChangeResult, file_refusal, printable,
                                  request_change)
from hub.services.ports import HubContext

log = logging.getLogger(__name__)


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
        refused = ChangeResult(where, INVALID, printable(channel, 40), printable(order_id, 80),
                               printable(data.get("change_id", ""), 80))
        if rec.error or not channel or not order_id or channel not in hub.channels:
            refused.problems = [rec.error or ("channel: is not a configured channel" if channel else
                                              "channel and channel_order_id: name the order the change is for")]
            result = refused
        else:
            try:
                result = request_change(hub, channel, order_id, data, where, actor)
            except (OperationalError, InterfaceError):
                raise   # the store itself is unavailable: no record is to blame
            except Exception as exc:   # whatever one record breaks refuses that record only
                log.exception("%s could not be carried out", where)
                refused.problems = [f"could not be carried out ({type(exc).__name__}: "
                                    f"{printable(str(exc).splitlines()[0] if str(exc) else '', 300)})"]
                result = refused
        report.results.append(result)
        if result.status not in (CREATED, UNCHANGED):
            _file_refusal(hub, result, rec.raw or json.dumps(rec.data, default=str)[:4096])
    return report


def _file_refusal(hub: HubContext, result: ChangeResult, raw: str) -> None:
    """A change from a file that was refused: an Incident keeping what was sent."""
    try:
        file_refusal(hub, result, raw, f"change.refused_record:{result.source}:{result.change_id}")
    except (OperationalError, InterfaceError):
        raise
    except Exception:   # the report still says the record was refused
        log.exception("the Incident about %s could not be filed", result.source)
