"""A local folder as transport: for the demo, for tests, and for partners reached by a share."""

from __future__ import annotations

import errno
import fnmatch
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from transports.base import (Inbox, OutboundFile, Receipt, RemoteFile, SkippedFile,
                             check_remote_name, earlier_attempts, our_name, printable,
                             remote_name_problem)
from transports.errors import (PermanentTransportError, TransientTransportError,
                               TransportConfigError, WithdrawnError)

_PARTIAL_SUFFIXES = (".part", ".tmp", ".filepart")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FolderSettings:
    """Where files go and come from; relative paths are resolved against the instance home."""

    outbox: Path                 # we deliver here
    inbox: Path | None = None    # the partner's answers appear here
    archive: Path | None = None  # fetched inbox files move here; None: they are deleted
    pattern: str = "*"
    settle_seconds: float = 0.0  # skip inbox files modified more recently than this

    @classmethod
    def from_mapping(cls, m: dict, base: Path) -> FolderSettings:
        """Build settings from a partner file's [transport] table."""
        unknown = set(m) - {"type", "path", "inbox", "archive", "pattern", "settle_seconds"}
        if unknown:
            raise TransportConfigError(sorted(unknown)[0], "unknown setting for a folder transport")
        if not isinstance(m.get("path"), str) or not m["path"]:
            raise TransportConfigError("path", "required: the folder we deliver documents to")

        def where(key: str) -> Path | None:
            value = m.get(key)
            if value is None:
                return None
            if not isinstance(value, str) or not value:
                raise TransportConfigError(key, "must be a folder path")
            return (base / value).resolve()

        settle = m.get("settle_seconds", 0)
        if not isinstance(settle, (int, float)) or settle < 0:
            raise TransportConfigError("settle_seconds", "must be a number of seconds, 0 or more")
        return cls(outbox=where("path"), inbox=where("inbox"), archive=where("archive"),
                   pattern=str(m.get("pattern", "*")), settle_seconds=float(settle))


class FolderTransport:
    """Delivers by writing a temporary name, then linking it to its name: a reader never sees
    half a file, and a file already published is never replaced."""

    name = "folder"

    def __init__(self, settings: FolderSettings):
        self.settings = settings

    def send(self, file: OutboundFile) -> Receipt:
        """Write the file under this attempt's temporary name, fsync, then give it its name
        without ever replacing a file there; recognise an earlier delivery."""
        name = our_name(file.filename)
        outbox = self.settings.outbox
        try:
            outbox.mkdir(parents=True, exist_ok=True)
            final = outbox / name
            if file.attempt > 1:
                # An earlier attempt may have died mid-write, or between publishing and
                # removing its temporary file: its leftover goes, whatever happens next.
                for leftover in earlier_attempts(file, name, os.listdir(outbox)):
                    (outbox / leftover).unlink(missing_ok=True)
            if final.exists():
                return self._already_there(final, file.payload)
            temp = outbox / file.temp_name(name)
            try:
                with open(temp, "wb") as fh:
                    fh.write(file.payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                if not file.may_publish():
                    raise WithdrawnError(f"{final}: withdrawn before publishing; nothing was "
                                         "published")
                if not _publish(temp, final):
                    return self._already_there(final, file.payload)   # another attempt won
            finally:
                temp.unlink(missing_ok=True)
        except PermissionError as exc:
            raise PermanentTransportError(f"cannot write to {outbox}: {exc.strerror}") from exc
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            # A file stands where the settings put a folder, or a folder holds our file's name:
            # retrying cannot help until someone fixes the folder or the path setting.
            raise PermanentTransportError(
                f"cannot write to {outbox}: {exc.strerror} ({exc.filename}); check the path "
                "setting and what is on disk there") from exc
        except OSError as exc:
            # Disk full, an I/O error, a share that went away: these may clear by themselves.
            raise TransientTransportError(f"cannot write to {outbox}: {exc.strerror}") from exc
        return self._receipt(final)

    def probe(self) -> list[str]:
        """Check the folders exist and can be used: the outbox writable, the inbox readable."""
        found = []
        for label, folder, mode in (("path", self.settings.outbox, os.W_OK),
                                    ("inbox", self.settings.inbox, os.R_OK)):
            if folder is None:
                continue
            if not folder.is_dir():
                raise PermanentTransportError(f"{label} {folder} is not a folder (or does not exist)")
            if not os.access(folder, mode | os.X_OK):
                raise PermanentTransportError(f"{label} {folder}: permission denied for this process")
            count = sum(1 for p in folder.iterdir() if p.is_file())
            found.append(f"{label} {folder}: {'writable' if mode == os.W_OK else 'readable'}, "
                         f"{count} file(s) in it")
        return found

    def _already_there(self, final: Path, payload: bytes) -> Receipt:
        """A file holds our document's name: an earlier delivery of it, or someone else's."""
        if final.read_bytes() == payload:
            return self._receipt(final, already_present=True)
        raise PermanentTransportError(
            f"{final} already exists with different content: an earlier document used "
            "this name; move it away before retrying")

    def _receipt(self, final: Path, already_present: bool = False) -> Receipt:
        return Receipt(self.name, final.name, datetime.now(timezone.utc), already_present,
                       {"folder": str(final.parent)})

    def list_inbox(self) -> Inbox:
        """Complete files in the inbox matching the pattern, oldest first; names that cannot
        be used are skipped and listed in ``skipped``."""
        inbox = self.settings.inbox
        if inbox is None:
            return Inbox()
        if not inbox.is_dir():   # a wrong path must not look like an empty inbox
            raise PermanentTransportError(f"the inbox folder {inbox} does not exist (or is not a "
                                          "folder): check the inbox setting and the share")
        with _as_transport_errors(f"cannot read the inbox {inbox}"):
            return self._ready(inbox)

    def _ready(self, inbox: Path) -> Inbox:
        now = time.time()
        found, skipped = [], []
        for entry in os.scandir(inbox):
            if not entry.is_file(follow_symlinks=False) or entry.name.startswith("."):
                continue
            if entry.name.endswith(_PARTIAL_SUFFIXES):
                continue
            if not fnmatch.fnmatch(entry.name, self.settings.pattern):
                continue
            problem = remote_name_problem(entry.name)
            if problem:  # fetching it would fail at every poll: leave it for an operator
                skipped.append(SkippedFile(printable(entry.name), problem))
                continue
            st = entry.stat(follow_symlinks=False)
            if now - st.st_mtime < self.settings.settle_seconds:
                continue  # still being written, most likely
            found.append(RemoteFile(entry.name, st.st_size, st.st_mtime))
        return Inbox(sorted(found, key=lambda f: (f.mtime, f.name)), skipped)

    def fetch(self, name: str, sink: BinaryIO) -> int:
        """Copy one inbox file into ``sink`` in chunks."""
        path = self._inbox_path(name)
        size = 0
        with _as_transport_errors(f"cannot read {path}"), open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                sink.write(chunk)
                size += len(chunk)
        return size

    def done(self, name: str) -> None:
        """Move a fetched file to the archive folder, or delete it when there is none."""
        path = self._inbox_path(name)
        if self.settings.archive is None:
            path.unlink(missing_ok=True)    # already gone: an earlier done() landed
            return
        try:
            self.settings.archive.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), _free_name(self.settings.archive, path.name))
        except FileNotFoundError:
            # Gone from the inbox: an earlier done() landed before its caller saw it succeed.
            # Anything else missing (the archive folder vanished meanwhile) is still an error.
            if os.path.lexists(path):
                raise TransientTransportError(f"cannot move {path} to {self.settings.archive}") from None
        except PermissionError as exc:
            raise PermanentTransportError(f"cannot move {path} to the archive folder: "
                                          f"{exc.strerror}") from exc
        except OSError as exc:
            raise TransientTransportError(f"cannot move {path} to the archive folder: "
                                          f"{exc.strerror}") from exc

    def _inbox_path(self, name: str) -> Path:
        if self.settings.inbox is None:
            raise PermanentTransportError("this folder transport has no inbox configured")
        return self.settings.inbox / _checked(name)

    def close(self) -> None:
        """Nothing to release."""


def _checked(name: str) -> str:
    """A partner's file name if it stays inside the inbox, else a PermanentTransportError."""
    try:
        return check_remote_name(name)
    except ValueError as exc:
        raise PermanentTransportError(f"{printable(name)!r} is not a safe file name: "
                                      f"{remote_name_problem(name)}") from exc


@contextmanager
def _as_transport_errors(what: str):
    """OS errors of inbox work as transport errors: permission is permanent, the rest transient."""
    try:
        yield
    except PermissionError as exc:
        raise PermanentTransportError(f"{what}: {exc.strerror}") from exc
    except FileNotFoundError as exc:
        raise TransientTransportError(f"{what}: it is gone (another reader took it?)") from exc
    except OSError as exc:
        raise TransientTransportError(f"{what}: {exc.strerror}") from exc


def _publish(temp: Path, final: Path) -> bool:
    """Give the file at ``temp`` the name ``final`` unless that name is taken (False then).

    A hard link is created only if the name is free, atomically: a document another writer
    published meanwhile is never replaced. Where the file system has no hard links (some
    shares), a check then a rename does the same, short of a writer creating the name
    between the two.
    """
    try:
        os.link(temp, final)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK,
                             errno.ENOSYS):
            raise
    if os.path.lexists(final):
        return False
    os.rename(temp, final)
    return True


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or with a time suffix when that name is taken (never overwrite)."""
    target = folder / name
    stamp = int(time.time() * 1000)
    n = 0
    while os.path.lexists(target):
        n += 1
        target = folder / (f"{name}.{stamp}" + (f"-{n}" if n > 1 else ""))
    return target
