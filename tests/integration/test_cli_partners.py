"""``edihub partners`` for onboarding: save with checks, history, diff, roll back, tests, mode."""

from __future__ import annotations

import re

from tests.integration.test_cli import edihub

ACME = "partners/acme.toml"


def test_save_refuses_a_broken_file_with_its_line_then_keeps_versions(demo_home, tmp_path):
    acme = (demo_home / ACME).read_text()
    broken = tmp_path / "acme.toml"
    broken.write_text(acme.replace('version = "004010"', 'version = "4010"'))
    refused = edihub(demo_home, "partners", "save", "acme", str(broken))
    assert refused.exit_code == 1
    assert "partners/acme.toml line 9 (x12.version): \"004010\" or \"005010\", got '4010'" in refused.stderr
    assert (demo_home / ACME).read_text() == acme
    good = tmp_path / "good.toml"
    good.write_text(acme.replace("V-10442", "V-CLI"))
    saved = edihub(demo_home, "partners", "save", ACME, str(good), "--note", "vendor number", "--as", "cli-user")
    assert saved.exit_code == 0 and "saved partners/acme.toml as version 2" in saved.output
    history = edihub(demo_home, "partners", "history", "acme")
    assert history.exit_code == 0
    assert re.search(r"2 +│ 2 +│ .* │ cli-user *│ vendor number", history.output), history.output
    diff = edihub(demo_home, "partners", "diff", "1", "2")
    assert '-vendor_number = "V-10442"' in diff.output and '+vendor_number = "V-CLI"' in diff.output
    back = edihub(demo_home, "partners", "rollback", "1")
    assert back.exit_code == 0 and (demo_home / ACME).read_text() == acme
    outside = edihub(demo_home, "partners", "save", "../edihub.toml", str(good))
    assert outside.exit_code == 1 and "without '..'" in outside.stderr


def test_test_connection_send_test_and_mode(demo_home):
    ok = edihub(demo_home, "partners", "test-connection", "acme")
    assert ok.exit_code == 0 and "acme: the folder connection works" in ok.output
    sent = edihub(demo_home, "partners", "send-test", "acme")
    assert sent.exit_code == 0 and "test 850 000000001" in sent.output
    assert (demo_home / "var/suppliers/acme/to-supplier/acme_850_000000001.edi").is_file()
    live = edihub(demo_home, "partners", "mode", "acme", "production")
    assert live.exit_code == 0 and "saved partners/acme.toml as version 2" in live.output
    assert "test_mode = false" in (demo_home / ACME).read_text()
    (demo_home / "var/suppliers/initech/to-supplier").rmdir()
    down = edihub(demo_home, "partners", "test-connection", "initech")
    assert down.exit_code == 1 and "is not a folder" in down.stderr
    unknown = edihub(demo_home, "partners", "send-test", "nobody")
    assert unknown.exit_code == 1 and "there is no partner file partners/nobody.toml" in unknown.stderr


def three_mistakes(acme: str) -> str:
    """The demo's acme.toml with three mistakes, each in another table."""
    return (acme.replace('version = "004010"', 'version = "4010"')
            .replace('receiver_qualifier = "ZZ"', 'receiver_qualifer = "ZZ"')
            .replace('poll = "interval:1m"', 'poll = "every minute"'))


def test_check_lists_every_problem_of_a_partner_file_and_start_up_refuses_with_all(demo_home):
    acme = demo_home / ACME
    acme.write_text(three_mistakes(acme.read_text()))
    check = edihub(demo_home, "partners", "check")
    assert check.exit_code == 2
    problems = [line for line in check.stderr.splitlines() if line.startswith("error: ")]
    assert problems == [
        f"error: {acme}: x12.receiver_qualifer: unknown key (did you mean 'receiver_qualifier'?); allowed: "
        "ack_requested, change_mapping, charset, element_separator, gs_receiver_id, gs_sender_id, mapping, "
        "receiver_id, receiver_qualifier, repetition_separator, segment_suffix, segment_terminator, sender_id, "
        "sender_qualifier, subelement_separator, version",
        f"error: {acme}: x12.version: \"004010\" or \"005010\", got '4010'",
        f"error: {acme}: schedule.poll: \"interval:<n>s|m|h\" or \"cron:<minute hour day month weekday>\", "
        "got 'every minute'"]
    assert check.stderr.splitlines()[-1] == "3 problem(s) in 1 file(s); fix each, then check again"
    assert "all partner files are valid" not in check.output
    started = edihub(demo_home, "incidents", "list")      # any command that starts the hub
    assert started.exit_code == 2
    for where in ("x12.receiver_qualifer: unknown key", "x12.version: ", "schedule.poll: "):
        assert f"\n  {acme}: {where}" in started.stderr, started.stderr


def test_start_up_shows_table_names_in_brackets_as_written(demo_home):
    acme = demo_home / ACME
    acme.write_text(acme.read_text().replace('po_format = "x12"', 'po_format = "xml"'))
    started = edihub(demo_home, "incidents", "list")
    assert started.exit_code == 2
    assert 'po_format is "xml" but there is no [xml] table' in started.stderr


def test_check_a_file_before_saving_it_lists_every_problem_at_its_line(demo_home, tmp_path):
    before = (demo_home / ACME).read_text()
    candidate = tmp_path / "acme-new.toml"
    candidate.write_text(three_mistakes(before))
    check = edihub(demo_home, "partners", "check", "acme", str(candidate))
    assert check.exit_code == 2
    assert [line.split(":")[0] for line in check.stderr.splitlines()[:3]] == [
        "error", "error", "error"]
    assert [line.split(" (")[0] for line in check.stderr.splitlines()] == [
        "error: partners/acme.toml line 9", "error: partners/acme.toml line 12",
        "error: partners/acme.toml line 32", "3 problem(s) in 1 file(s); fix each, then check again"]
    assert (demo_home / ACME).read_text() == before               # nothing saved
    candidate.write_text(before.replace("V-10442", "V-NEW"))
    fine = edihub(demo_home, "partners", "check", "acme", str(candidate))
    assert fine.exit_code == 0 and "no problems" in fine.output
    assert (demo_home / ACME).read_text() == before
    candidate.write_bytes(before.replace("Acme", "Acm\xe9").encode("latin-1"))
    latin = edihub(demo_home, "partners", "check", "acme", str(candidate))
    assert latin.exit_code == 1 and "is not UTF-8 text" in latin.stderr
    alone = edihub(demo_home, "partners", "check", "acme")
    assert alone.exit_code == 2 and "give both PATH and FILE" in alone.stderr


def test_the_catalog_is_checked_saved_and_kept_in_versions_from_the_command_line(demo_home, tmp_path):
    path = demo_home / "partners/catalog.csv"
    before = path.read_text()
    candidate = tmp_path / "catalog.csv"
    candidate.write_text(before + "STAPLER-HD,globex,GX-1,1.00,,,,,,\nPEN,acme,AC-P,free,,,,,,\n")
    refused = edihub(demo_home, "partners", "save", "catalog", str(candidate))
    assert refused.exit_code == 1
    assert "  partners/catalog.csv line 13 (column supplier): no partner file partners/globex.toml" \
        in refused.stderr
    assert "  partners/catalog.csv line 14 (column cost): must be a price of 0 or more" in refused.stderr
    assert path.read_text() == before
    candidate.write_text(before + "STAPLER-HD,initech,INI-ST-9,7.25,,,,,,\n")
    check = edihub(demo_home, "partners", "check", "catalog", str(candidate))
    assert check.exit_code == 0 and "as partners/catalog.csv: no problems" in check.output
    saved = edihub(demo_home, "partners", "save", "partners/catalog.csv", str(candidate), "--note", "staplers")
    assert saved.exit_code == 0 and "saved partners/catalog.csv as version 2" in saved.output
    assert path.read_text().endswith("STAPLER-HD,initech,INI-ST-9,7.25,,,,,,\n")
    history = edihub(demo_home, "partners", "history", "catalog")
    assert re.search(r"2 +│ 2 +│ .* │ staplers", history.output), history.output
