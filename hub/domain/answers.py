"""Apply suppliers' answers to a purchase order: 997/999 verdicts, 855 line acks, 856 shipments.

Pure functions over :class:`PurchaseOrder`. Answers may overtake each other (an 856 before
the 855, an 855 before the 997): late information is recorded without moving the state
backwards. What cannot be applied becomes a :class:`Problem` for an Incident, never an
exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hub.domain import states
from hub.domain.documents import AckedSet, PoAck, PoAckLine, ShippedItem, ShippedOrder
from hub.domain.model import PoLine, PurchaseOrder
from hub.domain.states import LineState, OrderState, PoState

# ACK01 line status codes (X12 element 668), grouped by what they mean for quantities.
ACCEPTED_CODES = frozenset({"IA", "AC", "AR", "IC", "IE", "IP", "IQ", "IS", "SP", "DR", "BP"})
CHANGED_CODES = frozenset({"IC", "IP", "IQ", "IS", "DR"})
BACKORDER_CODES = frozenset({"IB"})
REJECTED_CODES = frozenset({"IR", "ID", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"})
HOLD_CODES = frozenset({"IH", "IF", "IW"})
KNOWN_CODES = ACCEPTED_CODES | BACKORDER_CODES | REJECTED_CODES | HOLD_CODES
# BAK02 acknowledgement types that accept the whole PO as sent when no line says otherwise.
# AC ("with detail and change") is not among them: it details the lines it changes, and a
# line it does not mention keeps the status it had.
ACCEPT_ALL = frozenset({"AD", "AK", "AP", "AT", "AE"})


@dataclass(frozen=True, slots=True)
class Problem:
    """Something an answer says that the hub cannot apply, for the exceptions queue."""

    code: str
    message: str
    line: str = ""   # the line it is about, as the document names it: see fold()


# Lines a folded Problem names before it only counts the rest.
NAMED_LINES = 10


def fold(problems: list[Problem]) -> list[Problem]:
    """The problems of one document about one purchase order, those of a kind naming lines
    made one: a document with thousands of bad lines is one Incident naming the first few
    lines and counting the rest, not thousands of Incidents."""
    groups: dict[object, list[Problem]] = {}
    for n, problem in enumerate(problems):
        groups.setdefault(problem.code if problem.line else n, []).append(problem)
    out = []
    for first, *more in groups.values():
        if not more:
            out.append(first)
            continue
        lines = list(dict.fromkeys(p.line[:20] for p in more))
        named = ", ".join(lines[:NAMED_LINES]) + (f" ... and {len(lines) - NAMED_LINES:,} more"
                                                   if len(lines) > NAMED_LINES else "")
        out.append(Problem(first.code, f"{first.message} (and {len(more):,} more like it in this "
                                       f"document, on line{'s' if len(lines) > 1 else ''} {named})",
                           first.line))
    return out


# What a file names that the hub cannot apply (purchase orders we never sent, sets we never
# sent): one Incident per kind and file names the first few and counts the rest.
NAMED_STRANGERS = 10
SHOWN = 30   # characters of a number from a partner's document that a message shows


def shown(number: str) -> str:
    """A number from a partner's document as a message shows it: cut to a sane length,
    quoted, anything unprintable escaped."""
    return repr(number[:SHOWN])


def tally_strangers(state: dict | None, found: list[tuple[str, str, str]]) -> tuple[dict, bool]:
    """What a file has named so far that the hub cannot apply, with what one batch of its
    answers adds: ``found`` holds (name as shown, the message it alone would get, where).
    True with it when this batch starts the tally: the file is being read (again).

    The file's first one keeps its own message; the rest are counted, the first few named.
    A batch naming the file's first one again starts over: the file is being read again."""
    started = state is None or any(where == state["where"] for _, _, where in found)
    if started:
        name, message, where = found[0]
        state, found = {"where": where, "name": name, "message": message, "named": [], "more": 0,
                        "others": 0}, found[1:]
    state = {**state, "named": list(state["named"])}
    for name, _, _ in found:
        state["more"] += 1
        if name != state["name"] and name not in state["named"]:
            if len(state["named"]) < NAMED_STRANGERS:
                state["named"].append(name)
            else:
                state["others"] += 1
    return state, started


def strangers_message(state: dict) -> str:
    """The message of a file's tally (:func:`tally_strangers`): the first one's own, then
    the rest counted and the first few named."""
    if not state["more"]:
        return state["message"]
    named = f": {', '.join(state['named'])}" if state["named"] else ""   # else all the first one again
    others = f" and {state['others']:,} others" if state["others"] else ""
    return f"{state['message']} (and {state['more']:,} more like it in this file{named}{others})"


@dataclass
class Applied:
    """What applying one answer did."""

    problems: list[Problem] = field(default_factory=list)
    reroute: list[tuple[PoLine, int]] = field(default_factory=list)  # newly rejected quantities
    events: list[str] = field(default_factory=list)


def can_move(po: PurchaseOrder, wanted: PoState) -> bool:
    """True if the purchase-order transition table allows moving to ``wanted`` now."""
    return wanted == po.state or wanted in states.PO_TRANSITIONS[po.state]


def _advance(po: PurchaseOrder, wanted: PoState, out: Applied) -> None:
    """Move forward if allowed; otherwise the answer is late news and the state stays."""
    if po.state != wanted and can_move(po, wanted):
        out.events.append(f"{po.po_number}: {po.state.value} -> {wanted.value}")
        po.move_to(wanted)


# -- 997 / 999 --------------------------------------------------------------------------------

def functional_ack_status(acked: AckedSet) -> str:
    """accepted, accepted_with_errors or rejected, from AK501 / IK501."""
    # W and X (rejected, assurance failed / content after decryption) are rejections too.
    return {"A": "accepted", "E": "accepted_with_errors"}.get(acked.status, "rejected")


def apply_functional_ack(po: PurchaseOrder, acked: AckedSet) -> Applied:
    """Record the partner's 997/999 verdict on our 850; acknowledged if it was accepted."""
    out = Applied()
    po.ack_status = functional_ack_status(acked)
    if po.ack_status == "rejected":
        detail = "; ".join(acked.errors) or "no detail given"
        out.problems.append(Problem(
            "ack.rejected", f"{po.partner_id} rejected purchase order {po.po_number} (850 "
                            f"ST02 {acked.set_control}) in its functional acknowledgement: {detail}. "
                            "Correct the cause and resend the purchase order, or cancel it"))
    else:
        _advance(po, PoState.ACKNOWLEDGED, out)
        if po.ack_status == "accepted_with_errors":
            out.events.append(f"{po.po_number}: accepted with errors: {'; '.join(acked.errors)}")
    return out


# -- 855 ----------------------------------------------------------------------------------------

def apply_po_ack(po: PurchaseOrder, ack: PoAck) -> Applied:
    """Record the supplier's acceptance, changes and rejections line by line."""
    out = Applied()
    if po.state == PoState.CANCELLED:
        out.problems.append(Problem("state.illegal_transition",
                                    f"855 for purchase order {po.po_number}, which is cancelled: "
                                    "tell the supplier the order is cancelled"))
        return out
    answered: dict[int, PoAckLine] = {}
    for line in ack.lines:
        target = match_line(po, line.line_number, line.vendor_item, line.buyer_item)
        if target is None:
            out.problems.append(Problem("poack.unknown_line",
                                        f"855 for {po.po_number} answers line {line.line_number!r} "
                                        f"({line.vendor_item or line.buyer_item or 'no item'}), "
                                        "which is not on the purchase order: ask the supplier",
                                        line.line_number or line.vendor_item or line.buyer_item or "?"))
            continue
        answered[target.line_number] = line
    for pl in po.lines:
        if pl.state in (LineState.REROUTED, LineState.CANCELLED):
            continue
        line = answered.get(pl.line_number)
        if line is not None and line.acks:
            _apply_line_acks(po, pl, line, out)
        elif ack.rejected:
            _set_quantities(po, pl, accepted=0, backordered=0, rejected=pl.quantity, out=out)
        elif ack.ack_type in ACCEPT_ALL:
            _set_quantities(po, pl, accepted=pl.quantity, backordered=0, rejected=0, out=out)
    live = [pl for pl in po.lines if pl.state not in (LineState.REROUTED, LineState.CANCELLED)]
    if live and all(pl.state == LineState.REJECTED for pl in live):
        _advance(po, PoState.REJECTED, out)
    else:
        _advance(po, PoState.ACCEPTED, out)
    return out


def _apply_line_acks(po: PurchaseOrder, pl: PoLine, line: PoAckLine, out: Applied) -> None:
    accepted = backordered = rejected = 0
    changed, held, when = False, False, None
    for a in line.acks:
        qty = pl.quantity if a.quantity is None else a.quantity
        if a.code not in KNOWN_CODES:
            out.problems.append(Problem("poack.unknown_code",
                                        f"855 for {po.po_number} line {pl.line_number}: line status "
                                        f"code {a.code!r} is unknown; the line was left as it was",
                                        str(pl.line_number)))
            return
        if a.code in REJECTED_CODES:
            rejected += qty
        elif a.code in BACKORDER_CODES:
            backordered += qty
        elif a.code in HOLD_CODES:
            held = True
        else:
            accepted += qty
            changed = changed or a.code in CHANGED_CODES
        when = a.date or when
    if held:
        out.problems.append(Problem("poack.line_on_hold",
                                    f"{po.partner_id} holds line {pl.line_number} ({pl.sku}) of "
                                    f"{po.po_number}: ask the supplier what it needs", str(pl.line_number)))
    total = accepted + backordered + rejected
    if total > pl.quantity:
        out.problems.append(Problem("poack.over_acknowledged",
                                    f"855 for {po.po_number} line {pl.line_number} answers for "
                                    f"{total} units but we ordered {pl.quantity}: only the "
                                    f"{pl.quantity} ordered were recorded", str(pl.line_number)))
        accepted = min(accepted, pl.quantity)
        backordered = min(backordered, pl.quantity - accepted)
        rejected = pl.quantity - accepted - backordered
    elif total < pl.quantity and not held:
        # Units the supplier neither takes nor backorders are declined: they go elsewhere.
        rejected += pl.quantity - total
    _set_quantities(po, pl, accepted=accepted, backordered=backordered, rejected=rejected,
                    out=out, changed=changed, promised=when)


def _set_quantities(po: PurchaseOrder, pl: PoLine, accepted: int, backordered: int, rejected: int,
                    out: Applied, changed: bool = False, promised: date | None = None) -> None:
    newly_rejected = max(0, rejected - pl.qty_rejected)
    pl.qty_accepted, pl.qty_backordered, pl.qty_rejected = accepted, backordered, max(rejected, 0)
    pl.promised_date = promised or pl.promised_date
    if pl.qty_shipped:
        return  # already shipping: quantities are recorded, the state follows the 856s
    if rejected >= pl.quantity:
        wanted = LineState.REJECTED
    elif accepted == 0 and backordered:
        wanted = LineState.BACKORDERED
    elif changed or rejected:
        wanted = LineState.CHANGED
    else:
        wanted = LineState.ACCEPTED
    _move_line(po, pl, wanted)
    if newly_rejected:
        out.reroute.append((pl, newly_rejected))


def _move_line(po: PurchaseOrder, pl: PoLine, wanted: LineState) -> None:
    """Move a line if its transition table allows it; otherwise the answer is late news."""
    if wanted != pl.state and wanted in states.LINE_TRANSITIONS[pl.state]:
        pl.move_to(wanted, po.po_number)


def match_line(po: PurchaseOrder, number: str, vendor_item: str = "", buyer_item: str = "") -> PoLine | None:
    """The PO line an answer means: by line number (PO101/LIN01), else the supplier's or our item."""
    key = number.strip().lstrip("0")
    for pl in po.lines:
        if key and str(pl.line_number) == key:
            return pl
    for pl in po.lines:
        if vendor_item and pl.supplier_item == vendor_item.strip():
            return pl
    for pl in po.lines:
        if buyer_item and pl.sku == buyer_item.strip():
            return pl
    return None


# -- 856 -----------------------------------------------------------------------------------------

def apply_shipment(po: PurchaseOrder, order: ShippedOrder, shipment_id: str) -> tuple[Applied, list[tuple[PoLine, ShippedItem]]]:
    """Add an 856's shipped quantities to the PO's lines; return the lines matched to items."""
    out = Applied()
    if po.state == PoState.CANCELLED:
        what = ", ".join(f"{item.quantity} x item {item.line_number or item.vendor_item or item.buyer_item or '?'}"
                         for item in order.items) or "every line"
        out.problems.append(_shipped_cancelled(shipment_id, f"purchase order {po.po_number}", what))
        return out, []
    if po.state in (PoState.REJECTED, PoState.FAILED):
        out.problems.append(Problem("state.illegal_transition",
                                    f"856 {shipment_id} ships purchase order {po.po_number}, which "
                                    f"is {po.state.value}: check with the supplier before anything "
                                    "reaches the customer twice"))
        return out, []
    matched = []
    # A ship notice that lists no items for an order ships the whole of it (cXML and several
    # X12 conventions say so): every line's quantity still to come.
    items = order.items or tuple(
        ShippedItem(line_number=str(pl.line_number), quantity=_still_to_ship(pl))
        for pl in po.lines if pl.state not in (LineState.REROUTED, LineState.CANCELLED,
                                               LineState.REJECTED) and _still_to_ship(pl) > 0)
    for item in items:
        pl = match_line(po, item.line_number, item.vendor_item, item.buyer_item)
        if pl is None:
            out.problems.append(Problem("asn.unknown_item",
                                        f"856 {shipment_id} ships item {item.line_number or '?'} "
                                        f"({item.vendor_item or item.buyer_item or item.upc or 'no id'}) "
                                        f"x{item.quantity}, which is not on {po.po_number}: check "
                                        "with the supplier",
                                        item.line_number or item.vendor_item or item.buyer_item or item.upc or "?"))
            continue
        if pl.state == LineState.CANCELLED:
            out.problems.append(_shipped_cancelled(shipment_id, f"line {pl.line_number} ({pl.sku}) of "
                                                   f"{po.po_number}", f"{item.quantity} unit(s)",
                                                   str(pl.line_number)))
            continue
        matched.append((pl, item))
        pl.qty_shipped += item.quantity
        _move_line(po, pl, LineState.SHIPPED if pl.qty_shipped >= _expected(pl)
                   else LineState.PARTIALLY_SHIPPED)
    # Once per line, however many items of the notice ship it: with what it shipped in all.
    for pl in {id(pl): pl for pl, _ in matched}.values():
        if pl.qty_shipped > _expected(pl):
            out.problems.append(Problem("asn.over_shipment",
                                        f"856 {shipment_id}: line {pl.line_number} ({pl.sku}) of "
                                        f"{po.po_number} now shipped {pl.qty_shipped}, more than the "
                                        f"{_expected(pl)} ordered/accepted: check the invoice",
                                        str(pl.line_number)))
    live = [pl for pl in po.lines if pl.state not in (LineState.REROUTED, LineState.CANCELLED,
                                                      LineState.REJECTED)]
    if matched:
        done = all(pl.state == LineState.SHIPPED for pl in live)
        _advance(po, PoState.SHIPPED if done else PoState.PARTIALLY_SHIPPED, out)
    return out, matched


def _shipped_cancelled(shipment_id: str, where: str, what: str, line: str = "") -> Problem:
    """A ship notice for units we cancelled: the supplier shipped before it read our change
    (or ignored it). Not counted as shipped (cancelled units never ship); a person decides."""
    return Problem("asn.cancelled_units",
                   f"856 {shipment_id} ships {what} of {where}, which we cancelled: the supplier "
                   "shipped before it took our change, or the notice is wrong. The shipment is kept "
                   "but not applied; check with the supplier, then arrange a return or tell the "
                   "customer the goods are coming", line)


def _expected(pl: PoLine) -> int:
    """Units the supplier is to ship on a line: what it took (or, without an 855, what we sent)."""
    taken = pl.qty_accepted + pl.qty_backordered
    return taken if taken else pl.quantity - pl.qty_rejected


def _still_to_ship(pl: PoLine) -> int:
    return max(0, _expected(pl) - pl.qty_shipped)


# -- the order ---------------------------------------------------------------------------------

def order_state(current: OrderState, lines: list[tuple[int, list[tuple[PoState, PoLine]]]]) -> OrderState:
    """An order's state from its lines' purchase-order lines.

    ``lines``: per order line, its quantity and the (PO state, PO line) pairs that carry it.
    Shipped when every unit is shipped; partially shipped when some are; needs attention when
    a line has units no supplier is working on.
    """
    if current in (OrderState.CANCELLED, OrderState.ON_HOLD, OrderState.RECEIVED):
        return current
    shipped_any, all_shipped, uncovered = False, True, False
    for quantity, carried in lines:
        live = [(s, pl) for s, pl in carried
                if pl.state not in (LineState.REROUTED, LineState.CANCELLED)]
        shipped = sum(pl.qty_shipped for _, pl in live)
        covered = sum(pl.quantity - pl.qty_rejected for s, pl in live
                      if s not in (PoState.REJECTED, PoState.FAILED, PoState.CANCELLED))
        shipped_any = shipped_any or shipped > 0
        all_shipped = all_shipped and shipped >= quantity
        uncovered = uncovered or covered < quantity
    if all_shipped:
        return OrderState.SHIPPED
    if uncovered:
        return OrderState.NEEDS_ATTENTION
    return OrderState.PARTIALLY_SHIPPED if shipped_any else OrderState.PROCESSING
