"""Orders in through intake, on SQLite and on a real PostgreSQL: stored, reviewed, routed, queued."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from hub.adapters import tables as t
from hub.services.intake import CONFLICT, CREATED, INVALID, UNCHANGED, Submission, accept
from tests.support.pyx12_check import assert_reads_cleanly

ORDER = {
    "channel": "webshop", "channel_order_id": "WS-1", "placed_at": "2026-11-25T09:00:00Z",
    "currency": "USD",
    "customer": {"id": "C1", "name": "Ann Lee", "email": "ann@example.com", "phone": "555 0100",
                 "prepaid": True},
    "ship_to": {"name": "Ann Lee", "address1": "1 Main St", "address2": "", "city": "Austin",
                "state": "TX", "postal_code": "78701", "country": "US"},
    "lines": [{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 2, "unit_price": "219.00"},
              {"line_id": "2", "sku": "LAMP-LED-WHT", "quantity": 1, "unit_price": "39.90"}],
}


def order(**changes) -> dict:
    """A copy of ORDER with top-level keys replaced."""
    o = copy.deepcopy(ORDER)
    o.update(changes)
    return o


def count(hub, table) -> int:
    with hub.uow(readonly=True) as uow:
        return uow.conn.scalar(select(func.count()).select_from(table))


def outbox(hub) -> list[dict]:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(select(i).order_by(i.c.id)).mappings()]


def test_an_order_splits_into_one_purchase_order_per_supplier(store_hub):
    [result] = accept(store_hub.context, [Submission("test", order())])
    assert (result.status, result.state) == (CREATED, "processing")
    with store_hub.uow(readonly=True) as uow:
        pos = uow.repo.purchase_orders_of(result.order_id)
    # The catalog ranks acme first for the chair and only initech sells the lamp.
    assert sorted((p.partner_id, [ln.sku for ln in p.lines]) for p in pos) == [
        ("acme", ["CHAIR-ERGO-BLK"]), ("initech", ["LAMP-LED-WHT"])]
    assert all(p.state == "queued" for p in pos)
    docs = outbox(store_hub)
    assert sorted((d["partner_id"], d["doc_type"], d["state"]) for d in docs) == [
        ("acme", "850", "queued"), ("initech", "xml-po", "queued")]
    x12 = next(d for d in docs if d["doc_type"] == "850")
    assert_reads_cleanly(x12["payload"])
    assert b"BEG*00*DS*" + pos[0].po_number.encode() in x12["payload"] or \
        b"BEG*00*DS*" + pos[1].po_number.encode() in x12["payload"]


def test_the_same_order_twice_changes_nothing(store_hub):
    first = accept(store_hub.context, [Submission("a", order())])[0]
    rows = (count(store_hub, t.orders), count(store_hub, t.purchase_orders), count(store_hub, t.interchanges))
    again = accept(store_hub.context, [Submission("b", order())])[0]
    assert again.status == UNCHANGED and again.order_id == first.order_id
    assert (count(store_hub, t.orders), count(store_hub, t.purchase_orders),
            count(store_hub, t.interchanges)) == rows


def test_different_content_under_the_same_id_is_a_conflict_naming_the_difference(store_hub):
    accept(store_hub.context, [Submission("a", order())])
    changed = order()
    changed["lines"][0]["quantity"] = 3
    for _ in range(2):  # a retrying client files one incident, not two
        [result] = accept(store_hub.context, [Submission("b", changed)])
        assert result.status == CONFLICT
        assert "lines[0].quantity" in result.problems[0]
    with store_hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(t.incidents.c.code, t.incidents.c.occurrences)).all()
    assert rows == [("intake.conflicting_duplicate", 2)]
    assert count(store_hub, t.orders) == 1


def test_a_batch_keeps_good_orders_and_files_bad_ones(store_hub):
    bad = order(channel_order_id="WS-2")
    bad["lines"][0]["quantity"] = 0
    results = accept(store_hub.context, [Submission("row 1", order()), Submission("row 2", bad),
                                         Submission("row 3", error="not valid JSON", raw="{oops")])
    assert [r.status for r in results] == [CREATED, INVALID, INVALID]
    assert results[1].problems == ["lines[0].quantity: must be greater than 0, got 0"]
    with store_hub.uow(readonly=True) as uow:
        details = [json.loads(d) for d in uow.conn.scalars(
            select(t.incidents.c.detail).where(t.incidents.c.code == "intake.invalid_order")
            .order_by(t.incidents.c.id))]
    assert [d["source"] for d in details] == ["row 2", "row 3"]
    assert details[1]["raw"] == "{oops"  # what the channel sent is kept


def test_unknown_channel_is_refused(store_hub):
    [result] = accept(store_hub.context, [Submission("x", order(channel="fax"))])
    assert result.status == INVALID
    assert "'fax' is not a channel of this hub" in result.problems[0]


def test_new_customer_over_the_limit_without_prepayment_is_held(store_hub):
    risky = order(customer={**ORDER["customer"], "id": "NEW-9", "prepaid": False})
    risky["lines"][0]["quantity"] = 5  # 5 x 219.00 = 1095.00 > 500.00
    [result] = accept(store_hub.context, [Submission("x", risky)])
    assert result.state == "on_hold"
    assert count(store_hub, t.purchase_orders) == 0
    with store_hub.uow(readonly=True) as uow:
        code = uow.conn.scalar(select(t.incidents.c.code))
    assert code == "review.hold_new_customer"


def test_known_customer_is_not_held_for_the_same_order(store_hub):
    accept(store_hub.context, [Submission("x", order(channel_order_id="WS-0"))])  # prepaid, known now
    later = order(channel_order_id="WS-5", customer={**ORDER["customer"], "prepaid": False})
    later["lines"][0]["quantity"] = 5
    assert accept(store_hub.context, [Submission("x", later)])[0].state == "processing"


def test_unknown_sku_needs_attention_and_says_which_line(store_hub):
    o = order()
    o["lines"][1]["sku"] = "NO-SUCH"
    [result] = accept(store_hub.context, [Submission("x", o)])
    assert result.state == "needs_attention"
    with store_hub.uow(readonly=True) as uow:
        message = uow.conn.scalar(select(t.incidents.c.message))
    assert "line 2: SKU 'NO-SUCH' is not in the supplier catalog" in message


def test_document_that_cannot_be_built_uses_no_control_number(store_hub):
    # PER04 (e-mail) is at most 80 characters in 004010; an e-mail is never cut, so the 850
    # is refused and the next 850 for acme still gets ISA13 000000001.
    long_email = "a" * 75 + "@example.com"
    o = order(channel_order_id="WS-LONG", customer={**ORDER["customer"], "email": long_email})
    o["lines"] = [o["lines"][0]]
    [refused] = accept(store_hub.context, [Submission("x", o)])
    assert refused.state == "needs_attention"
    [ok] = accept(store_hub.context, [Submission("y", order(channel_order_id="WS-OK"))])
    assert ok.state == "processing"
    acme = [d for d in outbox(store_hub) if d["partner_id"] == "acme"]
    assert [d["control_number"] for d in acme] == ["000000001"]
    with store_hub.uow(readonly=True) as uow:
        msg = uow.conn.scalar(select(t.incidents.c.message).where(t.incidents.c.code == "document.invalid"))
    assert "PER 04" in msg and "customer.email" in msg


def test_control_and_po_numbers_increase_per_partner_without_gaps(store_hub):
    batch = [Submission(str(n), order(channel_order_id=f"WS-{n}")) for n in range(30)]
    accept(store_hub.context, batch[:10])
    accept(store_hub.context, batch[10:])
    for partner in ("acme", "initech"):
        numbers = [int(d["control_number"]) for d in outbox(store_hub) if d["partner_id"] == partner]
        assert numbers == list(range(1, 31))
    with store_hub.uow(readonly=True) as uow:
        po_numbers = list(uow.conn.scalars(select(t.purchase_orders.c.po_number)))
    assert len(set(po_numbers)) == 60


def test_the_same_order_twice_in_one_batch(store_hub):
    changed = order()
    changed["lines"][1]["quantity"] = 9
    results = accept(store_hub.context, [Submission("1", order()), Submission("2", order()),
                                         Submission("3", changed)])
    assert [r.status for r in results] == [CREATED, UNCHANGED, CONFLICT]
    assert "lines[1].quantity" in results[2].problems[0]
    assert count(store_hub, t.orders) == 1
    # Each repeat names the order it repeats, as stored (the API answers with it).
    assert results[0].order_id is not None
    assert [r.order_id for r in results] == [results[0].order_id] * 3
    assert [r.state for r in results] == ["processing"] * 3
    with store_hub.uow(readonly=True) as uow:
        [incident_order] = uow.conn.scalars(select(t.incidents.c.order_id)
                                            .where(t.incidents.c.code == "intake.conflicting_duplicate"))
    assert incident_order == results[0].order_id


def test_repeats_in_a_batch_of_an_order_stored_with_other_content_are_all_conflicts(store_hub):
    # Sent twice at once after a different version was stored: neither copy may pass as
    # "unchanged" by matching the other.
    accept(store_hub.context, [Submission("1", order())])
    changed = order()
    changed["ship_to"]["city"] = "Dallas"
    results = accept(store_hub.context, [Submission("2", changed), Submission("3", copy.deepcopy(changed))])
    assert [r.status for r in results] == [CONFLICT, CONFLICT]
    assert all("ship_to.city" in r.problems[0] for r in results)
    assert count(store_hub, t.orders) == 1


def test_each_submission_may_carry_its_own_channel(store_hub):
    # One batch for orders of several channels (the API's senders): each record is read for
    # its own sender's channel, and one naming another channel is refused alone.
    bare = order(channel_order_id="X-1")
    del bare["channel"]
    results = accept(store_hub.context, [
        Submission("a", copy.deepcopy(bare), channel="webshop"),
        Submission("b", copy.deepcopy(bare), channel="phone"),
        Submission("c", order(channel_order_id="X-2", channel="webshop"), channel="phone")])
    assert [(r.status, r.channel) for r in results] == [(CREATED, "webshop"), (CREATED, "phone"),
                                                        (INVALID, "webshop")]
    assert results[2].problems == ["channel: is 'webshop' but these orders are imported for 'phone'"]


def test_an_operator_releases_a_held_order(store_hub):
    from hub.services.operations import NotReleasableError, release_order
    risky = order(customer={**ORDER["customer"], "id": "NEW-9", "prepaid": False})
    risky["lines"][0]["quantity"] = 5
    [held] = accept(store_hub.context, [Submission("x", risky)])
    outcome = release_order(store_hub.context, held.order_id, "ops@example.com", "paid by phone")
    assert [p.partner_id for p in outcome.purchase_orders] == ["acme", "initech"]
    with store_hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(held.order_id).state == "processing"
        incidents = uow.conn.execute(select(t.incidents.c.state, t.incidents.c.resolved_by)).all()
    assert incidents == [("resolved", "ops@example.com")]
    with pytest.raises(NotReleasableError, match="is processing"):
        release_order(store_hub.context, held.order_id, "ops@example.com")


def test_an_order_refused_for_an_overlong_channel_does_not_take_its_batch_down(store_hub):
    # The refused order's channel goes into its Incident (a 40-character column: PostgreSQL
    # enforces the width).
    results = accept(store_hub.context, [Submission("row 1", order(channel="c" * 500)),
                                         Submission("row 2", order())])
    assert [r.status for r in results] == [INVALID, CREATED]
    assert results[0].problems == ["channel: is 500 characters long; at most 40"]
    assert count(store_hub, t.incidents) == 1


POISON_SQLITE = """CREATE TRIGGER poison BEFORE INSERT ON orders WHEN NEW.channel_order_id = 'WS-POISON'
BEGIN SELECT RAISE(ABORT, 'the store refuses this order'); END"""
POISON_PG = ["""CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
  IF NEW.channel_order_id = 'WS-POISON' THEN RAISE EXCEPTION 'the store refuses this order'; END IF;
  RETURN NEW; END $$ LANGUAGE plpgsql""",
             "CREATE TRIGGER poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION poison()"]


def test_an_order_the_store_refuses_is_refused_alone_and_kept(store_hub):
    # The store itself refuses one order of the batch (a trigger stands in for whatever a
    # store may refuse): every other order still goes in, the refused one is an Incident.
    with store_hub.engine.begin() as conn:
        for sql in ([POISON_SQLITE] if store_hub.engine.dialect.name == "sqlite" else POISON_PG):
            conn.exec_driver_sql(sql)
    batch = [Submission(f"line {n}", order(channel_order_id=f"WS-{n}")) for n in range(1, 8)]
    batch[4] = Submission("line 5", order(channel_order_id="WS-POISON"), raw="{the line as sent}")
    results = accept(store_hub.context, batch)
    assert [r.status for r in results] == [CREATED] * 4 + [INVALID] + [CREATED] * 2
    assert results[4].channel_order_id == "WS-POISON"
    assert results[4].problems[0].startswith("could not be stored (")
    assert "the store refuses this order" in results[4].problems[0]
    assert count(store_hub, t.orders) == 6
    with store_hub.uow(readonly=True) as uow:
        [(code, detail)] = uow.conn.execute(select(t.incidents.c.code, t.incidents.c.detail)).all()
    assert code == "intake.invalid_order"
    assert json.loads(detail)["raw"] == "{the line as sent}"
    # The purchase orders of the six stored orders were numbered without a gap.
    acme = [int(d["control_number"]) for d in outbox(store_hub) if d["partner_id"] == "acme"]
    assert sorted(acme) == list(range(1, 7))


def test_a_record_that_breaks_reading_is_refused_alone(store_hub, monkeypatch):
    # Whatever a record breaks on its way (here the hashing of one order) refuses that record.
    from hub.services import intake
    real = intake.content_hash

    def content_hash(payload: str) -> str:
        if "WS-BREAKS" in payload:
            raise ValueError("cannot hash this")
        return real(payload)
    monkeypatch.setattr(intake, "content_hash", content_hash)
    results = accept(store_hub.context, [Submission("1", order()),
                                         Submission("2", order(channel_order_id="WS-BREAKS")),
                                         Submission("3", order(channel_order_id="WS-3"))])
    assert [r.status for r in results] == [CREATED, INVALID, CREATED]
    assert results[1].problems == ["could not be read as an order (ValueError: cannot hash this)"]
    assert count(store_hub, t.orders) == 2 and count(store_hub, t.incidents) == 1


def test_orders_already_stored_are_found_in_every_channel_of_a_batch(store_hub):
    # The same channel order id in two channels is two orders; a batch repeating both finds each.
    bare = order(channel_order_id="X-1")
    del bare["channel"]
    first = accept(store_hub.context, [Submission("a", copy.deepcopy(bare), channel="webshop"),
                                       Submission("b", copy.deepcopy(bare), channel="phone")])
    again = accept(store_hub.context, [Submission("c", copy.deepcopy(bare), channel="phone"),
                                       Submission("d", copy.deepcopy(bare), channel="webshop"),
                                       Submission("e", order(channel_order_id="X-2"))])
    assert [r.status for r in again] == [UNCHANGED, UNCHANGED, CREATED]
    assert [r.order_id for r in again[:2]] == [first[1].order_id, first[0].order_id]


def test_looking_up_a_batch_reads_the_index_not_every_order(hub):
    # Intake looks its batch's keys up in every batch: on SQLite a row-value IN over
    # (channel, channel_order_id) read the whole orders table each time.
    from sqlalchemy import event
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().startswith("SELECT") and "content_hash" in statement:
            statements.append((statement, params))
    event.listen(hub.engine, "before_cursor_execute", seen)
    accept(hub.context, [Submission("a", order()), Submission("b", order(channel_order_id="WS-2"))])
    event.remove(hub.engine, "before_cursor_execute", seen)
    [(statement, params)] = statements
    with hub.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
    assert plan and all(step.startswith("SEARCH orders USING") for step in plan if "orders" in step), plan


def test_units_booked_today_count_the_days_live_purchase_orders_per_supplier(store_hub):
    """The capacity check's figure: units on purchase orders created since the moment given,
    per supplier; earlier days and dead purchase orders (cancelled, failed, rejected) left out."""
    for n in range(3):
        accept(store_hub.context, [Submission("t", order(channel_order_id=f"WS-B{n}"))])
    p = t.purchase_orders
    with store_hub.uow() as uow:
        pos = uow.conn.execute(select(p.c.id, p.c.partner_id, p.c.created_at).order_by(p.c.id)).all()
        units = dict(uow.conn.execute(select(t.po_lines.c.purchase_order_id, func.sum(t.po_lines.c.quantity))
                                      .group_by(t.po_lines.c.purchase_order_id)).all())
        now = pos[0].created_at
        uow.conn.execute(update(p).where(p.c.id == pos[0].id).values(created_at=now - timedelta(days=2)))
        uow.conn.execute(update(p).where(p.c.id == pos[1].id).values(state="cancelled"))
        uow.commit()
        expected: dict[str, int] = {}
        for po in pos[2:]:
            expected[po.partner_id] = expected.get(po.partner_id, 0) + units[po.id]
        assert len(pos) > 3 and expected
        assert uow.repo.units_booked_since(now - timedelta(hours=12)) == expected
        assert uow.repo.units_booked_since(now + timedelta(seconds=1)) == {}


def test_units_booked_today_search_the_days_range_not_every_purchase_order(hub):
    """Every intake batch asks it: SQLite's plan must search the created_at index, never walk
    the whole table (on 300,000 purchase orders that walk took 120-150 ms a batch)."""
    seen: list[tuple[str, tuple]] = []
    with hub.uow(readonly=True) as uow:
        event.listen(uow.conn, "before_cursor_execute",
                     lambda conn, cursor, statement, params, context, many: seen.append((statement, params)))
        uow.repo.units_booked_since(hub.clock() - timedelta(hours=12))
        statement, params = seen[-1]
        plan = [row[-1] for row in uow.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
    assert any("purchase_orders USING COVERING INDEX ix_purchase_orders_booked" in step for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan
