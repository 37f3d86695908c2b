"""Onboarding a supplier on a real OpenSSH sshd: the connection test and a test document."""

from __future__ import annotations

import subprocess

from hub.bootstrap import bootstrap
from hub.services.onboarding import connection_test, send_test_document
from hub.views.partners import fingerprint, partner_profile
from tests.integration.test_sftp_hub import sftp_partner


def keygen_fingerprint(line: str, tmp_path) -> str:
    """The fingerprint as OpenSSH's own ssh-keygen prints it."""
    pub = tmp_path / "key.pub"
    pub.write_text(line + "\n")
    return subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True,
                          check=True).stdout.split()[1]


def test_connection_test_logs_in_with_the_pinned_key_and_lists_both_folders(demo_home, clock, sshd,
                                                                             remote_dirs, tmp_path):
    sftp_partner(demo_home, sshd, remote_dirs)
    (remote_dirs["inbox"] / "waiting.edi").write_text("x")
    hub = bootstrap(demo_home, clock=clock)
    try:
        outcome = connection_test(hub, "acme", "ann")
        shown = partner_profile(hub.context.partners["acme"])
    finally:
        hub.close()
    assert outcome.ok, outcome.message
    expected = keygen_fingerprint(sshd.host_key_line, tmp_path)
    assert outcome.details[0] == (f"logged in to sftp://{sshd.user}@127.0.0.1:{sshd.port}; its host key "
                                  f"ssh-ed25519 {expected} is the pinned one")
    assert outcome.details[1].endswith("/outbox: listed, 0 file(s) in it")
    assert outcome.details[2].endswith("/inbox: listed, 1 file(s) in it")
    assert shown["host_keys"] == [{"type": "ssh-ed25519", "fingerprint": expected}]
    assert fingerprint(sshd.host_key_line) == expected


def test_connection_test_says_in_words_why_it_failed(demo_home, clock, sshd, remote_dirs):
    sftp_partner(demo_home, sshd, remote_dirs)
    hub = bootstrap(demo_home, clock=clock)
    try:
        sshd.rotate_host_key()                  # a server that no longer shows the pinned key
        wrong_key = connection_test(hub, "acme", "ann")
        sshd.stop()
        down = connection_test(hub, "acme", "ann")
    finally:
        hub.close()
    assert not wrong_key.ok and "is not the pinned one" in wrong_key.message
    assert "edihub partners keyscan 127.0.0.1" in wrong_key.message and "Traceback" not in wrong_key.message
    assert not down.ok and "connection refused or reset" in down.message


def test_a_test_document_lands_in_the_suppliers_sftp_folder_in_test_mode(demo_home, clock, sshd, remote_dirs):
    sftp_partner(demo_home, sshd, remote_dirs)
    hub = bootstrap(demo_home, clock=clock)
    try:
        outcome = send_test_document(hub, "acme", "ann", after=0)
    finally:
        hub.close()
    assert outcome.ok, outcome.message
    [sent] = list(remote_dirs["outbox"].iterdir())
    assert sent.name == "acme_850_000000001.edi"
    assert sent.read_text().split("*")[15] == "T"                    # ISA15
    assert any(line.startswith("server: sftp://") for line in outcome.details)
