"""What the reader produces: :class:`Interchange`, :class:`Segment`, and :class:`Batch`.

A batch holds consecutive segments of one interchange as split fields and builds
:class:`Segment` objects only when asked; a :class:`Span` keeps the bytes they came from and
works out byte offsets only when asked.
"""

from __future__ import annotations

from itertools import count, repeat
from operator import itemgetter
from typing import Iterator

from hub.edi.x12.delimiters import WS_BYTES, Delimiters
from hub.edi.x12.errors import X12Error


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
