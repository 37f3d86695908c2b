"""Folder transport: settings, delivery under a temporary name, inbox rules, fetch and done."""

from __future__ import annotations

import errno
import io
import os
import re
import time
import types
from pathlib import Path

import pytest

from transports.base import OutboundFile
from transports.errors import (PermanentTransportError, TransientTransportError,
                               TransportConfigError, WithdrawnError)
from transports.folder import FolderSettings, FolderTransport

LONG_AGO = 1_000_000_000      # 2001: an mtime no send in these tests can produce


def folder(tmp_path: Path, **changes) -> FolderTransport:
    m = {"type": "folder", "path": "out", "inbox": "in"}
    m.update(changes)
    return FolderTransport(FolderSettings.from_mapping(
        {k: v for k, v in m.items() if v is not None}, tmp_path))


def aged(path: Path, content: bytes, seconds: float) -> Path:
    """Write ``content`` to ``path`` and date it ``seconds`` in the past."""
    path.write_bytes(content)
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


# -- settings ---------------------------------------------------------------------------


def test_settings_resolve_paths_against_the_base_and_default_the_rest(tmp_path):
    s = FolderSettings.from_mapping({"type": "folder", "path": "var/out"}, tmp_path)
    assert s.outbox == (tmp_path / "var/out").resolve()
    assert (s.inbox, s.archive, s.pattern, s.settle_seconds) == (None, None, "*", 0.0)
    s = FolderSettings.from_mapping({"path": "/abs/out", "inbox": "in", "archive": "arch",
                                     "pattern": "*.x12", "settle_seconds": 30}, tmp_path)
    assert (s.outbox, s.inbox, s.archive) == (Path("/abs/out"), (tmp_path / "in").resolve(),
                                              (tmp_path / "arch").resolve())
    assert (s.pattern, s.settle_seconds) == ("*.x12", 30.0)


@pytest.mark.parametrize("m, key", [
    ({"path": "out", "host": "x"}, "host"),
    ({"path": "out", "password": "x", "zzz": 1}, "password"),     # the first, alphabetically
    ({}, "path"),
    ({"path": ""}, "path"),
    ({"path": 5}, "path"),
    ({"path": "out", "inbox": 3}, "inbox"),
    ({"path": "out", "archive": ""}, "archive"),
    ({"path": "out", "settle_seconds": -1}, "settle_seconds"),
    ({"path": "out", "settle_seconds": "10"}, "settle_seconds"),
])
def test_settings_errors_name_the_key(tmp_path, m, key):
    with pytest.raises(TransportConfigError) as info:
        FolderSettings.from_mapping(m, tmp_path)
    assert info.value.key == key
    assert str(info.value).startswith(f"transport.{key}: ")


# -- send -------------------------------------------------------------------------------


def test_send_writes_a_temporary_name_then_links_it_to_its_name(tmp_path, monkeypatch):
    transport = folder(tmp_path)
    payload = b"ISA*00*" + bytes(range(256)) * 100
    links = []
    real_link = os.link

    def link(src, dst):
        # At publishing the whole document is under the temporary name, the final one free.
        links.append((Path(src), Path(dst), Path(src).read_bytes() == payload, Path(dst).exists()))
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link)
    receipt = transport.send(OutboundFile("PO1.x12", payload, attempt=3))
    out = (tmp_path / "out").resolve()
    assert links == [(out / ".PO1.x12.3.part", out / "PO1.x12", True, False)]
    assert (out / "PO1.x12").read_bytes() == payload
    assert sorted(os.listdir(out)) == ["PO1.x12"]     # no .part left behind
    assert (receipt.transport, receipt.remote_name, receipt.already_present) == \
        ("folder", "PO1.x12", False)
    assert receipt.detail == {"folder": str(out)}


def test_a_file_published_meanwhile_is_never_replaced(tmp_path):
    # Another attempt publishes the same name between our write and our publishing: ours
    # does not replace it; the same bytes are recognised, other bytes refused.
    transport = folder(tmp_path)
    out = tmp_path / "out"

    def rival(name: str, content: bytes):
        def may_publish() -> bool:
            (out / name).write_bytes(content)
            return True
        return may_publish

    receipt = transport.send(OutboundFile("PO1.x12", b"ISA*ours",
                                          may_publish=rival("PO1.x12", b"ISA*ours")))
    assert receipt.already_present
    with pytest.raises(PermanentTransportError, match="already exists with different content"):
        transport.send(OutboundFile("PO2.x12", b"ISA*ours", may_publish=rival("PO2.x12", b"ISA*other")))
    assert (out / "PO2.x12").read_bytes() == b"ISA*other"
    assert sorted(os.listdir(out)) == ["PO1.x12", "PO2.x12"]


def test_a_withdrawn_send_publishes_nothing_and_leaves_nothing(tmp_path):
    transport = folder(tmp_path)
    with pytest.raises(WithdrawnError):
        transport.send(OutboundFile("PO1.x12", b"ISA", may_publish=lambda: False))
    assert os.listdir(tmp_path / "out") == []


def test_without_hard_links_a_check_and_a_rename_publish(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    transport = folder(tmp_path)
    assert not transport.send(OutboundFile("PO1.x12", b"ISA")).already_present
    assert sorted(os.listdir(tmp_path / "out")) == ["PO1.x12"]


def test_a_retry_removes_what_the_attempt_before_left(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".PO1.x12.1.part").write_bytes(b"half a docu")     # attempt 1 died mid-write
    folder(tmp_path).send(OutboundFile("PO1.x12", b"ISA*whole", attempt=2))
    assert sorted(os.listdir(out)) == ["PO1.x12"]


def test_a_retry_after_a_kill_between_publishing_and_cleanup_removes_the_leftover(tmp_path):
    # Attempt 1 published (linked) its file and died before removing its temporary name;
    # attempt 3 is now live. Attempt 2 finds its document delivered: the leftover of 1 goes,
    # the live file of 3 stays.
    out = tmp_path / "out"
    out.mkdir()
    (out / "PO1.x12").write_bytes(b"ISA*whole")
    (out / ".PO1.x12.1.part").write_bytes(b"ISA*whole")
    (out / ".PO1.x12.3.part").write_bytes(b"ISA*who")
    (out / ".PO10.x12.1.part").write_bytes(b"another document's attempt")
    receipt = folder(tmp_path).send(OutboundFile("PO1.x12", b"ISA*whole", attempt=2))
    assert receipt.already_present
    assert sorted(os.listdir(out)) == [".PO1.x12.3.part", ".PO10.x12.1.part", "PO1.x12"]


def test_a_repeated_send_of_the_same_bytes_is_already_present_and_rewrites_nothing(tmp_path):
    transport = folder(tmp_path)
    transport.send(OutboundFile("PO1.x12", b"ISA*same"))
    final = tmp_path / "out" / "PO1.x12"
    os.utime(final, (LONG_AGO, LONG_AGO))
    before = final.stat()
    receipt = transport.send(OutboundFile("PO1.x12", b"ISA*same"))
    assert receipt.already_present is True
    after = final.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(os.listdir(final.parent)) == ["PO1.x12"]


def test_different_content_under_a_delivered_name_is_refused_and_the_file_kept(tmp_path):
    transport = folder(tmp_path)
    transport.send(OutboundFile("PO1.x12", b"ISA*first"))
    final = tmp_path / "out" / "PO1.x12"
    os.utime(final, (LONG_AGO, LONG_AGO))
    before = final.stat()
    with pytest.raises(PermanentTransportError, match="already exists with different content"):
        transport.send(OutboundFile("PO1.x12", b"ISA*second"))
    assert final.read_bytes() == b"ISA*first"
    after = final.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(os.listdir(final.parent)) == ["PO1.x12"]


@pytest.mark.parametrize("name", ["../etc/passwd", ".hidden", "a/b.x12", "..", "", "x" * 300,
                                  "a..b.x12", "PO 1.x12"])
def test_send_refuses_an_unsafe_name_before_writing(tmp_path, name):
    transport = folder(tmp_path)
    with pytest.raises(PermanentTransportError) as info:
        transport.send(OutboundFile(name, b"ISA"))
    assert f"{name!r} is not a safe file name" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)
    assert sorted(os.listdir(tmp_path)) == []          # not even the outbox was created


def test_permission_denied_on_the_outbox_is_permanent(tmp_path, monkeypatch):
    # The tests may run as root, whom no file mode stops: the refusal comes from open(),
    # exactly where an unwritable folder refuses a non-root hub.
    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr("transports.folder.open", refuse, raising=False)
    with pytest.raises(PermanentTransportError) as info:
        folder(tmp_path).send(OutboundFile("PO1.x12", b"ISA"))
    assert str(info.value) == f"cannot write to {(tmp_path / 'out').resolve()}: Permission denied"
    assert isinstance(info.value.__cause__, PermissionError)


@pytest.mark.parametrize("layout, cause", [
    ("outbox below a file", NotADirectoryError),
    ("outbox is a file", FileExistsError),
    ("folder named like the document", IsADirectoryError),
])
def test_a_file_tree_unlike_the_settings_is_permanent(tmp_path, layout, cause):
    # Retrying cannot help until someone fixes the folder: not a transient error.
    (tmp_path / "blocker").write_bytes(b"a regular file")
    path = {"outbox below a file": "blocker/out", "outbox is a file": "blocker",
            "folder named like the document": "out"}[layout]
    if layout == "folder named like the document":
        (tmp_path / "out" / "PO1.x12").mkdir(parents=True)
    with pytest.raises(PermanentTransportError, match="check the path setting") as info:
        folder(tmp_path, path=path).send(OutboundFile("PO1.x12", b"ISA"))
    assert type(info.value.__cause__) is cause
    assert (tmp_path / "blocker").read_bytes() == b"a regular file"


def test_a_full_disk_is_transient(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(TransientTransportError, match="No space left on device"):
        folder(tmp_path).send(OutboundFile("PO1.x12", b"ISA"))
    assert not (tmp_path / "out" / "PO1.x12").exists()


# -- inbox ------------------------------------------------------------------------------


def test_list_inbox_offers_settled_matching_regular_files_oldest_first(tmp_path):
    transport = folder(tmp_path, pattern="*.x12", settle_seconds=60)
    inbox = tmp_path / "in"
    inbox.mkdir()
    newer = aged(inbox / "b.x12", b"BB", 120)
    older = aged(inbox / "a2.x12", b"AAA", 600)
    for skipped in (".hidden.x12", "c.x12.part", "c.x12.tmp", "c.x12.filepart", "c.txt",
                    "C.X12"):
        aged(inbox / skipped, b"skip", 600)
    aged(inbox / "young.x12", b"still being written", 10)
    (inbox / "dir.x12").mkdir()
    (inbox / "link.x12").symlink_to(older)
    found = transport.list_inbox()
    assert [(f.name, f.size) for f in found] == [("a2.x12", 3), ("b.x12", 2)]
    assert [f.mtime for f in found] == [older.stat().st_mtime, newer.stat().st_mtime]


def test_list_inbox_orders_equal_mtimes_by_name(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in ("c.x12", "a.x12", "b.x12"):
        (inbox / name).write_bytes(b"x")
        os.utime(inbox / name, (LONG_AGO, LONG_AGO))
    assert [f.name for f in folder(tmp_path).list_inbox()] == ["a.x12", "b.x12", "c.x12"]


def test_list_inbox_skips_names_it_cannot_fetch_and_says_so(tmp_path):
    # A name with a line break, or bytes that are not UTF-8: fetching either would fail at
    # every poll, so it is not offered; the good file next to it is.
    inbox = tmp_path / "in"
    inbox.mkdir()
    aged(inbox / "bad\nname.x12", b"ISA", 600)
    with open(os.path.join(os.fsencode(inbox), b"caf\xe9-\xff.x12"), "wb") as fh:
        fh.write(b"ISA")
    aged(inbox / "ack 1 (copy).x12", b"ISA*good", 600)        # spaces and brackets are fine
    aged(inbox / "bad\tname.txt", b"ISA", 600)                # not matching: not ours at all
    listing = folder(tmp_path, pattern="*.x12").list_inbox()
    assert [f.name for f in listing] == ["ack 1 (copy).x12"]
    assert sorted((f.name, f.reason) for f in listing.skipped) == [
        ("bad\\nname.x12", "it holds control characters (a line break, a tab, ...)"),
        ("caf\\xe9-\\xff.x12", "it is not UTF-8 text")]



def test_list_inbox_without_an_inbox(tmp_path):
    assert folder(tmp_path, inbox=None).list_inbox() == []   # not configured: nothing to read
    # Configured but missing (a share not mounted, a typo): an error, never "no files".
    with pytest.raises(PermanentTransportError, match=r"the inbox folder .*/in does not exist"):
        folder(tmp_path).list_inbox()


def test_fetch_streams_exactly_the_bytes(tmp_path):
    payload = os.urandom((5 << 20) // 2)      # 2.5 MB: more than one read
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "big.x12").write_bytes(payload)

    class Sink(io.BytesIO):
        def __init__(self):
            super().__init__()
            self.writes: list[int] = []

        def write(self, chunk):
            self.writes.append(len(chunk))
            return super().write(chunk)

    sink = Sink()
    assert folder(tmp_path).fetch("big.x12", sink) == len(payload)
    assert sink.getvalue() == payload
    assert len(sink.writes) > 1 and max(sink.writes) <= 1 << 20
    assert (inbox / "big.x12").read_bytes() == payload        # fetch leaves it in place


# -- done -------------------------------------------------------------------------------


def test_done_moves_the_file_to_the_archive(tmp_path):
    transport = folder(tmp_path, archive="arch")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.x12").write_bytes(b"ISA*a")
    transport.done("a.x12")
    assert os.listdir(tmp_path / "in") == []
    assert os.listdir(tmp_path / "arch") == ["a.x12"]
    assert (tmp_path / "arch" / "a.x12").read_bytes() == b"ISA*a"


def test_done_never_overwrites_an_archived_file(tmp_path, monkeypatch):
    transport = folder(tmp_path, archive="arch")
    inbox, archive = tmp_path / "in", tmp_path / "arch"
    inbox.mkdir()
    archive.mkdir()
    (archive / "a.x12").write_bytes(b"first")
    (inbox / "a.x12").write_bytes(b"second")
    transport.done("a.x12")
    suffixed = [n for n in os.listdir(archive) if n != "a.x12"]
    assert len(suffixed) == 1 and re.fullmatch(r"a\.x12\.\d{13}", suffixed[0])
    assert (archive / suffixed[0]).read_bytes() == b"second"
    # Within the same millisecond the suffix is taken too: a counter follows it.
    monkeypatch.setattr("transports.folder.time", types.SimpleNamespace(time=lambda: 1.5e9))
    (archive / "a.x12.1500000000000").write_bytes(b"taken")
    (inbox / "a.x12").write_bytes(b"third")
    transport.done("a.x12")
    assert (archive / "a.x12.1500000000000-2").read_bytes() == b"third"
    assert (archive / "a.x12").read_bytes() == b"first"
    assert (archive / "a.x12.1500000000000").read_bytes() == b"taken"
    assert os.listdir(inbox) == []


def test_done_deletes_the_file_without_an_archive(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.x12").write_bytes(b"ISA")
    folder(tmp_path).done("a.x12")
    assert os.listdir(tmp_path / "in") == []


@pytest.mark.parametrize("archive", [None, "arch"])
def test_done_for_a_file_already_gone_is_done(tmp_path, archive):
    # An earlier done() landed but its caller never saw it succeed: repeating it is harmless.
    (tmp_path / "in").mkdir()
    folder(tmp_path, archive=archive).done("gone.x12")
    assert os.listdir(tmp_path / "in") == []
    if archive:
        assert os.listdir(tmp_path / archive) == []


@pytest.mark.parametrize("name", ["../secret.x12", "sub/a.x12", "..", ".", "a\nb.x12"])
def test_fetch_and_done_refuse_names_that_could_leave_the_inbox(tmp_path, name):
    transport = folder(tmp_path, archive="arch")
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for path in (tmp_path / "secret.x12", tmp_path / "in" / "sub" / "a.x12",
                 tmp_path / "in" / ".hidden"):
        path.write_bytes(b"keep")
    with pytest.raises(PermanentTransportError, match="is not a safe file name"):
        transport.fetch(name, io.BytesIO())
    with pytest.raises(PermanentTransportError, match="is not a safe file name"):
        transport.done(name)
    assert (tmp_path / "secret.x12").read_bytes() == b"keep"
    assert (tmp_path / "in" / "sub" / "a.x12").read_bytes() == b"keep"
    assert (tmp_path / "in" / ".hidden").read_bytes() == b"keep"
    assert not (tmp_path / "arch").exists()


def test_fetch_and_done_without_an_inbox_are_refused(tmp_path):
    transport = folder(tmp_path, inbox=None)
    with pytest.raises(PermanentTransportError, match="no inbox configured"):
        transport.fetch("a.x12", io.BytesIO())
    with pytest.raises(PermanentTransportError, match="no inbox configured"):
        transport.done("a.x12")
