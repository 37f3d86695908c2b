"""Properties of an order's quantities under any mix of changes, answers and shipments.

An order with one or more lines, routed to one or more suppliers, goes through a random
sequence of: changes from the channel (a line's quantity down or up, a line cancelled, the
whole order cancelled), deliveries of purchase orders, suppliers' 855 line acks (accept,
backorder, reject some units), corrected 855s taking units declined before, suppliers' answers
to our changes (accept or refuse, per line; cutting or deleting, in the same answer, lines the
change did not touch) and shipments of some units. After every step the channel's view of each line
(hub.domain.progress) must hold together: nothing negative, shipped <= accepted <= wanted,
no unit counted twice and none lost (units on purchase-order lines plus units refused with no
supplier left add up to the units wanted).

The steps drive the pure domain functions (hub.domain.changes, hub.domain.answers,
hub.domain.supplier_changes); the little
the service layer adds between them (which supplier gets added or rejected units, withdrawn
unsent documents going out again) is mirrored in :class:`World`, following
hub.services.changes, hub.services.reroute and hub.services.change_answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub.domain.answers import _still_to_ship, apply_po_ack, apply_shipment
from hub.domain.changes import (AT_SUPPLIER, UNSENT, ChangeRequest, LineRequest, PoPlan, accept_line,
                                apply_plan, decline_held_elsewhere, held, plan_change, rebased,
                                refuse_line)
from hub.domain.documents import ChangeAck, ChangeAckLine, LineAck, PoAck, PoAckLine, ShippedItem, ShippedOrder
from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.progress import line_progress, order_progress
from hub.domain.states import ORDER_TRANSITIONS, LineState, OrderState, PoState
from hub.domain.supplier_changes import answer_terms

NOW = datetime(2026, 11, 25, 12)
SUPPLIERS = ("acme", "bolt", "cogs")
# Units each supplier takes on one purchase-order line (the catalog's maximum).
MAX_UNITS = {"acme": 12, "bolt": 6, "cogs": 40}
_GONE = (LineState.CANCELLED, LineState.REROUTED)


def fits(supplier: str, sku: str, units: int) -> bool:
    """The catalog: every supplier sells every SKU, up to its maximum per line."""
    return 1 <= units <= MAX_UNITS[supplier]


@dataclass
class World:
    """One order, its purchase orders and the changes waiting for a supplier's answer."""

    order: Order
    pos: list[PurchaseOrder]
    pending: list[PoPlan] = field(default_factory=list)   # changes told to a supplier, unanswered
    next_id: int = 1

    # -- the channel -----------------------------------------------------------------------

    def change(self, request: ChangeRequest) -> None:
        """request_change: plan, place added units, apply, replace unsent POs, tell the rest."""
        if self.order.state == OrderState.CANCELLED:
            return   # refused by the service: nothing about a cancelled order changes
        was = {po.id: po.state for po in self.pos}
        plan = plan_change(self.order, self.pos, request, fits)
        shares = self._place_added_units(plan)
        apply_plan(self.order, plan, request)
        for pp in plan.pos.values():
            if was[pp.po.id] in UNSENT:
                if pp.po.state != PoState.CANCELLED:
                    pp.po.state = PoState.QUEUED    # withdrawn and built again as it now is
            else:
                self.pending.append(pp)             # an 860 goes to the supplier
        self._new_pos(shares)
        if not any(ln.wanted for ln in self.order.lines) and \
                OrderState.CANCELLED in ORDER_TRANSITIONS[self.order.state]:
            self.order.move_to(OrderState.CANCELLED)

    def _place_added_units(self, plan) -> dict[str, list[tuple[OrderLine, int]]]:
        """As hub.services.changes._place_added_units: the line's suppliers first, then the rest."""
        shares: dict[str, list[tuple[OrderLine, int]]] = {}
        by_id = {ln.line_id: ln for ln in self.order.lines}
        for outcome in plan.lines:
            units, outcome.to_route = outcome.to_route, 0
            if not units:
                continue
            line = by_id[outcome.line_id]
            tried = [po.partner_id for po in sorted(self.pos, key=lambda p: -p.id)
                     for pl in po.lines if pl.order_line_id == line.id]
            supplier = next((s for s in dict.fromkeys(tried + list(line.candidates))
                             if fits(s, line.sku, units)), None)
            if supplier is None:
                outcome.after -= units
                outcome.refused += units
                continue
            shares.setdefault(supplier, []).append((line, units))
        return shares

    # -- the suppliers -------------------------------------------------------------------------

    def deliver(self, po: PurchaseOrder) -> None:
        """The transport delivered the purchase order's document."""
        if po.state == PoState.QUEUED:
            po.move_to(PoState.SENT)

    def acknowledge(self, po: PurchaseOrder, splits: list[tuple[int, int, int]]) -> None:
        """An 855 answering every line: per line, units accepted, backordered and rejected.

        The supplier answers for the units it was asked for and has not declined (what the
        last 850 or 860 it took said), and never declines units it has shipped already.
        """
        if po.state not in AT_SUPPLIER:
            return
        lines = []
        for pl, (a, b, r) in zip(po.lines, splits):
            if pl.state in _GONE:
                continue
            asked = pl.quantity - pl.qty_rejected
            accepted = max(pl.qty_shipped, a * asked // 4)
            backordered = min(asked - accepted, b * asked // 4)
            rejected = min(asked - accepted - backordered, r * asked // 4)
            acks = tuple(LineAck(code, qty) for code, qty in (("IA", accepted), ("IB", backordered),
                                                               ("IR", rejected)) if qty)
            if acks:
                lines.append(PoAckLine(str(pl.line_number), pl.quantity, acks=acks))
        applied = apply_po_ack(po, PoAck(po.po_number, "AC", date(2026, 11, 25), tuple(lines)))
        decline_held_elsewhere(po, self.order, self.pos)   # as hub.services.apply._po_ack
        self._reroute([(po, pl, units) for pl, units in applied.reroute])

    def reconsider(self, po: PurchaseOrder) -> None:
        """A corrected 855: the supplier now takes every unit of its lines it declined before,
        as many as each line was last sent with, whether or not another supplier holds them now."""
        lines = tuple(PoAckLine(str(pl.line_number), pl.quantity, acks=(LineAck("IA", pl.quantity),))
                      for pl in po.lines if pl.qty_rejected and pl.state not in _GONE)
        if lines and po.state in AT_SUPPLIER + (PoState.REJECTED,):
            applied = apply_po_ack(po, PoAck(po.po_number, "AC", date(2026, 11, 26), lines))
            decline_held_elsewhere(po, self.order, self.pos)
            self._reroute([(po, pl, units) for pl, units in applied.reroute])

    def answer_change(self, index: int, accepted: bool, refused_lines: set[int],
                      cuts: dict[int, int] | None = None) -> None:
        """The supplier answers a change (865, or the operator records it): per line yes or no;
        ``cuts``: lines of the purchase order (by index) the answer also cuts to that many
        quarters of what they hold (0: POC02 DI), the supplier's own change where the change
        did not touch them (the answer may name the change's own lines too: no cut there)."""
        if not self.pending:
            return
        at = index % len(self.pending)
        pp = self.pending.pop(at)
        by_number = {pl.line_number: pl for pl in pp.po.lines}
        cut = [(pp.po.lines[i % len(pp.po.lines)], q) for i, q in sorted((cuts or {}).items())]
        other = tuple(ChangeAckLine(str(pl.line_number), "DI" if q == 0 else "QD",
                                    (pl.quantity - pl.qty_rejected) * q // 4) for pl, q in cut)
        if other:   # as hub.services.apply._change_ack: cut and re-routed before the verdicts
            terms = answer_terms(pp.po, ChangeAck(pp.po.po_number, "04", "AC", None, None, None, other),
                                 None, frozenset(pp.lines), "CH")
            self._reroute([(pp.po, pl, units) for pl, units in terms.reroute])
        rerouted = []
        for change in pp.lines.values():
            pl = by_number[change.line_number]
            if accepted and change.line_number not in refused_lines:
                accept_line(pp.po, pl, change)
            elif units := refuse_line(pp.po, pl, change):
                rerouted.append((pp.po, pl, units))
                for later in self.pending[at:]:   # planned after it: rebased as settle_change does
                    if later.po is pp.po and change.line_number in later.lines:
                        later.lines[change.line_number] = rebased(later.lines[change.line_number], units)
        self._reroute(rerouted)

    def ship(self, po: PurchaseOrder, line_index: int, part: int) -> None:
        """An 856 shipping some of the units still to come on one line (never more)."""
        if po.state in (PoState.CANCELLED, PoState.REJECTED, PoState.FAILED):
            return
        live = [pl for pl in po.lines if pl.state not in _GONE + (LineState.REJECTED,)
                and _still_to_ship(pl) > 0]
        if not live:
            return
        pl = live[line_index % len(live)]
        units = max(1, _still_to_ship(pl) * part // 4)
        apply_shipment(po, ShippedOrder(po.po_number, (ShippedItem(str(pl.line_number), quantity=units),)),
                       f"SHIP{self.next_id}")

    # -- the service glue --------------------------------------------------------------------

    def _reroute(self, rejected: list[tuple[PurchaseOrder, PoLine, int]]) -> None:
        """As hub.services.reroute.reroute: the next supplier not yet tried for the line."""
        tried: dict[int, set[str]] = {}
        for po in self.pos:
            for pl in po.lines:
                tried.setdefault(pl.order_line_id, set()).add(po.partner_id)
        shares: dict[str, list[tuple[OrderLine, int]]] = {}
        for po, pl, units in rejected:
            line = next(ln for ln in self.order.lines if ln.id == pl.order_line_id)
            seen = tried.setdefault(line.id, {po.partner_id})
            supplier = next((s for s in line.candidates if s not in seen and fits(s, line.sku, units)), None)
            if supplier is None:
                continue   # an Incident: no supplier left
            seen.add(supplier)
            shares.setdefault(supplier, []).append((line, units))
            if pl.state == LineState.REJECTED and pl.qty_rejected >= pl.quantity:
                pl.move_to(LineState.REROUTED, po.po_number)
        self._new_pos(shares)

    def _new_pos(self, shares: dict[str, list[tuple[OrderLine, int]]]) -> None:
        for supplier in sorted(shares):
            lines = [PoLine(n, line.id, line.sku, f"V-{line.sku}", "", units, Decimal("1"))
                     for n, (line, units) in enumerate(shares[supplier], start=1)]
            self.pos.append(PurchaseOrder(f"PO{self.next_id}", supplier, self.order.id, lines, NOW,
                                          id=self.next_id))
            self.next_id += 1


def make_world(quantities: list[int], candidates: list[tuple[str, ...]]) -> World:
    """The order as routing left it: each line with its first supplier that takes it."""
    lines = [OrderLine(str(n), f"SKU-{n}", q, Decimal("10"), id=100 + n, candidates=c)
             for n, (q, c) in enumerate(zip(quantities, candidates), start=1)]
    order = Order("webshop", "WS-1", NOW, "USD", Customer("C", "Ann", "", "", True),
                  Address("Ann", "1 Main", "", "Austin", "TX", "78701", "US"), lines, id=1,
                  state=OrderState.PROCESSING)
    world = World(order, [])
    shares: dict[str, list[tuple[OrderLine, int]]] = {}
    for line in lines:
        supplier = next(s for s in line.candidates if fits(s, line.sku, line.quantity))
        shares.setdefault(supplier, []).append((line, line.quantity))
    world._new_pos(shares)
    return world


# -- what must always hold ------------------------------------------------------------------------

def check(world: World, step: object) -> None:
    """Every order line as the channel sees it, and every purchase-order line under it."""
    progress = order_progress(world.order, world.pos)
    for line, seen in zip(world.order.lines, progress.lines, strict=True):
        carried = [(po, pl) for po in world.pos for pl in po.lines if pl.order_line_id == line.id]
        assert seen == line_progress(line, carried)
        wanted = seen.ordered - seen.cancelled
        where = f"after {step}: line {line.line_id} {seen} on {describe(carried)}"
        assert min(seen.ordered, seen.accepted, seen.backordered, seen.rejected, seen.cancelled,
                   seen.shipped, wanted) >= 0, where
        assert seen.shipped <= seen.accepted <= wanted, where
        open_units = 0
        for po, pl in carried:
            assert min(pl.quantity, pl.qty_accepted, pl.qty_backordered, pl.qty_rejected,
                       pl.qty_shipped) >= 0, where
            if pl.state in _GONE or po.state == PoState.CANCELLED:
                # Cancelled or handed on: whatever shipped here shipped before that.
                assert pl.qty_shipped <= pl.quantity - pl.qty_rejected, where
                continue
            taken = max(pl.qty_accepted, pl.qty_shipped) + \
                max(0, pl.qty_backordered - max(0, pl.qty_shipped - pl.qty_accepted))
            assert taken + pl.qty_rejected <= pl.quantity, where   # no unit answered for twice
            if po.state not in (PoState.REJECTED, PoState.FAILED):
                open_units += pl.quantity - pl.qty_rejected - taken
        assert seen.accepted + seen.backordered + seen.rejected + open_units <= wanted, where
        # Every unit wanted is on some supplier's purchase-order line, or refused with none left.
        on_pos = sum(held(po, pl) for po, pl in carried if po.state not in (PoState.REJECTED,))
        assert on_pos + seen.rejected == wanted, where
    if progress.state == "cancelled":
        assert all(ln.shipped == ln.ordered - ln.cancelled for ln in progress.lines), progress


def describe(carried: list[tuple[PurchaseOrder, PoLine]]) -> str:
    return "; ".join(f"{po.po_number}/{po.partner_id} {po.state.value} #{pl.line_number} {pl.state.value} "
                     f"q{pl.quantity} a{pl.qty_accepted} b{pl.qty_backordered} r{pl.qty_rejected} "
                     f"s{pl.qty_shipped}" for po, pl in carried)


# -- the steps ------------------------------------------------------------------------------------

quarters = st.integers(0, 4)
ARGUMENTS = {
    "quantity": st.tuples(st.integers(0, 2), st.integers(0, 15)),   # which line, how many now
    "cancel_order": st.tuples(),
    "deliver": st.tuples(st.integers(0, 5)),                        # which purchase order
    "ack": st.tuples(st.integers(0, 5), st.lists(st.tuples(quarters, quarters, quarters),
                                                 min_size=3, max_size=3)),
    "answer": st.tuples(st.integers(0, 3), st.booleans(), st.sets(st.integers(1, 3), max_size=2),
                        st.dictionaries(st.integers(0, 2), st.integers(0, 3), max_size=2)),
    "ship": st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(1, 4)),
    "reconsider": st.tuples(st.integers(0, 5)),
}
# Cancelling the order ends the story, so it comes up less often than the rest; purchase
# orders must be delivered before a change waits for an answer, so those come up more.
KINDS = ["quantity"] * 3 + ["deliver"] * 2 + ["answer"] * 3 + ["ack"] * 2 + ["ship"] * 2 + ["cancel_order",
                                                                                          "reconsider"]
steps = st.sampled_from(KINDS).flatmap(lambda kind: ARGUMENTS[kind].map(lambda args: (kind, *args)))
orders = st.lists(st.tuples(st.integers(1, 6), st.permutations(SUPPLIERS).flatmap(
    lambda p: st.integers(1, 3).map(lambda n: tuple(p[:n])))), min_size=1, max_size=3)


def run(world: World, step: tuple) -> None:
    kind, *args = step
    pick = lambda n: world.pos[n % len(world.pos)]   # noqa: E731 - a purchase order by index
    if kind == "quantity":
        line = world.order.lines[args[0] % len(world.order.lines)]
        world.change(ChangeRequest(f"CH{world.next_id}", lines=(LineRequest(line.line_id, args[1]),)))
    elif kind == "cancel_order":
        world.change(ChangeRequest(f"CH{world.next_id}", cancel=True))
    elif kind == "deliver":
        world.deliver(pick(args[0]))
    elif kind == "ack":
        world.acknowledge(pick(args[0]), args[1])
    elif kind == "answer":
        world.answer_change(*args)
    elif kind == "reconsider":
        world.reconsider(pick(args[0]))
    else:
        world.ship(pick(args[0]), args[1], args[2])


def test_two_increases_refused_in_turn_each_decline_their_own_units():
    """The second change was planned on top of the first's unit: once the first is refused,
    refusing the second still declines its own unit (the supplier keeps the 2 it had)."""
    world = make_world([2], [("acme", "bolt")])
    for step in [("deliver", 0), ("quantity", 0, 3), ("quantity", 0, 4), ("answer", 0, False, set()),
                 ("answer", 0, False, set())]:
        run(world, step)
        check(world, step)
    acme = world.pos[0]
    assert held(acme, acme.lines[0]) == 2
    assert [(po.partner_id, [pl.quantity for pl in po.lines]) for po in world.pos[1:]] == [("bolt", [1])]


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders, st.lists(steps, min_size=6, max_size=30))
# Units declined with no supplier left, cancelled by the channel, then taken after all by a
# corrected 855: they must not count as accepted (the decrease takes them off the PO line).
@example([(4, ("acme",))], [("deliver", 0), ("ack", 0, [(0, 0, 4)] * 3), ("quantity", 0, 2),
                            ("reconsider", 0)])
# An answer to the change of line 1 also cuts line 2, whose own increase is still waiting for
# its answer: the increase, accepted or refused after, takes no unit twice.
@example([(4, ("acme", "bolt")), (4, ("acme", "bolt"))],
         [("deliver", 0), ("quantity", 0, 2), ("quantity", 1, 6), ("answer", 0, True, set(), {1: 0}),
          ("answer", 0, True, set())])
@example([(4, ("acme", "bolt")), (4, ("acme", "bolt"))],
         [("deliver", 0), ("quantity", 0, 2), ("quantity", 1, 6), ("answer", 0, True, set(), {1: 1}),
          ("answer", 0, False, set()), ("ship", 0, 1, 4)])
def test_quantities_hold_together_through_any_changes_answers_and_shipments(lines, sequence):
    world = make_world([q for q, _ in lines], [c for _, c in lines])
    check(world, "routing")
    for n, step in enumerate(sequence):
        run(world, step)
        check(world, f"step {n} {step}")
