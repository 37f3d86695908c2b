"""SFTP transport against a real OpenSSH sshd on loopback (see tests/support/sshd.py)."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import socket
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

# Fixtures sshd, remote_dirs and cutting_proxy come from tests.support.sshd (a conftest plugin).
from tests.support.sshd import PROTECTED_KEY_PASSPHRASE, CuttingProxy, SshdServer
from transports.base import OutboundFile, Transport
from transports.errors import (HostKeyError, PermanentTransportError, TransientTransportError,
                               WithdrawnError)
from transports.sftp import SftpSettings, SftpTransport, parse_host_key

pytestmark = pytest.mark.sshd

PO = (b"ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     "
      b"*260115*1200*U*00401*000000001*0*T*>~")


@pytest.fixture
def connect(sshd: SshdServer, remote_dirs: dict[str, Path], tmp_path: Path):
    """Factory for transports to the test's folders; every one is closed after the test."""
    made: list[SftpTransport] = []

    def make(environ: dict | None = None, listing_age: float = 5.0, **changes) -> SftpTransport:
        rel = {k: p.relative_to(sshd.root).as_posix() for k, p in remote_dirs.items()}
        table = {"type": "sftp", "host": "127.0.0.1", "port": sshd.port, "username": sshd.user,
                 "key_file": str(sshd.client_key("ed25519")), "host_keys": [sshd.host_key_line],
                 "outbox_dir": rel["outbox"], "inbox_dir": rel["inbox"],
                 "archive_dir": rel["archive"], "connect_timeout": 5, "timeout": 5}
        table.update(changes)
        settings = SftpSettings.from_mapping({k: v for k, v in table.items() if v is not None},
                                             tmp_path, environ or {})
        made.append(SftpTransport(settings, outbox_listing_age=listing_age))
        return made[-1]

    yield make
    for transport in made:
        transport.close()


def doc(n: int, size: int = 0) -> OutboundFile:
    body = PO + f"PO{n:06d}~".encode() + b"x" * size
    return OutboundFile(f"po{n:06d}.x12", body)


def outbox_names(remote_dirs) -> list[str]:
    return sorted(os.listdir(remote_dirs["outbox"]))


# -- happy paths ------------------------------------------------------------------------

def test_send_lands_under_its_final_name_with_no_temp_file_left(connect, remote_dirs):
    transport: Transport = connect()
    receipts = [transport.send(doc(n)) for n in (1, 2)]
    assert [r.remote_name for r in receipts] == ["po000001.x12", "po000002.x12"]
    assert {r.transport for r in receipts} == {"sftp"}
    assert not any(r.already_present for r in receipts)
    assert outbox_names(remote_dirs) == ["po000001.x12", "po000002.x12"]
    assert (remote_dirs["outbox"] / "po000002.x12").read_bytes() == doc(2).payload


def test_list_fetch_and_archive(connect, remote_dirs):
    inbox = remote_dirs["inbox"]
    (inbox / "ack1.x12").write_bytes(b"997 one")
    (inbox / "ack2.x12").write_bytes(b"855 two")
    os.utime(inbox / "ack1.x12", (1_000_000, 1_000_000))     # older: listed first
    transport = connect()
    listed = transport.list_inbox()
    assert [(f.name, f.size) for f in listed] == [("ack1.x12", 7), ("ack2.x12", 7)]
    sink = io.BytesIO()
    assert transport.fetch("ack1.x12", sink) == 7 and sink.getvalue() == b"997 one"
    transport.done("ack1.x12")
    assert sorted(os.listdir(inbox)) == ["ack2.x12"]
    assert (remote_dirs["archive"] / "ack1.x12").read_bytes() == b"997 one"
    assert [f.name for f in transport.list_inbox()] == ["ack2.x12"]


def test_names_that_are_not_utf8_or_hold_a_line_break_are_skipped_not_fatal(connect, remote_dirs):
    # Made directly on the served disk: paramiko's own listing raises UnicodeDecodeError on
    # the first name that is not UTF-8, hiding every other file in the folder.
    inbox = os.fsencode(remote_dirs["inbox"])
    for name in (b"ack-\xff\xfe.x12", b"caf\xe9.x12", b"two\nlines.x12", b"ack (1).x12"):
        with open(os.path.join(inbox, name), "wb") as fh:
            fh.write(b"997")
    transport = connect()
    listing = transport.list_inbox()
    assert [f.name for f in listing] == ["ack (1).x12"]
    assert sorted((f.name, f.reason) for f in listing.skipped) == [
        ("ack-\\xff\\xfe.x12", "it is not UTF-8 text"),
        ("caf\\xe9.x12", "it is not UTF-8 text"),
        ("two\\nlines.x12", "it holds control characters (a line break, a tab, ...)")]
    sink = io.BytesIO()
    assert transport.fetch("ack (1).x12", sink) == 3
    transport.done("ack (1).x12")
    assert [f.name for f in transport.list_inbox()] == []    # the same connection still works


def test_a_failing_sink_raises_its_own_error_not_a_transport_error(connect, remote_dirs):
    (remote_dirs["inbox"] / "ack1.x12").write_bytes(b"997")

    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    transport = connect()
    with pytest.raises(OSError) as info:
        transport.fetch("ack1.x12", FullDisk())
    assert info.value.errno == errno.ENOSPC          # the hub's disk, not the partner's server
    sink = io.BytesIO()
    assert transport.fetch("ack1.x12", sink) == 3 and sink.getvalue() == b"997"


def test_done_deletes_when_configured(connect, remote_dirs):
    (remote_dirs["inbox"] / "ack1.x12").write_bytes(b"997")
    transport = connect(archive_dir=None, after_fetch="delete")
    transport.fetch("ack1.x12", io.BytesIO())
    transport.done("ack1.x12")
    transport.done("ack1.x12")      # repeating after an ambiguous failure is harmless
    assert os.listdir(remote_dirs["inbox"]) == [] and os.listdir(remote_dirs["archive"]) == []


def test_archive_name_clash_gets_a_suffix_and_keeps_the_old_file(connect, remote_dirs):
    (remote_dirs["archive"] / "ack1.x12").write_bytes(b"yesterday")
    (remote_dirs["inbox"] / "ack1.x12").write_bytes(b"today")
    transport = connect()
    transport.done("ack1.x12")
    transport.done("ack1.x12")      # already moved: nothing to do, no error
    archived = sorted(os.listdir(remote_dirs["archive"]))
    assert len(archived) == 2 and archived[0] == "ack1.x12"
    assert archived[1].startswith("ack1.x12.")
    assert (remote_dirs["archive"] / "ack1.x12").read_bytes() == b"yesterday"
    assert (remote_dirs["archive"] / archived[1]).read_bytes() == b"today"


def test_inbox_skips_temp_names_hidden_files_folders_and_other_patterns(connect, remote_dirs):
    inbox = remote_dirs["inbox"]
    for name in ("a.x12", "b.x12.part", ".c.x12", "d.tmp", "e.txt"):
        (inbox / name).write_bytes(b"x")
    (inbox / "sub.x12").mkdir()
    assert [f.name for f in connect(inbox_pattern="*.x12").list_inbox()] == ["a.x12"]


def test_a_partner_file_name_with_spaces_is_read_and_kept_as_data(connect, remote_dirs):
    (remote_dirs["inbox"] / "PO ack (1).x12").write_bytes(b"ISA")
    transport = connect()
    [remote] = transport.list_inbox()
    sink = io.BytesIO()
    assert transport.fetch(remote.name, sink) == 3 and sink.getvalue() == b"ISA"
    transport.done(remote.name)
    assert [p.name for p in remote_dirs["archive"].iterdir()] == ["PO ack (1).x12"]


def test_files_still_being_written_are_skipped(connect, remote_dirs):
    growing = remote_dirs["inbox"] / "big.x12"
    growing.write_bytes(b"ISA")
    settled = connect(settle_seconds=60)
    assert settled.list_inbox() == []                     # modified just now
    os.utime(growing, (time.time() - 120,) * 2)
    assert [f.name for f in settled.list_inbox()] == ["big.x12"]

    by_size = connect(settle_seconds=0)
    assert [f.size for f in by_size.list_inbox()] == [3]
    with open(growing, "ab") as fh:
        fh.write(b"*GS")
    assert by_size.list_inbox() == []                     # size changed since the last look
    assert [f.size for f in by_size.list_inbox()] == [6]  # unchanged since: ready


# -- logins -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["ed25519", "rsa", "protected"])
def test_key_logins(connect, sshd, remote_dirs, key):
    changes = {"key_file": str(sshd.client_key(key))}
    env = {}
    if key == "protected":
        changes["key_passphrase_env"] = "TEST_KEY_PASSPHRASE"
        env["TEST_KEY_PASSPHRASE"] = PROTECTED_KEY_PASSPHRASE
    connect(env, **changes).send(doc(1))
    assert outbox_names(remote_dirs) == ["po000001.x12"]


def test_password_login_from_an_environment_variable(connect, sshd, remote_dirs):
    password = sshd.set_password()
    transport = connect({"EDI_TEST_SFTP_PASSWORD": password}, key_file=None,
                        password_env="EDI_TEST_SFTP_PASSWORD")
    transport.send(doc(1))
    assert outbox_names(remote_dirs) == ["po000001.x12"]

    wrong = connect({"EDI_TEST_SFTP_PASSWORD": password + "x"}, key_file=None,
                    password_env="EDI_TEST_SFTP_PASSWORD")
    with pytest.raises(PermanentTransportError, match="refused our login") as info:
        wrong.send(doc(2))
    assert password not in str(info.value)


def test_wrong_client_key_is_permanent(connect, sshd):
    with pytest.raises(PermanentTransportError, match="refused our login") as info:
        connect(key_file=str(sshd.client_key("stranger"))).send(doc(1))
    assert not isinstance(info.value, HostKeyError)
    assert info.value.__cause__ is not None


# -- host keys --------------------------------------------------------------------------

def _stranger_host_key() -> str:
    return ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _stranger_rsa_host_key() -> str:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _fingerprint(line: str) -> str:
    return parse_host_key(line).fingerprint


def test_unknown_host_key_is_refused(connect, sshd, remote_dirs):
    pinned = _stranger_host_key()
    with pytest.raises(HostKeyError) as info:
        connect(host_keys=[pinned]).send(doc(1))
    text = str(info.value)
    assert _fingerprint(sshd.host_key_line) in text and _fingerprint(pinned) in text
    assert f"edihub partners keyscan 127.0.0.1 --port {sshd.port}" in text
    assert outbox_names(remote_dirs) == []


def test_changed_host_key_is_refused_until_the_new_one_is_pinned(connect, sshd, remote_dirs):
    transport = connect()
    transport.send(doc(1))
    old = sshd.host_key_line
    new = sshd.rotate_host_key()
    with pytest.raises(HostKeyError) as info:
        transport.send(doc(2))
    assert isinstance(info.value, PermanentTransportError)
    assert _fingerprint(new) in str(info.value) and _fingerprint(old) in str(info.value)
    connect(host_keys=[new]).send(doc(2))
    assert outbox_names(remote_dirs) == ["po000001.x12", "po000002.x12"]


def test_old_and_new_keys_can_be_pinned_together_during_a_rotation(connect, sshd, remote_dirs):
    connect(host_keys=[_stranger_host_key(), sshd.host_key_line]).send(doc(1))
    assert outbox_names(remote_dirs) == ["po000001.x12"]


def test_server_is_asked_for_the_key_type_that_was_pinned(connect, sshd, remote_dirs):
    # The server holds an ed25519 and an RSA key; pinned by RSA only, it must show RSA.
    connect(host_keys=[sshd.rsa_host_key_line]).send(doc(1))
    assert outbox_names(remote_dirs) == ["po000001.x12"]
    with pytest.raises(HostKeyError, match="ssh-rsa"):
        connect(host_keys=[_stranger_rsa_host_key()]).send(doc(2))


# -- never twice, never overwritten -----------------------------------------------------

def test_identical_resend_is_recognised_and_not_written_again(connect, remote_dirs):
    transport = connect()
    transport.send(doc(1))
    final = remote_dirs["outbox"] / "po000001.x12"
    before = final.stat()
    again = connect().send(doc(1))                 # e.g. another worker, after a crash
    assert again.already_present
    after = final.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_different_content_under_a_delivered_name_is_refused(connect, remote_dirs):
    transport = connect()
    transport.send(doc(1))
    changed = OutboundFile("po000001.x12", doc(1).payload.replace(b"PO", b"XX"))  # same size
    with pytest.raises(PermanentTransportError, match="already exists with different content"):
        transport.send(changed)
    assert (remote_dirs["outbox"] / "po000001.x12").read_bytes() == doc(1).payload
    assert outbox_names(remote_dirs) == ["po000001.x12"]


def test_name_collected_by_the_partner_can_be_used_again(connect, remote_dirs):
    transport = connect()
    transport.send(doc(1))
    (remote_dirs["outbox"] / "po000001.x12").unlink()      # the partner picked it up
    assert not transport.send(doc(1)).already_present
    assert outbox_names(remote_dirs) == ["po000001.x12"]


def test_file_written_by_someone_else_is_seen_once_the_listing_is_renewed(connect, remote_dirs):
    transport = connect(listing_age=0)     # renew the outbox listing before every send
    transport.send(doc(1))
    other = remote_dirs["outbox"] / "po000002.x12"
    other.write_bytes(b"another writer's document")
    with pytest.raises(PermanentTransportError, match="different content"):
        transport.send(doc(2))
    assert other.read_bytes() == b"another writer's document"


def test_leftover_part_file_from_a_crash_is_removed_by_the_next_attempt(connect, sshd, remote_dirs):
    leftover = remote_dirs["outbox"] / ".po000001.x12.1.part"
    leftover.write_bytes(b"half a docu" * 1000)
    sshd.give(leftover)                            # our user wrote it before the crash
    retry = doc(1)
    connect().send(OutboundFile(retry.filename, retry.payload, attempt=2))
    assert outbox_names(remote_dirs) == ["po000001.x12"]
    assert (remote_dirs["outbox"] / "po000001.x12").read_bytes() == doc(1).payload


def test_a_retry_of_a_delivered_document_removes_every_earlier_leftover(connect, sshd, remote_dirs):
    # Attempts 1 and 2 died before their rename; a third found the document delivered.
    delivered = doc(1)
    (remote_dirs["outbox"] / delivered.filename).write_bytes(delivered.payload)
    for k in (1, 2):
        leftover = remote_dirs["outbox"] / f".{delivered.filename}.{k}.part"
        leftover.write_bytes(b"half")
        sshd.give(leftover)
    sshd.give(remote_dirs["outbox"] / delivered.filename)
    receipt = connect().send(OutboundFile(delivered.filename, delivered.payload, attempt=3))
    assert receipt.already_present
    assert outbox_names(remote_dirs) == [delivered.filename]


def test_a_file_published_meanwhile_is_never_replaced(connect, sshd, remote_dirs):
    # Another attempt publishes the same name between our upload and our rename.
    transport = connect(listing_age=0)

    def rival(name: str, content: bytes):
        def may_publish() -> bool:
            path = remote_dirs["outbox"] / name
            path.write_bytes(content)
            sshd.give(path)
            return True
        return may_publish

    ours = doc(1)
    receipt = transport.send(OutboundFile(ours.filename, ours.payload,
                                          may_publish=rival(ours.filename, ours.payload)))
    assert receipt.already_present
    two = doc(2)
    with pytest.raises(PermanentTransportError, match="different content"):
        transport.send(OutboundFile(two.filename, two.payload,
                                    may_publish=rival(two.filename, b"another writer's")))
    assert (remote_dirs["outbox"] / two.filename).read_bytes() == b"another writer's"
    assert outbox_names(remote_dirs) == [ours.filename, two.filename]   # no temporary left


def test_a_withdrawn_send_publishes_nothing_and_leaves_nothing(connect, remote_dirs):
    with pytest.raises(WithdrawnError):
        connect().send(OutboundFile("po000001.x12", PO, may_publish=lambda: False))
    assert outbox_names(remote_dirs) == []


# -- faults -----------------------------------------------------------------------------

def test_connection_is_reused_and_reestablished_after_a_drop(connect, sshd, remote_dirs):
    transport = connect()
    before = sshd.logins()
    for n in range(5):
        transport.send(doc(n))
    transport.list_inbox()
    assert sshd.logins() == before + 1
    sshd.drop_sessions()
    transport.send(doc(5))                 # the dead link is noticed and replaced
    assert sshd.logins() == before + 2
    transport.close()
    transport.send(doc(6))
    assert sshd.logins() == before + 3
    assert len(outbox_names(remote_dirs)) == 7


def test_server_down_then_back_delivers_everything_exactly_once(connect, sshd, remote_dirs):
    transport = connect(connect_timeout=2)
    pending = [doc(n) for n in range(6)]
    for file in pending[:2]:
        transport.send(file)
    sshd.stop()
    for file in pending[2:4]:
        with pytest.raises(TransientTransportError):
            transport.send(file)
    assert outbox_names(remote_dirs) == ["po000000.x12", "po000001.x12"]
    sshd.start()
    # The outbox retries what failed; it also repeats po000001 as if its receipt was lost.
    receipts = [transport.send(f) for f in [pending[1], *pending[2:]]]
    assert [r.already_present for r in receipts] == [True, False, False, False, False]
    assert outbox_names(remote_dirs) == [f.filename for f in pending]
    for file in pending:
        assert (remote_dirs["outbox"] / file.filename).read_bytes() == file.payload


def test_send_whose_reply_was_lost_is_recognised_when_repeated(
        connect, cutting_proxy: CuttingProxy, remote_dirs):
    """The rename happens on the server but its reply never arrives: an ambiguous failure."""
    transport = connect(port=cutting_proxy.port, timeout=1)
    transport.send(doc(1))                         # connect and warm up
    start = cutting_proxy.upstream_bytes
    transport.send(doc(2))                         # same sizes as doc 3: measures one send
    one_send = cutting_proxy.upstream_bytes - start
    cutting_proxy.hold_replies_after(one_send)
    with pytest.raises(TransientTransportError, match="timed out"):
        transport.send(doc(3))
    final = remote_dirs["outbox"] / "po000003.x12"
    assert final.read_bytes() == doc(3).payload    # it did land
    landed = final.stat()
    cutting_proxy.thaw()
    assert transport.send(doc(3)).already_present
    assert (final.stat().st_ino, final.stat().st_mtime_ns) == (landed.st_ino, landed.st_mtime_ns)
    assert outbox_names(remote_dirs) == ["po000001.x12", "po000002.x12", "po000003.x12"]


def test_connection_cut_mid_upload_is_transient_and_leaves_no_final_file(
        connect, cutting_proxy: CuttingProxy, remote_dirs):
    transport = connect(port=cutting_proxy.port)
    transport.send(doc(1))
    cutting_proxy.cut_after(256 * 1024)
    big = doc(2, size=4 * 1024 * 1024)
    with pytest.raises(TransientTransportError) as info:
        transport.send(big)
    assert info.value.__cause__ is not None and cutting_proxy.cuts >= 1
    assert not (remote_dirs["outbox"] / big.filename).exists()
    assert set(outbox_names(remote_dirs)) <= {"po000001.x12", f".{big.filename}.1.part"}
    cutting_proxy.disarm()
    assert not transport.send(big).already_present
    assert outbox_names(remote_dirs) == ["po000001.x12", big.filename]
    assert hashlib.sha256((remote_dirs["outbox"] / big.filename).read_bytes()).digest() == \
        hashlib.sha256(big.payload).digest()


def test_connection_cut_mid_fetch_is_transient_and_not_retried(
        connect, cutting_proxy: CuttingProxy, remote_dirs):
    (remote_dirs["inbox"] / "big.x12").write_bytes(os.urandom(4 << 20))
    transport = connect(port=cutting_proxy.port)
    transport.list_inbox()
    cutting_proxy.cut_after(4096)          # a few dozen read requests get through
    sink = HashingSink()
    with pytest.raises(TransientTransportError):
        transport.fetch("big.x12", sink)
    assert 0 < sink.size < 4 << 20 and cutting_proxy.cuts == 1   # one connection, no retry
    cutting_proxy.disarm()
    assert transport.fetch("big.x12", HashingSink()) == 4 << 20


def test_stalled_server_times_out_as_transient(connect, cutting_proxy: CuttingProxy):
    transport = connect(port=cutting_proxy.port, timeout=1)
    transport.send(doc(1))
    cutting_proxy.freeze()
    started = time.monotonic()
    with pytest.raises(TransientTransportError, match="timed out"):
        transport.send(doc(2))
    assert time.monotonic() - started < 4          # one timeout, not a hang, not a retry loop


def test_server_that_never_speaks_times_out_as_transient(connect):
    silent = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(TransientTransportError):
            connect(port=silent.getsockname()[1], connect_timeout=1).send(doc(1))
        assert time.monotonic() - started < 4
    finally:
        for s in [silent, *accepted]:
            s.close()


def test_nothing_listening_is_transient(connect):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]          # bound, not listening: connections are refused
        with pytest.raises(TransientTransportError, match="refused"):
            connect(port=port).send(doc(1))


def test_permission_denied_on_the_outbox_is_permanent(connect, sshd, remote_dirs):
    transport = connect()
    with sshd.unwritable(remote_dirs["outbox"]):
        with pytest.raises(PermanentTransportError, match="permission denied"):
            transport.send(doc(1))
    assert outbox_names(remote_dirs) == []
    transport.send(doc(1))                 # the same connection works once fixed
    assert outbox_names(remote_dirs) == ["po000001.x12"]


def test_missing_remote_folders_are_permanent(connect):
    with pytest.raises(PermanentTransportError, match="no such file or folder"):
        connect(outbox_dir="no/such/outbox").send(doc(1))
    with pytest.raises(PermanentTransportError, match="no such file or folder"):
        connect(inbox_dir="no/such/inbox").list_inbox()


# -- big files --------------------------------------------------------------------------

class HashingSink:
    """A sink that keeps only a running sha256 and a byte count."""

    def __init__(self):
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def test_100_mb_file_is_streamed_with_flat_memory(connect, remote_dirs):
    block = os.urandom(1 << 20)
    expected = hashlib.sha256()
    with open(remote_dirs["inbox"] / "huge.x12", "wb") as fh:
        for i in range(100):
            chunk = i.to_bytes(4, "big") + block[4:]
            fh.write(chunk)
            expected.update(chunk)
    os.utime(remote_dirs["inbox"] / "huge.x12", (time.time() - 60,) * 2)
    transport = connect()
    assert [f.size for f in transport.list_inbox()] == [100 << 20]
    sink = HashingSink()
    tracemalloc.start()
    try:
        size = transport.fetch("huge.x12", sink)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size == sink.size == 100 << 20
    assert sink.digest.hexdigest() == expected.hexdigest()
    assert peak < 8 << 20, f"peak traced memory {peak / 1e6:.1f} MB while fetching 100 MB"
