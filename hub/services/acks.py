"""Answer a partner's functional groups with a 997 or 999, per its partner file.

While a file is read, :class:`AckTracker` keeps a small summary per group (its sets and the
envelope errors found in them); when the file is done, :func:`queue_acks` builds one
acknowledgement per group and puts it in the partner's outbox, numbered like any document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from hub.domain.partner import Partner
from hub.edi.x12.fa997_out import ReceivedGroup, ReceivedSet, SetError, build_ack
from hub.edi.document import ControlNumbers
from hub.services.fulfil import advance
from hub.services.ports import HubContext, UnitOfWork

# Reader error codes -> AK502/IK502 (set) and AK905 (group) codes of the X12 standard.
_SET_CODES = {"se.count": "4", "se.control": "3", "st.duplicate_control": "23",
              "trailer.missing": "2", "st.field": "6"}
_GROUP_CODES = {"ge.count": "5", "ge.control": "4", "gs.duplicate_control": "19"}
# Beyond this many sets, AK2 loops are sent only for sets with errors (AK9 still counts all).
MAX_LISTED_SETS = 10_000


@dataclass
class _Group:
    partner: Partner
    functional_id: str
    control: str
    version: str
    interchange_control: str
    sets: list[ReceivedSet] = field(default_factory=list)
    count: int = 0
    errors: tuple[str, ...] = ()
    unlisted: int = 0        # sets rejected without an AK2 (their ST01/ST02 cannot be echoed)


class AckTracker:
    """Per received group: the sets, with their errors, that the acknowledgement will list."""

    def __init__(self):
        self.groups: dict[tuple[str, str], _Group] = {}

    def add_set(self, tx, partner: Partner, errors: list) -> None:
        """Note one transaction set of a group the partner wants acknowledged."""
        g = self._group(tx, partner)
        if g is None:
            return
        g.count += 1
        codes = tuple(SetError(set_code=_SET_CODES.get(e.code, "5")) for e in errors)
        if codes or g.count <= MAX_LISTED_SETS:
            g.sets.append(ReceivedSet(tx.set_id, tx.control, codes))

    def add_unlisted(self, tx, partner: Partner) -> None:
        """Note a set the acknowledgement rejects without naming it (its ST01/ST02 cannot be echoed)."""
        g = self._group(tx, partner)
        if g is not None:
            g.count += 1
            g.unlisted += 1

    def _group(self, tx, partner: Partner) -> _Group | None:
        group = tx.group
        if not wants_ack(tx, partner):
            return None
        key = (tx.interchange.control, group.control)
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = _Group(partner, group.functional_id, group.control,
                                          group.version or (partner.x12.version if partner.x12 else ""),
                                          tx.interchange.control)
        return g


def wants_ack(tx, partner: Partner) -> bool:
    """True when the set's group is to be answered with a 997/999 (never an acknowledgement's)."""
    return tx.group is not None and partner.send_997 and tx.group.functional_id != "FA"


def queue_acks(uow: UnitOfWork, hub: HubContext, tracker: AckTracker, envelopes, now: datetime) -> int:
    """Build and queue one 997/999 per tracked group; return how many."""
    group_errors: dict[tuple[str, str], list[str]] = {}
    for e in envelopes.all_errors():
        if e.code in _GROUP_CODES and e.interchange_control and e.group_control:
            group_errors.setdefault((e.interchange_control, e.group_control), []).append(_GROUP_CODES[e.code])
    by_partner: dict[str, list[_Group]] = {}
    for key, g in tracker.groups.items():
        g.errors = tuple(dict.fromkeys(group_errors.get(key, [])))
        by_partner.setdefault(g.partner.id, []).append(g)
    rows = []
    for pid in sorted(by_partner):
        isa, gs, st = uow.repo.lock_control_numbers(pid)
        for g in by_partner[pid]:
            isa, gs, st = advance(isa), advance(gs), advance(st)
            doc = build_ack(g.partner, ReceivedGroup(g.functional_id, g.control, g.version,
                                                     tuple(g.sets), g.errors, declared_sets=g.count,
                                                     rejected_unlisted=g.unlisted),
                            ControlNumbers(isa, gs, st), now)
            rows.append(_outbox_row(pid, doc, gs, st, now))
        uow.repo.set_control_numbers(pid, isa, gs, st)
    uow.repo.insert_interchanges(rows)
    if rows:
        hub.on_queued()
    return len(rows)


def _outbox_row(partner_id: str, doc, gs: int, st: int, now: datetime) -> dict:
    return {"direction": "out", "partner_id": partner_id, "doc_type": doc.doc_type,
            "control_number": doc.control_number, "group_control": str(gs), "set_control": f"{st:04d}",
            "filename": doc.filename, "content_type": doc.content_type, "payload": doc.payload,
            "sha256": hashlib.sha256(doc.payload).hexdigest(), "size": len(doc.payload),
            "state": "queued", "created_at": now, "next_attempt_at": now}
