"""The document archive: every document in and out, on disk, under names we choose.

Paths are built from the direction, the date, our own id and a checksum; a partner's file
name is kept only as data (in the store), never used as a path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class Archive:
    """Writes documents below ``root`` (var/archive)."""

    def __init__(self, root: Path):
        self.root = root
        self._made: set[Path] = set()   # folders known to exist: no mkdir per document

    def store_out(self, interchange_id: int, doc_type: str, payload: bytes, at: datetime,
                  ext: str = "edi") -> Path:
        """Archive an outbound document; writing the same one twice leaves one copy."""
        path = self._dir("out", at) / f"{interchange_id:09d}_{_safe(doc_type)}.{_safe(ext)}"
        # Written in place: the name is ours alone, and a copy cut short by a crash has the
        # wrong size, so the re-send that follows rewrites it.
        if not (path.exists() and path.stat().st_size == len(payload)):
            with open(path, "wb") as fh:
                fh.write(payload)
        return path

    def store_in(self, stream: BinaryIO, at: datetime) -> tuple[Path, str, int]:
        """Copy an inbound stream to the archive in chunks; return (path, sha256, size)."""
        def copy(sink: BinaryIO) -> None:
            while chunk := stream.read(CHUNK):
                sink.write(chunk)
        return self.store_in_with(copy, at)

    def store_in_with(self, fill, at: datetime) -> tuple[Path, str, int]:
        """Archive what ``fill(sink)`` writes (e.g. a transport's fetch); return (path, sha256, size)."""
        folder = self._dir("in", at)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".in-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                sink = _HashingWriter(fh)
                fill(sink)
                fh.flush()
                os.fsync(fh.fileno())
            digest, size = sink.digest, sink.size
            sha = digest.hexdigest()
            path = folder / f"{at:%H%M%S}-{sha[:16]}.edi"
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
    """A file wrapper that hashes and counts what passes through it."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        """Write, hash and count."""
        self.digest.update(data)
        self.size += len(data)
        return self.fh.write(data)


def _safe(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_")[:20] or "doc"
