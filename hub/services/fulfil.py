"""Review stored orders, route them, create purchase orders and queue their documents.

Runs inside the caller's unit of work: the purchase orders, their documents (the outbox),
the control numbers, the order states and the Incidents commit together or not at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from datetime import datetime, time, timezone

from hub.domain.model import IncidentDraft, Order, PurchaseOrder
from hub.domain.review import Finding, review
from hub.domain.routing import Capacity, build_purchase_orders, route
from hub.domain.states import InterchangeState, LineState, OrderState, PoState
from hub.edi.context import build_context
from hub.edi.document import ControlNumbers
from hub.errors import DocumentError
from hub.services.ports import HubContext, UnitOfWork

_MAX_CONTROL = 999_999_999  # ISA13 and GS06 are 9 digits; they wrap to 1 after this
X12_SETS = ("850", "860")   # outbound X12 sets: their GS06/ST02 are kept for matching 997s


def advance(number: int) -> int:
    """The next control number after ``number`` (wrapping after 999999999)."""
    return number % _MAX_CONTROL + 1


class Outcome:
    """What fulfilment did, for the caller's report and tests."""

    def __init__(self):
        self.incidents: list[IncidentDraft] = []
        self.events: list[dict] = []
        self.purchase_orders: list[PurchaseOrder] = []
        self.queued: int = 0
        self.stopped: list[tuple[Order, list[Finding]]] = []


def route_and_queue(uow: UnitOfWork, hub: HubContext, orders: list[Order], known: set[str],
                    now: datetime, release: bool = False) -> Outcome:
    """Review, route and queue orders already in the store (an operator's release or retry)."""
    out = Outcome()
    routed = decide(uow, hub, orders, known, now, out, release)
    queue(uow, hub, routed, now, out)
    uow.repo.update_orders(orders, now)
    _finish(uow, out, now)
    return out


def decide(uow: UnitOfWork, hub: HubContext, orders: list[Order], known: set[str], now: datetime,
           out: Outcome, release: bool = False) -> list[tuple[Order, dict]]:
    """Review and route each order; set its state; return the routed ones with their shares.

    ``known`` holds customer ids that already have orders (it grows as orders pass).
    ``release`` is an operator's release of a held order: risk holds no longer apply.
    Needs no order ids, so intake decides before it stores new orders.
    """
    capacity = _capacity(uow, hub, now)
    routed: list[tuple[Order, dict]] = []
    for order in orders:
        wanted = _still_wanted(order)
        findings = review(wanted, hub.catalog, hub.review, order.customer.id in known)
        known.add(order.customer.id)
        if release:
            findings = [f for f in findings if not f.hold]
        if not findings:
            result = route(wanted, hub.catalog, hub.partners, hub.routing, capacity)
            findings = result.findings
            if wanted is not order:   # routing notes each line's candidates: keep them on the order
                by_id = {ln.id: ln for ln in wanted.lines}
                for ln in order.lines:
                    ln.candidates = by_id[ln.id].candidates if ln.id in by_id else ln.candidates
        if findings:
            _stop(order, findings, out)
        else:
            order.move_to(OrderState.PROCESSING)
            routed.append((order, result.shares))
    return routed


def _still_wanted(order: Order) -> Order:
    """The order as far as it is still to be filled: units an operator cancelled are neither
    reviewed nor routed (a line cancelled whole is left out)."""
    if not any(ln.cancelled for ln in order.lines):
        return order
    return dataclasses.replace(order, lines=[dataclasses.replace(ln, quantity=ln.wanted)
                                             for ln in order.lines if ln.wanted > 0])


def queue(uow: UnitOfWork, hub: HubContext, routed: list[tuple[Order, dict]], now: datetime,
          out: Outcome, attempts: dict[int, int] | None = None) -> list[Order]:
    """Create the purchase orders of stored, routed orders and queue their documents.

    ``attempts`` gives the route attempt per order id (re-routes count up from 2).
    Returns the orders whose state changed here (a document that could not be built).
    """
    pos = _create_purchase_orders(uow, hub, routed, now, attempts or {})
    prepared = _prepare_documents(hub, pos, out, now)
    uow.repo.insert_purchase_orders([po for _, po in pos], now)
    queue_documents(uow, hub, prepared, out, now)
    out.purchase_orders = [po for _, po in pos]
    stuck = {id(o): o for o, po in pos if po.state == PoState.NEEDS_ATTENTION}
    for order in stuck.values():
        order.move_to(OrderState.NEEDS_ATTENTION)
    return list(stuck.values())


def _finish(uow: UnitOfWork, out: Outcome, now: datetime) -> None:
    record_stops(out, now)
    uow.repo.file_incidents(out.incidents, now)
    uow.repo.add_events(out.events)


def _capacity(uow: UnitOfWork, hub: HubContext, now: datetime) -> Capacity:
    limited = {pid: p.max_units_per_day for pid, p in hub.partners.items() if p.max_units_per_day}
    booked = uow.repo.units_booked_since(datetime.combine(now.date(), time(), timezone.utc)) if limited else {}
    return Capacity({pid: cap - booked.get(pid, 0) for pid, cap in limited.items()})


def _stop(order: Order, findings: list[Finding], out: Outcome) -> None:
    """Hold the order (risk only) or mark it for attention; its Incidents are filed later."""
    order.move_to(OrderState.ON_HOLD if all(f.hold for f in findings) else OrderState.NEEDS_ATTENTION)
    order.hold_reason = "; ".join(f.message for f in findings)
    out.stopped.append((order, findings))


def record_stops(out: Outcome, now: datetime) -> None:
    """One Incident per finding of each stopped order, and a timeline event (orders have ids now)."""
    for order, findings in out.stopped:
        for f in findings:
            out.incidents.append(IncidentDraft(
                code=f.code, message=f"order {order.ref}: {f.message}", order_id=order.id,
                channel=order.channel, detail={"line_id": f.line_id} if f.line_id else {},
                dedupe_key=f"{f.code}:order:{order.id}:{f.line_id}"))
        kind = "order.held" if order.state == OrderState.ON_HOLD else "order.attention"
        out.events.append(_event(now, order.id, None, kind, order.hold_reason))
    out.stopped = []


def _create_purchase_orders(uow: UnitOfWork, hub: HubContext, routed: list[tuple[Order, dict]],
                            now: datetime, attempts: dict[int, int]) -> list[tuple[Order, PurchaseOrder]]:
    total = sum(len(shares) for _, shares in routed)
    if not total:
        return []
    n = uow.repo.take_counter("po_number", total)
    pos = []
    for order, shares in routed:
        numbers = [f"{hub.po_prefix}{k:07d}" for k in range(n, n + len(shares))]
        n += len(shares)
        pos.extend((order, po) for po in build_purchase_orders(order, shares, numbers, hub.partners,
                                                                now, attempts.get(order.id, 1)))
    return pos


def _prepare_documents(hub: HubContext, pos: list[tuple[Order, PurchaseOrder]], out: Outcome,
                       now: datetime) -> list[tuple[Order, PurchaseOrder, object]]:
    """Lay out each document; one that cannot be built sets its PO aside with an Incident."""
    prepared = []
    for order, po in pos:
        partner = hub.partners[po.partner_id]
        try:
            body = hub.renderers[po.partner_id].prepare(build_context(po, order, partner, hub.company))
        except DocumentError as exc:
            _document_failed(order, po, exc, out, now)
            continue
        prepared.append((order, po, body))
    return prepared


def _document_failed(order: Order, po: PurchaseOrder, exc: DocumentError, out: Outcome,
                     now: datetime) -> None:
    po.state = PoState.NEEDS_ATTENTION
    out.incidents.append(IncidentDraft(
        code=exc.incident_code, order_id=order.id, partner_id=po.partner_id, channel=order.channel,
        message=f"purchase order {po.po_number} for {po.partner_id} (order {order.ref}) cannot be "
                f"sent: {exc}", dedupe_key=f"{exc.incident_code}:po:{po.po_number}"))
    out.events.append(_event(now, order.id, None, "po.attention", f"{po.po_number}: {exc}"))


def requeue_documents(uow: UnitOfWork, hub: HubContext, pairs: list[tuple[Order, PurchaseOrder]],
                      now: datetime, out: Outcome, resend_of: dict[int, int] | None = None) -> dict[int, int]:
    """Build stored purchase orders' documents again, with new control numbers, and queue them
    (a PO whose lines changed before it left, or one sent again on request: ``resend_of`` maps
    a PO id to the document it repeats). Returns the new interchange id per PO id."""
    # Cancelled lines keep their place on the PO (their line numbers are not reused) but are
    # not sent: the document is built from the live lines only.
    live = [(order, dataclasses.replace(po, lines=[ln for ln in po.lines if ln.state != LineState.CANCELLED]))
            for order, po in pairs]
    queued = queue_documents(uow, hub, _prepare_documents(hub, live, out, now), out, now, resend_of or {})
    for (_, po), (_, built) in zip(pairs, live, strict=True):
        po.state = built.state   # NEEDS_ATTENTION when the document could not be built
    return queued


def queue_documents(uow: UnitOfWork, hub: HubContext,
                    prepared: list[tuple[Order, PurchaseOrder, object]], out: Outcome,
                    now: datetime, resend_of: dict[int, int] | None = None,
                    renderers: dict | None = None, kind: str = "po.queued") -> dict[int, int]:
    """Number and finish each partner's documents in turn, and put them in the outbox
    (``renderers``: the change renderers for change documents); return the new interchange
    id per purchase order id."""
    by_partner: dict[str, list] = defaultdict(list)
    for item in prepared:
        by_partner[item[1].partner_id].append(item)
    rows, unsent, owners = [], [], []
    for pid in sorted(by_partner):  # a fixed order: concurrent workers lock partners alike
        renderer = (renderers or hub.renderers)[pid]
        isa, gs, st = uow.repo.lock_control_numbers(pid)
        for order, po, body in by_partner[pid]:
            numbers = ControlNumbers(advance(isa), advance(gs), advance(st))
            try:
                doc = renderer.finish(body, numbers, now)
            except DocumentError as exc:
                _document_failed(order, po, exc, out, now)
                unsent.append((po.id, PoState.NEEDS_ATTENTION))
                continue  # the numbers were not used: the next document takes them
            isa, gs, st = numbers.interchange, numbers.group, numbers.transaction
            x12 = doc.doc_type in X12_SETS
            rows.append({"direction": "out", "partner_id": pid, "doc_type": doc.doc_type,
                         "control_number": doc.control_number, "purchase_order_id": po.id,
                         # GS06 and ST02 as written (ST02 padded to 4), for matching 997s
                         "group_control": str(numbers.group) if x12 else None,
                         "set_control": f"{numbers.transaction:04d}" if x12 else None,
                         "filename": doc.filename, "content_type": doc.content_type,
                         "payload": doc.payload, "sha256": hashlib.sha256(doc.payload).hexdigest(),
                         "size": len(doc.payload), "state": InterchangeState.QUEUED.value,
                         "created_at": now, "next_attempt_at": now,
                         "resend_of": (resend_of or {}).get(po.id)})
            owners.append(po.id)
            out.events.append(_event(now, order.id, po.id, kind,
                                     f"{po.po_number} queued for {pid} as {doc.doc_type} "
                                     f"{doc.control_number}"))
        uow.repo.set_control_numbers(pid, isa, gs, st)
    ids = uow.repo.insert_interchanges(rows)
    uow.repo.set_purchase_order_states(unsent, now)
    out.queued += len(rows)
    return dict(zip(owners, ids, strict=True))


def _event(now: datetime, order_id: int | None, po_id: int | None, kind: str, message: str) -> dict:
    return {"at": now, "order_id": order_id, "purchase_order_id": po_id, "interchange_id": None,
            "kind": kind, "message": message, "actor": "hub"}
