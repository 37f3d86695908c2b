"""``edihub orders change FILE``: changes from a JSON-lines or JSON file, each record alone."""

from __future__ import annotations

import json

from tests.integration.test_cli_failures import open_incidents, orders_file
from tests.integration.test_cli_operations import run


def change_file(tmp_path, name: str, lines: list[str]):
    f = tmp_path / name
    f.write_text("".join(line + "\n" for line in lines))
    return f


def test_a_file_of_changes_takes_the_good_and_refuses_the_bad_alone(demo_home, tmp_path):
    assert run(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "CHAIR-ERGO-BLK"),
                                                                      ("W-2", "CHAIR-ERGO-BLK")))).exit_code == 0
    good = {"channel": "webshop", "channel_order_id": "W-1", "change_id": "C1", "cancel": True}
    f = change_file(tmp_path, "changes.jsonl", [
        json.dumps(good),
        '{"channel": "webshop", "channel_order_id": "W-2", "change_id": "C2", "lines": [{"line_id": "1"',
        json.dumps({"channel": "webshop", "channel_order_id": "W-2", "change_id": "C3",
                    "lines": [{"line_id": "1", "quantity": -4}]}),
        json.dumps({"channel": "webshop", "channel_order_id": "W-404", "change_id": "C4", "cancel": True}),
        json.dumps({"channel_order_id": "W-2", "change_id": "C5", "cancel": True}),
        json.dumps({"channel": "webshop", "channel_order_id": "W-2", "change_id": "C6",
                    "requested_delivery_date": "2026-12-24"}),
    ])
    result = run(demo_home, "orders", "change", str(f), "--as", "ann")
    assert result.exit_code == 1
    assert "changes.jsonl line 1: change C1 of order webshop/W-1: taken, accepted" in result.output
    assert "changes.jsonl line 6: change C6 of order webshop/W-2: taken, accepted" in result.output
    assert "changes.jsonl: 2 change(s) taken, 0 already taken, 4 refused" in result.output
    said = result.stderr
    assert "changes.jsonl line 2: change ?: invalid: not valid JSON" in said
    assert "changes.jsonl line 3: change C3 of order webshop/W-2: invalid: lines[0].quantity: must be 0 " \
           "(cancels the line) or more, got -4" in said
    assert "changes.jsonl line 4: change C4 of order webshop/W-404: not_found: no order webshop/W-404" in said
    assert "changes.jsonl line 5: change C5 of order ?/W-2: invalid: channel and channel_order_id: name the " \
           "order the change is for" in said
    kept = open_incidents(demo_home)
    assert len([k for k in kept if k.startswith("change.refused_record:")]) == 4
    shown = json.loads(run(demo_home, "orders", "show", "webshop/W-1", "--json").output)
    assert shown["state"] == "cancelled" and shown["changes"][0]["source"] == "changes.jsonl"
    assert shown["audit"][0]["actor"] == "ann"
    # The same file again: the good ones were taken already; nothing changes twice.
    again = run(demo_home, "orders", "change", str(f))
    assert "0 change(s) taken, 2 already taken, 4 refused" in again.output


def test_a_json_list_of_changes_and_a_csv_refused(demo_home, tmp_path):
    run(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "CHAIR-ERGO-BLK"))))
    f = tmp_path / "changes.json"
    f.write_text(json.dumps([{"channel": "webshop", "channel_order_id": "W-1", "change_id": "C1",
                              "lines": [{"line_id": "1", "quantity": 2}]}]))
    done = run(demo_home, "orders", "change", str(f))
    assert done.exit_code == 0 and "item 1 (line 1): change C1 of order webshop/W-1: taken" in done.output
    csv = tmp_path / "changes.csv"
    csv.write_text("channel,channel_order_id\n")
    refused = run(demo_home, "orders", "change", str(csv))
    assert refused.exit_code == 1 and "changes are read from JSON or JSON lines, not CSV" in refused.stderr
