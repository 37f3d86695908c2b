"""The hub with a supplier on a real OpenSSH sshd: POs out, answers in, outages, wrong host key."""

from __future__ import annotations

import json
import os
import re

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.services.intake import Submission, accept
from tests.integration.test_inbound import x12
from tests.integration.test_intake import order


def sftp_partner(home, sshd, dirs, host_key: str | None = None) -> None:
    """Point acme's partner file at the test's sshd instead of a local folder."""
    rel = {k: p.relative_to(sshd.root).as_posix() for k, p in dirs.items()}
    table = (f'[transport]\ntype = "sftp"\nhost = "127.0.0.1"\nport = {sshd.port}\n'
             f'username = "{sshd.user}"\nkey_file = "{sshd.client_key("ed25519")}"\n'
             f'host_keys = {json.dumps([host_key or sshd.host_key_line])}\n'
             f'outbox_dir = "{rel["outbox"]}"\ninbox_dir = "{rel["inbox"]}"\n'
             f'after_fetch = "archive"\narchive_dir = "{rel["archive"]}"\n'
             'connect_timeout = 5\ntimeout = 10\n\n')
    acme = home / "partners" / "acme.toml"
    text = re.sub(r"\[transport\].*?\n\n", table, acme.read_text(), flags=re.S)
    acme.write_text(text)


def acme_order(n: int) -> dict:
    o = order(channel_order_id=f"WS-{n}")
    o["lines"] = [o["lines"][0]]   # the chair: acme
    return o


def incidents(hub) -> list[str]:
    with hub.uow(readonly=True) as uow:
        return list(uow.conn.scalars(select(t.incidents.c.code).where(t.incidents.c.state == "open")))


@pytest.fixture
def sftp_hub(demo_home, clock, sshd, remote_dirs):
    sftp_partner(demo_home, sshd, remote_dirs)
    hub = bootstrap(demo_home, clock=clock)
    yield hub
    hub.close()


def test_purchase_orders_out_and_answers_in_over_sftp(sftp_hub, remote_dirs):
    accept(sftp_hub.context, [Submission("t", acme_order(1))])
    assert sftp_hub.dispatcher("w").run_once().sent == 1
    [delivered] = [p.name for p in remote_dirs["outbox"].iterdir()]
    assert delivered == "acme_850_000000001.edi"
    answer = x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], 77)
    (remote_dirs["inbox"] / "ack-1.edi").write_bytes(answer)
    polled = sftp_hub.poll_inbox("acme")
    assert [r.applied for r in polled.files] == [1] and polled.error == ""
    assert not list(remote_dirs["inbox"].iterdir())                       # taken ...
    assert [p.name for p in remote_dirs["archive"].iterdir()] == ["ack-1.edi"]   # ... and kept there
    with sftp_hub.uow(readonly=True) as uow:
        assert uow.conn.scalar(select(t.purchase_orders.c.state)) == "acknowledged"


def test_server_down_then_back_delivers_everything_once(sftp_hub, sshd, remote_dirs, clock):
    accept(sftp_hub.context, [Submission("t", acme_order(n)) for n in range(3)])
    sshd.stop()
    report = sftp_hub.dispatcher("w").run_once()
    assert (report.sent, report.retrying) == (0, 3)
    assert incidents(sftp_hub) == ["transport.unreachable"]              # one, for the partner
    with sftp_hub.uow(readonly=True) as uow:
        message = uow.conn.scalar(select(t.incidents.c.message))
    # Said once: the cause, then when the next attempt is (not "will retry; retrying ...").
    assert "connection refused or reset" in message and "retry" not in message
    assert re.search(r"\(attempt 1 of 8\): .*; next attempt at 2026-11-25 10:0\d:\d\d UTC$", message)
    polled = sftp_hub.poll_inbox("acme")                                 # polling fails softly too
    assert polled.files == [] and polled.error.startswith("cannot read acme's inbox: ")
    sshd.start()
    clock.advance(minutes=5)
    report = sftp_hub.dispatcher("w2").run_once()
    assert report.sent == 3
    assert sorted(p.name for p in remote_dirs["outbox"].iterdir()) == [
        "acme_850_000000001.edi", "acme_850_000000002.edi", "acme_850_000000003.edi"]
    sftp_hub.poll_inbox("acme")
    assert incidents(sftp_hub) == []                                     # cleared by themselves


def test_a_changed_host_key_is_refused_and_said(sftp_hub, sshd, remote_dirs):
    accept(sftp_hub.context, [Submission("t", acme_order(1))])
    sshd.rotate_host_key()   # the server now offers a key nobody pinned
    report = sftp_hub.dispatcher("w").run_once()
    assert report.failed == 1   # permanent: no retry until someone checks the new key
    with sftp_hub.uow(readonly=True) as uow:
        message = uow.conn.scalar(select(t.incidents.c.message).where(t.incidents.c.code == "transport.host_key"))
        state = uow.conn.scalar(select(t.purchase_orders.c.state))
    assert "SHA256:" in message and state == "failed"
    assert not list(remote_dirs["outbox"].iterdir())


def test_keyscan_shows_the_key_to_pin(sshd):
    from click.testing import CliRunner

    from hub.cli import main
    result = CliRunner().invoke(main, ["partners", "keyscan", "127.0.0.1", "--port", str(sshd.port), "--quiet"])
    assert result.exit_code == 0
    assert result.output.strip() == sshd.host_key_line


def test_a_file_name_that_is_not_utf8_is_left_alone_and_said_once(sftp_hub, remote_dirs):
    # paramiko's listing raised UnicodeDecodeError on such a name: nothing was fetched, and
    # no Incident said why.
    accept(sftp_hub.context, [Submission("t", acme_order(1))])
    sftp_hub.dispatcher("w").run_once()
    with open(os.path.join(os.fsencode(remote_dirs["inbox"]), b"ack-\xe9t\xe9.edi"), "wb") as fh:
        fh.write(b"ISA*odd")
    answer = x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], 78)
    (remote_dirs["inbox"] / "ack-1.edi").write_bytes(answer)
    [report] = sftp_hub.poll_inbox("acme").files
    assert report.applied == 1
    assert os.listdir(os.fsencode(remote_dirs["inbox"])) == [b"ack-\xe9t\xe9.edi"]
    assert sftp_hub.poll_inbox("acme").files == []
    with sftp_hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(t.incidents.c.code, t.incidents.c.occurrences,
                                       t.incidents.c.message).where(t.incidents.c.state == "open")).all()
        state = uow.conn.scalar(select(t.purchase_orders.c.state))
    assert state == "acknowledged"
    [(code, occurrences, message)] = rows
    assert (code, occurrences) == ("inbound.unusable_name", 1)
    assert "named 'ack-\\xe9t\\xe9.edi'" in message and "it is not UTF-8 text" in message


def test_a_worker_held_past_its_lease_mid_upload_leaves_the_delivered_po_alone(
        sftp_hub, demo_home, clock, remote_dirs, monkeypatch):
    # Over SFTP the stale worker's rename used to fail, which the hub took for a permanent
    # error: the delivered PO went from sent to failed, with an Incident asking for a retry.
    import paramiko

    from tests.support.workers import HeldWorker
    accept(sftp_hub.context, [Submission("t", acme_order(1))])
    a = HeldWorker(lambda: sftp_hub.dispatcher("worker-a").run_once())
    real_open = paramiko.SFTPClient.open

    def open_then_hold(self, filename, mode="r", *args, **kwargs):
        fh = real_open(self, filename, mode, *args, **kwargs)
        if "w" in mode and filename.endswith(".part"):
            a.hold()            # A has its temporary file open on the server, nothing written
        return fh

    monkeypatch.setattr(paramiko.SFTPClient, "open", open_then_hold)
    a.start_and_wait_until_held()
    clock.advance(minutes=6)                                  # past A's five-minute lease
    b_hub = bootstrap(demo_home, clock=clock)                 # its own connection to the server
    try:
        b = b_hub.dispatcher("worker-b").run_once()
    finally:
        b_hub.close()
    assert (b.claimed, b.sent) == (1, 1)
    [published] = list(remote_dirs["outbox"].iterdir())
    content, stat = published.read_bytes(), published.stat()

    report = a.release_and_join()
    after = published.stat()
    assert published.read_bytes() == content                  # intact, and written once
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (stat.st_ino, stat.st_mtime_ns,
                                                                 stat.st_size)
    assert list(remote_dirs["outbox"].iterdir()) == [published]
    with sftp_hub.uow(readonly=True) as uow:
        assert uow.conn.execute(select(t.interchanges.c.state, t.interchanges.c.attempts)).all() == [
            ("sent", 2)]
        assert uow.conn.scalar(select(t.purchase_orders.c.state)) == "sent"
    assert incidents(sftp_hub) == []
    assert (report.sent, report.retrying, report.failed, report.superseded) == (0, 0, 0, 1)


def test_a_change_after_the_855_goes_out_as_an_860_over_sftp(sftp_hub, remote_dirs):
    from hub.services.changes import request_change
    [taken] = accept(sftp_hub.context, [Submission("t", acme_order(1))])
    sftp_hub.dispatcher("w").run_once()
    with sftp_hub.uow(readonly=True) as uow:
        number = uow.conn.scalar(select(t.purchase_orders.c.po_number))
    (remote_dirs["inbox"] / "poack.edi").write_bytes(
        x12("855", "PR", [f"BAK*00*AC*{number}*20261125", "PO1*1*2*EA", "ACK*IA*2*EA"], 91))
    assert [r.applied for r in sftp_hub.poll_inbox("acme").files] == [1]
    result = request_change(sftp_hub.context, "webshop", "WS-1", {"change_id": "C1", "cancel": True})
    assert result.status == "created"
    assert sftp_hub.dispatcher("w").run_once().sent == 2     # the 860, and our 997 for their 855
    with sftp_hub.uow(readonly=True) as uow:
        doc = uow.conn.execute(select(t.interchanges.c.filename, t.interchanges.c.payload)
                               .where(t.interchanges.c.doc_type == "860")).one()
        state = uow.conn.scalar(select(t.po_changes.c.state))
    assert (remote_dirs["outbox"] / doc.filename).read_bytes() == doc.payload
    assert b"BCH*01*DS*" + number.encode() in doc.payload and state == "sent"
