"""The transport interface: bytes and a file name in, a Receipt out; inbox listing and fetch.

Every transport implements :class:`Transport`. Settings come from the ``[transport]`` table
of a partner file and are checked by each transport's ``Settings.from_mapping``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

# What we accept as a file name anywhere: no separators, no leading dot, no control characters.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """One document to deliver."""

    filename: str
    payload: bytes
    content_type: str = "application/octet-stream"


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


class Transport(Protocol):
    """Moves bytes to and from one partner."""

    name: str

    def send(self, file: OutboundFile) -> Receipt:
        """Deliver one file; raise TransientTransportError or PermanentTransportError."""

    def list_inbox(self) -> list[RemoteFile]:
        """Files ready to be fetched (complete, matching the inbox filter)."""

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
    refused is what could reach outside the folder: separators, '.', '..' and control characters.
    """
    if (not name or name in (".", "..") or len(name) > 255 or "/" in name or "\\" in name
            or any(ord(c) < 32 or ord(c) == 127 for c in name)):
        raise ValueError(f"unsafe file name {name!r}")
    return name


def our_name(name: str) -> str:
    """A name we give a document (letters, digits, '.', '_', '-'), or a PermanentTransportError."""
    from transports.errors import PermanentTransportError
    try:
        return check_filename(name)
    except ValueError as exc:
        raise PermanentTransportError(f"{name!r} is not a safe file name: use letters, digits, "
                                      "'.', '_' and '-'") from exc
