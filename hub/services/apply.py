"""Apply a batch of suppliers' answers (997/999, 855, 856, 865, XML) inside one unit of work.

The batch's purchase orders are loaded together, the domain rules of
:mod:`hub.domain.answers` (and :mod:`hub.domain.supplier_changes` for 865s) change them, and
everything they imply is written together: line acks, shipments, re-routed quantities, order
states, settled changes, channel notifications, Incidents.

An 865 answers our change when BCA05 names one of our changes to the purchase order, or
without BCA05 when the purchase order has a change still waiting for an answer (and BCA01 is
not 19, a seller-initiated change): it settles that change, and its lines the change did not
touch are the supplier's own change to them. Otherwise it is the supplier's own change to the
purchase order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from hub.domain.answers import (SHOWN, Applied, Problem, apply_functional_ack, apply_po_ack, apply_shipment,
                                fold, functional_ack_status, shown, strangers_message, tally_strangers)
from hub.domain.changes import decline_held_elsewhere
from hub.domain.documents import AckedSet, ChangeAck, FunctionalAck, ParsedDocument, PoAck, ShipNotice
from hub.domain.model import IncidentDraft, PurchaseOrder
from hub.domain.partner import Partner
from hub.domain.supplier_changes import SupplierChange, answer_terms, apply_supplier_change, change_answer
from hub.services.change_answers import change_answered, changes_acknowledged, settle_acks, settle_change
from hub.services.changes import CHANGE_DOC_TYPES
from hub.services.fulfil import Outcome
from hub.edi.x12.glossary import code_meaning
from hub.services.order_events import RecordedShipment, record, snapshot
from hub.services.orders import Loaded, load_orders, refresh_orders
from hub.services.reroute import reroute
from hub.services.ports import HubContext, UnitOfWork


@dataclass
class Answer:
    """One parsed document to apply, with where it came from."""

    interchange_id: int
    partner: Partner
    parsed: ParsedDocument
    where: str                    # e.g. "ISA13 000000012, ST02 0001": for messages
    group_control: str | None = None   # GS06 of the set (X12)
    set_control: str | None = None     # ST02 (X12), or the XML document's own id


@dataclass
class ApplyReport:
    """Counts of one batch."""

    applied: int = 0
    problems: int = 0
    shipments: int = 0
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    """What a batch accumulates before it is written."""

    changed: dict[int, PurchaseOrder] = field(default_factory=dict)
    stamps: dict[int, dict[str, datetime]] = field(default_factory=dict)
    rejected: list = field(default_factory=list)
    line_acks: list[dict] = field(default_factory=list)
    shipments: list[tuple[dict, list[dict], PurchaseOrder]] = field(default_factory=list)
    verdicts: list[tuple[int, str, int]] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)          # overdue Incidents to resolve
    out: Outcome = field(default_factory=Outcome)
    links: list[dict] = field(default_factory=list)           # transaction sets -> their POs
    change_acks: list[tuple[int, str, int, str]] = field(default_factory=list)   # 997s on our 860s
    change_answers: list[tuple[int, bool, dict[int, bool], Answer, PurchaseOrder]] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)    # order line -> why its date moved
    # (code, partner, interchange) -> what its answers name that we never sent to the partner:
    # (name as shown, message, where), one Incident per key (see stranger_incidents).
    strangers: dict[tuple[str, str, int], list[tuple[str, str, str]]] = field(default_factory=dict)


def apply_answers(uow: UnitOfWork, hub: HubContext, answers: list[Answer], now: datetime) -> ApplyReport:
    """Apply answers in order; the caller commits."""
    report, b = ApplyReport(), _Batch()
    numbers = {a.parsed.document.po_number for a in answers
               if isinstance(a.parsed.document, PoAck | ChangeAck)} | \
        {o.po_number for a in answers if isinstance(a.parsed.document, ShipNotice)
         for o in a.parsed.document.orders}
    sent = _sent_sets(uow, answers)
    # The batch's orders, each with all its purchase orders, read once: the answers change
    # these objects, and the channels' view before and the order states after come from them.
    loaded = load_orders(uow, uow.repo.orders_of_purchase_orders(
        numbers, {pid for _, pid, _ in sent.values() if pid}))
    pos = {p.po_number: p for _, of_order in loaded.values() for p in of_order}
    known_shipments = uow.inbound.shipment_exists(
        {(pos[o.po_number].id, _stored_id(a.parsed.document)) for a in answers
         if isinstance(a.parsed.document, ShipNotice) for o in a.parsed.document.orders
         if o.po_number in pos})
    by_id = {p.id: p for p in pos.values()}
    # What the channels saw before: 855s and 856s may change it (997s never do).
    before = snapshot(uow, {pos[n].order_id for n in numbers if n in pos}, loaded)
    for a in answers:
        doc = a.parsed.document
        if isinstance(doc, FunctionalAck):
            _functional_ack(a, doc, sent, by_id, b, now)
        elif isinstance(doc, PoAck):
            _po_ack(a, doc, pos, loaded, b, now)
        elif isinstance(doc, ShipNotice):
            report.duplicates += _ship_notice(a, doc, pos, known_shipments, b, now)
        elif isinstance(doc, ChangeAck):
            _change_ack(uow, a, doc, pos, b, now)
        report.applied += 1
    reroute(uow, hub, b.rejected, now, b.out)
    uow.repo.save_purchase_orders(list(b.changed.values()), now, b.stamps)
    uow.inbound.add_line_acks(b.line_acks)
    uow.inbound.add_transaction_sets(b.links)
    uow.inbound.record_acks(b.verdicts)
    # Orders whose changes a 997/999 settles: what their channels saw, before settling.
    settled = changes_acknowledged(uow, b.change_acks)
    before.update(snapshot(uow, settled - before.keys()))
    settle_acks(uow, hub, b.change_acks, now)
    for po_change_id, accepted, lines, a, po in b.change_answers:   # after the POs are saved
        done = settle_change(uow, hub, po_change_id, accepted, lines, now, a.where, by="865")
        if not done.changed:   # e.g. the same answer in a new interchange: say so on the timeline
            uow.repo.add_events([_event(now, po, a, "change.answer_ignored", done.message)])
    # Re-routing and settling changes read and write orders on their own: those are read again.
    stale = settled | {po.order_id for po, _, _ in b.rejected} | {c[-1].order_id for c in b.change_answers}
    # Last to change orders and their purchase orders: what it read is what record compares.
    read = refresh_orders(uow, {p.order_id for p in b.changed.values()}, now, b.out,
                          {oid: v for oid, v in loaded.items() if oid not in stale})
    recorded = _record_shipments(uow, b, now)
    report.shipments = len(recorded)
    uow.repo.resolve_incidents(b.arrived, now, "the answer arrived")
    b.out.incidents += stranger_incidents(uow, b.strangers, now)
    uow.repo.file_incidents(b.out.incidents, now)
    uow.repo.add_events(b.out.events)
    record(uow, hub, before, now, {**_date_reasons(b), **b.reasons}, recorded, read)   # last: it numbers the feed
    report.problems = len(b.out.incidents)
    return report


def _sent_sets(uow: UnitOfWork, answers: list[Answer]) -> dict[tuple[str, str, str], tuple[int, int, str]]:
    """Our 850s and 860s that the batch's 997/999s talk about: (partner, GS06, ST02) ->
    (interchange, PO, document type)."""
    wanted: dict[str, set[str]] = {}
    for a in answers:
        if isinstance(a.parsed.document, FunctionalAck):
            wanted.setdefault(a.partner.id, set()).add(_n(a.parsed.document.group_control))
    out = {}
    for partner_id, groups in wanted.items():
        for (gs, st), ids in uow.inbound.sent_sets(partner_id, groups).items():
            out[(partner_id, _n(gs), _n(st))] = ids
    return out


def _n(control: str) -> str:
    """A control number without leading zeros: partners pad GS06 and ST02 in different ways."""
    return control.strip().lstrip("0") or "0"


def _link(b: _Batch, a: Answer, po: PurchaseOrder | None) -> None:
    """Note that the answer's set is about ``po`` (None: a PO we do not know or not the partner's)."""
    b.links.append({"interchange_id": a.interchange_id, "set_id": a.parsed.doc_type[:24],
                    "group_control": a.group_control, "set_control": (a.set_control or "")[:40] or None,
                    "purchase_order_id": po.id if po is not None else None})


def _touch(b: _Batch, po: PurchaseOrder, applied: Applied, a: Answer, stamp: str | None, now: datetime) -> None:
    _link(b, a, po)
    b.changed[po.id] = po
    if stamp is not None:   # an 865 has no arrival time of its own on the PO
        b.stamps.setdefault(po.id, {})[stamp] = now
    for problem in fold(applied.problems):   # one Incident per kind, however many lines
        b.out.incidents.append(IncidentDraft(
            code=problem.code, message=problem.message, partner_id=po.partner_id,
            order_id=po.order_id, purchase_order_id=po.id, interchange_id=a.interchange_id,
            detail={"where": a.where}, dedupe_key=f"{problem.code}:{a.interchange_id}:{po.id}:{problem.message[:60]}"))
    for line in applied.events:
        b.out.events.append(_event(now, po, a, "po.state", line))


def _functional_ack(a: Answer, ack: FunctionalAck, sent: dict, by_id: dict, b: _Batch, now: datetime) -> None:
    group = _n(ack.group_control)
    sets = ack.sets or tuple(_whole_group(ack, group, a.partner.id, sent))
    if not sets:   # no AK2 loops, and a group we never sent: nothing it could speak for
        _link(b, a, None)
        gs = ack.group_control[:SHOWN]
        _stranger(b, a, "ack.unknown_group", shown(gs),
                  f"{a.partner.id}'s {ack.kind} ({a.where}) acknowledges group {gs} as a whole (no AK2 "
                  "names a set), but we never sent that group to it: no purchase order was marked "
                  "acknowledged; check its mapping of our group control numbers (GS06)")
        return
    for acked in sets:
        key = (a.partner.id, group, _n(acked.set_control))
        ours = sent.get(key)
        if ours is not None and ours[1] is None:   # a test document: no order to move on
            _link(b, a, None)
            b.verdicts.append((ours[0], functional_ack_status(acked), a.interchange_id))
            continue
        if ours is not None and ours[2] in CHANGE_DOC_TYPES:   # our 860: it settles the change
            _link(b, a, by_id.get(ours[1]))
            status = functional_ack_status(acked)
            b.verdicts.append((ours[0], status, a.interchange_id))
            b.change_acks.append((ours[0], status, a.interchange_id, "; ".join(acked.errors)))
            continue
        po = by_id.get(ours[1]) if ours else None
        if po is None:
            _link(b, a, None)
            gs, st = ack.group_control[:SHOWN], acked.set_control[:SHOWN]
            _stranger(b, a, "ack.unknown_set", shown(f"{gs}/{st}"),
                      f"{a.partner.id}'s {ack.kind} ({a.where}) acknowledges group {gs} set {st}, which "
                      "we never sent to it: check its mapping of our control numbers")
            continue
        _touch(b, po, apply_functional_ack(po, acked), a, "acked_at", now)
        b.verdicts.append((ours[0], functional_ack_status(acked), a.interchange_id))
        b.arrived.append(f"overdue:997:{po.id}")


def _whole_group(ack: FunctionalAck, group: str, partner_id: str, sent: dict):
    """A 997 without AK2 loops speaks for every set of the group through AK9."""
    for (pid, gs, st) in sent:
        if pid == partner_id and gs == group:
            yield AckedSet("850", st, ack.group_status, ack.errors)


def _po_ack(a: Answer, ack: PoAck, pos: dict, loaded: Loaded, b: _Batch, now: datetime) -> None:
    po = _owned(a, ack.po_number, pos, b, "855")
    if po is None:
        return
    applied = apply_po_ack(po, ack)
    order, of_order = loaded[po.order_id]
    for pl, units in decline_held_elsewhere(po, order, of_order):
        applied.problems.append(Problem(
            "poack.units_held_elsewhere",
            f"{po.partner_id}'s 855 for {po.po_number} takes {units} unit(s) of line {pl.line_number} "
            f"({pl.sku}) that it declined before and that another supplier holds now, or the customer "
            "cancelled: they were not taken; tell the supplier not to ship them"))
    _touch(b, po, applied, a, "poack_at", now)
    b.rejected += [(po, pl, qty) for pl, qty in applied.reroute]
    b.arrived.append(f"overdue:855:{po.id}")
    by_number = {str(pl.line_number): pl for pl in po.lines}
    for line in ack.lines:
        pl = by_number.get(line.line_number.lstrip("0"))
        for la in line.acks if pl else ():
            b.line_acks.append({"po_line_id": pl.id, "interchange_id": a.interchange_id, "code": la.code[:3],
                                "quantity": la.quantity, "date": la.date, "at": now})


def _change_ack(uow: UnitOfWork, a: Answer, ack: ChangeAck, pos: dict, b: _Batch, now: datetime) -> None:
    """An 865: settle the change of ours it answers, or apply the supplier's own change."""
    po = _owned(a, ack.po_number, pos, b, "865")
    if po is None:
        return
    answered = None if ack.seller_initiated else change_answered(uow, po.po_number, ack.sequence)
    if answered is not None:
        # Its dates, prices and the lines our change did not touch (the supplier's own change
        # to them) now; its verdicts on our change once the batch's POs are saved.
        pc = uow.changes.po_change(answered)
        touched = frozenset(entry["line_number"] for entry in pc["lines"])
        change_id = uow.changes.get(pc["order_change_id"])["change_id"]
        terms = answer_terms(po, ack, a.partner.sla.delay_days, touched, change_id)
        _touch(b, po, terms, a, None, now)
        b.rejected += [(po, pl, qty) for pl, qty in terms.reroute]
        _delay_reasons(b, terms)
        accepted, lines = change_answer(ack, touched)
        b.change_answers.append((answered, accepted, lines, a, po))
        return
    applied = apply_supplier_change(po, ack, a.partner.sla.delay_days)
    _touch(b, po, applied, a, None, now)
    b.rejected += [(po, pl, qty) for pl, qty in applied.reroute]
    _delay_reasons(b, applied)


def _delay_reasons(b: _Batch, applied: SupplierChange) -> None:
    """What the channel is told about each line an 865 moved later."""
    for delay in applied.delays:
        meaning = code_meaning(delay.element, delay.code) if delay.code else ""
        b.reasons[delay.line.order_line_id] = (f"the supplier moved its ship date: {meaning} ({delay.code})"
                                               if meaning else "the supplier moved its ship date (865)")


def _ship_notice(a: Answer, notice: ShipNotice, pos: dict, known: set, b: _Batch, now: datetime) -> int:
    duplicates = 0
    if notice.purpose in ("01", "03"):  # BSN01: cancellation / delete of an earlier notice
        # One Incident per file however many notices it cancels (see stranger_incidents).
        _stranger(b, a, "asn.cancelled", shown(notice.shipment_id),
                  f"{a.partner.id} cancels ship notice {notice.shipment_id[:SHOWN]} ({a.where}): it was "
                  "not applied; check with the supplier what did ship and correct the order")
        _link(b, a, None)
        return 0
    for order in notice.orders:
        po = _owned(a, order.po_number, pos, b, "856")
        if po is None:
            continue
        if (po.id, _stored_id(notice)) in known:
            _link(b, a, po)
            duplicates += 1
            b.out.events.append(_event(now, po, a, "shipment.duplicate",
                                       f"856 {notice.shipment_id} for {po.po_number} again: recorded "
                                       "before, not applied twice"))
            continue
        known.add((po.id, _stored_id(notice)))
        applied, matched = apply_shipment(po, order, notice.shipment_id)
        _touch(b, po, applied, a, "shipped_at", now)
        if matched:
            b.arrived += [f"overdue:856:{po.id}", f"overdue:855:{po.id}"]
            b.shipments.append((_shipment_row(po, notice, a, now),
                                [{"po_line_id": pl.id, "quantity": item.quantity,
                                  "marks": ",".join(item.marks)} for pl, item in matched], po))
    return duplicates


def _owned(a: Answer, po_number: str, pos: dict, b: _Batch, kind: str) -> PurchaseOrder | None:
    """The PO an answer names, if it exists and belongs to the partner who answered."""
    po = pos.get(po_number)
    if po is not None and po.partner_id == a.partner.id:
        return po
    _link(b, a, None)
    whose = f"belongs to {po.partner_id}" if po is not None else "is not one we sent"
    _stranger(b, a, f"{_PREFIX[kind]}.unknown_po", shown(po_number),
              f"{kind} from {a.partner.id} ({a.where}) names purchase order {shown(po_number)}, which "
              f"{whose}: the document was kept but not applied; ask the supplier")
    return None


_PREFIX = {"855": "poack", "856": "asn", "865": "change_ack"}


def _stranger(b: _Batch, a: Answer, code: str, name: str, message: str) -> None:
    """Note something the answer names that we never sent to its partner, for one Incident
    per kind and file however many there are."""
    note_stranger(b.strangers, code, a.partner.id, a.interchange_id, name, message, a.where)


Strangers = dict[tuple[str, str, int], list[tuple[str, str, str]]]


def note_stranger(strangers: Strangers, code: str, partner_id: str, interchange_id: int, name: str,
                  message: str, where: str) -> None:
    """Note one of a kind of problem a file may repeat thousands of times, for one Incident per
    kind, partner and file (see :func:`stranger_incidents`): ``name`` is how the tally names
    it, ``message`` what it alone would say, ``where`` tells it apart from any other in the file."""
    strangers.setdefault((code, partner_id, interchange_id), []).append((name, message, where))


def stranger_incidents(uow: UnitOfWork, strangers: Strangers, now: datetime) -> list[IncidentDraft]:
    """One Incident per kind, partner and file for what :func:`note_stranger` noted: a file's
    answers come in batches, and a later batch adds to what an earlier one filed (restated
    here); the Incidents to file new are returned."""
    fresh = []
    for (code, partner_id, interchange_id), found in strangers.items():
        key = f"{code}:{partner_id}:{interchange_id}"
        earlier = uow.repo.open_incident(key)
        tally, started = tally_strangers(earlier["detail"].get("tally") if earlier else None, found)
        detail = {"where": tally["where"], "tally": tally}
        if earlier is not None:   # an earlier batch of this file, or this file read before
            uow.repo.restate_incident(earlier["id"], strangers_message(tally), detail, now, again=started)
            continue
        fresh.append(IncidentDraft(
            code=code, message=strangers_message(tally), partner_id=partner_id,
            interchange_id=interchange_id, detail=detail, dedupe_key=key))
    return fresh


def _shipment_row(po: PurchaseOrder, n: ShipNotice, a: Answer, now: datetime) -> dict:
    return {"purchase_order_id": po.id, "interchange_id": a.interchange_id,
            "shipment_id": _stored_id(n), "shipped_at": _utc(n.shipped_at),
            "expected_delivery": n.expected_delivery, "carrier": n.carrier[:20], "service": n.service[:40],
            "tracking_numbers": ",".join(n.tracking_numbers), "bill_of_lading": n.bill_of_lading[:40],
            "pro_number": n.pro_number[:40], "created_at": now}


def _stored_id(notice: ShipNotice) -> str:
    """The shipment id as the store keeps it (its column holds 40 characters): what a repeat
    of the notice is recognised by."""
    return notice.shipment_id[:40]


def _utc(moment: datetime | None) -> datetime | None:
    """A ship time as UTC; most 856s give no time zone (DTM04), and then UTC is assumed."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _record_shipments(uow: UnitOfWork, b: _Batch, now: datetime) -> list[RecordedShipment]:
    uow.inbound.add_shipments([s for s, _, _ in b.shipments], [lines for _, lines, _ in b.shipments])
    for row, _, po in b.shipments:
        b.out.events.append({"at": now, "order_id": po.order_id, "purchase_order_id": po.id,
                             "interchange_id": row["interchange_id"], "kind": "shipment.recorded",
                             "actor": "hub", "message": f"shipment {row['shipment_id']} of {po.po_number}"
                             f" by {row['carrier'] or 'carrier?'} {row['tracking_numbers'] or ''}".rstrip()})
    return [RecordedShipment(po, row, [(ln["po_line_id"], ln["quantity"]) for ln in lines])
            for row, lines, po in b.shipments]


def _date_reasons(b: _Batch) -> dict[int, str]:
    """Per order line, what the batch's 855 line statuses say about a date they set (ACK01)."""
    order_line = {pl.id: pl.order_line_id for po in b.changed.values() for pl in po.lines}
    reasons = {}
    for ack in b.line_acks:
        if ack["date"] is not None and ack["po_line_id"] in order_line:
            meaning = code_meaning("668", ack["code"])
            reasons[order_line[ack["po_line_id"]]] = f"{meaning} ({ack['code']})" if meaning else \
                f"line status {ack['code']}"
    return reasons


def _event(now: datetime, po: PurchaseOrder, a: Answer, kind: str, message: str) -> dict:
    return {"at": now, "order_id": po.order_id, "purchase_order_id": po.id,
            "interchange_id": a.interchange_id, "kind": kind, "message": message, "actor": "hub"}
