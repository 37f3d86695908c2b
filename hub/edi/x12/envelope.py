"""Envelope checks over the segment stream, and transaction sets grouped with their envelope.

:func:`iter_transactions` walks ISA/GS/ST..SE/GE/IEA as the reader produces segments and
yields each transaction set when its SE (or the point where it should have been) is read,
with the problems found attached to the interchange, group or transaction they concern, so
a bad transaction can be rejected while the good ones in the same file are applied.
:func:`check_envelopes` runs the same checks without building the transaction sets.

Only envelope segments are looked at (the reader marks where they are); SE01 is checked by
subtracting segment numbers, and runs of well-formed ST..SE pairs are checked a whole batch
at a time with list operations, so ordinary segments cost nothing here.

This module holds the walk over the batches (:class:`Envelopes`); the parts it is built from
live beside it and are re-exported here: :mod:`hub.edi.x12.envelope_parts` (Group, Transaction),
:mod:`hub.edi.x12.control_numbers`, :mod:`hub.edi.x12.header_checks` (check_isa, check_gs) and
:mod:`hub.edi.x12.envelope_handlers` (what each envelope segment does).
"""

from __future__ import annotations

from itertools import compress, count, islice, repeat
from operator import itemgetter, ne, sub
from typing import BinaryIO, Iterator

from hub.edi.x12.control_numbers import ControlNumbers
from hub.edi.x12.envelope_handlers import FUNCTIONAL_IDS, MAX_KEPT, EnvelopeHandlers
from hub.edi.x12.envelope_parts import Group, Transaction
from hub.edi.x12.header_checks import ISA_LENGTH, ISA_WIDTHS, check_gs, check_isa
from hub.edi.x12.reader import CHUNK_SIZE, Batch, Interchange, Segment, SegmentReader, X12Error
from hub.edi.x12.errors import EnvelopeError

__all__ = [
    "FUNCTIONAL_IDS", "ISA_LENGTH", "ISA_WIDTHS", "LISTING", "MAX_ERRORS", "MAX_FILE_ERRORS", "MAX_KEPT",
    "MAX_SET_SEGMENTS", "ControlNumbers", "EnvelopeError", "Envelopes", "Group", "Transaction",
    "check_envelopes", "check_gs", "check_isa", "iter_transactions",
]

MAX_ERRORS = 200            # per interchange, group or transaction; the rest are counted
MAX_FILE_ERRORS = 10_000    # errors in one file after which the rest of it is not read
LISTING = 100               # well-formed transaction sets listed per group by the checks
MAX_SET_SEGMENTS = 1_000_000    # segments kept for one set by iter_transactions


def iter_transactions(source: BinaryIO | bytes, chunk_size: int = CHUNK_SIZE) -> Envelopes:
    """Transaction sets of an X12 stream, envelope-checked; see :class:`Envelopes`."""
    return Envelopes(source, collect=True, chunk_size=chunk_size)


def check_envelopes(source: BinaryIO | bytes, chunk_size: int = CHUNK_SIZE,
                    listing: int = LISTING) -> Envelopes:
    """Read a whole stream for its envelope checks alone; groups list their first sets."""
    envelopes = Envelopes(source, collect=False, chunk_size=chunk_size, listing=listing)
    for _ in envelopes:
        pass
    return envelopes


class Envelopes(EnvelopeHandlers):
    """Walk a stream checking envelopes; iterating yields each :class:`Transaction` at its SE.

    A transaction's own errors are complete when it is yielded. Errors of its group and
    interchange (GE/IEA counts) are complete once iteration has passed their trailers,
    so check ``transaction.envelope_errors()`` after the loop before committing anything.
    ``interchanges`` keeps the first :data:`MAX_KEPT` interchanges; ``errors`` holds the
    problems that belong to no interchange (garbage, no ISA at all). With ``collect=False``
    nothing is yielded: each group lists its first ``listing`` sets and those with problems.
    """

    def __init__(self, source: BinaryIO | bytes, *, collect: bool = True,
                 chunk_size: int = CHUNK_SIZE, listing: int = LISTING):
        self.reader = SegmentReader(source, chunk_size)
        self.collect, self.listing = collect, listing
        self.interchanges: list[Interchange] = []
        self.interchange_count = 0
        self.errors: list[X12Error] = []
        self.suppressed = 0
        self._error_count = 0                   # errors noted so far, suppressed ones included
        self._ic: Interchange | None = None
        self._group: Group | None = None
        self._tx: Transaction | None = None
        self._cur: Batch | None = None          # the batch being walked
        self._parts: list[list[Segment]] = []   # segments of the open set from earlier batches
        self._start = 0                         # index of its first segment in this batch
        self._kept = 0                          # how many segments of the open set are held
        self._stray: Segment | None = None      # first of a run of segments outside any set
        self._group_total = 0
        self._gs_controls = ControlNumbers()
        self._isa_controls: dict[tuple[str, str], ControlNumbers] = {}
        self._gs_missing = False

    def __iter__(self) -> Iterator[Transaction]:
        for batch in self.reader.batches():
            yield from self._batch(batch)
            if self._error_count >= MAX_FILE_ERRORS:
                self._stop_reading()
                break
        yield from self._close_interchange(None)

    def _stop_reading(self) -> None:
        """Give up on a file that is mostly errors: garbage costs more per byte than good data
        (an 'ISA*' every four bytes is a header to try), so its cost is bounded here."""
        offset, size = self.reader.skip_rest()
        self.errors.append(EnvelopeError(
            "file.too_many_errors", f"{self._error_count:,} errors found before byte {offset:,}; "
            f"the rest of the file ({size:,} bytes) was not read: this does not look like X12 "
            f"a supplier meant to send; ask them what it is", offset=offset))

    def all_errors(self) -> list[X12Error]:
        """File, interchange and group problems, and those of the sets listed by the checks."""
        found = list(self.errors)
        for ic in self.interchanges:
            found += ic.errors
            for tx in ic.ungrouped:
                found += tx.errors
            for group in ic.groups:
                found += group.errors
                for tx in group.listed:
                    found += tx.errors
        return found

    # -- walking the batches --------------------------------------------------------------------

    def _batch(self, batch: Batch) -> Iterator[Transaction]:
        """Handle the envelope segments of one batch; yield the transaction sets they close."""
        ic, problems = batch.interchange, batch.problems
        if ic is None:
            for problem in problems:
                self._note(self, problem)
            return
        if ic is not self._ic:
            yield from self._close_interchange(batch.first)
            self._open_interchange(ic)
        if problems:
            problems.sort(key=_position)
        self._cur, self._start = batch, 0
        marks, kinds = batch.marks, batch.kinds
        prev, p, k = -1, 0, 0
        while k < len(marks):
            i, sid = marks[k], kinds[k]
            if p < len(problems):
                p = self._flush(problems, p, batch.first + i + (sid in _CLOSERS))
            elif sid == "ST" and self._tx is None and i == prev + 1 and self._group is not None \
                    and self._stray is None:
                pairs = _pairs(kinds, marks, k)
                done = self._bulk(batch, marks[k:k + 2 * pairs]) if pairs else None
                if done is not None:
                    yield from done
                    k += 2 * pairs
                    prev = marks[k - 1]
                    continue
            seg = batch.segment(i)
            if self._tx is None:
                self._outside(batch, prev, i, seg)
            done = _HANDLERS[sid](self, seg, i)
            if done is not None and self._done(done):
                yield done
            prev, k = i, k + 1
        if self._tx is None:
            if len(batch) > prev + 1 and self._stray is None:
                self._stray = batch.segment(prev + 1)
        elif self.collect:
            self._keep_part(batch.segments()[self._start:])
        self._flush(problems, p, 1 << 62)

    def _bulk(self, batch: Batch, run: list[int]) -> list[Transaction] | None:
        """Check a run of adjacent ST..SE pairs with list operations; None if any looks wrong.

        On None nothing has been recorded and the caller walks the run one segment at a time,
        which finds and words each problem.
        """
        fields, first, group = batch.fields, batch.first, self._group
        sts, ses = run[0::2], run[1::2]
        st_f, se_f = list(map(fields.__getitem__, sts)), list(map(fields.__getitem__, ses))
        if min(map(len, st_f)) < 3 or set(map(len, se_f)) != {3}:
            return None
        st01, st02 = list(map(itemgetter(1), st_f)), list(map(itemgetter(2), st_f))
        # SE02 must repeat ST02; SE01 must be SE's index - ST's index + 1.
        if list(map(itemgetter(2), se_f)) != st02 or \
                list(map(itemgetter(1), se_f)) != _counts(list(map(sub, ses, sts))):
            return None
        if min(map(len, st02)) < 4 or max(map(len, st02)) > 9:
            return None
        kinds = set(st01)
        if any(len(s) != 3 or not s.isalnum() for s in kinds) or not group._controls.add_all(st02):
            return None
        group.transaction_count += len(sts)
        for set_id in sorted(kinds - group._checked):
            group._checked.add(set_id)
            self._check_functional_id(group, set_id, first + sts[st01.index(set_id)])
        ic, done = self._ic, []
        segs = batch.segments() if self.collect else None
        room = len(sts) if self.collect else max(0, self.listing - len(group.listed))
        for a, b, set_id, control in islice(zip(sts, ses, st01, st02), room):
            tx = Transaction(set_id, control, first + a, ic, group)
            tx.segment_count = b - a + 1
            if segs is not None:
                tx.segments, tx.se = segs[a:b + 1], segs[b]
            else:
                tx.se = batch.segment(b)
            done.append(tx)
        if self.collect:
            return done
        group.listed += done
        return []

    def _done(self, tx: Transaction) -> bool:
        """True if ``tx`` is to be yielded; when only checking, list it instead (capped)."""
        if self.collect:
            return True
        holder = tx.group.listed if tx.group is not None else tx.interchange.ungrouped
        if len(holder) < self.listing or (tx.errors and len(holder) < MAX_KEPT):
            holder.append(tx)
        return False

    def _flush(self, problems: list[X12Error], p: int, limit: int) -> int:
        """Attach the reader's problems before segment ``limit`` to where they occurred."""
        while p < len(problems):
            problem = problems[p]
            if problem.segment_position is None:
                self._note(self._ic, problem)
            elif problem.segment_position < limit:
                self._note(self._tx or self._group or self._ic, problem)
            else:
                break
            p += 1
        return p

    # -- holding the open set's segments, filing problems ---------------------------------------

    def _keep_part(self, part: list[Segment]) -> None:
        """Keep the open set's segments of this batch, unless the set is absurdly long."""
        self._kept += len(part)
        if self._kept <= MAX_SET_SEGMENTS:
            self._parts.append(part)
        elif self._parts:
            # A set this long is a missing SE or an attack: stop holding its segments.
            tx, self._parts = self._tx, []
            self._note(tx, EnvelopeError(
                "st.too_long", f"transaction set {tx.set_id} {tx.control} (ST at segment "
                f"{tx.number}) runs over {MAX_SET_SEGMENTS:,} segments; its segments were not "
                f"kept; ask the supplier whether its SE is missing", tx.number, "ST"))

    def _collected(self, end: int) -> list[Segment]:
        """Segments of the open set: earlier batches' parts, then this batch up to ``end``."""
        if self._kept > MAX_SET_SEGMENTS:
            return []
        head = self._cur.segments()[self._start:end]
        if not self._parts:
            return head
        out = [seg for part in self._parts for seg in part]
        out += head
        self._parts = []
        return out

    def _note(self, where, error: X12Error) -> None:
        """File ``error`` with the interchange, group or transaction it concerns (capped)."""
        ic = self._ic
        if ic is not None and where is not self:
            error.interchange_control = ic.control
        group = where.group if isinstance(where, Transaction) else \
            where if isinstance(where, Group) else None
        if group is not None:
            error.group_control = group.control
        if isinstance(where, Transaction):
            error.set_control = where.control
        self._error_count += error.is_error
        if len(where.errors) < MAX_ERRORS:
            where.errors.append(error)
        else:
            where.suppressed += 1


_CLOSERS = frozenset(("SE", "GE", "IEA"))
_HANDLERS = {"ISA": Envelopes._on_isa, "GS": Envelopes._on_gs, "ST": Envelopes._on_st,
             "SE": Envelopes._on_se, "GE": Envelopes._on_ge, "IEA": Envelopes._on_iea,
             "TA1": Envelopes._on_ta1}


def _pairs(kinds: list[str], marks: list[int], k: int) -> int:
    """How many adjacent ST..SE pairs start at ``marks[k]`` (nothing between SE and next ST)."""
    sts, ses = kinds[k::2], kinds[k + 1::2]
    pairs = len(ses)
    if sts.count("ST") < len(sts) or ses.count("SE") < pairs:
        pairs = min(_prefix(sts, "ST"), _prefix(ses, "SE"))
    if pairs > 1:
        gaps = list(map(sub, marks[k + 2:k + 2 * pairs:2], marks[k + 1:k + 2 * pairs - 2:2]))
        if gaps.count(1) < pairs - 1:
            pairs = 1 + _prefix(gaps, 1)
    return pairs


_COUNT_TEXT = [str(n + 1) for n in range(4096)]    # SE01 text for (SE index - ST index)


def _counts(spans: list[int]) -> list[str]:
    """SE01 as it should read for each (SE index - ST index)."""
    if max(spans) < len(_COUNT_TEXT):
        return list(map(_COUNT_TEXT.__getitem__, spans))
    return [str(n + 1) for n in spans]


def _prefix(values: list, value: object) -> int:
    """Length of the leading run of ``values`` equal to ``value``."""
    return next(compress(count(), map(ne, values, repeat(value))), len(values))


def _position(error: X12Error) -> int:
    return error.segment_position or 0
