"""The transport interface: bytes and a file name in, a Receipt out; inbox listing and fetch.

Every transport implements :class:`Transport`. Settings come from the ``[transport]`` table
of a partner file and are checked by each transport's ``Settings.from_mapping``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Callable, Iterable, Protocol

# What we accept as a file name anywhere: no separators, no leading dot, no control characters.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Names read from a disk or a server that are not UTF-8 arrive with their bytes as
# surrogate escapes (U+DC80-U+DCFF): the store, the log and an operator need text.
_NOT_UTF8 = re.compile(r"[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _always() -> bool:
    return True


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """One document to deliver.

    ``attempt`` numbers the sender's attempts at this document (each a claim of its own):
    transports that write under a temporary name put it in that name, so two attempts never
    write into the same file. ``may_publish`` is asked just before the document becomes
    visible to the partner; False withdraws it (the sender no longer owns the delivery, and
    another may have made it): the transport then publishes nothing and raises WithdrawnError.
    """

    filename: str
    payload: bytes
    content_type: str = "application/octet-stream"
    attempt: int = 1
    may_publish: Callable[[], bool] = field(default=_always, compare=False, repr=False)

    def temp_name(self, name: str) -> str:
        """The temporary name of this attempt at ``name``: hidden, and ending in '.part'."""
        return f".{name}.{self.attempt}.part"


def earlier_attempts(file: OutboundFile, name: str, listing: Iterable[str]) -> list[str]:
    """The temporary files that earlier attempts at ``name`` left in ``listing``.

    An attempt killed after writing its temporary file, or after publishing it but before
    removing it, leaves ``.<name>.<k>.part`` behind; the next attempt removes every such
    file of a lower number. A later attempt's file is never touched: it may be live.
    """
    prefix, found = f".{name}.", []
    for entry in listing:
        if entry.startswith(prefix) and entry.endswith(".part"):
            number = entry[len(prefix):-len(".part")]
            if number.isdigit() and int(number) < file.attempt:
                found.append(entry)
    return found


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of delivery from a transport."""

    transport: str
    remote_name: str
    delivered_at: datetime
    already_present: bool = False   # the same bytes were found there: an earlier send landed
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One file waiting in a partner's inbox."""

    name: str
    size: int
    mtime: float


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file in a partner's inbox that is left alone, and why: for an operator to act on."""

    name: str       # printable: control characters and bytes that are not UTF-8 as escapes
    reason: str


class Inbox(list):
    """What ``list_inbox`` returns: the :class:`RemoteFile` objects ready to fetch, oldest
    first, and in ``skipped`` the files whose names cannot be used (see check_remote_name)."""

    def __init__(self, ready: Iterable[RemoteFile] = (), skipped: Iterable[SkippedFile] = ()):
        super().__init__(ready)
        self.skipped: list[SkippedFile] = list(skipped)


class Transport(Protocol):
    """Moves bytes to and from one partner."""

    name: str

    def send(self, file: OutboundFile) -> Receipt:
        """Deliver one file; raise TransientTransportError or PermanentTransportError."""

    def list_inbox(self) -> Inbox:
        """Files ready to be fetched (complete, matching the inbox filter), and those skipped."""

    def fetch(self, name: str, sink: BinaryIO) -> int:
        """Stream one inbox file into ``sink``; return the number of bytes."""

    def done(self, name: str) -> None:
        """Archive or delete an inbox file once it is safely stored."""

    def close(self) -> None:
        """Release connections."""


def check_filename(name: str) -> str:
    """Return ``name`` if it is a plain, safe file name; raise ValueError otherwise."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"unsafe file name {name!r}")
    return name


def check_remote_name(name: str) -> str:
    """Return a partner's file name if it is one path component; raise ValueError otherwise.

    Partners name their files as they like (spaces, brackets, accents): such names are only
    used to address the file on their side and kept as data, never as a local path. What is
    refused is what could reach outside the folder ('/', '\\', '.', '..') and what cannot be
    kept as text or shown safely: control characters, bytes that are not UTF-8.
    """
    problem = remote_name_problem(name)
    if problem:
        raise ValueError(f"unsafe file name {printable(name)!r}: {problem}")
    return name


def remote_name_problem(name: str) -> str:
    """Why a partner's file name cannot be used (see check_remote_name), or "" when it can."""
    if not name or name in (".", ".."):
        return "it names no file"
    if "/" in name or "\\" in name:
        return "it holds '/' or '\\', which could reach outside the folder"
    if _NOT_UTF8.search(name):
        return "it is not UTF-8 text"
    if _CONTROL.search(name):
        return "it holds control characters (a line break, a tab, ...)"
    if len(name) > 255:
        return "it is longer than 255 characters"
    return ""


def printable(name: str) -> str:
    """A file name fit for a log line or an Incident: control characters as escapes, and bytes
    that are not UTF-8 (held as surrogate escapes) as ``\\xNN``."""
    return _UNPRINTABLE.sub(_escape, name)


def _escape(m: re.Match) -> str:
    code = ord(m[0])
    if 0xDC80 <= code <= 0xDCFF:        # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return m[0].encode("unicode_escape").decode("ascii")


def our_name(name: str) -> str:
    """A name we give a document (letters, digits, '.', '_', '-'), or a PermanentTransportError."""
    from transports.errors import PermanentTransportError
    try:
        return check_filename(name)
    except ValueError as exc:
        raise PermanentTransportError(f"{name!r} is not a safe file name: use letters, digits, "
                                      "'.', '_' and '-'") from exc
