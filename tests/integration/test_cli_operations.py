"""The operator commands: incidents, documents, order corrections, users."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hub.cli import main
from tests.integration.test_cli import edihub
from tests.integration.test_cli_failures import orders_file


def run(home, *args, stdin: str | None = None):
    return CliRunner().invoke(main, ["--home", str(home), *args], input=stdin, catch_exceptions=False)


def test_incidents_are_listed_shown_ignored_and_retried(demo_home, tmp_path):
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "NO-SUCH"), ("W-2", "CHAIR-ERGO-BLAK"))))
    listed = json.loads(run(demo_home, "incidents", "list", "--json").output)
    assert [i["code"] for i in listed["incidents"]] == ["review.unknown_sku", "review.unknown_sku"]
    assert listed["counts"] == {"review.unknown_sku": 2}
    first, second = (i["id"] for i in listed["incidents"])
    shown = run(demo_home, "incidents", "show", str(first))
    assert "order: webshop/W-1" in shown.output and "SKU 'NO-SUCH'" in shown.output
    assert run(demo_home, "incidents", "show", "99").exit_code == 1
    assert run(demo_home, "incidents", "ignore", str(first)).exit_code == 2            # --reason required
    done = run(demo_home, "incidents", "ignore", str(first), "--reason", "test order", "--as", "ann")
    assert done.exit_code == 0 and f"incident #{first} ignored: test order" in done.output
    again = run(demo_home, "incidents", "ignore", str(first), "--reason", "x")
    assert again.exit_code == 1 and "is ignored already by ann" in again.stderr
    # The SKU was fixed in the order: retrying releases it through review and routing again.
    fixed = run(demo_home, "orders", "edit", "W-2", "--set", "lines.1.sku=CHAIR-ERGO-BLK", "--reason", "typo")
    assert fixed.exit_code == 0 and "lines[1].sku changed; now processing" in fixed.output
    assert json.loads(run(demo_home, "incidents", "list", "--json").output)["incidents"] == []
    everything = json.loads(run(demo_home, "incidents", "list", "--state", "all", "--json").output)
    assert sorted(i["state"] for i in everything["incidents"]) == ["ignored", "resolved"]


def test_orders_edit_refuses_what_it_cannot_set(demo_home, tmp_path):
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "NO-SUCH"))))
    bad = run(demo_home, "orders", "edit", "W-1", "--set", "lines.1.unit_price=0.01", "--reason", "x")
    assert bad.exit_code == 1 and "a line's 'unit_price' cannot be edited" in bad.stderr
    shape = run(demo_home, "orders", "edit", "W-1", "--set", "city", "--reason", "x")
    assert shape.exit_code == 1 and "write FIELD=VALUE" in shape.stderr


def test_documents_retry_and_resend_from_the_command_line(demo_home, tmp_path):
    edihub(demo_home, "orders", "import", str(orders_file(tmp_path, ("W-1", "CHAIR-ERGO-BLK"))))
    assert run(demo_home, "run", "--once").exit_code == 0
    retry = run(demo_home, "documents", "retry", "1")
    assert retry.exit_code == 1 and "was delivered: resend it" in retry.stderr
    resend = run(demo_home, "documents", "resend", "1", "--reason", "lost by the supplier")
    assert resend.exit_code == 0 and "sent again as document #2" in resend.output
    assert "dispatch: 1 sent" in run(demo_home, "run", "--once").output


def test_users_are_added_with_a_password_from_stdin_never_an_argument(demo_home):
    added = run(demo_home, "users", "add", "ann", "--role", "operator", stdin="correct horse battery\n")
    assert added.exit_code == 0 and "user ann added (operator)" in added.output
    short = run(demo_home, "users", "add", "bob", "--role", "viewer", stdin="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.stderr
    twice = run(demo_home, "users", "add", "ANN", "--role", "viewer", stdin="correct horse battery\n")
    assert twice.exit_code == 1 and "there is a user 'ANN' already" in twice.stderr
    role = run(demo_home, "users", "add", "cy", "--role", "root", stdin="correct horse battery\n")
    assert role.exit_code == 2                                         # not a role
    listed = run(demo_home, "users", "list").output
    assert "ann" in listed and "operator" in listed and "correct horse" not in listed
