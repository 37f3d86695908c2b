"""The supplier scorecard on SQLite and PostgreSQL: POs sent, answered and shipped at known
moments through the real services; every figure below is worked out by hand in the comments."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.adapters import tables as t
from hub.cli import main
from hub.cli.common import HomeContext
from hub.services.intake import Submission, accept
from hub.views.scorecard import scorecard
from tests.integration.test_inbound import receive, x12
from tests.integration.test_intake import order

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
END = T0 + timedelta(days=5, hours=2)          # the clock when the figures are read
SINCE = END - timedelta(days=30)               # the default period: 2026-10-26 12:00
_isa = itertools.count(900)


def place(hub, ref: str, *lines: tuple[str, int]) -> None:
    """Take an order in (now) with one line per (sku, quantity)."""
    o = order(channel_order_id=ref, placed_at=hub.clock().isoformat(),
              lines=[{"line_id": str(k), "sku": sku, "quantity": qty, "unit_price": "10.00"}
                     for k, (sku, qty) in enumerate(lines, 1)])
    [result] = accept(hub.context, [Submission("t", o)])
    assert result.state == "processing", result


def send(hub) -> None:
    report = hub.dispatcher("w").run_once()
    assert not report.problems


def po(hub, ref: str) -> tuple[str, str]:
    """The PO number and the GS06 of the 850 (or XML PO) that carried order ``ref``'s PO."""
    o, p, i = t.orders, t.purchase_orders, t.interchanges
    with hub.uow(readonly=True) as uow:
        return tuple(uow.conn.execute(
            select(p.c.po_number, i.c.group_control).join(o, o.c.id == p.c.order_id)
            .join(i, i.c.purchase_order_id == p.c.id)
            .where(o.c.channel_order_id == ref, i.c.direction == "out")).one())


def at(hub, moment: datetime) -> None:
    hub.clock.now = moment


def answer(hub, set_id: str, body: list[str]) -> None:
    fid = {"997": "FA", "855": "PR", "856": "SH"}[set_id]
    report = receive(hub, x12(set_id, fid, body, next(_isa)))
    assert report.state == "processed", report.problems


def ack997(hub, ref: str) -> None:
    answer(hub, "997", [f"AK1*PO*{po(hub, ref)[1]}", "AK9*A*1*1*1"])


def asn(hub, ref: str, shipment: str, items: list[tuple[int, int]]) -> None:
    body = [f"BSN*00*{shipment}*20261120*1200", "HL*1**S", "TD5*B*2*UPSN", "HL*2*1*O", f"PRF*{po(hub, ref)[0]}"]
    for k, (line, qty) in enumerate(items):
        body += [f"HL*{k + 3}*2*I", f"LIN*{line}", f"SN1**{qty}*EA"]
    answer(hub, "856", body)


def build(hub) -> None:
    """The story (catalog lead times: chair 3 d, footrest 3 d, desk 5 d, monitor arm 4 d,
    cable tray 6 d at acme; lamp 2 d at initech)."""
    # Before the period: an acme PO answered 10 days late, and an incident. Neither counts.
    at(hub, T0 - timedelta(days=40))
    place(hub, "OLD", ("CHAIR-ERGO-BLK", 1))
    send(hub)
    answer(hub, "855", ["BAK*00*AC*PO0000000*20261011"])          # unknown PO: an incident
    at(hub, T0 - timedelta(days=30))
    ack997(hub, "OLD")
    # T0: five POs sent at once.
    at(hub, T0)
    place(hub, "A", ("CHAIR-ERGO-BLK", 4), ("FOOTREST-ADJ", 2))  # acme, allowance 3 d
    place(hub, "B", ("DESK-OAK-120", 1))                         # acme, 5 d
    place(hub, "C", ("MONITOR-ARM-2", 10))                       # acme, 4 d
    place(hub, "D", ("CABLE-TRAY-80", 5))                        # acme, 6 d
    place(hub, "E", ("LAMP-LED-WHT", 3))                         # initech, 2 d
    send(hub)
    at(hub, T0 + timedelta(minutes=30))
    ack997(hub, "A")                                              # 997 after 1800 s
    at(hub, T0 + timedelta(hours=1))
    ack997(hub, "B")                                              # 3600 s
    at(hub, T0 + timedelta(hours=2))
    ack997(hub, "C")                                              # 7200 s
    answer(hub, "855", [f"BAK*00*AC*{po(hub, 'A')[0]}*20261120",   # 855 after 7200 s
                        "PO1*1*4*EA", "ACK*IA*3*EA", "ACK*IB*1*EA", "PO1*2*2*EA", "ACK*IA*2*EA"])
    at(hub, T0 + timedelta(hours=3))
    answer(hub, "855", [f"BAK*00*RJ*{po(hub, 'D')[0]}*20261120",   # 10800 s: all 5 refused, R2
                        "PO1*1*5*EA", "ACK*R2*5*EA"])
    at(hub, T0 + timedelta(hours=3, minutes=30))
    answer(hub, "855", [f"BAK*00*RJ*{po(hub, 'D')[0]}*20261120",   # the same 855 again
                        "PO1*1*5*EA", "ACK*R2*5*EA"])
    at(hub, T0 + timedelta(hours=4))
    answer(hub, "855", [f"BAK*00*AD*{po(hub, 'B')[0]}*20261120"])  # 14400 s: accepted whole
    answer(hub, "855", ["BAK*00*AC*PO0000001*20261120"])          # unknown PO: an incident
    at(hub, T0 + timedelta(days=1))
    answer(hub, "855", [f"BAK*00*AC*{po(hub, 'C')[0]}*20261120",   # 86400 s: 6 taken, 4 refused R4
                        "PO1*1*10*EA", "ACK*IA*6*EA", "ACK*R4*4*EA"])
    at(hub, T0 + timedelta(days=3))
    asn(hub, "A", "S-A", [(1, 3), (2, 2)])                        # exactly 3 d: on time
    place(hub, "F", ("DESK-OAK-120", 2))                          # acme, sent T0+3d, due T0+8d
    send(hub)
    at(hub, T0 + timedelta(days=5, hours=1))
    asn(hub, "B", "S-B", [(1, 1)])                                # 5 d 1 h > 5 d: late
    at(hub, END)


def cards(hub, since=SINCE) -> dict[str, dict]:
    with hub.uow(readonly=True) as uow:
        rows = scorecard(uow.conn, since, hub.clock(), sorted(hub.context.partners), hub.context.catalog)
    return {c["partner"]: c for c in rows}


def test_scorecard_figures_are_the_ones_worked_out_by_hand(store_hub):
    build(store_hub)
    acme, initech = cards(store_hub).values()
    assert acme["partner"] == "acme" and initech["partner"] == "initech"
    assert acme["pos"] == 5                                        # A B C D F; OLD is before the period
    # 997: 1800, 3600, 7200 s: median rank ceil(3/2)=2, p90 rank ceil(2.7)=3.
    assert acme["ack997"] == {"n": 3, "median": 3600.0, "p90": 7200.0}
    # 855: 7200 (A), 10800 (D), 14400 (B), 86400 (C): median rank 2, p90 rank ceil(3.6)=4.
    assert acme["ack855"] == {"n": 4, "median": 10800.0, "p90": 86400.0}
    # Units on the four answered POs: 6 + 1 + 10 + 5 = 22; accepted 5 + 1 + 6 + 0 = 12,
    # backordered 1, refused 4 + 5 = 9. F (2 desks) is not answered; shipped 5 (A) + 1 (B).
    assert acme["units"] == {"ordered": 24, "answered": 22, "accepted": 12, "backordered": 1,
                             "rejected": 9, "shipped": 6}
    assert acme["acceptance_rate"] == pytest.approx(12 / 22)
    assert acme["backorder_rate"] == pytest.approx(1 / 22)
    assert acme["fill_rate"] == pytest.approx(6 / 24)
    assert (acme["answered"], acme["pos_accepted"], acme["pos_rejected"]) == (4, 3, 1)
    # A on time (3 d of 3), B late (5 d 1 h of 5), C late (unshipped, 5 d 2 h past a 4 d
    # allowance), F not due (2 d 2 h of 5), D refused whole: no shipment expected.
    assert acme["on_time"] == {"on_time": 1, "late": 2, "judged": 3, "not_due": 1, "no_lead_time": 0,
                               "not_to_ship": 1}
    assert acme["on_time_rate"] == pytest.approx(1 / 3)
    # The repeated 855 for D does not count its R2 line twice.
    assert acme["rejects"] == [
        {"code": "R2", "meaning": "Item Rejected, Invalid Item Product Number", "lines": 1, "units": 5},
        {"code": "R4", "meaning": "Item Rejected, Contract Item not Available", "lines": 1, "units": 4}]
    # The two refusals left no supplier to try (D at T0+3h, C at T0+1d), and an 855 named a PO
    # we never sent (T0+4h); the one before the period does not count.
    assert acme["incidents"] == {"total": 3, "open": 3, "codes": {"routing.no_supplier_left": 2,
                                                                 "poack.unknown_po": 1}}
    # initech: E, 3 lamps, never answered; its 2 d allowance ran out: late.
    assert initech["pos"] == 1 and initech["ack997"] == {"n": 0, "median": None, "p90": None}
    assert initech["units"] == {"ordered": 3, "answered": 0, "accepted": 0, "backordered": 0,
                                "rejected": 0, "shipped": 0}
    assert initech["acceptance_rate"] is None and initech["fill_rate"] == 0.0
    assert initech["on_time"]["late"] == 1 and initech["on_time_rate"] == 0.0
    assert initech["incidents"] == {"total": 0, "open": 0, "codes": {}}


def test_a_period_with_nothing_sent_has_no_rates(store_hub):
    build(store_hub)
    acme = cards(store_hub, since=END - timedelta(hours=1))["acme"]
    assert acme["pos"] == 0 and acme["fill_rate"] is None and acme["on_time_rate"] is None
    assert acme["ack855"] == {"n": 0, "median": None, "p90": None} and acme["rejects"] == []


@pytest.fixture
def cli(store_hub, monkeypatch):
    """The command line on the test's hub (its store and its clock)."""
    build(store_hub)
    monkeypatch.setattr(HomeContext, "hub", lambda self: store_hub)

    def run(*args):
        result = CliRunner().invoke(main, ["suppliers", "scorecard", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output
    return run


def test_cli_prints_the_figures_with_their_counts(cli):
    text = cli()
    assert "POs sent from 2026-10-26 12:00 to 2026-11-25 12:00 UTC" in text
    lines = {ln.split("  ")[0]: " ".join(ln.split()) for ln in text.splitlines()}
    assert lines["POs sent"] == "POs sent 5 1"
    assert lines["997 latency median / p90"] == "997 latency median / p90 1.0 h / 2.0 h (n=3) - (n=0)"
    assert lines["855 latency median / p90"] == "855 latency median / p90 3.0 h / 24.0 h (n=4) - (n=0)"
    assert lines["855 units accepted"] == "855 units accepted 54.5% (12/22) - (0/0)"
    assert lines["fill rate (units shipped)"] == "fill rate (units shipped) 25.0% (6/24) 0.0% (0/3)"
    assert lines["shipped on time"] == "shipped on time 33.3% (1/3) 0.0% (0/1)"
    assert lines["refusal codes"] == "refusal codes R2 x1, R4 x1 -"
    assert "codes: R2 Item Rejected, Invalid Item Product Number; R4 Item Rejected, Contract Item not Available" in text


def test_cli_csv_has_one_row_per_supplier(cli):
    rows = list(csv.DictReader(io.StringIO(cli("--csv", "--since", "2026-11-01"))))
    assert [r["partner"] for r in rows] == ["acme", "initech"]
    acme = rows[0]
    assert (acme["since"], acme["until"]) == ("2026-11-01T00:00:00Z", "2026-11-25T12:00:00Z")
    assert {k: acme[k] for k in ("pos_sent", "ack997_median_s", "ack997_p90_s", "ack855_median_s",
                                 "units_ordered", "units_shipped", "fill_rate", "on_time", "late",
                                 "not_yet_due", "on_time_rate", "reject_reasons", "incidents")} == {
        "pos_sent": "5", "ack997_median_s": "3600", "ack997_p90_s": "7200", "ack855_median_s": "10800",
        "units_ordered": "24", "units_shipped": "6", "fill_rate": "0.2500", "on_time": "1", "late": "2",
        "not_yet_due": "1", "on_time_rate": "0.3333", "reject_reasons": "R2:1 R4:1", "incidents": "3"}
    assert rows[1]["acceptance_rate"] == "" and rows[1]["ack997_median_s"] == ""


@pytest.fixture
def odd_sku_hub(demo_home, clock, db_url):
    """The demo instance whose catalog has a SKU with a quote and backslashes."""
    from hub.bootstrap import bootstrap
    from hub.config import load_settings
    with open(demo_home / "partners" / "catalog.csv", "a", encoding="utf-8") as fh:
        fh.write('"O\'NEIL\\\\BOOK",acme,AC-1,5.00,2,10,1,100,true,EA\n')
    h = bootstrap(settings=load_settings(demo_home, {"EDIHUB_DATABASE_URL": db_url}), clock=clock)
    yield h
    h.close()


def test_lead_times_of_any_sku_reach_the_query(odd_sku_hub):
    hub = odd_sku_hub
    sku = "O'NEIL\\\\BOOK"
    assert hub.context.catalog.entry(sku, "acme").lead_time_days == 2
    at(hub, T0)
    place(hub, "Q", (sku, 1))
    send(hub)
    at(hub, T0 + timedelta(days=2))
    asn(hub, "Q", "S-Q", [(1, 1)])                                # 2 d of 2: on time
    acme = cards(hub, since=T0)["acme"]
    assert acme["on_time"] == {"on_time": 1, "late": 0, "judged": 1, "not_due": 0, "no_lead_time": 0,
                               "not_to_ship": 0}
