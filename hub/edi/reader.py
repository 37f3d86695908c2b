"""Streaming X12 tokenizer: bytes in, segments out, with the delimiters of each ISA.

The reader never holds more than one chunk (16 KiB by default) plus one unfinished
segment. Each interchange is split with the delimiters its own ISA declares, found by
counting the 16 element separators of the ISA rather than by fixed offsets, so unpadded,
wrapped and NBSP-padded headers are read too. Problems in the bytes (garbage outside an
interchange, empty segments, a missing terminator...) never raise: they travel with the
segments as :class:`X12Error` records for the envelope checks to file.

Speed matters (a 10 MB file must split in a fraction of a second), so a chunk is decoded
once, split with ``str.split`` and turned into segments by C-level ``map``/``zip`` calls;
Python code runs per chunk and per envelope segment, never per ordinary segment.
"""

from __future__ import annotations

import codecs
import io
import re
from itertools import chain, compress, count, repeat
from operator import itemgetter
from typing import BinaryIO, Iterator, NamedTuple

from hub.errors import HubError

CHUNK_SIZE = 16 * 1024          # measured: the objects of a 16 KiB chunk stay in the CPU cache
MAX_SEGMENT_BYTES = 1 << 20     # no real segment is this long: the delimiters must be wrong
ISA_WINDOW = 1024               # any ISA, however padded or wrapped, ends within this
ENVELOPE_IDS = dict.fromkeys(("ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"), True)
WS = " \t\r\n"                  # cosmetic white space around segments
WS_BYTES = WS.encode()
BOM = b"\xef\xbb\xbf"
SKIPPABLE = b" \t\r\n\x00\x1a"  # blank space, NUL padding and DOS end-of-file between interchanges
ALNUM = re.compile(rb"[A-Za-z0-9]")


def _latin1_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decode one byte that is not UTF-8 as Latin-1, so reading never stops on bad bytes."""
    return exc.object[exc.start:exc.start + 1].decode("latin-1"), exc.start + 1


codecs.register_error("edihub.latin1", _latin1_fallback)


class X12Error(HubError):
    """A problem found in an X12 file: a stable ``code``, an operator's message and where it is."""

    incident_code = "x12.invalid"

    def __init__(self, code: str, message: str, segment_position: int | None = None,
                 segment_id: str = "", interchange_control: str = "", group_control: str = "",
                 set_control: str = "", *, severity: str = "error", offset: int | None = None):
        super().__init__(message)
        self.code, self.message, self.severity = code, message, severity
        self.segment_position, self.segment_id, self.offset = segment_position, segment_id, offset
        self.interchange_control, self.group_control = interchange_control, group_control
        self.set_control = set_control

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning (the data can still be used)."""
        return self.severity == "error"

    def __repr__(self) -> str:
        return f"X12Error({self.code!r}, {self.severity}, segment {self.segment_position})"


class Delimiters(NamedTuple):
    """The separators of one interchange, as declared by its ISA."""

    element: str
    sub_element: str | None     # ISA16; None when the ISA lacks it
    repetition: str | None      # ISA11 when it is a separator (00402 and later), else None
    terminator: str             # "\n" when line breaks end the segments
    line_break: str = ""        # "\n" or "\r\n" after each terminator (or serving as one)

    def describe(self) -> str:
        """The delimiters spelled out so that invisible characters can be seen."""
        if self.terminator == "\n":
            term = f"line break ({visible(self.line_break or self.terminator)})"
        else:
            after = f" + {visible(self.line_break)}" if self.line_break else ""
            term = visible(self.terminator) + after
        return (f"element {visible(self.element)} sub-element {visible(self.sub_element)} "
                f"repetition {visible(self.repetition)} terminator {term}")


def visible(char: str | None) -> str:
    """A delimiter written so an operator can see it: '*', LF, CR LF, SPACE, '…' (U+2026)."""
    if char is None:
        return "none"
    names = {"\n": "LF", "\r": "CR", "\r\n": "CR LF", " ": "SPACE", "\t": "TAB"}
    if char in names:
        return names[char]
    if len(char) == 1 and not char.isprintable():
        return f"U+{ord(char):04X}"
    return f"'{char}'" + (f" (U+{ord(char):04X})" if len(char) == 1 and ord(char) > 127 else "")


class Interchange:
    """One ISA..IEA interchange: its header, delimiters, and what the envelope checks found."""

    __slots__ = ("index", "isa", "delimiters", "isa_length", "wrapped", "encoding", "term_bytes",
                 "groups", "ungrouped", "errors", "iea", "ta1_count", "suppressed")

    def __init__(self, index: int, delimiters: Delimiters, isa_length: int, wrapped: bool,
                 encoding: str, term_bytes: bytes):
        self.index, self.delimiters, self.isa_length = index, delimiters, isa_length
        self.wrapped, self.encoding, self.term_bytes = wrapped, encoding, term_bytes
        self.isa: Segment | None = None
        self.groups: list = []                  # envelope.Group, filled by the envelope checks
        self.ungrouped: list = []               # envelope.Transaction outside any GS..GE
        self.errors: list[X12Error] = []
        self.iea: Segment | None = None
        self.ta1_count = self.suppressed = 0

    def _field(self, n: int) -> str:
        return self.isa.element(n).strip() if self.isa is not None else ""

    sender_qualifier = property(lambda self: self._field(5), doc="ISA05")
    sender_id = property(lambda self: self._field(6), doc="ISA06, padding removed")
    receiver_qualifier = property(lambda self: self._field(7), doc="ISA07")
    receiver_id = property(lambda self: self._field(8), doc="ISA08, padding removed")
    date = property(lambda self: self._field(9), doc="ISA09 YYMMDD")
    time = property(lambda self: self._field(10), doc="ISA10 HHMM")
    version = property(lambda self: self._field(12), doc="ISA12")
    control = property(lambda self: self._field(13), doc="ISA13 interchange control number")
    ack_requested = property(lambda self: self._field(14), doc="ISA14")
    usage = property(lambda self: self._field(15), doc="ISA15: T test, P production, I information")

    def __repr__(self) -> str:
        return f"Interchange({self.index}, ISA13={self.control!r})"


class Span:
    """The raw bytes a run of segments came from; byte offsets are worked out only when asked."""

    __slots__ = ("interchange", "body", "base", "first", "stripped", "_offsets", "_ends")

    def __init__(self, interchange: Interchange, body: bytes, base: int, first: int,
                 offsets: list[int] | None = None):
        self.interchange, self.body, self.base, self.first = interchange, body, base, first
        self.stripped = True        # False when the text had no white space to strip
        self._offsets, self._ends = offsets, offsets

    def offset_of(self, number: int) -> int:
        """Byte offset in the file of the first character of segment ``number``."""
        if self._offsets is None:
            self._locate()
        return self._offsets[number - self.first]

    def end_of(self, number: int) -> int:
        """Byte offset just after the terminator of segment ``number``."""
        if self._ends is None:
            self._locate()
        return self._ends[number - self.first]

    def _locate(self) -> None:
        # Redo the split on bytes; it keeps exactly the segments the fast path kept.
        term, blank = self.interchange.term_bytes, WS_BYTES if self.stripped else b""
        offsets, ends, pos = [], [], self.base
        for part in self.body.split(term):
            if part.strip(blank):
                offsets.append(pos + len(part) - len(part.lstrip(blank)))
                ends.append(min(pos + len(part) + len(term), self.base + len(self.body)))
            pos += len(part) + len(term)
        self._offsets, self._ends = offsets, ends


class Segment(tuple):
    """One segment: ``(id, fields, number, span)``; ``fields[n]`` is element n, fields[0] the id."""

    __slots__ = ()
    id = property(itemgetter(0), doc="segment id, e.g. 'PO1'")
    fields = property(itemgetter(1), doc="the id then every element, as read")
    number = property(itemgetter(2), doc="position in the file, 1-based")
    span = property(itemgetter(3), doc="where the bytes came from")

    @property
    def interchange(self) -> Interchange:
        """The interchange (ISA) this segment belongs to."""
        return self[3].interchange

    @property
    def offset(self) -> int:
        """Byte offset of the segment's first character in the file."""
        return self[3].offset_of(self[2])

    @property
    def elements(self) -> list[str]:
        """The elements without the id: ``elements[0]`` is element 01."""
        return self[1][1:]

    def element(self, n: int, default: str = "") -> str:
        """Element ``n`` (1-based, as in 'BEG03'), or ``default`` when the segment is shorter."""
        fields = self[1]
        return fields[n] if 0 < n < len(fields) else default

    def composite(self, n: int) -> list[str]:
        """Element ``n`` split on the sub-element separator (ISA16)."""
        sub = self[3].interchange.delimiters.sub_element
        value = self.element(n)
        return value.split(sub) if sub else [value]

    def repeats(self, n: int) -> list[str]:
        """Element ``n`` split on the repetition separator (ISA11, 00402 and later)."""
        rep = self[3].interchange.delimiters.repetition
        value = self.element(n)
        return value.split(rep) if rep else [value]

    def text(self) -> str:
        """The segment as written, without terminator."""
        return self[3].interchange.delimiters.element.join(self[1])

    def __repr__(self) -> str:
        return f"Segment({self[2]}, {'*'.join(self[1])[:60]!r})"


class Batch:
    """Consecutive segments of one interchange, kept as split fields until a caller wants them.

    ``fields[i]`` (id first) is segment number ``first + i``; ``marks`` indexes its envelope
    segments (ISA, GS, ST, SE, GE, IEA, TA1) and ``kinds`` holds their ids; ``problems`` are
    the reader's findings.
    Segment objects are built only when asked for, so the envelope checks alone never pay
    for them.
    """

    __slots__ = ("interchange", "fields", "first", "span", "marks", "kinds", "problems",
                 "_segments")

    def __init__(self, interchange: Interchange | None, fields: list[list[str]], first: int,
                 span: Span | None, marks: list[int], kinds: list[str], problems: list[X12Error]):
        self.interchange, self.fields, self.first = interchange, fields, first
        self.span, self.marks, self.kinds, self.problems = span, marks, kinds, problems
        self._segments: list[Segment] | None = None

    def __len__(self) -> int:
        return len(self.fields)

    def segment(self, i: int) -> Segment:
        """The ``i``-th segment of the batch."""
        if self._segments is not None:
            return self._segments[i]
        fields = self.fields[i]
        return Segment((fields[0], fields, self.first + i, self.span))

    def segments(self) -> list[Segment]:
        """All segments of the batch (built once)."""
        if self._segments is None:
            self._segments = list(self.iter_segments())
        return self._segments

    def iter_segments(self) -> Iterator[Segment]:
        """The segments one by one, built as they are taken."""
        if self._segments is not None:
            return iter(self._segments)
        return map(Segment, zip(map(itemgetter(0), self.fields), self.fields, count(self.first),
                                repeat(self.span)))


def read_segments(source: BinaryIO | bytes, chunk_size: int = CHUNK_SIZE) -> SegmentReader:
    """Iterate the segments of an X12 byte stream (or bytes), interchange after interchange."""
    return SegmentReader(source, chunk_size)


class SegmentReader:
    """Iterable over the segments of a stream; :meth:`batches` gives them a chunk at a time."""

    def __init__(self, source: BinaryIO | bytes, chunk_size: int = CHUNK_SIZE):
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(bytes(source))
        self._read = source.read
        self.chunk_size = max(int(chunk_size), 64)
        self._buf, self._pos, self._eof = b"", 0, False
        self._before = b""          # the byte just before the buffer
        self._number = 1            # number of the next segment
        self._index = 0             # interchanges started so far
        self._latin1_noted = 0      # last interchange warned about bytes that are not UTF-8
        self._empties = 0           # empty segments at the end of the last chunk, unreported
        self._clean_end = False     # the last interchange ended with its IEA
        self._isa_tried = False     # an ISA header was found, readable or not

    def __iter__(self) -> Iterator[Segment]:
        return chain.from_iterable(map(Batch.iter_segments, self.batches()))

    @property
    def segments_read(self) -> int:
        """How many segments have been produced so far."""
        return self._number - 1

    def batches(self) -> Iterator[Batch]:
        """Yield batches until the stream is exhausted; problems ride along in each batch."""
        while True:
            problems: list[X12Error] = []
            if not self._seek_isa(problems):
                if problems:
                    yield Batch(None, [], self._number, None, [], [], problems)
                return
            ic = self._parse_isa(problems)
            if ic is None:
                yield Batch(None, [], self._number, None, [], [], problems)
                continue
            isa = ic.isa
            yield Batch(ic, [isa[1]], isa[2], isa[3], [0], ["ISA"], problems)
            yield from self._body(ic)

    # -- buffer -----------------------------------------------------------------------------

    def _more(self) -> bool:
        """Append one chunk to the buffer; False at end of stream."""
        if self._eof:
            return False
        data = self._read(self.chunk_size)
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("the X12 reader needs a binary stream (open the file with 'rb')")
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _fill(self, size: int) -> None:
        """Read until the buffer holds ``size`` bytes or the stream ends."""
        while len(self._buf) < size and self._more():
            pass

    def _drop(self, n: int) -> None:
        """Forget the first ``n`` bytes of the buffer."""
        if n:
            self._before = self._buf[n - 1:n]
        self._buf = self._buf[n:]
        self._pos += n

    # -- finding and reading the ISA ------------------------------------------------------------

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
            if j < 0:       # keep two bytes: they may be the start of "ISA"
                j = max(k + 1, len(buf) - 2) if not self._eof else len(buf)
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

    # -- reading the segments of one interchange ------------------------------------------------

    def _body(self, ic: Interchange) -> Iterator[Batch]:
        """Yield batches until the IEA, a new ISA, the end of the stream or a dead end."""
        term, opening = ic.term_bytes, True
        while True:
            if len(self._buf) < self.chunk_size:
                self._more()
            # In the first chunk of an interchange, cut after a possible IEA: when a chunk
            # holds many small interchanges, each is then split once, not once per chunk.
            cut = _stop_hint(self._buf, term) if opening else self._buf.rfind(term)
            opening = False
            while cut < 0 and len(self._buf) <= MAX_SEGMENT_BYTES:
                seen = len(self._buf)
                if not self._more():
                    break
                cut = self._buf.rfind(term, max(0, seen - len(term)))
            final = cut < 0
            if final and not self._eof:
                yield Batch(ic, [], self._number, None, [], [], [X12Error(
                    "segment.too_long", f"no segment terminator "
                    f"{visible(ic.delimiters.terminator)} in {len(self._buf):,} bytes after byte "
                    f"{self._pos}: the file does not use the delimiters its ISA declares, or it is "
                    f"damaged; reading of interchange {ic.index} stopped here", self._number,
                    offset=self._pos)])
                return
            used = len(self._buf) if final else cut + len(term)
            if final and not self._buf[:used].strip(SKIPPABLE):
                self._drop(used)
                return
            batch, consumed, ended = self._build(ic, self._buf[:used], final)
            self._drop(consumed)
            if batch is not None:
                yield batch
            if ended or final:
                return

    def _build(self, ic: Interchange, body: bytes, final: bool) -> tuple[Batch | None, int, bool]:
        """Turn a run of whole segments into a batch; stop after an IEA or before a new ISA."""
        d, problems, first = ic.delimiters, [], self._number
        span = Span(ic, body, self._pos, first)
        text = self._decode(body, ic, problems)
        fields, marks, unterminated, span.stripped, self._empties = _tokenize(
            text, d, first, problems, self._empties)
        consumed, ended = len(body), final
        kinds = [fields[m][0] for m in marks]
        if "IEA" in kinds or "ISA" in kinds:
            m = min(kinds.index(k) for k in ("IEA", "ISA") if k in kinds)
            at_iea = kinds[m] == "IEA"
            keep = marks[m] + at_iea
            # The rest is read again: after an IEA from its terminator on, looking for the
            # next ISA; a new ISA with its own delimiters.
            stop = first + keep
            consumed = (span.end_of(stop - 1) if at_iea else span.offset_of(stop)) - self._pos
            unterminated = unterminated and keep == len(fields)
            del fields[keep:], marks[m + at_iea:], kinds[m + at_iea:]
            cut = self._pos + consumed
            problems = [p for p in problems if _before_cut(p, stop, cut, at_iea)]
            ended, self._clean_end = True, at_iea
        self._number += len(fields)
        if unterminated and d.terminator != "\n":
            last = self._number - 1
            problems.append(X12Error(
                "segment.unterminated", f"the last segment ({fields[-1][0]}, segment {last}) has "
                f"no terminator {visible(d.terminator)}; it was read up to the end of the file",
                last, fields[-1][0], severity="warning"))
        if not fields and not problems:
            return None, consumed, ended
        return Batch(ic, fields, first, span, marks, kinds, problems), consumed, ended

    def _decode(self, body: bytes, ic: Interchange, problems: list[X12Error]) -> str:
        """Bytes to text: UTF-8, with any byte that is not UTF-8 read as Latin-1."""
        if ic.encoding != "utf-8":
            return body.decode(ic.encoding)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self._latin1_noted != ic.index:
                self._latin1_noted = ic.index
                problems.append(X12Error(
                    "data.encoding", f"bytes that are not UTF-8 (the first at byte "
                    f"{self._pos + exc.start}) were read as Latin-1 characters; check the text "
                    f"around there", offset=self._pos + exc.start, severity="warning"))
            return body.decode("utf-8", "edihub.latin1")


def _tokenize(text: str, d: Delimiters, first: int, problems: list[X12Error],
              empties: int) -> tuple[list[list[str]], list[int], bool, bool, int]:
    """Split text into segments' fields with C-level calls.

    ``empties`` counts empty segments at the end of the previous text, not yet reported.
    Returns the fields, the indexes of the envelope segments, whether the last segment
    lacked its terminator (at the end of the stream), whether white space was stripped, and
    the empty segments at the end of this text.
    """
    term = d.terminator
    pieces = text.split(term)
    tail = pieces.pop()
    unterminated = bool(tail.strip(WS))
    if unterminated:
        pieces.append(tail)
    # Leading white space (line breaks, indentation) is always stripped; the scans below
    # only skip the work when no segment of this text can start with a blank.
    stripped = term == "\n" or bool(d.line_break) or "\n" in text or "\r" in text \
        or "\t" in text or text[:1] == " " or term + " " in text
    if term == "\n":
        pieces = list(map(str.strip, pieces, repeat(WS)))
    elif stripped:
        pieces = list(map(str.lstrip, pieces, repeat(WS)))
        if "\n" in "".join(pieces):
            _note_line_breaks(pieces, d, first, problems)
    if empties or "" in pieces:
        pieces, empties = _drop_empty(pieces, term == "\n", first, problems, empties)
    fields = list(map(str.split, pieces, repeat(d.element)))
    marks = list(compress(count(), map(ENVELOPE_IDS.get, map(itemgetter(0), fields))))
    return fields, marks, unterminated and bool(fields), stripped, empties


def _note_line_breaks(pieces: list[str], d: Delimiters, first: int,
                      problems: list[X12Error]) -> None:
    """Warn about segments that run over a line break: a terminator is probably missing."""
    kept = 0
    for piece in pieces:
        if not piece:
            continue
        kept += 1
        if "\n" not in piece:
            continue
        line_end = piece[:piece.index("\n")].rstrip(" \t\r")
        seg_id = piece.split(d.element, 1)[0]
        other = line_end[-1:]
        hint = (f" (the line ends with {visible(other)} instead)"
                if other and not other.isalnum() and other != d.element else "")
        problems.append(X12Error(
            "segment.line_break", f"segment {first + kept - 1} ({seg_id}) runs over a line break: "
            f"the line does not end with the segment terminator {visible(d.terminator)}{hint}, so "
            f"the next line was read as part of {seg_id}; ask the supplier to fix the terminators",
            first + kept - 1, seg_id, severity="warning"))


def _drop_empty(pieces: list[str], newline: bool, first: int, problems: list[X12Error],
                run: int) -> tuple[list[str], int]:
    """Remove empty segments, one warning per run of them; return the run left at the end.

    A run that ends the text is reported with the next segment, wherever the text is cut.
    """
    kept: list[str] = []
    for piece in pieces:
        if piece:
            if run:
                _empty_warning(run, first + len(kept), newline, problems)
                run = 0
            kept.append(piece)
        else:
            run += 1
    return kept, run


def _empty_warning(run: int, before: int, newline: bool, problems: list[X12Error]) -> None:
    what = "blank line" if newline else "empty segment (two terminators in a row)"
    many = f"{run} times " if run > 1 else ""
    problems.append(X12Error(
        "segment.empty", f"{what} {many}before segment {before}; skipped", before,
        severity="warning"))


def _before_cut(problem: X12Error, stop: int, cut: int, at_iea: bool) -> bool:
    """True if a problem lies before the point where this interchange stops (kept), False if
    it lies in the text after it, which is read again from there."""
    if problem.segment_position is None:
        return problem.offset is None or problem.offset < cut
    if problem.segment_position < stop:
        return True
    # Empty segments just before a new ISA are this interchange's.
    return not at_iea and problem.segment_position == stop and problem.code == "segment.empty"


def _stop_hint(buf: bytes, term: bytes) -> int:
    """Index of the terminator to cut at: the one after the first 'IEA', else the last one."""
    j = buf.find(b"IEA")
    q = buf.find(term, j) if j >= 0 else -1
    return q if q >= 0 else buf.rfind(term)


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
    """Index of the next 'ISA' not preceded by a letter or digit, or -1."""
    j = buf.find(b"ISA", start)
    while j > 0 and buf[j - 1:j].isalnum():
        j = buf.find(b"ISA", j + 1)
    return j
