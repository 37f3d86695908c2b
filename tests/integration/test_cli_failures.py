"""What the command line says when something fails: never a success line and exit 0."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.cli import main
from tests.integration.test_cli import edihub
from tests.integration.test_inbound import x12

ORDER = {"channel": "webshop", "placed_at": "2026-11-25T09:00:00Z", "currency": "USD",
         "customer": {"id": "C1", "name": "Ann Lee", "email": "ann@example.com", "phone": "555 0100",
                      "prepaid": True},
         "ship_to": {"name": "Ann Lee", "address1": "1 Main St", "city": "Austin", "state": "TX",
                     "postal_code": "78701", "country": "US"}}


def orders_file(tmp_path: Path, *orders: tuple[str, str]) -> Path:
    """A JSON-lines file of orders (channel order id, SKU), one line each."""
    f = tmp_path / "orders.jsonl"
    f.write_text("".join(json.dumps({**ORDER, "channel_order_id": coid, "lines": [
        {"line_id": "1", "sku": sku, "quantity": 1, "unit_price": "10.00"}]}) + "\n" for coid, sku in orders))
    return f


def open_incidents(home: Path) -> dict[str, str]:
    hub = bootstrap(home)
    with hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(t.incidents.c.dedupe_key, t.incidents.c.message)
                                .where(t.incidents.c.state == "open")).all()
    hub.close()
    return dict(rows)


def test_a_control_number_of_two_partners_is_listed_not_guessed(demo_home, tmp_path):
    # W-1 goes to acme (850 000000001), W-2 to initech (XML PO 000000001).
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "CHAIR-ERGO-BLK"),
                                                          ("W-2", "LAMP-LED-WHT"))))
    assert edihub(demo_home, "run", "--once").exit_code == 0
    both = edihub(demo_home, "orders", "show", "000000001")
    assert both.exit_code == 1
    assert "'000000001' matches 2 orders" in both.stderr
    assert "webshop/W-1" in both.stderr and "webshop/W-2" in both.stderr
    assert "850 sent to acme" in both.stderr and "xml-po sent to initech" in both.stderr
    one = edihub(demo_home, "orders", "show", "webshop/W-2", "--json")
    assert json.loads(one.output)["channel_order_id"] == "W-2"
    text = edihub(demo_home, "orders", "show", "W-2").output
    assert " None " not in text and "xml-po 000000001" in text


def test_polling_an_unknown_or_unreadable_inbox_fails_and_says_why(demo_home):
    nosuch = edihub(demo_home, "inbound", "poll", "nosuch")
    assert nosuch.exit_code == 2 and "no partner 'nosuch' (partners: acme, initech)" in nosuch.stderr
    shutil.rmtree(demo_home / "var/suppliers/acme/from-supplier")   # the share went away
    one = edihub(demo_home, "inbound", "poll", "acme")
    assert one.exit_code == 1
    assert "cannot read acme's inbox: the inbox folder" in one.stderr and "does not exist" in one.stderr
    every = edihub(demo_home, "inbound", "poll")
    assert every.exit_code == 1
    assert "initech: 0 file(s) received" in every.output        # the other partner was still read
    [message] = [m for k, m in open_incidents(demo_home).items() if k == "poll:acme"]
    assert "cannot read acme's inbox" in message and "sent" not in message


def test_run_once_says_why_a_document_waits_and_until_when(demo_home, tmp_path):
    # acme's folder is a file now: delivery fails permanently; initech's share is full
    # (simulated by a transient cause: its outbox folder cannot be created under a file).
    outbox = demo_home / "var/suppliers/acme/to-supplier"
    shutil.rmtree(outbox)
    outbox.write_text("not a folder")
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "CHAIR-ERGO-BLK"))))
    result = edihub(demo_home, "run", "--once")
    assert result.exit_code == 1
    assert "dispatch: 0 sent (0 already there), 0 retrying, 1 failed" in result.output
    assert "gave up delivering 850 000000001 to acme after a permanent error: cannot write to" in result.stderr
    assert "failed: 1 document(s) to acme given up, waiting for an operator" in result.output


def test_a_local_fault_in_one_job_leaves_the_others_running(demo_home, tmp_path):
    inbox = demo_home / "var/suppliers/acme/from-supplier"
    (inbox / "ack.edi").write_bytes(x12("997", "FA", ["AK1*PO*1", "AK9*A*1*1*1"], 900))
    os.utime(inbox / "ack.edi", (0, 0))
    archive_in = demo_home / "var/archive/in"
    archive_in.parent.mkdir(parents=True, exist_ok=True)
    archive_in.write_text("a file where the archive's folder should be")
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "CHAIR-ERGO-BLK"))))
    result = edihub(demo_home, "run", "--once")
    assert result.exit_code == 1
    assert "acme: polling acme's inbox failed on our side: NotADirectoryError" in result.stderr
    assert "dispatch: 1 sent" in result.output                   # the order still went out
    assert (inbox / "ack.edi").is_file()                         # nothing lost: still in the inbox
    assert "poll:acme" in open_incidents(demo_home)
    archive_in.unlink()                                          # fixed: the next pass takes it in
    again = edihub(demo_home, "run", "--once")
    assert again.exit_code == 0, again.output + again.stderr
    assert "acme: 1 file(s) received" in again.output and not (inbox / "ack.edi").exists()
    assert "poll:acme" not in open_incidents(demo_home)         # closed by itself


def test_release_that_changes_nothing_says_why_and_fails(demo_home, tmp_path):
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-9", "NO-SUCH-SKU"))))
    result = edihub(demo_home, "orders", "release", "W-9")
    assert result.exit_code == 1
    assert "was not released: it is needs_attention again: line 1: SKU 'NO-SUCH-SKU'" in result.stderr


def test_a_json_file_that_is_not_json_is_refused_as_such(demo_home, tmp_path):
    f = tmp_path / "orders.json"
    f.write_text("channel_order_id,sku\nW-1,CHAIR-ERGO-BLK\n")
    result = edihub(demo_home, "orders", "import", str(f))
    assert result.exit_code == 1
    assert "this .json file is not JSON: it starts with 'channel_order_id,sku'" in result.stderr
    assert "column" not in result.output + result.stderr        # not read as CSV


def test_receiving_the_same_file_again_says_which_document_it_repeats(demo_home, tmp_path):
    f = tmp_path / "ack.edi"
    f.write_bytes(x12("997", "FA", ["AK1*PO*1", "AK9*A*1*1*1"], 901))
    first = edihub(demo_home, "inbound", "receive", str(f))
    again = edihub(demo_home, "inbound", "receive", str(f))
    assert first.exit_code == 0 and again.exit_code == 0
    assert "duplicate: the same file (document #1) came in before; recorded, not applied again" in again.output


def test_a_new_instance_says_what_to_create_first(tmp_path):
    home = tmp_path / "inst"
    made = CliRunner().invoke(main, ["init", str(home)])
    assert made.exit_code == 0
    assert "copy a supplier from" in made.output and "partners/catalog.csv" in made.output
    check = edihub(home, "partners", "check")
    assert check.exit_code == 2
    assert "no partner files yet: copy an example from partners/examples/" in check.stderr
    assert "file not found" not in check.stderr                 # the catalog exists, with its columns
    assert (home / "partners/catalog.csv").read_text().startswith("sku,supplier,supplier_item,cost")


def test_a_broken_partner_file_is_the_only_error_reported(demo_home):
    acme = demo_home / "partners/acme.toml"
    text = acme.read_text()
    assert 'type = "folder"' in text
    acme.write_text(text.replace('type = "folder"', 'type = "ftp"'))
    check = edihub(demo_home, "partners", "check")
    assert check.exit_code == 2
    assert "transport.type: must be \"folder\", \"sftp\" or \"as2\", got 'ftp'" in check.stderr
    assert "no partner file partners/acme.toml" not in check.stderr   # it exists; it is wrong
    lines = len((demo_home / "partners/catalog.csv").read_text().splitlines()) - 1
    assert f"catalog: {lines} entries" in check.output


def test_the_demo_on_an_instance_made_by_init(tmp_path):
    home = tmp_path / "d"
    assert CliRunner().invoke(main, ["init", str(home), "--demo"]).exit_code == 0
    run = CliRunner().invoke(main, ["demo", str(home)], catch_exceptions=False)
    assert run.exit_code == 0
    assert "marketplace-export.csv: 2 created" in run.output
    assert "had run before" not in run.stderr
    assert "orders show WS-10002" in run.output.splitlines()[-1]


def test_a_file_with_thousands_of_problems_lists_the_first_fifty_and_counts_the_rest(demo_home, tmp_path):
    """Each problem is also in the exceptions queue (grouped by kind): the terminal gets the
    first 50 and a count, not 3,000 lines."""
    from tests.integration.test_answer_floods import sets
    f = tmp_path / "invoices.edi"
    f.write_bytes(sets("810", "IN", [["BIG*20261125*INV1"]] * 3000, 1002))   # acme sends no 810s
    result = edihub(demo_home, "inbound", "receive", str(f))
    listed = [ln for ln in result.output.splitlines() if "which its partner file does not list" in ln]
    assert len(listed) == 50
    assert ("  ... and 2,950 more problem(s) not listed here: see `edihub incidents list` or the "
            "console's exceptions queue") in result.output.splitlines()
    assert len(result.output.splitlines()) < 60
