"""Tell what a received document is from its first bytes: X12, XML, or neither.

XML is recognised in every encoding an XML parser detects on its own (XML 1.0, appendix F:
UTF-8, UTF-16, UTF-32, with or without a byte-order mark, by the mark or by how '<' is
spelled), so a supplier's UTF-16 answer is never mistaken for a broken X12 file. X12 starts
with ISA once a byte-order mark and blank space are skipped.
"""

from __future__ import annotations

import codecs

# UTF-32's marks come first: FF FE 00 00 begins with UTF-16's FF FE.
_MARKS = ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
          (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"),
          (codecs.BOM_UTF16_LE, "utf-16-le"))
_UNMARKED = ((b"\0\0\0<", "utf-32-be"), (b"<\0\0\0", "utf-32-le"), (b"\0<", "utf-16-be"),
             (b"<\0", "utf-16-le"))


def sniff(head: bytes) -> str:
    """``"xml"``, ``"x12"`` or ``"unknown"`` for a document starting with ``head``."""
    encoding, start = "utf-8", 0
    for mark, codec in _MARKS:
        if head.startswith(mark):
            encoding, start = codec, len(mark)
            break
    else:
        for spelling, codec in _UNMARKED:
            if head.startswith(spelling):
                encoding = codec
                break
    text = head[start:].decode(encoding, "ignore").lstrip(" \t\r\n")   # a cut character is ignored
    if text.startswith("<"):
        return "xml"
    return "x12" if encoding == "utf-8" and text.startswith("ISA") else "unknown"
