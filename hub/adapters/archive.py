"""The document archive: every document in and out, on disk, under names we choose.

Sent documents keep the name they were sent under (partner, type, control number: our own
names); received ones are named by time, checksum and kind. A partner's file name is kept
only as data (in the store), never used as a path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from hub.edi.sniff import sniff

CHUNK = 1 << 20
HEAD = 4096      # bytes kept from the start of an inbound file, to tell what it is


class Archive:
    """Writes documents below ``root`` (var/archive)."""

    def __init__(self, root: Path):
        self.root = root
        self._made: set[Path] = set()   # folders known to exist: no mkdir per document

    def store_out(self, doc) -> Path:
        """Archive a sent document under the name it was sent as (partner, type, control number),
        in the folder of the day it was sent; writing the same one twice leaves one copy.

        ``doc`` has ``id``, ``filename``, ``payload`` and ``done_at`` (an outbox row). Should
        another document already hold the name (numbers reused after a reset), this one is
        kept beside it, prefixed with its own id.
        """
        folder = self._dir("out", doc.done_at)
        name = _safe_name(doc.filename) or f"{doc.id:09d}.doc"
        for path in (folder / name, folder / f"{doc.id:09d}-{name}"):
            if not path.exists():
                _write_new(path, doc.payload)
                return path
            if path.stat().st_size == len(doc.payload) and path.read_bytes() == doc.payload:
                return path
        raise FileExistsError(f"{folder / name} and its alternative hold other documents")

    def store_in(self, stream: BinaryIO, at: datetime, extension: str = "",
                 beside: str = "") -> tuple[Path, str, int]:
        """Copy an inbound stream to the archive in chunks; return (path, sha256, size).

        ``beside`` (an archived file's relative path) names this one after it: the document
        carried by an AS2 message is kept as ``<message>.payload.edi`` next to ``<message>.as2``.
        """
        def copy(sink: BinaryIO) -> None:
            while chunk := stream.read(CHUNK):
                sink.write(chunk)
        return self.store_in_with(copy, at, extension, beside)

    def store_in_with(self, fill, at: datetime, extension: str = "", beside: str = "") -> tuple[Path, str, int]:
        """Archive what ``fill(sink)`` writes (e.g. a transport's fetch); return (path, sha256, size).

        The file is named by the time, its checksum and what it is: ``.edi`` for X12, ``.xml``,
        ``.bin`` for anything else (or ``extension``, e.g. ``as2`` for a raw AS2 message).
        """
        folder = self.path_of(beside).parent if beside else self._dir("in", at)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".in-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                sink = _HashingWriter(fh)
                fill(sink)
                fh.flush()
                os.fsync(fh.fileno())
            digest, size = sink.digest, sink.size
            sha = digest.hexdigest()
            stem = f"{Path(beside).stem}.payload" if beside else f"{at:%H%M%S}-{sha[:16]}"
            path = folder / f"{stem}.{extension or suffix_for(sink.head)}"
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path, sha, size

    def path_of(self, relative: str) -> Path:
        """The absolute path of an archived file from the path stored in the database."""
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"archive path {relative!r} points outside the archive")
        return path

    def relative(self, path: Path) -> str:
        """The path to store in the database."""
        return str(path.resolve().relative_to(self.root.resolve()))

    def _dir(self, direction: str, at: datetime) -> Path:
        folder = self.root / direction / f"{at:%Y}" / f"{at:%m}" / f"{at:%d}"
        if folder not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        return folder


class _HashingWriter:
    """A file wrapper that hashes and counts what passes through it, keeping the first bytes."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.digest, self.size, self.head = fh, hashlib.sha256(), 0, b""

    def write(self, data: bytes) -> int:
        """Write, hash and count."""
        self.digest.update(data)
        if len(self.head) < HEAD:
            self.head += bytes(data[:HEAD - len(self.head)])
        self.size += len(data)
        return self.fh.write(data)


_SUFFIX_OF = {"x12": "edi", "xml": "xml"}
SUFFIXES = (*_SUFFIX_OF.values(), "bin")     # every extension suffix_for gives


def suffix_for(head: bytes) -> str:
    """The archive's file extension for a document starting with ``head``."""
    return _SUFFIX_OF.get(sniff(head), "bin")


def _write_new(path: Path, payload: bytes) -> None:
    """Write a file whole or not at all: a crash never leaves a cut copy under the real name."""
    temp = path.with_name(f".{path.name}.part")
    with open(temp, "wb") as fh:
        fh.write(payload)
    os.replace(temp, path)


def _safe_name(name: str) -> str:
    """Our own document name, kept to letters, digits, '.', '_' and '-' (never a path)."""
    return "".join(c for c in name if c.isalnum() or c in "-_.").lstrip(".")[:200]
