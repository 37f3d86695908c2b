"""Finding and reading ISA headers: where an interchange starts and which delimiters it declares.

The element separator is the character after 'ISA'; ISA16 is found by counting 16 element
separators rather than by fixed offsets, so unpadded, wrapped and NBSP-padded headers are read
too, and the segment terminator (with any line break after it) is what follows ISA16. Bytes
between interchanges (blank space, BOMs, garbage) are skipped and reported.

Importing this module registers the ``edihub.latin1`` decoding error handler, with which the
reader reads bytes that are not UTF-8.
"""

from __future__ import annotations

import codecs
import re

from hub.edi.x12.delimiters import WS_BYTES, Delimiters, visible
from hub.edi.x12.segments import Interchange, Segment, Span
from hub.edi.x12.errors import X12Error

ISA_WINDOW = 1024               # any ISA, however padded or wrapped, ends within this
BOM = b"\xef\xbb\xbf"
SKIPPABLE = b" \t\r\n\x00\x1a"  # blank space, NUL padding and DOS end-of-file between interchanges
ALNUM = re.compile(rb"[A-Za-z0-9]")
# Where an interchange may start: 'ISA' at the start of a word ('VISA*' is no header) and
# followed by a plausible element separator. Found by one C-level search through garbage;
# the literal 'ISA' comes first so the search skips from one 'ISA' to the next at memchr speed.
_ISA_START = re.compile(rb"ISA(?<![A-Za-z0-9]ISA)[^A-Za-z0-9 \t\r\n\x00\x1a]")


def _latin1_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decode one byte that is not UTF-8 as Latin-1, so reading never stops on bad bytes."""
    return exc.object[exc.start:exc.start + 1].decode("latin-1"), exc.start + 1


codecs.register_error("edihub.latin1", _latin1_fallback)


class IsaFinder:
    """The part of :class:`~hub.edi.x12.reader.SegmentReader` that skips to the next ISA and reads it.

    It works on the reader's buffer (``_buf``, ``_pos``, ``_eof``, ``_fill``, ``_more``,
    ``_drop``) and counts the interchanges and segments it starts.
    """

    def _seek_isa(self, problems: list[X12Error]) -> bool:
        """Skip blank space, BOMs and garbage up to the next ISA; False at the end of the stream."""
        garbage: list = []          # [offset, length, first bytes, holds letters or digits]
        while True:
            self._fill(8)
            buf = self._buf
            k = _skip_blank(buf)
            if k == len(buf):
                self._skip(k, garbage)
                if not self._more():
                    self._report_garbage(garbage, problems, at_end=True)
                    return False
                continue
            # 'ISA' counts only at the start of a word ('VISA*' in garbage is no header).
            word = k > 0 or not self._before.isalnum()
            if word and buf.startswith(b"ISA", k) and (len(buf) > k + 3 or self._eof):
                if len(buf) > k + 3 and _plausible_separator(buf[k + 3]):
                    self._skip(k, garbage)
                    self._report_garbage(garbage, problems, at_end=False)
                    return True
            elif len(buf) < k + 4 and not self._eof:
                self._more()
                continue
            if not garbage:
                self._fill(k + 40)
                buf = self._buf
                garbage[:] = [self._pos + k, -k, buf[k:k + 40], False]
            j = _next_isa(buf, k + 1)
            if j < 0:       # keep three bytes: they may be the start of "ISA" and its separator
                j = max(k + 1, len(buf) - 3) if not self._eof else len(buf)
            garbage[3] = garbage[3] or ALNUM.search(buf, k, j) is not None
            self._skip(j, garbage)
            if j == len(buf) or j + 4 > len(buf):
                self._more()

    def _skip(self, n: int, garbage: list) -> None:
        """Drop ``n`` bytes, counting them into the garbage being skipped, if any."""
        if garbage:
            garbage[1] += n
        self._drop(n)

    def _report_garbage(self, garbage: list, problems: list[X12Error], at_end: bool) -> None:
        """File the bytes that belong to no interchange as one problem."""
        if not garbage:
            return
        offset, length, head, wordy = garbage
        sample = head[:length].decode("utf-8", "edihub.latin1")
        sample = sample.replace("\r", " ").replace("\n", " ").strip()
        if not self._isa_tried and at_end:
            problems.append(X12Error(
                "isa.not_found",
                f"no ISA interchange header found: the file begins {sample!r} (byte {offset}); "
                f"it is not an X12 file or its first bytes are damaged; ask the supplier to resend",
                offset=offset))
        elif (at_end and self._clean_end) or not wordy:
            problems.append(X12Error(
                "segment.outside_envelope",
                f"{length} bytes at byte {offset} ({sample!r}) belong to no interchange and "
                f"were ignored", offset=offset, severity="warning"))
        else:
            problems.append(X12Error(
                "segment.outside_envelope",
                f"{length} bytes at byte {offset} ({sample!r}) belong to no readable interchange; "
                f"they were ignored: ask the supplier what they are", offset=offset))

    def _parse_isa(self, problems: list[X12Error]) -> Interchange | None:
        """Read the ISA at the start of the buffer, taking the delimiters from it."""
        self._fill(ISA_WINDOW)
        buf, offset, number = self._buf, self._pos, self._number
        self._isa_tried, self._clean_end = True, False
        found = _find_isa16(buf)
        if found is None:
            problems.append(X12Error(
                "isa.incomplete", f"the ISA header at byte {offset} does not have 16 elements "
                f"separated by {visible(_char(buf, 3))}: the interchange cannot be read; ask the "
                f"supplier to resend", number, "ISA", offset=offset))
            self._drop(3)
            return None
        sep, c16 = found
        frame = _terminator(buf, sep, c16, self._eof, problems, number, offset)
        if frame is None:
            self._drop(3)
            return None
        isa16, term, line_break, end = frame
        self._empties = 0
        raw = buf[:c16]
        wrapped = b"\n" in raw or b"\r" in raw
        if wrapped:
            # A line break inside a fixed-width header is a wrapping accident, not data.
            problems.append(X12Error(
                "isa.wrapped", f"the ISA header (segment {number}, byte {offset}) is broken across "
                f"lines; it was read as one segment, but ask the supplier to send it on one line",
                number, "ISA", offset=offset, severity="warning"))
            raw = raw.replace(b"\r", b"").replace(b"\n", b"")
        encoding = "utf-8" if _is_utf8(sep + (isa16 or b"") + term) else "latin-1"
        text = raw.decode(encoding, "edihub.latin1")
        fields = text.split(sep.decode(encoding))[:16]
        fields.append(isa16.decode(encoding) if isa16 else "")
        self._index += 1
        delimiters = _delimiters(fields, sep.decode(encoding), term.decode(encoding), line_break)
        ic = Interchange(self._index, delimiters, len(text) + len(fields[16]) + 1, wrapped,
                         encoding, term)
        ic.isa = Segment(("ISA", fields, number, Span(ic, b"", offset, number, [offset])))
        self._number += 1
        self._drop(end)
        return ic


def _delimiters(fields: list[str], sep: str, term: str, line_break: str) -> Delimiters:
    """Delimiters from the ISA fields; a separator that clashes with another is left out."""
    sub = fields[16]
    if not sub or sub.isalnum() or sub in (sep, term):
        sub = None      # missing, or unusable as a separator
    rep = fields[11]
    if len(rep) != 1 or rep.isalnum() or rep.isspace() or rep in (sep, term, sub):
        rep = None      # ISA11 is then the standards id "U", not a separator
    return Delimiters(sep, sub, rep, term, line_break)


def _terminator(buf: bytes, sep: bytes, c16: int, eof: bool, problems: list[X12Error],
                number: int, offset: int) -> tuple[bytes | None, bytes, str, int] | None:
    """ISA16, the segment terminator, the line break after it, and where the ISA ends."""
    if buf[c16:c16 + 1] in (b"\r", b"\n", b""):
        isa16, t = None, c16                # ISA16 absent: a line break follows the 16th separator
    else:
        isa16 = buf[c16:c16 + _char_len(buf, c16)]
        t = c16 + len(isa16)
    tb = buf[t:t + 1]
    if tb in (b"\r", b"\n"):
        crlf = buf[t:t + 2] == b"\r\n"
        end = t + (2 if crlf else 1)
        if tb == b"\r" and not crlf:
            return isa16, b"\r", "", end
        line_break = "\r\n" if crlf else "\n"
        if isa16 and _next_line_ends_with(buf, end, isa16, eof):
            # The ISA ends '*T*~' + line break and so does the next line: '~' is the
            # terminator and ISA16 is missing (a fixed-offset reader would take '~' for ISA16).
            return None, isa16, line_break, t
        return isa16, b"\n", line_break, end
    if tb in (b" ", b"\t"):
        rest = buf[t:t + 32].lstrip(b" \t")
        if rest[:1] in (b"\r", b"\n"):
            problems.append(X12Error(
                "isa.terminator", f"the ISA (segment {number}) ends with a space then a line "
                f"break; line breaks were read as the segment terminator and trailing spaces "
                f"ignored",
                number, "ISA", offset=offset, severity="warning"))
            crlf = rest[:2] == b"\r\n"
            end = t + len(buf[t:t + 32]) - len(rest) + 1 + crlf
            return isa16, b"\n", "\r\n" if crlf else "\n", end
    term = buf[t:t + _char_len(buf, t)]
    if not term or term.isalnum() or term == sep:
        shown = visible(term.decode("latin-1")) if term else "the end of the file"
        problems.append(X12Error(
            "isa.delimiters", f"the segment terminator after ISA16 (segment {number}, byte "
            f"{offset}) is {shown}, which cannot separate segments: the interchange cannot be "
            f"read; ask the supplier to resend", number, "ISA", offset=offset))
        return None
    nxt = buf[t + len(term):t + len(term) + 2]
    line_break = "\r\n" if nxt == b"\r\n" else "\n" if nxt[:1] == b"\n" else ""
    return isa16, term, line_break, t + len(term)


def _next_line_ends_with(buf: bytes, start: int, char: bytes, eof: bool) -> bool:
    """True if the line after ``start`` (the GS, usually) ends with ``char``."""
    j = buf.find(b"\n", start)
    if j < 0 and not eof:
        return False
    line = (buf[start:] if j < 0 else buf[start:j]).strip(WS_BYTES)
    return len(line) > len(char) and line.endswith(char)


def _find_isa16(buf: bytes) -> tuple[bytes, int] | None:
    """The element separator and the index of ISA16, found by counting 16 separators."""
    n = _char_len(buf, 3)
    sep, pos = buf[3:3 + n], 3
    for _ in range(15):
        pos = buf.find(sep, pos + n, ISA_WINDOW)
        if pos < 0:
            return None
    return sep, pos + n


def _char_len(buf: bytes, i: int) -> int:
    """Length in bytes of the character at ``i``: a UTF-8 sequence if valid, else one byte."""
    lead = buf[i] if i < len(buf) else 0
    n = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else \
        4 if 0xF0 <= lead <= 0xF4 else 1
    return n if n > 1 and _is_utf8(buf[i:i + n]) and len(buf[i:i + n]) == n else 1


def _char(buf: bytes, i: int) -> str:
    return buf[i:i + _char_len(buf, i)].decode("utf-8", "edihub.latin1")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plausible_separator(byte: int) -> bool:
    """An element separator is neither a letter, a digit nor blank space."""
    return not (48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122 or byte in SKIPPABLE)


def _skip_blank(buf: bytes) -> int:
    """Index of the first byte that is not blank space, NUL, DOS end-of-file or a BOM."""
    k = 0
    while True:
        k = len(buf) - len(buf[k:].lstrip(SKIPPABLE))
        if not buf.startswith(BOM, k):
            return k
        k += 3


def _next_isa(buf: bytes, start: int) -> int:
    """Index of the next 'ISA' that may start an interchange (see _ISA_START), or -1."""
    m = _ISA_START.search(buf, start)
    return m.start() if m else -1
