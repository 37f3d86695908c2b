"""What a supplier's 865 means for a purchase order: an answer to our change, or its own change.

Pure functions over :class:`PurchaseOrder`. An 865 that answers our 860 is turned into the
verdicts :func:`hub.services.change_answers.settle_change` records (:func:`change_answer`);
its lines the change did not touch are the supplier's own change to them (:func:`answer_terms`).
An 865 that is the supplier's own change (:func:`apply_supplier_change`) may

* cut a line (POC02 ``DI`` deletes it, a POC03 below what it holds or ACK ``IR`` units of
  those ordered refuse them): the units it will no longer ship are rejected, to be re-routed exactly as
  an 855 rejection is; units already shipped are never cut;
* move a line's ship date (ACK05, or a DTM ship date on the line or in the heading): the
  line's expected ship date follows; a later one is a delay, an Incident when it is later
  than the partner's ``[sla] delay_days`` allow. The dates of an 865 answering our change
  move lines the same way (:func:`answer_terms`).

Anything else it asks (more units, another unit price in POC06) is not taken: it becomes a
Problem for an operator, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hub.domain import states
from hub.domain.answers import (HOLD_CODES, REJECTED_CODES, Applied, Problem, can_move,
                                match_line)
from hub.domain.documents import ChangeAck, ChangeAckLine
from hub.domain.model import PoLine, PurchaseOrder
from hub.domain.states import LineState, PoState

# POC02 (element 670) codes.
DELETE = "DI"
# A quantity the supplier asks to raise: units it offers beyond what we ordered.
INCREASES = frozenset({"QI", "AI"})
# Price changes: the hub keeps the cost it ordered at; an operator settles the price.
PRICE_CHANGES = frozenset({"PC", "PQ", "PR"})
# Changes of dates: CT change of dates, RS reschedule, RB replace all dates, RQ reschedule/quantity,
# PR unit price/reschedule.
DATE_CHANGES = frozenset({"CT", "RS", "RB", "RQ", "PR"})
# The response "reject item change": the supplier refuses the change we asked for on the line.
REFUSE_CHANGE = "RC"
_GONE = (LineState.REROUTED, LineState.CANCELLED, LineState.REJECTED)


@dataclass(frozen=True, slots=True)
class Delay:
    """A line's ship date moved later by the supplier."""

    line: PoLine
    before: date
    after: date
    code: str          # what said so: an ACK01 (element 668) or POC02 (element 670) code, or ""
    element: str       # "668", "670", or "" (only a DTM said so)
    beyond_window: bool


@dataclass
class SupplierChange(Applied):
    """What applying a supplier's own 865 did: Applied's lists, and the delays."""

    delays: list[Delay] = field(default_factory=list)


def line_number(text: str) -> int | None:
    """A POC01 as one of our PO line numbers, or None when it is not a number."""
    key = text.strip().lstrip("0")
    return int(key) if key.isascii() and key.isdigit() else None


def change_answer(ack: ChangeAck, touched: frozenset[int] | None = None) -> tuple[bool, dict[int, bool]]:
    """The verdict of an 865 on our change: for the whole change (BCA02), and per line named
    (ACK01 IR and the other rejecting or holding codes, or POC02 RC, refuse the line; any
    other status accepts it). A line without ACK takes the whole change's verdict.

    ``touched``: the PO line numbers the change is about; the answer's other lines are no
    verdict on it (:func:`answer_terms` applies them as the supplier's own change). None:
    every line counts.
    """
    accepted = not ack.rejected
    lines: dict[int, bool] = {}
    for line in ack.lines:
        number = line_number(line.line_number)
        codes = {a.code for a in line.acks}
        if number is None or not (codes or line.change_code == REFUSE_CHANGE) or \
                (touched is not None and number not in touched):
            continue
        lines[number] = not _refuses(line)
    return accepted, lines


def _refuses(line: ChangeAckLine) -> bool:
    """True when the line's status refuses (ACK01 rejecting or holding codes, POC02 RC)."""
    return bool({a.code for a in line.acks} & (REJECTED_CODES | HOLD_CODES)) or line.change_code == REFUSE_CHANGE


def apply_supplier_change(po: PurchaseOrder, ack: ChangeAck, delay_days: float | None) -> SupplierChange:
    """Apply the supplier's own change to ``po``: cut lines, move ship dates.

    ``delay_days``: how many days later than expected a line may be moved before it is an
    Incident (the partner's ``[sla] delay_days``); None: no limit.
    """
    out = SupplierChange()
    if po.state in (PoState.CANCELLED, PoState.FAILED):
        out.problems.append(Problem("state.illegal_transition",
                                    f"865 for purchase order {po.po_number}, which is "
                                    f"{po.state.value}: tell the supplier, it was not applied"))
        return out
    for line in ack.lines:
        pl = match_line(po, line.line_number, line.vendor_item, line.buyer_item)
        if pl is None:
            out.problems.append(_unknown_line(po, line))
            continue
        if pl.state in (LineState.REROUTED, LineState.CANCELLED):
            continue
        _cut(po, pl, line, out)
        _reschedule(po, pl, line, ack.ship_date, delay_days, out)
        _price(po, pl, line, out)
    _follow_lines(po, out)
    return out


def _follow_lines(po: PurchaseOrder, out: SupplierChange) -> None:
    """The purchase order after its lines were cut: rejected when none is left, shipped when
    every line left has shipped."""
    live = [pl for pl in po.lines if pl.state not in _GONE]
    if not live and can_move(po, PoState.REJECTED):
        _advance(po, PoState.REJECTED, out)
    elif live and all(pl.state == LineState.SHIPPED for pl in live):
        _advance(po, PoState.SHIPPED, out)


def answer_terms(po: PurchaseOrder, ack: ChangeAck, delay_days: float | None,
                 touched: frozenset[int] | None = None, change_id: str = "") -> SupplierChange:
    """What an 865 answering our change says besides its verdicts (:func:`change_answer`):
    each line it dates moves to that date, a later one being a delay, and a unit price other
    than ours is a Problem, both as in :func:`apply_supplier_change`.

    ``touched``: the PO line numbers our change ``change_id`` is about. The answer's other
    lines are the supplier's own change to them, cut as :func:`apply_supplier_change` cuts
    (their units to be re-routed); a refusal of such a line that names no units to drop (POC02
    RC, a hold) cannot be applied and is a Problem. None: every line is the change's.
    """
    out = SupplierChange()
    for line in ack.lines:
        pl = match_line(po, line.line_number, line.vendor_item, line.buyer_item)
        if pl is None and touched is not None:
            out.problems.append(_unknown_line(po, line))
        if pl is None or pl.state in (LineState.REROUTED, LineState.CANCELLED):
            continue
        if touched is not None and pl.line_number not in touched:
            _other_line(po, pl, line, change_id, out)
        _reschedule(po, pl, line, ack.ship_date, delay_days, out)
        _price(po, pl, line, out)
    if touched is not None:
        _follow_lines(po, out)
    return out


def _other_line(po: PurchaseOrder, pl: PoLine, line: ChangeAckLine, change_id: str,
                out: SupplierChange) -> None:
    """A line of an answer that our change did not touch: the supplier's own change to it."""
    codes = {a.code for a in line.acks}
    if line.change_code == DELETE or codes & REJECTED_CODES or not _refuses(line):
        _cut(po, pl, line, out)
        return
    said = line.change_code if line.change_code == REFUSE_CHANGE else \
        next(a.code for a in line.acks if a.code in HOLD_CODES)
    element = "POC02" if said == REFUSE_CHANGE else "ACK01"
    out.problems.append(Problem(
        "change.answer_other_lines",
        f"{po.partner_id}'s answer (865) to change {change_id or '?'} of {po.po_number} also refuses "
        f"line {pl.line_number} ({pl.sku}), which the change did not touch, without saying which units "
        f"it will not ship ({element} {said}): it was not applied, and the line stands as the supplier "
        "had it; ask the supplier whether it will still ship it", str(pl.line_number)))


def _unknown_line(po: PurchaseOrder, line: ChangeAckLine) -> Problem:
    return Problem("supplier_change.unknown_line",
                   f"865 for {po.po_number} changes line {line.line_number!r} "
                   f"({line.vendor_item or line.buyer_item or 'no item'}), which "
                   "is not on the purchase order: ask the supplier",
                   line.line_number or line.vendor_item or line.buyer_item or "?")


def _target(pl: PoLine, line: ChangeAckLine, held: int) -> int | None:
    """Units the supplier will ship on the line from now on, or None when it says no number."""
    if line.change_code == DELETE:
        return 0
    said: list[int] = []
    if line.quantity is not None and line.change_code not in PRICE_CHANGES:
        said.append(line.quantity)
    refusing = [a for a in line.acks if a.code in REJECTED_CODES]
    if any(a.quantity is None for a in refusing):
        said.append(0)
    elif refusing:   # units refused of those ordered: the same answer again refuses no more
        said.append(max(0, min(held, pl.quantity - sum(a.quantity for a in refusing))))
    elif line.acks and all(a.quantity is not None for a in line.acks):
        said.append(sum(a.quantity for a in line.acks if a.code not in HOLD_CODES))
    return min(said) if said else None


def _cut(po: PurchaseOrder, pl: PoLine, line: ChangeAckLine, out: SupplierChange) -> None:
    """Reject the units the supplier will no longer ship (never those it shipped)."""
    if pl.state == LineState.REJECTED:
        return
    held = pl.quantity - pl.qty_rejected
    target = _target(pl, line, held)
    if target is None or target == held:
        return
    where = f"{po.po_number} line {pl.line_number} ({pl.sku})"
    if target > held:
        if line.change_code in INCREASES or line.quantity is not None:
            out.problems.append(Problem("supplier_change.more_than_ordered",
                                        f"{po.partner_id} offers {target} units on {where}, more "
                                        f"than the {held} we ordered: not taken; change the order "
                                        "if the customer wants them", str(pl.line_number)))
        return
    if target < pl.qty_shipped:
        out.problems.append(Problem("supplier_change.shipped_units",
                                    f"{po.partner_id}'s 865 cuts {where} to {target} units, but "
                                    f"{pl.qty_shipped} have shipped already: shipped units are never "
                                    "cut; check the shipment with the supplier", str(pl.line_number)))
        target = pl.qty_shipped
        if target >= held:
            return
    cut = held - target
    pl.qty_rejected += cut
    pl.qty_backordered = min(pl.qty_backordered, target)
    pl.qty_accepted = target - pl.qty_backordered
    if target == 0:
        _move_line(po, pl, LineState.REJECTED)
    elif pl.qty_shipped >= target:
        _move_line(po, pl, LineState.SHIPPED)
    else:
        _move_line(po, pl, LineState.CHANGED)
    out.reroute.append((pl, cut))
    out.events.append(f"{po.po_number}: {po.partner_id} cut line {pl.line_number} ({pl.sku}) from "
                      f"{held} to {target} unit(s) (865 POC02 {line.change_code})")


def _reschedule(po: PurchaseOrder, pl: PoLine, line: ChangeAckLine, header_date: date | None,
                delay_days: float | None, out: SupplierChange) -> None:
    """Move the line's expected ship date to the one the 865 gives; later is a delay."""
    dated = [a for a in line.acks if a.date is not None]
    when = max((a.date for a in dated), default=None) or line.ship_date or header_date
    if when is None or pl.state in _GONE or pl.qty_shipped >= pl.quantity - pl.qty_rejected:
        return
    before, pl.promised_date = pl.promised_date, when
    if before is None or when <= before:
        return
    code, element = (dated[-1].code, "668") if dated else \
        (line.change_code, "670") if line.change_code in DATE_CHANGES else ("", "")
    late = (when - before).days
    beyond = delay_days is not None and late > delay_days
    out.delays.append(Delay(pl, before, when, code, element, beyond))
    out.events.append(f"{po.po_number}: {po.partner_id} moved line {pl.line_number} ({pl.sku}) "
                      f"from {before} to {when} (865)")
    if beyond:
        out.problems.append(Problem("supplier_change.delay_beyond_window",
                                    f"{po.partner_id} moved {po.po_number} line {pl.line_number} "
                                    f"({pl.sku}) from {before} to {when}, {late} days later, beyond "
                                    f"the {delay_days:g} days its partner file allows ([sla] "
                                    "delay_days): tell the customer or find another source",
                                    str(pl.line_number)))


def _price(po: PurchaseOrder, pl: PoLine, line: ChangeAckLine, out: SupplierChange) -> None:
    """A unit price (POC06) other than the one we ordered at is not taken: an operator settles it."""
    if line.unit_price is None or line.unit_price == pl.unit_cost:
        return
    out.problems.append(Problem("supplier_change.price",
                                f"{po.partner_id} gives {line.unit_price} a unit for {po.po_number} line "
                                f"{pl.line_number} ({pl.sku}), not the {pl.unit_cost} we ordered at: the "
                                "hub keeps the ordered cost; settle the price with the supplier before "
                                "its invoice", str(pl.line_number)))


def _move_line(po: PurchaseOrder, pl: PoLine, wanted: LineState) -> None:
    """Move a line if its transition table allows it; otherwise the news is recorded only."""
    if wanted != pl.state and wanted in states.LINE_TRANSITIONS[pl.state]:
        pl.move_to(wanted, po.po_number)


def _advance(po: PurchaseOrder, wanted: PoState, out: Applied) -> None:
    if po.state != wanted and can_move(po, wanted):
        out.events.append(f"{po.po_number}: {po.state.value} -> {wanted.value}")
        po.move_to(wanted)
