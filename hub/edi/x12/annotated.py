"""An X12 document annotated for people: every segment and element with its name and meaning.

:func:`annotate_x12` reads bytes with the hub's own reader (:mod:`hub.edi.x12.reader`), so the
viewer splits a document exactly as the receive path does, and looks every segment, element
and code up in :mod:`hub.edi.x12.glossary`. It never raises on bad input: what can be read is
shown and the reader's and envelope checks' findings are listed beside it. The result is plain
data (dataclasses of strings, numbers, lists and tuples) for a template to render with
autoescaping; values are returned exactly as read, never escaped or transformed.

Work is bounded: past ``max_bytes`` or ``max_segments`` reading stops and ``truncated`` says
how much is shown; the raw download has the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.edi.x12 import glossary
from hub.edi.x12.delimiters import Delimiters, visible
from hub.edi.x12.envelope import check_envelopes
from hub.edi.x12.reader import SKIPPABLE, Batch, Interchange, X12Error, read_segments

MAX_BYTES = 5 * 1024 * 1024
MAX_SEGMENTS = 50_000


@dataclass(slots=True)
class AnnotatedElement:
    """One element (or one component of a composite, or one repeat of a repeated element)."""

    position: str       # "BEG03"; a component "REF04-01"
    value: str          # exactly as read
    name: str           # "Purchase Order Number"; "" when unknown
    number: str         # data element number "324" (a composite "C040"); "" when unknown
    meaning: str        # what a code means ("Original"); "" when not a code or not known
    repeat: int = 0     # 1, 2... for the repeats of a repeated element; 0 when not repeated
    components: tuple[AnnotatedElement, ...] = ()   # of a composite, in order


@dataclass(slots=True)
class AnnotatedSegment:
    """One segment: where it is, what it is called, its raw text and its elements."""

    number: int         # position in the file, 1-based (the numbers problems refer to)
    id: str             # "BEG"
    name: str           # "Beginning Segment for Purchase Order"; "" when unknown
    text: str           # the segment as written, without its terminator
    elements: list[AnnotatedElement]


@dataclass(slots=True)
class DelimitersShown:
    """The delimiters one interchange declares, written so that invisible ones can be seen."""

    interchange: int    # 1-based interchange number in the file
    first_segment: int  # number of its ISA segment
    element: str        # "'*'"
    sub_element: str    # "'>'" or "none"
    repetition: str     # "'^'" or "none"
    terminator: str     # "'~'", "'~' + LF", "line break (LF)"
    description: str    # all four in one sentence


@dataclass(slots=True)
class Problem:
    """Something the reader or the envelope checks found, in an operator's words."""

    severity: str       # "error" or "warning"
    code: str           # stable code, e.g. "segment.unterminated"
    message: str
    segment: int | None  # segment number it concerns, None when it concerns no segment


@dataclass(slots=True)
class AnnotatedX12:
    """A whole X12 document annotated, with its delimiters, problems and any truncation."""

    size: int                                   # bytes in the document
    segments: list[AnnotatedSegment] = field(default_factory=list)
    delimiters: list[DelimitersShown] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    truncated: str = ""                         # "" when everything is shown, else a note


def annotate_x12(data: bytes, *, max_bytes: int = MAX_BYTES,
                 max_segments: int = MAX_SEGMENTS) -> AnnotatedX12:
    """Annotate an X12 byte stream segment by segment; never raises on bad input."""
    data = bytes(data)
    result = AnnotatedX12(size=len(data))
    walk = _Walk(result)
    found: list[X12Error] = []
    complete = True
    for batch in read_segments(data).batches():
        found += batch.problems
        complete = walk.add(batch, max_segments)
        read = batch.span.base + len(batch.span.body) if batch.span is not None else 0
        if complete and read > max_bytes and _more_after(data, read):
            complete = False
        if not complete:
            break
    if complete:
        # Everything was read: the envelope checks (counts, control numbers) can speak too.
        envelopes = check_envelopes(data)
        isas = [(ic.isa.offset, ic.isa.number) for ic in envelopes.interchanges]
        found = sorted(envelopes.all_errors(), key=lambda p: _where(p, isas))
    else:
        last = result.segments[-1].number if result.segments else 0
        found = [p for p in found if p.segment_position is None or p.segment_position <= last]
        result.truncated = (
            f"truncated: showing the first {len(result.segments):,} segments of "
            f"{len(data):,} bytes; problems are listed for the part shown only, and the raw "
            f"download holds the whole document")
    result.problems = [Problem(p.severity, p.code, p.message, p.segment_position) for p in found]
    return result


class _Walk:
    """Annotates batches in order, following the version each ISA and GS declares."""

    def __init__(self, result: AnnotatedX12):
        self.result = result
        self.interchange: Interchange | None = None
        self.version = "004010"
        self._known: dict[tuple[str, str], tuple[str, tuple[glossary.Position, ...]]] = {}

    def add(self, batch: Batch, limit: int) -> bool:
        """Annotate a batch's segments; False when the segment limit stopped it."""
        ic = batch.interchange
        if ic is None:
            return True
        if ic is not self.interchange:
            self.interchange = ic
            self.result.delimiters.append(_shown(ic, batch.first))
        segments = self.result.segments
        for number, fields in enumerate(batch.fields, start=batch.first):
            if len(segments) >= limit:
                return False
            self._follow(fields)
            segments.append(_segment(fields, number, ic.delimiters, self._lookup(fields[0])))
        return True

    def _lookup(self, seg_id: str) -> tuple[str, tuple[glossary.Position, ...]]:
        """The name and positions of a segment in the current version, looked up once."""
        key = (seg_id, self.version)
        if key not in self._known:
            self._known[key] = (glossary.segment_name(seg_id, self.version),
                                glossary.positions(seg_id, self.version))
        return self._known[key]

    def _follow(self, fields: list[str]) -> None:
        """Track the version: ISA12 for the interchange, GS08 inside a group."""
        seg_id = fields[0]
        if seg_id == "ISA" or seg_id == "GE":
            isa = self.interchange.isa
            self.version = isa.element(12) if isa is not None else "004010"
        elif seg_id == "GS" and len(fields) > 8:
            self.version = fields[8]


def _segment(fields: list[str], number: int, d: Delimiters,
             looked_up: tuple[str, tuple[glossary.Position, ...]]) -> AnnotatedSegment:
    """Annotate one segment from its split fields, its name and its known positions."""
    seg_id = fields[0]
    name, known = looked_up
    elements: list[AnnotatedElement] = []
    for pos, value in enumerate(fields[1:], start=1):
        label = f"{seg_id}{pos:02d}"
        if pos > len(known):
            elements.append(AnnotatedElement(label, value, "", "", ""))
        elif known[pos - 1].components:
            elements += _composite(label, value, known[pos - 1], d)
        else:
            elements.append(_simple(label, value, known[pos - 1]))
    return AnnotatedSegment(number, seg_id, name, d.element.join(fields), elements)


def _simple(label: str, value: str, known: glossary.Position) -> AnnotatedElement:
    """A simple element with its name and, for a code, its meaning."""
    return AnnotatedElement(label, value, known.name, known.number,
                            glossary.code_meaning(known.number, value))


def _composite(label: str, value: str, known: glossary.Position,
               d: Delimiters) -> list[AnnotatedElement]:
    """A composite split into its components, one entry per repeat when it is repeated.

    Simple elements are shown as written even when they hold the repetition separator: a
    partner that declares '-' in ISA11 usually means a hyphen, and a composite is the only
    place where not splitting would misname the parts.
    """
    repeats = value.split(d.repetition) if d.repetition and d.repetition in value else [value]
    many = len(repeats) > 1
    entries = []
    for repeat, text in enumerate(repeats, start=1):
        parts = text.split(d.sub_element) if d.sub_element else [text]
        components = [_simple(f"{label}-{k:02d}", part, known.components[k - 1])
                      if k <= len(known.components) else
                      AnnotatedElement(f"{label}-{k:02d}", part, "", "", "")
                      for k, part in enumerate(parts, start=1)]
        entries.append(AnnotatedElement(label, text, known.name, known.number, "",
                                        repeat if many else 0, tuple(components)))
    return entries


def _shown(ic: Interchange, first: int) -> DelimitersShown:
    """The delimiters of an interchange, each written visibly."""
    d = ic.delimiters
    if d.terminator == "\n":
        term = f"line break ({visible(d.line_break or d.terminator)})"
    else:
        term = visible(d.terminator) + (f" + {visible(d.line_break)}" if d.line_break else "")
    return DelimitersShown(ic.index, first, visible(d.element), visible(d.sub_element),
                           visible(d.repetition), term, d.describe())


def _more_after(data: bytes, read: int) -> bool:
    """True when more than blank space follows the first ``read`` bytes (past 64 bytes, assumed)."""
    rest = len(data) - read
    return rest > 64 or bool(data[read:].strip(SKIPPABLE))


def _where(problem: X12Error, isas: list[tuple[int, int]]) -> float:
    """Sort key in file order; bytes outside any interchange go before the next ISA."""
    if problem.segment_position is not None:
        return problem.segment_position
    following = [number for offset, number in isas if offset > (problem.offset or 0)]
    return min(following) - 0.5 if following else float("inf")
