"""What each envelope segment does to the interchange, group and set being walked.

:class:`EnvelopeHandlers` is the per-segment half of :class:`~hub.edi.x12.envelope.Envelopes`:
ISA, GS, ST, SE, GE, IEA and TA1 open and close interchanges, groups and sets and check their
counts and control numbers; what a trailer never closed is closed here too, and segments
outside any set are reported as one run.
"""

from __future__ import annotations

from typing import Iterator

from hub.edi.x12.control_numbers import ControlNumbers
from hub.edi.x12.envelope_parts import Group, Transaction
from hub.edi.x12.header_checks import check_gs, check_isa
from hub.edi.x12.segments import Batch, Interchange, Segment
from hub.edi.x12.errors import EnvelopeError

MAX_KEPT = 1000             # interchanges, groups per interchange, listed sets with problems
# GS01 functional identifier expected for each ST01 transaction set.
FUNCTIONAL_IDS = {
    "810": "IN", "820": "RA", "824": "AG", "830": "PS", "832": "SC", "846": "IB", "850": "PO",
    "855": "PR", "856": "SH", "857": "BS", "860": "PC", "862": "SS", "864": "TX", "865": "CA",
    "940": "OW", "943": "AR", "944": "RE", "945": "SW", "947": "AW", "997": "FA", "999": "FA",
    "204": "SM", "210": "IM", "214": "QM", "990": "GF",
}


class EnvelopeHandlers:
    """Handlers of the envelope segments, and the closing of what they leave open.

    They work on the walk's state (``_ic``, ``_group``, ``_tx``, ``_stray``...) and file what
    they find with ``_note``; the batches are walked by :class:`~hub.edi.x12.envelope.Envelopes`.
    """

    # -- opening and closing interchanges ---------------------------------------------------------

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

    # -- closing, strays --------------------------------------------------------------------------

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

    def _check_functional_id(self, group: Group, set_id: str, number: int) -> None:
        """GS01 must be the functional id of the sets it holds (PO for 850, PR for 855...)."""
        expected = FUNCTIONAL_IDS.get(set_id)
        if expected and group.functional_id != expected:
            self._note(group, EnvelopeError(
                "gs.functional_id", f"group GS06 {group.control} (segment {group.gs[2]}) has GS01 "
                f"{group.functional_id!r} but holds {set_id} transaction sets (first at segment "
                f"{number}), which belong under GS01 {expected!r}; a strict partner system would "
                f"reject the group", group.gs[2], "GS", severity="warning"))


def _same(a: str, b: str) -> bool:
    """Control numbers and counts match as written, or as numbers ('1' and '000000001')."""
    if a == b:
        return True
    return a.isascii() and a.isdigit() and b.isascii() and b.isdigit() and int(a) == int(b)
