"""Tell what a received document is from its first bytes: X12, XML, or neither.

Byte order marks and leading white space are skipped. XML is recognised in the encodings an
XML parser detects on its own (UTF-8, UTF-16 and UTF-32, with or without a byte order mark),
so a supplier's UTF-16 answer is not mistaken for a broken X12 file.
"""

from __future__ import annotations

_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")
# "<" (optionally after white space) in UTF-16/32 without a byte order mark.
_WIDE_LT = (b"\x00\x00\x00<", b"<\x00\x00\x00", b"\x00<", b"<\x00")
_SPACE = b" \t\r\n"


def sniff(head: bytes) -> str:
    """``"x12"``, ``"xml"`` or ``"unknown"`` for a document starting with ``head``."""
    bom = next((b for b in _BOMS if head.startswith(b)), b"")
    body = head[len(bom):]
    if bom in (b"", b"\xef\xbb\xbf"):
        text = body.lstrip(_SPACE)
        if text.startswith(b"<"):
            return "xml"
        if text.startswith(b"ISA"):
            return "x12"
        if not bom and body.startswith(_WIDE_LT):
            return "xml"
        return "unknown"
    # A wide encoding: drop the zero bytes of ASCII characters to look at the text.
    text = body.replace(b"\x00", b"").lstrip(_SPACE)
    return "xml" if text.startswith(b"<") else "unknown"
