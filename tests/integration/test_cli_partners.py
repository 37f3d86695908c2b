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
