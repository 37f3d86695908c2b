"""Changes and cancellations a customer asks for, worked out on an order's purchase orders.

Pure functions over an order and its purchase orders: which units of each line can still be
taken away or added, on which purchase-order line, and what each supplier must be told (the
X12 860 change codes). Units that shipped are never taken back: a return is not a change.
The service layer (hub.services.changes) decides how each purchase order hears of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from hub.domain import states
from hub.domain.model import Address, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.states import ChangeState, LineState, PoState

# BCH01: the whole purchase order is cancelled, or it is changed.
CANCELLATION, CHANGE = "01", "04"
# POC02 change codes (X12 element 670).
DELETE, DECREASE, INCREASE, DATES, ITEMS = "DI", "QD", "QI", "CT", "CA"
CODES = {DELETE: "delete item", DECREASE: "quantity decrease", INCREASE: "quantity increase",
         DATES: "change of dates", ITEMS: "changes to line items"}

# Purchase orders whose document has not left, and those a supplier has and still works on.
UNSENT = (PoState.QUEUED, PoState.FAILED, PoState.NEEDS_ATTENTION)
AT_SUPPLIER = (PoState.SENT, PoState.ACKNOWLEDGED, PoState.ACCEPTED, PoState.PARTIALLY_SHIPPED)
_GONE = (LineState.CANCELLED, LineState.REROUTED, LineState.REJECTED)
# What intake refuses in an order's ids: control characters and lone surrogates.
_NOT_IN_IDS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def could_name_order(channel: str, channel_order_id: str) -> bool:
    """Whether some order could have this (channel, channel_order_id): an id longer than
    intake takes (40 and 80 characters), or holding what it refuses, names none. Such text is
    not looked up at all: PostgreSQL cannot compare text holding NUL."""
    return (isinstance(channel, str) and isinstance(channel_order_id, str)
            and len(channel) <= 40 and len(channel_order_id) <= 80
            and not _NOT_IN_IDS.search(channel) and not _NOT_IN_IDS.search(channel_order_id))


@dataclass(frozen=True, slots=True)
class LineRequest:
    """One line as the customer now wants it: ``quantity`` units (0 cancels the line)."""

    line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A change the channel sent: cancel the order, or change lines, ship-to or date."""

    change_id: str
    cancel: bool = False
    lines: tuple[LineRequest, ...] = ()
    ship_to: Address | None = None
    delivery_date: date | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        """The canonical form: what is stored and hashed to tell a repeat from a conflict."""
        data: dict = {"change_id": self.change_id}
        if self.cancel:
            data["cancel"] = True
        if self.lines:
            data["lines"] = [{"line_id": ln.line_id, "quantity": ln.quantity} for ln in self.lines]
        if self.ship_to is not None:
            s = self.ship_to
            data["ship_to"] = {"name": s.name, "address1": s.address1, "address2": s.address2,
                               "city": s.city, "state": s.state, "postal_code": s.postal_code,
                               "country": s.country}
        if self.delivery_date is not None:
            data["requested_delivery_date"] = self.delivery_date.isoformat()
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(slots=True)
class LineOutcome:
    """What the change did to one order line, as the channel is told."""

    line_id: str
    sku: str
    before: int                 # units wanted before the change
    requested: int              # units the change asked for
    after: int                  # units wanted after it
    refused: int = 0            # units asked away that had shipped already
    to_route: int = 0           # added units no purchase order could take: routed anew
    note: str = ""

    def as_dict(self) -> dict:
        """The line as the API and the store show it."""
        return {"line_id": self.line_id, "sku": self.sku, "before": self.before,
                "requested": self.requested, "after": self.after, "refused": self.refused,
                "note": self.note}


@dataclass(slots=True)
class PoLineChange:
    """One purchase-order line as the supplier is told: the 860's POC."""

    line_number: int
    code: str                   # DI, QD, QI, CT, CA
    before: int                 # units live on the line before (ordered less rejected)
    after: int                  # units live on it after
    shipped: int

    @property
    def quantity_change(self) -> int:
        """Units added (positive) or taken away (negative)."""
        return self.after - self.before

    def as_dict(self) -> dict:
        """As stored with the purchase order's change."""
        return {"line_number": self.line_number, "code": self.code, "before": self.before,
                "after": self.after, "shipped": self.shipped}


@dataclass(slots=True)
class PoPlan:
    """What one purchase order's supplier must be told."""

    po: PurchaseOrder
    lines: dict[int, PoLineChange] = field(default_factory=dict)
    header: bool = False        # ship-to or delivery date changed while units are open here

    def purpose(self) -> str:
        """BCH01: a cancellation when every line is deleted and nothing has shipped."""
        everything = [pl for pl in self.po.lines if pl.state not in _GONE or
                      pl.line_number in self.lines]
        deleted = all(self.lines.get(pl.line_number) is not None and
                      self.lines[pl.line_number].code == DELETE for pl in everything)
        return CANCELLATION if everything and deleted and not \
            any(pl.qty_shipped for pl in self.po.lines) else CHANGE


@dataclass(slots=True)
class Plan:
    """The whole change worked out: per order line and per purchase order."""

    lines: list[LineOutcome] = field(default_factory=list)
    pos: dict[int, PoPlan] = field(default_factory=dict)
    shipped: list[PurchaseOrder] = field(default_factory=list)   # header change came too late
    routed: list[tuple[str, str, int]] = field(default_factory=list)   # new POs: number, supplier, units
    # Units suppliers declined with no supplier left to take them, that the change cancels:
    # (PO, line, units) off the line that declined them. No supplier is told (none holds them).
    dropped: list[tuple[PurchaseOrder, PoLine, int]] = field(default_factory=list)

    def changed_pos(self) -> list[PurchaseOrder]:
        """Every purchase order the change alters, once each."""
        pos = [pp.po for pp in self.pos.values()] + [po for po, _, _ in self.dropped]
        return list({id(po): po for po in pos}.values())

    def po_plan(self, po: PurchaseOrder) -> PoPlan:
        """The plan of one purchase order, made on first use."""
        return self.pos.setdefault(po.id, PoPlan(po))


def carried(line: OrderLine, pos: list[PurchaseOrder]) -> list[tuple[PurchaseOrder, PoLine]]:
    """The purchase-order lines carrying (some of) an order line."""
    return [(po, pl) for po in pos for pl in po.lines if pl.order_line_id == line.id]


def held(po: PurchaseOrder, pl: PoLine) -> int:
    """Units a purchase-order line holds at its supplier (or on its way there)."""
    if pl.state in _GONE or po.state in (PoState.CANCELLED, PoState.REJECTED):
        return 0
    return max(0, pl.quantity - pl.qty_rejected)


def removable(po: PurchaseOrder, pl: PoLine) -> int:
    """Units of a purchase-order line that may still be taken away: held and not shipped."""
    if po.state == PoState.SHIPPED or pl.state == LineState.SHIPPED:
        return 0
    return max(0, held(po, pl) - pl.qty_shipped)


def shipped_units(line: OrderLine, pos: list[PurchaseOrder]) -> int:
    """Units of an order line that have shipped, on any purchase order."""
    return sum(pl.qty_shipped for _, pl in carried(line, pos))


def plan_change(order: Order, pos: list[PurchaseOrder], request: ChangeRequest,
                fits: Callable[[str, str, int], bool]) -> Plan:
    """Work out a change: per order line, which units go where; per PO, what to say.

    ``fits(supplier, sku, units)`` tells whether a supplier takes that many units of a SKU on
    one line (the catalog's minimum and maximum); an increase its current line cannot take is
    routed anew. Nothing is changed here: :func:`apply_plan` does that.
    """
    plan = Plan()
    by_id = {ln.line_id: ln for ln in order.lines}
    wanted = {ln.line_id: 0 for ln in order.lines} if request.cancel else \
        {r.line_id: r.quantity for r in request.lines}
    for line_id, target in wanted.items():
        line = by_id[line_id]
        if target < line.wanted:
            plan.lines.append(_decrease(line, pos, target, plan))
        elif target > line.wanted:
            plan.lines.append(_increase(line, pos, target, plan, fits))
        else:
            plan.lines.append(LineOutcome(line_id, line.sku, line.wanted, target, target,
                                          note="unchanged"))
    if request.ship_to is not None or request.delivery_date is not None:
        code = DATES if request.ship_to is None else ITEMS
        for po in pos:
            _header_change(po, code, plan)
    return plan


def _decrease(line: OrderLine, pos: list[PurchaseOrder], target: int, plan: Plan) -> LineOutcome:
    """Take units away: first those no supplier works on, then unsent ones, then at suppliers."""
    pairs = carried(line, pos)
    left = line.wanted - target
    stranded = max(0, line.wanted - sum(held(po, pl) for po, pl in pairs))
    _drop_declined(pairs, min(left, stranded), plan)
    left -= min(left, stranded)
    # Newest first, unsent before sent: the cheapest units to take back go first.
    for po, pl in sorted(pairs, key=lambda x: (x[0].state not in UNSENT, -(x[0].id or 0),
                                               -x[1].line_number)):
        taken = min(left, removable(po, pl))
        if taken <= 0:
            continue
        before = held(po, pl)
        after = before - taken
        code = DELETE if after == 0 else DECREASE
        plan.po_plan(po).lines[pl.line_number] = PoLineChange(pl.line_number, code, before, after,
                                                              pl.qty_shipped)
        left -= taken
    outcome = LineOutcome(line.line_id, line.sku, line.wanted, target, target + left, refused=left)
    if left:
        outcome.note = (f"{left} unit(s) already shipped and cannot be cancelled: a return is "
                        "not a change")
    return outcome


def _drop_declined(pairs: list[tuple[PurchaseOrder, PoLine]], units: int, plan: Plan) -> None:
    """Cancelled units that were declined with nobody left to take them come off the lines
    that declined them, newest supplier first (the last one tried), so that a corrected 855
    cannot accept them again."""
    for po, pl in sorted(pairs, key=lambda x: (-(x[0].id or 0), -x[1].line_number)):
        taken = min(units, pl.qty_rejected) if pl.state not in (LineState.REROUTED, LineState.CANCELLED) else 0
        if taken > 0:
            plan.dropped.append((po, pl, taken))
            units -= taken


def _increase(line: OrderLine, pos: list[PurchaseOrder], target: int, plan: Plan,
              fits: Callable[[str, str, int], bool]) -> LineOutcome:
    """Add units on the line's newest open purchase-order line, or route them anew."""
    more = target - line.wanted
    outcome = LineOutcome(line.line_id, line.sku, line.wanted, target, target)
    for po, pl in sorted(carried(line, pos), key=lambda x: (-(x[0].id or 0), -x[1].line_number)):
        planned = plan.pos.get(po.id)
        open_here = po.state in UNSENT + AT_SUPPLIER and pl.state not in _GONE and \
            pl.state != LineState.SHIPPED and (planned is None or pl.line_number not in planned.lines)
        before = held(po, pl)
        if open_here and fits(po.partner_id, line.sku, before + more):
            plan.po_plan(po).lines[pl.line_number] = PoLineChange(pl.line_number, INCREASE, before,
                                                                  before + more, pl.qty_shipped)
            return outcome
    outcome.to_route = more
    return outcome


def _header_change(po: PurchaseOrder, code: str, plan: Plan) -> None:
    """A new ship-to or date reaches a PO with units still to ship; one shipped whole is told."""
    open_lines = [pl for pl in po.lines if removable(po, pl) > 0]
    if po.state not in UNSENT + AT_SUPPLIER + (PoState.SHIPPED,):
        return
    if not open_lines:
        if po.state == PoState.SHIPPED or any(pl.qty_shipped for pl in po.lines):
            plan.shipped.append(po)
        return
    pp = plan.po_plan(po)
    pp.header = True
    for pl in open_lines:
        if pl.line_number not in pp.lines:
            units = held(po, pl)
            pp.lines[pl.line_number] = PoLineChange(pl.line_number, code, units, units,
                                                    pl.qty_shipped)


def apply_plan(order: Order, plan: Plan, request: ChangeRequest) -> None:
    """Change the order and its purchase orders as planned (before anyone is told)."""
    by_id = {ln.line_id: ln for ln in order.lines}
    for outcome in plan.lines:
        line = by_id[outcome.line_id]
        if outcome.after < outcome.before:
            line.cancelled += outcome.before - outcome.after
        elif outcome.after > outcome.before:
            line.quantity += outcome.after - outcome.before
    if request.ship_to is not None:
        order.ship_to = request.ship_to
    if request.delivery_date is not None:
        order.requested_delivery = request.delivery_date
    for po, pl, units in plan.dropped:
        if units >= pl.quantity:
            _move_line(po, pl, LineState.CANCELLED)   # keeps what it was sent with, as _take does
        else:
            pl.quantity -= units
            pl.qty_rejected -= units
    for pp in plan.pos.values():
        by_number = {pl.line_number: pl for pl in pp.po.lines}
        for change in pp.lines.values():
            pl = by_number[change.line_number]
            if change.quantity_change < 0:
                _take(pp.po, pl, -change.quantity_change)
            elif change.quantity_change > 0:
                pl.quantity += change.quantity_change
        _settle_po_state(pp.po)


def _take(po: PurchaseOrder, pl: PoLine, units: int) -> None:
    """Take units off a PO line: what the supplier took or backordered shrinks with it."""
    pl.quantity -= units
    _fit_answers(pl)
    live = pl.quantity - pl.qty_rejected
    if live == 0 and not pl.qty_shipped:
        pl.quantity += units    # the line keeps what it was sent with; cancelled as a whole
        _move_line(po, pl, LineState.CANCELLED)
    elif live <= pl.qty_shipped:
        _move_line(po, pl, LineState.SHIPPED)


def _fit_answers(pl: PoLine) -> None:
    """Units the supplier took, backordered and declined never add up to more than the line
    holds: what no longer fits comes off the backorder first, then off what it accepted."""
    excess = pl.qty_accepted + pl.qty_backordered + pl.qty_rejected - pl.quantity
    if excess > 0:
        less = min(excess, pl.qty_backordered)
        pl.qty_backordered -= less
        pl.qty_accepted -= min(excess - less, pl.qty_accepted)


def _settle_po_state(po: PurchaseOrder) -> None:
    """A PO left with no live line is cancelled; one whose live lines all shipped is shipped."""
    live = [pl for pl in po.lines if pl.state not in _GONE]
    if not live:
        wanted = PoState.CANCELLED
    elif all(pl.state == LineState.SHIPPED for pl in live):
        wanted = PoState.SHIPPED
    else:
        return
    if wanted != po.state and wanted in states.PO_TRANSITIONS[po.state]:
        po.move_to(wanted)


def _move_line(po: PurchaseOrder, pl: PoLine, wanted: LineState) -> None:
    if wanted != pl.state and wanted in states.LINE_TRANSITIONS[pl.state]:
        pl.move_to(wanted, po.po_number)


# -- the supplier's answer ------------------------------------------------------------------

def accept_line(po: PurchaseOrder, pl: PoLine, change: PoLineChange) -> None:
    """The supplier takes the change: units added to a line it had accepted are accepted too
    (those an 855 has answered for since are not counted again)."""
    added = change.quantity_change
    if added > 0 and (pl.qty_accepted or pl.state in (LineState.ACCEPTED, LineState.CHANGED)):
        unanswered = pl.quantity - pl.qty_accepted - pl.qty_backordered - pl.qty_rejected
        pl.qty_accepted += max(0, min(added, unanswered))


def refuse_line(po: PurchaseOrder, pl: PoLine, change: PoLineChange) -> int:
    """The supplier refuses the change; return the added units it will not fill (rejected
    here, to be routed elsewhere). Units it was asked to drop may still ship.

    The supplier keeps no more than the line held before the change: added units it has
    declined since (an 855 to the new quantity), or that a later change took away again, are
    not declined twice.
    """
    added = change.quantity_change
    if added <= 0 or pl.state in _GONE:
        return 0
    refused = min(added, pl.quantity - pl.qty_rejected - max(change.before, pl.qty_shipped))
    if refused <= 0:
        return 0
    pl.qty_rejected += refused
    _fit_answers(pl)
    if pl.qty_rejected >= pl.quantity:
        _move_line(po, pl, LineState.REJECTED)
    return refused


def decline_held_elsewhere(po: PurchaseOrder, order: Order, pos: list[PurchaseOrder]) -> list[tuple[PoLine, int]]:
    """After an answer from ``po``'s supplier (say, a corrected 855 taking back units it had
    declined): units of its lines beyond what the order still wants less what the other
    purchase orders in ``pos`` hold are declined again. They were handed to another supplier
    or cancelled since. Returns (line, units) declined; shipped units are never declined."""
    wanted = {ln.id: ln.wanted for ln in order.lines}
    declined = []
    for pl in po.lines:
        if pl.order_line_id not in wanted:
            continue
        elsewhere = sum(held(p, other) for p in pos for other in p.lines
                        if other.order_line_id == pl.order_line_id and other is not pl)
        excess = held(po, pl) - max(pl.qty_shipped, wanted[pl.order_line_id] - elsewhere)
        if excess > 0:
            pl.qty_rejected += excess
            _fit_answers(pl)
            if pl.qty_rejected >= pl.quantity:
                _move_line(po, pl, LineState.REJECTED)
            declined.append((pl, excess))
    return declined


def rebased(change: PoLineChange, refused: int) -> PoLineChange:
    """A change planned on top of units an earlier change added, once the supplier has refused
    ``refused`` of those: it starts and ends that many units lower, so that refusing it in turn
    declines its own added units (:func:`refuse_line` keeps what the line held before)."""
    return PoLineChange(change.line_number, change.code, change.before - refused, change.after - refused,
                        change.shipped)


def overall_state(states_of_pos: list[ChangeState], refused_units: bool) -> ChangeState:
    """The state of a whole change from its purchase orders': requested while some supplier is
    not told yet, sent while some answer is awaited, then accepted, refused or partly accepted
    (units the hub refused, because they shipped, count as refused)."""
    if any(s in (ChangeState.QUEUED, ChangeState.FAILED, ChangeState.MANUAL) for s in states_of_pos):
        return ChangeState.REQUESTED
    if ChangeState.SENT in states_of_pos:
        return ChangeState.SENT
    good = any(s in (ChangeState.APPLIED, ChangeState.ACCEPTED, ChangeState.PARTLY_ACCEPTED)
               for s in states_of_pos)
    bad = refused_units or any(s in (ChangeState.REFUSED, ChangeState.REJECTED,
                                     ChangeState.PARTLY_ACCEPTED) for s in states_of_pos)
    if good and bad:
        return ChangeState.PARTLY_ACCEPTED
    return ChangeState.REFUSED if bad else ChangeState.ACCEPTED
