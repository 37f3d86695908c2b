"""Envelope checks over the segment stream, and transaction sets grouped with their envelope.

:func:`iter_transactions` walks ISA/GS/ST..SE/GE/IEA as the reader produces segments and
yields each transaction set when its SE (or the point where it should have been) is read,
with the problems found attached to the interchange, group or transaction they concern, so
a bad transaction can be rejected while the good ones in the same file are applied.
:func:`check_envelopes` runs the same checks without building the transaction sets.

Only envelope segments are looked at (the reader marks where they are); SE01 is checked by
subtracting segment numbers, and runs of well-formed ST..SE pairs are checked a whole batch
at a time with list operations, so ordinary segments cost nothing here.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import compress, count, islice, repeat
from operator import itemgetter, ne, sub
from typing import BinaryIO, Iterator

from hub.edi.reader import (CHUNK_SIZE, Batch, Delimiters, Interchange, Segment, SegmentReader,
                            X12Error, visible)

MAX_ERRORS = 200            # per interchange, group or transaction; the rest are counted
MAX_KEPT = 1000             # interchanges, groups per interchange, listed sets with problems
LISTING = 100               # well-formed transaction sets listed per group by the checks
MAX_SET_SEGMENTS = 1_000_000    # segments kept for one set by iter_transactions
ISA_WIDTHS = (0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 106
_VERSION_PREFIXES = ("002", "003", "004", "005", "006", "007", "008")   # ISA12 00200 .. 00801
# GS01 functional identifier expected for each ST01 transaction set.
FUNCTIONAL_IDS = {
    "810": "IN", "820": "RA", "824": "AG", "830": "PS", "832": "SC", "846": "IB", "850": "PO",
    "855": "PR", "856": "SH", "857": "BS", "860": "PC", "862": "SS", "864": "TX", "865": "CA",
    "940": "OW", "943": "AR", "944": "RE", "945": "SW", "947": "AW", "997": "FA", "999": "FA",
    "204": "SM", "210": "IM", "214": "QM", "990": "GF",
}


class EnvelopeError(X12Error):
    """An envelope problem: a count, a control number, a missing or misplaced header/trailer."""

    incident_code = "x12.envelope"


class Group:
    """One GS..GE functional group: its header fields, count of sets, and problems."""

    __slots__ = ("interchange", "index", "gs", "ge", "errors", "suppressed", "transaction_count",
                 "listed", "_controls", "_checked")

    def __init__(self, interchange: Interchange, index: int, gs: Segment):
        self.interchange, self.index, self.gs = interchange, index, gs
        self.ge: Segment | None = None
        self.errors: list[X12Error] = []
        self.suppressed = self.transaction_count = 0
        self.listed: list[Transaction] = []     # filled by check_envelopes only
        self._controls = ControlNumbers()
        self._checked: set[str] = set()

    functional_id = property(lambda self: self.gs.element(1), doc="GS01, e.g. PO")
    sender = property(lambda self: self.gs.element(2).strip(), doc="GS02 application sender")
    receiver = property(lambda self: self.gs.element(3).strip(), doc="GS03 application receiver")
    date = property(lambda self: self.gs.element(4), doc="GS04")
    time = property(lambda self: self.gs.element(5), doc="GS05")
    control = property(lambda self: self.gs.element(6), doc="GS06 group control number")
    version = property(lambda self: self.gs.element(8), doc="GS08, e.g. 004010")

    def __repr__(self) -> str:
        return f"Group({self.functional_id!r}, GS06={self.control!r})"


class Transaction:
    """One ST..SE transaction set with its envelope context; ``segments`` runs from ST to SE."""

    __slots__ = ("set_id", "control", "number", "interchange", "group", "segments",
                 "segment_count", "se", "errors", "suppressed")

    def __init__(self, set_id: str, control: str, number: int, interchange: Interchange,
                 group: Group | None):
        self.set_id, self.control, self.number = set_id, control, number
        self.interchange, self.group = interchange, group
        self.segments: list[Segment] = []
        self.segment_count = 0
        self.se: Segment | None = None
        self.errors: list[X12Error] = []
        self.suppressed = 0

    @property
    def version(self) -> str:
        """ST03 when present (005010), else the group's GS08."""
        st03 = self.segments[0].element(3) if self.segments else ""
        return st03 or (self.group.version if self.group else "")

    @property
    def delimiters(self) -> Delimiters:
        """The delimiters of the interchange, to split composites and repeats."""
        return self.interchange.delimiters

    def envelope_errors(self) -> list[X12Error]:
        """Errors (not warnings) of this set, its group and its interchange, as known so far."""
        found = list(self.errors)
        if self.group is not None:
            found += self.group.errors
        found += self.interchange.errors
        return [e for e in found if e.is_error]

    def __repr__(self) -> str:
        return f"Transaction({self.set_id!r}, ST02={self.control!r}, segment {self.number})"


class ControlNumbers:
    """Control numbers seen so far, in little memory.

    New numbers go to a set; when it grows large, numeric ones are folded into sorted ranges
    (control numbers usually run in sequence, so millions of them fold into a few ranges).
    """

    __slots__ = ("_recent", "_other", "_ranges")
    FOLD_AT = 65536

    def __init__(self) -> None:
        self._recent: set[str] = set()
        self._other: set[str] = set()       # folded values that are not numbers
        self._ranges: dict[int, tuple[list[int], list[int]]] = {}   # width -> (starts, ends)

    def add(self, value: str) -> bool:
        """Record ``value``; False if it was already there."""
        return self.add_all((value,))

    def add_all(self, values: list[str] | tuple[str, ...]) -> bool:
        """Record all ``values`` if none was seen before (nor repeats); else record nothing."""
        new = set(values)
        if len(new) != len(values) or not self._recent.isdisjoint(new):
            return False
        if self._other and not self._other.isdisjoint(new):
            return False
        if self._ranges and not self._above_folded(new) and any(map(self._folded, new)):
            return False
        self._recent |= new
        if len(self._recent) >= self.FOLD_AT:
            self._fold()
        return True

    def _above_folded(self, values: set[str]) -> bool:
        """True when all values are numbers of one width above every folded one (the usual case)."""
        if len(set(map(len, values))) != 1 or not all(map(str.isdigit, values)) \
                or not all(map(str.isascii, values)):
            return False
        low = min(values)       # same width, so text order is number order
        ranges = self._ranges.get(len(low))
        return ranges is None or int(low) > ranges[1][-1]

    def _folded(self, value: str) -> bool:
        if not (value.isascii() and value.isdigit()):
            return False
        starts, ends = self._ranges.get(len(value), ((), ()))
        i = bisect_right(starts, int(value)) - 1
        return i >= 0 and int(value) <= ends[i]

    def _fold(self) -> None:
        by_width: dict[int, list[tuple[int, int]]] = {}
        for value in self._recent:
            if value.isascii() and value.isdigit():
                by_width.setdefault(len(value), []).append((int(value), int(value)))
            else:
                self._other.add(value)
        self._recent = set()
        for width, points in by_width.items():
            starts, ends = self._ranges.get(width, ([], []))
            merged_s: list[int] = []
            merged_e: list[int] = []
            for s, e in sorted(points + list(zip(starts, ends))):
                if merged_e and s <= merged_e[-1] + 1:
                    merged_e[-1] = max(merged_e[-1], e)
                else:
                    merged_s.append(s)
                    merged_e.append(e)
            self._ranges[width] = (merged_s, merged_e)


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


class Envelopes:
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
        yield from self._close_interchange(None)

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

    def _open_interchange(self, ic: Interchange) -> None:
        self._ic, self._group, self._tx, self._parts = ic, None, None, []
        self._stray, self._group_total, self._gs_missing = None, 0, False
        self._gs_controls = ControlNumbers()
        self.interchange_count += 1
        if len(self.interchanges) < MAX_KEPT:
            self.interchanges.append(ic)

    def _close_interchange(self, following: int | None) -> Iterator[Transaction]:
        """End the open interchange at a new ISA or the end of the file, filing missing trailers."""
        ic = self._ic
        if ic is None or ic.iea is not None:
            return
        last = following - 1 if following is not None else self.reader.segments_read
        where = f"before the next ISA at segment {following}" if following is not None \
            else f"before the end of the file (segment {last})"
        if self._stray is not None:
            self._report_stray(last, None)
        tx = self._end_set(where, last + 1, None)
        if tx is not None and self._done(tx):
            yield tx
        self._end_group(where)
        self._note(ic, EnvelopeError(
            "trailer.missing", f"interchange ISA13 {ic.control} (segment {ic.isa[2]}) has no IEA "
            f"trailer {where}: the file may have been cut short; ask the supplier to resend",
            ic.isa[2], "ISA"))
        self._ic = None

    # -- one handler per envelope segment ---------------------------------------------------------

    def _on_isa(self, seg: Segment, i: int) -> None:
        ic = self._ic
        for error in check_isa(ic):
            self._note(ic, error)
        seen = self._isa_controls.setdefault((ic.sender_qualifier, ic.sender_id), ControlNumbers())
        if ic.control and not seen.add(ic.control):
            self._note(ic, EnvelopeError(
                "isa.duplicate_control", f"ISA13 {ic.control} (segment {seg[2]}) was already "
                f"used by an earlier interchange in this file from the same sender "
                f"{ic.sender_id}: it may be a duplicate; it must not be applied twice",
                seg[2], "ISA", severity="warning"))

    def _on_gs(self, seg: Segment, i: int) -> Transaction | None:
        done = self._end_set(f"before the GS at segment {seg[2]}", seg[2], i)
        self._end_group(f"before the next GS at segment {seg[2]}")
        ic = self._ic
        self._group_total += 1
        group = self._group = Group(ic, self._group_total, seg)
        self._gs_missing = False
        if len(ic.groups) < MAX_KEPT:
            ic.groups.append(group)
        for error in check_gs(seg):
            self._note(group, error)
        if group.control and not self._gs_controls.add(group.control):
            self._note(group, EnvelopeError(
                "gs.duplicate_control", f"GS06 {group.control} (segment {seg[2]}) is used by an "
                f"earlier group of the same interchange: group control numbers must be unique; "
                f"ask the supplier to resend", seg[2], "GS"))
        return done

    def _on_st(self, seg: Segment, i: int) -> Transaction | None:
        done = self._end_set(f"before the next ST at segment {seg[2]}", seg[2], i)
        if self._group is None and not self._gs_missing:
            self._gs_missing = True
            self._note(self._ic, EnvelopeError(
                "gs.missing", f"the ST at segment {seg[2]} is not inside a GS..GE functional "
                f"group: the GS header is missing or damaged; ask the supplier to resend",
                seg[2], "ST"))
        self._open_set(seg, i, self._group)
        return done

    def _open_set(self, seg: Segment, i: int, group: Group | None) -> None:
        """Start a transaction set at its ST: count it, check ST01/ST02."""
        fields = seg[1]
        tx = self._tx = Transaction(fields[1] if len(fields) > 1 else "",
                                    fields[2] if len(fields) > 2 else "", seg[2], self._ic, group)
        self._start, self._kept = i, 0
        if self._parts:
            self._parts = []
        if group is not None:
            group.transaction_count += 1
            if not group._controls.add(tx.control):
                self._note(tx, EnvelopeError(
                    "st.duplicate_control", f"ST02 {tx.control} (segment {seg[2]}) is used by an "
                    f"earlier transaction set of group GS06 {group.control}: each set needs its "
                    f"own control number; ask the supplier to resend", seg[2], "ST"))
            if tx.set_id not in group._checked:
                group._checked.add(tx.set_id)
                self._check_functional_id(group, tx.set_id, seg[2])
        if len(tx.set_id) != 3 or not 4 <= len(tx.control) <= 9 or not tx.set_id.isalnum():
            self._note(tx, EnvelopeError(
                "st.field", f"the ST at segment {seg[2]} reads {seg.text()[:40]!r}: ST01 must be a "
                f"3-character transaction set id and ST02 a 4 to 9 character control number",
                seg[2], "ST"))

    def _on_se(self, seg: Segment, i: int) -> Transaction | None:
        tx = self._tx
        if tx is None:
            return None         # reported with the run of segments outside any set
        counted = seg[2] - tx.number + 1
        self._check_se(tx, seg, counted)
        tx.se, tx.segment_count, self._tx = seg, counted, None
        if self.collect:
            tx.segments = self._collected(i + 1)
        return tx

    def _check_se(self, tx: Transaction, seg: Segment, counted: int) -> None:
        """SE01 must count the segments from ST to SE; SE02 must repeat ST02."""
        se01, se02 = seg.element(1), seg.element(2)
        if not _same(se01, str(counted)):
            self._note(tx, EnvelopeError(
                "se.count", f"SE01 {se01 or '(empty)'} (segment {seg[2]}) says transaction set "
                f"{tx.set_id} {tx.control} has {se01 or 'no'} segments but it has {counted} from "
                f"ST to SE: segments were lost or added; ask the supplier to resend",
                seg[2], "SE"))
        if not _same(se02, tx.control):
            self._note(tx, EnvelopeError(
                "se.control", f"SE02 {se02 or '(empty)'} (segment {seg[2]}) does not match ST02 "
                f"{tx.control} (segment {tx.number}): the trailer belongs to another transaction "
                f"set; ask the supplier to resend", seg[2], "SE"))

    def _on_ge(self, seg: Segment, i: int) -> Transaction | None:
        done = self._end_set(f"before the GE at segment {seg[2]}", seg[2], i)
        group = self._group
        if group is None:
            return done         # reported with the run of segments outside any group
        ge01, ge02 = seg.element(1), seg.element(2)
        if not _same(ge01, str(group.transaction_count)):
            self._note(group, EnvelopeError(
                "ge.count", f"GE01 {ge01 or '(empty)'} (segment {seg[2]}) says group GS06 "
                f"{group.control} holds {ge01 or 'no'} transaction sets but it holds "
                f"{group.transaction_count}: sets were lost or added; ask the supplier to resend",
                seg[2], "GE"))
        if not _same(ge02, group.control):
            self._note(group, EnvelopeError(
                "ge.control", f"GE02 {ge02 or '(empty)'} (segment {seg[2]}) does not match GS06 "
                f"{group.control} (segment {group.gs[2]}): the group trailer belongs to another "
                f"group; ask the supplier to resend", seg[2], "GE"))
        group.ge, self._group = seg, None
        return done

    def _on_iea(self, seg: Segment, i: int) -> Transaction | None:
        done = self._end_set(f"before the IEA at segment {seg[2]}", seg[2], i)
        self._end_group(f"before the IEA at segment {seg[2]}")
        ic = self._ic
        iea01, iea02 = seg.element(1), seg.element(2)
        if not _same(iea01, str(self._group_total)):
            self._note(ic, EnvelopeError(
                "iea.count", f"IEA01 {iea01 or '(empty)'} (segment {seg[2]}) says interchange "
                f"ISA13 {ic.control} holds {iea01 or 'no'} functional groups but it holds "
                f"{self._group_total}: groups were lost or added; ask the supplier to resend",
                seg[2], "IEA"))
        if not _same(iea02, ic.isa.element(13)):
            self._note(ic, EnvelopeError(
                "iea.control", f"IEA02 {iea02 or '(empty)'} does not match ISA13 {ic.control} "
                f"(segment {seg[2]}): the interchange trailer belongs to another interchange; ask "
                f"the supplier to resend", seg[2], "IEA"))
        ic.iea = seg
        return done

    def _on_ta1(self, seg: Segment, i: int) -> None:
        # TA1 (interchange acknowledgment) sits between ISA and GS; inside a set it is data.
        if self._tx is None and self._group is None:
            self._ic.ta1_count += 1

    # -- closing, strays, filing ------------------------------------------------------------------

    def _outside(self, batch: Batch, prev: int, i: int, seg: Segment) -> None:
        """Report segments between envelope segments that no transaction set holds."""
        if i > prev + 1 and self._stray is None:
            self._stray = batch.segment(prev + 1)
        sid = seg[0]
        # An SE with no ST, a GE with no GS, a TA1 inside a group: part of the stray run.
        orphan = sid == "SE" or (sid == "GE" and self._group is None) or \
            (sid == "TA1" and self._group is not None)
        if orphan and self._stray is None:
            self._stray = seg
        if self._stray is not None and not (orphan and sid == "TA1"):
            self._report_stray(seg[2] if orphan else seg[2] - 1, seg if orphan else None)

    def _report_stray(self, last: int, closer: Segment | None) -> None:
        first, self._stray = self._stray, None
        text, count = first.text()[:50], last - first[2] + 1
        where = "ST..SE transaction set" if self._group is not None else "GS..GE functional group"
        if closer is not None and closer[0] == "SE":
            message = (f"segments {first[2]} to {last} (the first reads {text!r}) end with an SE "
                       f"that no ST opened: the ST header is missing or damaged, so this "
                       f"transaction set was not read; ask the supplier to resend")
        elif count == 1:
            message = (f"segment {first[2]} ({text!r}) is outside any {where}; it was ignored: "
                       f"ask the supplier what it is")
        else:
            message = (f"{count} segments from segment {first[2]} ({text!r}) to segment {last} "
                       f"are outside any {where}; they were ignored: ask the supplier what they "
                       f"are")
        self._note(self._group or self._ic, EnvelopeError(
            "segment.outside_envelope", message, first[2], first[0]))

    def _end_set(self, where: str, before: int, i: int | None) -> Transaction | None:
        """Close an open transaction set whose SE never came."""
        tx = self._tx
        if tx is None:
            return None
        tx.segment_count = before - tx.number
        self._note(tx, EnvelopeError(
            "trailer.missing", f"transaction set {tx.set_id} {tx.control} (ST at segment "
            f"{tx.number}) has no SE trailer {where}: it is incomplete; ask the supplier to resend",
            tx.number, "ST"))
        if self.collect:
            tx.segments = self._collected(i) if i is not None else \
                [seg for part in self._parts for seg in part]
        self._tx, self._parts = None, []
        return tx

    def _end_group(self, where: str) -> None:
        """Close an open group whose GE never came."""
        group = self._group
        if group is not None:
            self._note(group, EnvelopeError(
                "trailer.missing", f"group GS06 {group.control} (GS at segment {group.gs[2]}) has "
                f"no GE trailer {where}: it is incomplete; ask the supplier to resend",
                group.gs[2], "GS"))
            self._group = None

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

    def _check_functional_id(self, group: Group, set_id: str, number: int) -> None:
        """GS01 must be the functional id of the sets it holds (PO for 850, PR for 855...)."""
        expected = FUNCTIONAL_IDS.get(set_id)
        if expected and group.functional_id != expected:
            self._note(group, EnvelopeError(
                "gs.functional_id", f"group GS06 {group.control} (segment {group.gs[2]}) has GS01 "
                f"{group.functional_id!r} but holds {set_id} transaction sets (first at segment "
                f"{number}), which belong under GS01 {expected!r}; a strict partner system would "
                f"reject the group", group.gs[2], "GS", severity="warning"))

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


def _same(a: str, b: str) -> bool:
    """Control numbers and counts match as written, or as numbers ('1' and '000000001')."""
    if a == b:
        return True
    return a.isascii() and a.isdigit() and b.isascii() and b.isdigit() and int(a) == int(b)


def _digits(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.isdigit() and low <= len(value) <= high


def _is_yymmdd(v: str) -> bool:
    return _digits(v, 6, 6) and 1 <= int(v[2:4]) <= 12 and 1 <= int(v[4:6]) <= 31


def _is_hhmm(v: str) -> bool:
    return _digits(v, 4, 4) and int(v[:2]) < 24 and int(v[2:]) < 60


def _qualifier(v: str) -> bool:
    return len(v) == 2 and v.isascii() and v.isalnum()


# ISA element -> (test, what it must be)
_ISA_RULES = (
    (1, _qualifier, "must be a 2-character authorization qualifier (00 = none)"),
    (3, _qualifier, "must be a 2-character security qualifier (00 = none)"),
    (5, _qualifier, "must be a 2-character sender id qualifier, e.g. ZZ or 01"),
    (6, lambda v: bool(v.strip()), "the sender id must not be blank"),
    (7, _qualifier, "must be a 2-character receiver id qualifier, e.g. ZZ or 01"),
    (8, lambda v: bool(v.strip()), "the receiver id must not be blank"),
    (9, _is_yymmdd, "must be a date written YYMMDD"),
    (10, _is_hhmm, "must be a time written HHMM"),
    (12, lambda v: _digits(v, 5, 5), "must be a 5-digit version number, e.g. 00401"),
    (13, lambda v: _digits(v, 9, 9), "must be a 9-digit interchange control number"),
    (14, lambda v: v in ("0", "1"), "must be 0 or 1 (acknowledgment requested)"),
    (15, lambda v: v in ("T", "P", "I"), "must be T (test), P (production) or I (information)"),
)


def check_isa(ic: Interchange) -> list[EnvelopeError]:
    """Problems with the ISA header: its length, field widths and field values."""
    n, offset = ic.isa[2], ic.isa.offset
    return [EnvelopeError(code, message, n, "ISA", severity=severity, offset=offset)
            for code, message, severity in _isa_layout(ic) + _isa_values(ic)]


def _isa_layout(ic: Interchange) -> list[tuple[str, str, str]]:
    """Warnings about the fixed layout: total length, field widths, padding characters."""
    fields, n, found = ic.isa[1], ic.isa[2], []
    wrong = [k for k in range(1, 17) if fields[k] and len(fields[k]) != ISA_WIDTHS[k]]
    detail = "; ".join(f"ISA{k:02} is {len(fields[k])} wide, not {ISA_WIDTHS[k]}" for k in wrong)
    if ic.isa_length != ISA_LENGTH:
        why = f"{detail}: its fields are not padded to their fixed widths" if detail else \
            "a field or a separator is missing"
        found.append(("isa.length", f"the ISA header (segment {n}) is {ic.isa_length} characters "
                      f"long, not {ISA_LENGTH} ({why}); it was read by counting separators, but a "
                      f"strict partner system would reject it", "warning"))
    elif wrong:
        found.append(("isa.width", f"the ISA header (segment {n}) has fields of the wrong width "
                      f"({detail}); a strict partner system would reject it", "warning"))
    odd = [f"ISA{k:02}" for k in range(1, 17) if not fields[k].isascii()]
    if odd:
        chars = sorted({f"U+{ord(c):04X}" for k in range(1, 17) for c in fields[k] if ord(c) > 127})
        found.append(("isa.padding", f"{', '.join(odd)} (segment {n}) hold characters outside "
                      f"ASCII ({', '.join(chars)}, e.g. no-break spaces) where plain spaces are "
                      f"expected; it was read, but a strict partner system would reject it",
                      "warning"))
    return found


def _isa_values(ic: Interchange) -> list[tuple[str, str, str]]:
    """Errors in ISA field values (qualifiers, date, time, version, control number, ISA16)."""
    fields, n, d = ic.isa[1], ic.isa[2], ic.delimiters
    fix = "ask the supplier to correct the ISA header"
    found = [("isa.field", f"ISA{k:02} {fields[k]!r} (segment {n}) {rule}; {fix}", "error")
             for k, test, rule in _ISA_RULES if not test(fields[k])]
    if _digits(fields[12], 5, 5) and fields[12][:3] not in _VERSION_PREFIXES:
        found.append(("isa.version", f"ISA12 {fields[12]!r} (segment {n}) is not an X12 "
                      f"interchange version (00200 to 00801, e.g. 00401 or 00501); it was read "
                      f"as if it were one", "warning"))
    if not fields[16]:
        found.append(("isa.field", f"ISA16, the sub-element separator, is missing (segment {n}): "
                      f"the ISA ends with the segment terminator {visible(d.terminator)} right "
                      f"after ISA15; the segments were read but composite elements cannot be "
                      f"split; {fix}", "error"))
    elif d.sub_element is None:
        found.append(("isa.field", f"ISA16 {fields[16]!r} (segment {n}) cannot be the "
                      f"sub-element separator: it is a letter or digit, or another delimiter; "
                      f"{fix}", "error"))
    return found


def check_gs(gs: Segment) -> list[EnvelopeError]:
    """Problems with a GS header's elements."""
    f = gs[1] + [""] * max(0, 9 - len(gs[1]))
    rules = (
        (1, len(f[1]) == 2 and f[1].isalpha(), "must be a 2-letter functional identifier, e.g. PO"),
        (2, bool(f[2].strip()), "the application sender code must not be blank"),
        (3, bool(f[3].strip()), "the application receiver code must not be blank"),
        (4, _digits(f[4], 6, 8) and len(f[4]) != 7,
         "must be a date written CCYYMMDD (YYMMDD before 004010)"),
        (5, _digits(f[5], 4, 8), "must be a time written HHMM"),
        (6, _digits(f[6], 1, 9), "must be a group control number of 1 to 9 digits"),
        (7, bool(f[7].strip()), "the responsible agency code (X) must not be blank"),
        (8, bool(f[8].strip()), "the version code, e.g. 004010, must not be blank"),
    )
    return [EnvelopeError("gs.field", f"GS{k:02} {f[k]!r} (segment {gs[2]}) {rule}; ask the "
                          f"supplier to correct the GS header", gs[2], "GS")
            for k, ok, rule in rules if not ok]
