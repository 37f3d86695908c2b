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

This module holds :class:`SegmentReader` and its buffer; the parts it is built from live
beside it and are re-exported here: :mod:`hub.edi.x12.errors` (X12Error),
:mod:`hub.edi.x12.delimiters` (Delimiters, visible), :mod:`hub.edi.x12.segments` (Interchange,
Segment, Batch, Span), :mod:`hub.edi.x12.isa_header` (finding and reading the ISA) and
:mod:`hub.edi.x12.tokenizer` (splitting text into segments).
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from itertools import chain
from typing import BinaryIO, Callable, Iterator

from hub.edi.x12.delimiters import WS, WS_BYTES, Delimiters, visible
from hub.edi.x12.isa_header import ALNUM, BOM, ISA_WINDOW, SKIPPABLE, IsaFinder
from hub.edi.x12.segments import Batch, Interchange, Segment, Span
from hub.edi.x12.tokenizer import ENVELOPE_IDS, _empty_warning, _tokenize
from hub.edi.x12.errors import X12Error

__all__ = [
    "ALNUM", "BOM", "CHUNK_SIZE", "ENVELOPE_IDS", "ISA_WINDOW", "MAX_SEGMENT_BYTES", "SKIPPABLE",
    "WS", "WS_BYTES", "Batch", "Delimiters", "Interchange", "Segment", "SegmentReader", "Span",
    "X12Error", "read_segments", "visible",
]

CHUNK_SIZE = 16 * 1024          # measured: the objects of a 16 KiB chunk stay in the CPU cache
MAX_SEGMENT_BYTES = 1 << 20     # no real segment is this long: the delimiters must be wrong


def read_segments(source: BinaryIO | bytes, chunk_size: int = CHUNK_SIZE) -> SegmentReader:
    """Iterate the segments of an X12 byte stream (or bytes), interchange after interchange."""
    return SegmentReader(source, chunk_size)


class SegmentReader(IsaFinder):
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

    def skip_rest(self) -> tuple[int, int]:
        """Stop reading: skip what is left of the stream; return where it began and its size."""
        offset, size = self._pos, len(self._buf)
        self._drop(size)
        while data := self._read(1 << 20):
            size += len(data)
        self._eof = True
        return offset, size

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

    # -- reading the segments of one interchange ------------------------------------------------

    def _body(self, ic: Interchange) -> Iterator[Batch]:
        """Yield batches until the IEA, a new ISA, the end of the stream or a dead end."""
        term, opening = ic.term_bytes, True
        sep = ic.delimiters.element.encode(ic.encoding)
        isa_first, next_isa = _isa_search(term, sep)
        while True:
            if len(self._buf) < self.chunk_size:
                self._more()
            if isa_first(self._buf):
                # A new ISA right here ends this interchange (without its IEA).
                if self._empties:
                    yield self._empties_before_isa(ic)
                return
            # In the first chunk of an interchange, cut after a possible IEA or before a new
            # ISA: when a chunk holds many small interchanges, each is then split once, not
            # once per interchange before it in the chunk.
            cut, before_isa = _stop_hint(self._buf, term, next_isa) if opening else \
                (self._buf.rfind(term), False)
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
            batch, consumed, ended = self._build(ic, self._buf[:used], final, before_isa)
            self._drop(consumed)
            if batch is not None:
                yield batch
            if ended or final or before_isa:
                return

    def _empties_before_isa(self, ic: Interchange) -> Batch:
        """The warning about empty segments left over at the end of an interchange."""
        problems: list[X12Error] = []
        _empty_warning(self._empties, self._number, ic.delimiters.terminator == "\n", problems)
        self._empties = 0
        return Batch(ic, [], self._number, None, [], [], problems)

    def _build(self, ic: Interchange, body: bytes, final: bool,
               before_isa: bool = False) -> tuple[Batch | None, int, bool]:
        """Turn a run of whole segments into a batch; stop after an IEA or before a new ISA."""
        d, problems, first = ic.delimiters, [], self._number
        span = Span(ic, body, self._pos, first)
        text = self._decode(body, ic, problems)
        fields, marks, unterminated, span.stripped, self._empties = _tokenize(
            text, d, first, problems, self._empties)
        if before_isa and self._empties:
            # Empty segments just before a new ISA are this interchange's.
            _empty_warning(self._empties, first + len(fields), d.terminator == "\n", problems)
            self._empties = 0
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


def _before_cut(problem: X12Error, stop: int, cut: int, at_iea: bool) -> bool:
    """True if a problem lies before the point where this interchange stops (kept), False if
    it lies in the text after it, which is read again from there."""
    if problem.segment_position is None:
        return problem.offset is None or problem.offset < cut
    if problem.segment_position < stop:
        return True
    # Empty segments just before a new ISA are this interchange's.
    return not at_iea and problem.segment_position == stop and problem.code == "segment.empty"


@lru_cache(maxsize=64)
def _isa_search(term: bytes, sep: bytes) -> tuple[Callable[[bytes], re.Match | None],
                                                  Callable[[bytes], re.Match | None]]:
    """Two tests for an ISA segment, as the tokenizer reads one with these delimiters: at the
    start of a buffer (blank space, 'ISA', the element separator), and the next one in it (a
    terminator, blank space, 'ISA', the element separator)."""
    isa = rb"[ \t\r\n]*ISA" + re.escape(sep)
    return re.compile(isa).match, re.compile(re.escape(term) + isa).search


def _stop_hint(buf: bytes, term: bytes,
               next_isa: Callable[[bytes], re.Match | None]) -> tuple[int, bool]:
    """Index of the terminator to cut at, and whether a new ISA follows it: the one after the
    first 'IEA' or the one before the next segment that starts with 'ISA', whichever comes
    first; else the last one."""
    j = buf.find(b"IEA")
    q = buf.find(term, j) if j >= 0 else -1
    m = next_isa(buf)
    if m is not None and (q < 0 or m.start() < q):
        return m.start(), True
    return (q, False) if q >= 0 else (buf.rfind(term), False)
