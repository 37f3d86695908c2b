"""The edihub command: init, partners check, orders import/show, run --once, demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.cli import main

HEADER = ("channel,channel_order_id,placed_at,currency,customer_id,customer_name,customer_email,"
          "customer_phone,customer_prepaid,ship_name,ship_address1,ship_address2,ship_city,ship_state,"
          "ship_postal_code,ship_country,line_id,sku,quantity,unit_price,description\n")


def row(coid: str, sku: str = "LAMP-LED-WHT", qty: str = "1", name: str = "Ann Lee", line: str = "1") -> str:
    return (f"marketplace,{coid},2026-11-25T09:00:00Z,USD,C-{coid},{name},a@example.com,555,yes,"
            f"{name},1 Main St,,Austin,TX,78701,US,{line},{sku},{qty},39.90,Lamp\n")


def edihub(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def test_init_creates_an_instance_and_refuses_to_overwrite(tmp_path):
    home = tmp_path / "inst"
    first = CliRunner().invoke(main, ["init", str(home), "--demo"])
    assert first.exit_code == 0, first.output
    assert (home / "edihub.toml").is_file() and (home / "partners/acme.toml").is_file()
    assert (home / "mappings/x12/850-4010.toml").is_file() and (home / "var/edihub.db").is_file()
    again = CliRunner().invoke(main, ["init", str(home)])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_partners_check_passes_on_the_demo_and_names_a_broken_file(demo_home):
    ok = edihub(demo_home, "partners", "check")
    assert ok.exit_code == 0 and "all partner files are valid" in ok.output
    acme = demo_home / "partners/acme.toml"
    acme.write_text(acme.read_text().replace('receiver_qualifier = "ZZ"', 'receiver_qualifer = "ZZ"'))
    bad = edihub(demo_home, "partners", "check")
    assert bad.exit_code == 2
    assert "acme.toml: x12.receiver_qualifer: unknown key (did you mean 'receiver_qualifier'?)" in bad.stderr


def test_import_csv_with_bom_and_latin1_then_again(demo_home, tmp_path):
    f = tmp_path / "export.csv"
    f.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + row("M1").encode()
                  + row("M2", name="Jos\xe9 Pe\xf1a").encode("latin-1")
                  + row("M3", qty="-2").encode())
    first = edihub(demo_home, "orders", "import", str(f))
    assert first.exit_code == 1  # one row refused
    assert "2 created, 0 already there, 0 conflicting, 1 refused" in first.output
    assert "line 3 and maybe others are not UTF-8; read as Latin-1" in first.output
    assert ("export.csv row 4 (marketplace/M3): invalid: lines[0].quantity: must be greater "
            "than 0, got -2") in first.output
    second = edihub(demo_home, "orders", "import", str(f))
    assert "0 created, 2 already there, 0 conflicting, 1 refused" in second.output
    hub = bootstrap(demo_home)
    with hub.uow(readonly=True) as uow:
        names = set(uow.conn.scalars(select(t.orders.c.customer_name)))
        incidents = uow.conn.execute(select(t.incidents.c.code, t.incidents.c.occurrences)).all()
    hub.close()
    assert names == {"Ann Lee", "José Peña"}
    assert incidents == [("intake.invalid_order", 2)]  # the same bad row, counted, not re-filed


def test_import_csv_missing_columns_is_refused_whole(demo_home, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text("channel_order_id,sku,unit_price\nM1,LAMP-LED-WHT,1.00\n")
    result = edihub(demo_home, "orders", "import", str(f), "--channel", "marketplace")
    assert result.exit_code == 1
    assert "missing column(s) quantity" in result.stderr


def test_import_json_lines_with_a_broken_line_keeps_the_rest(demo_home, tmp_path):
    good = json.loads((demo_home / "samples/orders.jsonl").read_text().splitlines()[0])
    f = tmp_path / "orders.jsonl"
    f.write_text(json.dumps(good) + "\n{broken\n" + json.dumps({**good, "channel_order_id": "X2"}) + "\n")
    result = edihub(demo_home, "orders", "import", str(f))
    assert "2 created" in result.output
    assert "orders.jsonl line 2" in result.output and "not valid JSON" in result.output


def test_a_200_mb_file_that_is_not_orders_is_refused_quickly(demo_home, tmp_path):
    f = tmp_path / "huge.csv"
    with open(f, "wb") as fh:
        for _ in range(200):
            fh.write(b"x" * (1 << 20))
    result = edihub(demo_home, "orders", "import", str(f), "--channel", "marketplace")
    assert result.exit_code == 1
    assert "line 1 is longer than 1024 KB" in result.stderr


def test_unknown_channel_option_is_a_configuration_error(demo_home, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(HEADER)
    result = edihub(demo_home, "orders", "import", str(f), "--channel", "fax")
    assert result.exit_code == 2 and "'fax' is not configured" in result.stderr


def test_show_finds_an_order_by_any_reference(demo_home):
    edihub(demo_home, "orders", "import", str(demo_home / "samples/orders.jsonl"))
    by_key = json.loads(edihub(demo_home, "orders", "show", "webshop/WS-10002", "--json").output)
    po = by_key["purchase_orders"][0]["po_number"]
    by_po = json.loads(edihub(demo_home, "orders", "show", po, "--json").output)
    by_coid = json.loads(edihub(demo_home, "orders", "show", "WS-10002", "--json").output)
    assert by_key["id"] == by_po["id"] == by_coid["id"]
    assert [ln["sku"] for ln in by_key["lines"]] == ["CHAIR-ERGO-BLK", "FOOTREST-ADJ"]
    text = edihub(demo_home, "orders", "show", "webshop/WS-10002").output
    assert "timeline:" in text and "order.received" in text
    missing = edihub(demo_home, "orders", "show", "nope")
    assert missing.exit_code == 1 and "no order matches 'nope'" in missing.stderr


def test_run_once_sends_what_is_queued_and_picks_up_drop_folders(demo_home):
    drop = demo_home / "var/drop/marketplace"
    (drop / "export.csv").write_text(HEADER + row("D1"))
    edihub(demo_home, "orders", "import", str(demo_home / "samples/orders.jsonl"))
    # The drop folder is checked for files older than the settle time; age this one.
    import os
    os.utime(drop / "export.csv", (0, 0))
    result = edihub(demo_home, "run", "--once")
    assert result.exit_code == 0
    assert "export.csv: 1 created" in result.output
    # orders.jsonl makes 4 purchase orders (3 acme, 1 initech; one order held, one unroutable),
    # the dropped file 1 (initech).
    assert "dispatch: 5 sent" in result.output
    assert (drop / "done/export.csv").is_file()
    assert "1 created" in (drop / "done/export.csv.report.txt").read_text()


def test_demo_runs_and_can_run_again(tmp_path):
    home = tmp_path / "demo"
    first = CliRunner().invoke(main, ["demo", str(home)], catch_exceptions=False)
    assert first.exit_code == 0
    assert "orders.jsonl: 5 created" in first.output
    assert "marketplace-export.csv: 2 created, 0 already there, 0 conflicting, 1 refused" in first.output
    assert "sent 6 purchase order(s) to the suppliers" in first.output
    assert "turn 1: the suppliers answered" in first.output
    hub = bootstrap(home)
    with hub.uow(readonly=True) as uow:
        states = dict(uow.conn.execute(select(t.orders.c.channel_order_id, t.orders.c.state)).all())
    hub.close()
    # Every order a supplier can fill ends shipped (a rejected line went to the other supplier,
    # a backordered one shipped a turn later); the held and the unroutable order wait for a person.
    assert states == {"WS-10001": "shipped", "WS-10002": "shipped", "WS-10003": "on_hold",
                      "WS-10004": "needs_attention", "WS-10005": "shipped", "MP-5501": "shipped",
                      "MP-5502": "shipped"}
    second = CliRunner().invoke(main, ["demo", str(home)], catch_exceptions=False)
    assert "orders.jsonl: 0 created, 5 already there" in second.output


@pytest.mark.parametrize("args", [["--help"], ["orders", "--help"], ["partners", "--help"]])
def test_help_is_available(args):
    assert CliRunner().invoke(main, args).exit_code == 0


def test_x12_check_reports_each_file_and_fails_on_errors():
    fixtures = Path(__file__).parent.parent / "fixtures" / "x12"
    good = CliRunner().invoke(main, ["x12", "check", str(fixtures / "856_nodex12_1.edi")])
    assert good.exit_code == 0, good.output
    # Checked by hand against the file: ISA13 000000049, one GS (SH, 49), one 856 (ST02 0008)
    # of 31 segments, delimiters * > - ~.
    assert "OK" in good.output and "ISA13 000000049" in good.output
    assert "856 0008: 31 segments" in good.output
    # IEA02 000000001 does not match ISA13 000000055 (see tests/fixtures/SOURCES.md).
    bad = CliRunner().invoke(main, ["x12", "check", str(fixtures / "850_edinet_1_bom-nbsp.edi"),
                                    str(fixtures / "856_nodex12_1.edi"), "/nonexistent.edi"])
    assert bad.exit_code == 1
    assert "iea.control" in bad.output and "856_nodex12_1.edi" in bad.output
    assert "nonexistent.edi" in bad.output


def _good_lines(home: Path, n: int = 3) -> list[dict]:
    good = json.loads((home / "samples/orders.jsonl").read_text().splitlines()[0])
    return [{**good, "channel_order_id": f"GOOD-{k}"} for k in range(1, n + 1)]


def _hostile(base: dict) -> list[str]:
    """One JSON text per value that broke a whole batch: nesting, the calendar's edges, a surrogate."""
    name = {**base["customer"], "name": "Ann \ud800"}
    return ["[" * 100_000,
            json.dumps({**base, "channel_order_id": "BAD-LATE", "placed_at": "9999-12-31T23:59:59-23:59"}),
            json.dumps({**base, "channel_order_id": "BAD-EARLY", "placed_at": "0001-01-01T00:00:00+01:00"}),
            json.dumps({**base, "channel_order_id": "BAD-U", "customer": name})]


def _stored_ids(home: Path) -> set[str]:
    hub = bootstrap(home)
    with hub.uow(readonly=True) as uow:
        ids = set(uow.conn.scalars(select(t.orders.c.channel_order_id)))
    hub.close()
    return ids


def test_import_json_lines_refuses_each_hostile_line_alone(demo_home, tmp_path):
    g1, g2, g3 = (json.dumps(o) for o in _good_lines(demo_home))
    bad = _hostile(json.loads(g1))
    f = tmp_path / "orders.jsonl"
    f.write_text("\n".join([g1, bad[0], g2, bad[1], bad[2], bad[3], g3]) + "\n")
    result = edihub(demo_home, "orders", "import", str(f))
    assert result.exit_code == 1
    assert "3 created, 0 already there, 0 conflicting, 4 refused" in result.output
    assert "orders.jsonl line 2: invalid: not an order: its JSON is nested too deeply" in result.output
    assert "orders.jsonl line 4 (webshop/BAD-LATE): invalid: placed_at:" in result.output
    assert "orders.jsonl line 5 (webshop/BAD-EARLY): invalid: placed_at:" in result.output
    assert "orders.jsonl line 6 (webshop/BAD-U): invalid: customer.name: is not valid Unicode" in result.output
    assert _stored_ids(demo_home) == {"GOOD-1", "GOOD-2", "GOOD-3"}


def test_import_json_array_refuses_each_hostile_item_alone(demo_home, tmp_path):
    good = [json.dumps(o) for o in _good_lines(demo_home)]
    bad = _hostile(json.loads(good[0]))
    f = tmp_path / "orders.json"
    f.write_text("[\n" + ",\n".join([good[0], bad[0] + "]" * 100_000, good[1], *bad[1:], good[2]]) + "\n]\n")
    result = edihub(demo_home, "orders", "import", str(f))
    assert "3 created, 0 already there, 0 conflicting, 4 refused" in result.output
    assert "orders.json item 2 (line 3): invalid: not an order: its JSON is nested too deeply" in result.output
    assert "orders.json item 4 (line 5) (webshop/BAD-LATE): invalid: placed_at:" in result.output
    assert "orders.json item 6 (line 7) (webshop/BAD-U): invalid: customer.name:" in result.output
    assert _stored_ids(demo_home) == {"GOOD-1", "GOOD-2", "GOOD-3"}


def test_import_csv_refuses_a_row_off_the_calendar_alone(demo_home, tmp_path):
    f = tmp_path / "export.csv"
    late = row("M2").replace("2026-11-25T09:00:00Z", "9999-12-31T23:59:59-23:59")
    f.write_text(HEADER + row("M1") + late + row("M3"))
    result = edihub(demo_home, "orders", "import", str(f))
    assert "2 created, 0 already there, 0 conflicting, 1 refused" in result.output
    assert "export.csv row 3 (marketplace/M2): invalid: placed_at:" in result.output
    assert _stored_ids(demo_home) == {"M1", "M3"}
