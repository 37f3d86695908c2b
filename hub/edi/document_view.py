"""A stored document made readable for the console: annotated X12, indented XML, or a preview.

:func:`describe_document` tells what the bytes are (:func:`hub.edi.sniff.sniff`) and hands them
to :func:`hub.edi.x12.annotated.annotate_x12`, to :func:`pretty_xml`, or to :func:`preview_text`.
None of them raises on bad input. XML is parsed only with the hub's safe parser
(:mod:`hub.edi.xml.safe`: no entities expanded, no DTD or network access); a document it refuses
is shown as raw text with the reason. Text meant for display has its control and formatting
characters (bidirectional overrides included) replaced by U+FFFD, so what an operator sees is what
is there; X12 values are returned as read. Everything is plain data for an autoescaping template.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from lxml import etree

from hub.edi.x12.annotated import MAX_SEGMENTS, AnnotatedX12, annotate_x12
from hub.edi.sniff import sniff
from hub.edi.xml.safe import parse_bytes
from hub.errors import DocumentError

MAX_XML_BYTES = 5 * 1024 * 1024     # larger XML is previewed, not parsed
PREVIEW_BYTES = 64 * 1024           # raw text shown for what is not parsed
HEX_BYTES = 512                     # bytes shown as a hex dump
SNIFF_BYTES = 1024

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_DECLARED = re.compile(rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


@dataclass(slots=True)
class PrettyXml:
    """An XML document indented for reading, or, when it cannot be parsed, its raw text and why."""

    ok: bool            # True when parsed; False when malformed, refused as unsafe, or too large
    text: str           # the indented document, or the raw text (at most PREVIEW_BYTES of it)
    encoding: str       # "UTF-8", "UTF-16"...: as parsed, or as used to decode the raw text
    root: str           # the root element as written ("cXML", "ns0:Order"); "" when not parsed
    error: str = ""     # why it was not parsed, in words; "" when ok
    truncated: str = ""  # "" when the whole text is shown, else a note


@dataclass(slots=True)
class TextPreview:
    """The start of a document that is neither X12 nor XML, as text and as hex."""

    size: int           # bytes in the document
    text: str           # the first PREVIEW_BYTES decoded, non-printable characters as U+FFFD
    hex: list[str] = field(default_factory=list)   # "00000000  49 53 41 ...  |ISA...|"
    truncated: str = ""  # "" when the whole document is shown, else a note


@dataclass(slots=True)
class DocumentView:
    """What a document is and its readable form: exactly one of x12, xml, preview is set."""

    kind: str                       # "x12", "xml" or "other"
    x12: AnnotatedX12 | None = None
    xml: PrettyXml | None = None
    preview: TextPreview | None = None


def describe_document(data: bytes, max_segments: int = MAX_SEGMENTS) -> DocumentView:
    """Sniff a stored document and return its annotated, indented or previewed form (X12
    annotated up to ``max_segments`` segments)."""
    data = bytes(data)
    kind = sniff(data[:SNIFF_BYTES])
    if kind == "x12":
        return DocumentView("x12", x12=annotate_x12(data, max_segments=max_segments))
    if kind == "xml":
        return DocumentView("xml", xml=pretty_xml(data))
    return DocumentView("other", preview=preview_text(data))


def pretty_xml(data: bytes) -> PrettyXml:
    """Indent an XML document parsed safely; on failure the raw text and the reason. Never raises."""
    data = bytes(data)
    if len(data) > MAX_XML_BYTES:
        return _raw(data, f"the document is {len(data):,} bytes, more than the "
                          f"{MAX_XML_BYTES:,} the viewer parses; the start is shown as text")
    try:
        root = parse_bytes(data, remove_blank_text=True)
        tree = root.getroottree()
        text = etree.tostring(tree, encoding="unicode", pretty_print=True)
    except DocumentError as exc:
        return _raw(data, str(exc))
    except (etree.LxmlError, ValueError) as exc:    # lxml's own refusals (limits, encodings)
        return _raw(data, f"the XML could not be read: {exc}")
    name = etree.QName(root).localname
    written = f"{root.prefix}:{name}" if root.prefix else name
    return PrettyXml(True, _printable(text), tree.docinfo.encoding or "UTF-8", written)


def preview_text(data: bytes) -> TextPreview:
    """The first bytes of any document as printable text and a hex dump."""
    data = bytes(data)
    text, _ = _decode(data[:PREVIEW_BYTES])
    truncated = _cut_note(len(data)) if len(data) > PREVIEW_BYTES else ""
    return TextPreview(len(data), _printable(text), _hex_lines(data[:HEX_BYTES]), truncated)


def _raw(data: bytes, error: str) -> PrettyXml:
    """The raw text of a document that was not parsed, with the reason."""
    text, encoding = _decode(data[:PREVIEW_BYTES])
    truncated = _cut_note(len(data)) if len(data) > PREVIEW_BYTES else ""
    return PrettyXml(False, _printable(text), encoding, "", error, truncated)


def _cut_note(size: int) -> str:
    return (f"truncated: showing the first {PREVIEW_BYTES:,} of {size:,} bytes; the raw download "
            f"holds the whole document")


def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: byte order mark, UTF-16 without one, the declaration, else UTF-8.

    Bytes that do not decode become U+FFFD; nothing here raises.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace"), codec.upper()
    if data[:2] in (b"<\x00", b"\x00<"):
        codec = "utf-16-le" if data[:1] == b"<" else "utf-16-be"
        return data.decode(codec, "replace"), codec.upper()
    declared = _DECLARED.match(data.lstrip())
    codec = "utf-8"
    if declared:
        try:
            codec = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            pass
    try:
        return data.decode(codec, "replace"), codec.upper()
    except (LookupError, ValueError):   # a codec that cannot decode bytes at all
        return data.decode("utf-8", "replace"), "UTF-8"


def _printable(text: str) -> str:
    """Text with line breaks, tabs and spaces kept and every other non-printable character as U+FFFD."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line if line.isprintable() else "".join(map(_shown, line)) for line in lines)


def _shown(char: str) -> str:
    # No-break and other spaces (category Zs) are harmless; controls and format characters
    # such as bidirectional overrides could hide or reorder what the operator reads.
    if char.isprintable() or char == "\t" or unicodedata.category(char) == "Zs":
        return char
    return "\ufffd"


def _hex_lines(data: bytes) -> list[str]:
    """A classic hex dump, 16 bytes a line, printable ASCII on the right."""
    lines = []
    for at in range(0, len(data), 16):
        chunk = data[at:at + 16]
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:08x}  {chunk.hex(' '):<47}  |{ascii_}|")
    return lines
