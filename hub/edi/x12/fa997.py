"""Inbound 997 and 999 functional acknowledgements: the partner's verdict on a group we sent.

Layout read (X12 997 004010/005010, 999 005010X231)::

    997: ST AK1 {AK2 {AK3 AK4*}* AK5}* AK9 SE
    999: ST AK1 {AK2 {IK3 CTX* {IK4 CTX*}*}* IK5}* AK9 SE

AK1 names our group (AK101 functional id, AK102 our GS06); each AK2 loop gives the verdict
on one of our sets (AK201 set id, AK202 our ST02, AK501/IK501 status) with its AK3/AK4
(IK3/IK4/CTX) notes turned into sentences such as "segment PO1 at position 6: element 2
(PO102) mandatory data element missing". AK9 gives the group's verdict (AK901) and its
AK905..AK909 codes.

AK2 loops are optional: a 997 without them answers the whole group with AK901 alone, so the
caller must treat every set of the group by the group's status when ``sets`` is empty.
Both readers accept AK3/AK4 and IK3/IK4 alike: partners mix them up and the meaning is the same.
"""

from __future__ import annotations

from hub.domain.documents import AckedSet, FunctionalAck, ParsedDocument
from hub.edi.x12.fa997_codes import (ELEMENT_ERRORS, SEGMENT_ERRORS, STATUSES, SUMMARY_SEGMENT_ERROR,
                               SUMMARY_SET_ERRORS, group_error, meaning, set_error)
from hub.edi.x12.answer_fields import Findings, element, quoted, walk
from hub.edi.x12.envelope import Transaction
from hub.edi.x12.reader import Segment


class _SegmentNote:
    """One AK3/IK3 note while its AK4/IK4 and CTX segments are being read."""

    __slots__ = ("segment_id", "where", "codes", "contexts", "elements")

    def __init__(self, segment_id: str, position: str, codes: list[str]):
        self.segment_id, self.codes = segment_id, codes
        self.where = f"segment {segment_id or '?'} at position {position or '?'}"
        self.contexts: list[str] = []
        self.elements: list[tuple[str, list[str]]] = []   # (sentence, its CTX contexts)

    def sentences(self) -> list[str]:
        """The note as sentences: the segment's own codes, then one per element."""
        where = self.where + _context(self.contexts)
        own = [c for c in self.codes if c != SUMMARY_SEGMENT_ERROR or not self.elements]
        out = [f"{where}: {', '.join(meaning(SEGMENT_ERRORS, c) for c in own)}"] if own else []
        if not own and not self.elements:
            out.append(f"{where}: segment in error (no error code given)")
        out += [f"{where}: {text}{_context(ctx)}" for text, ctx in self.elements]
        return out


class _AckedLoop:
    """One AK2 loop being read."""

    __slots__ = ("set_id", "control", "number", "status", "codes", "notes")

    def __init__(self, set_id: str, control: str, number: int):
        self.set_id, self.control, self.number = set_id, control, number
        self.status = ""
        self.codes: list[str] = []
        self.notes: list[_SegmentNote] = []


class FunctionalAckReader:
    """Reads one 997 or 999 transaction set into a :class:`FunctionalAck`."""

    def __init__(self, tx: Transaction):
        self.tx, self.kind, self.found = tx, tx.set_id, Findings()
        self.sub = tx.delimiters.sub_element
        self.rep = tx.delimiters.repetition
        self.ak1: Segment | None = None
        self.ak9: Segment | None = None
        self.loops: list[_AckedLoop] = []
        self.loop: _AckedLoop | None = None
        self.note: _SegmentNote | None = None

    def read(self) -> ParsedDocument:
        """Walk the segments once, dispatching on the segment id."""
        walk(self, self.tx.segments, _HANDLERS)
        return self.finish()

    def where(self, seg: Segment) -> str:
        """The set and segment, for messages."""
        return f"{self.kind} ST02 {self.tx.control} ({seg[0]} at segment {seg[2]})"

    def on_ak1(self, seg: Segment) -> None:
        """AK1: the group we sent (AK101 functional id, AK102 our GS06)."""
        if self.ak1 is not None:
            self.found.add("ack.repeated_segment", f"{self.where(seg)}: a second AK1; only the "
                           "first is read, as a functional acknowledgement answers one group",
                           seg[2])
            return
        self.ak1 = seg

    def on_ak2(self, seg: Segment) -> None:
        """AK2: a new set loop (AK201 set id, AK202 our ST02)."""
        self.close_loop()
        self.loop = _AckedLoop(element(seg[1], 1), element(seg[1], 2), seg[2])
        self.loops.append(self.loop)

    def on_ak3(self, seg: Segment) -> None:
        """AK3 / IK3: a segment in error (AK301 id, AK302 position, AK304.. codes)."""
        f = seg[1]
        self.close_note()
        codes = [c for c in (element(f, k) for k in range(4, 9)) if c]
        self.note = _SegmentNote(element(f, 1), element(f, 2), codes)
        if self.loop is None:
            self.outside(seg)
        else:
            self.loop.notes.append(self.note)

    def on_ak4(self, seg: Segment) -> None:
        """AK4 / IK4: an element in error (AK401 position, AK403 code, AK404 bad value)."""
        f = seg[1]
        if self.note is None:
            self.outside(seg, "AK3/IK3 segment note")
            return
        position = self.components(self.first_repeat(element(f, 1)))
        name = _element_name(self.note.segment_id, position)
        text = f"{name} {meaning(ELEMENT_ERRORS, element(f, 3))}"
        bad = element(f, 4)
        self.note.elements.append((text + (f" (value {quoted(bad)})" if bad else ""), []))

    def on_ctx(self, seg: Segment) -> None:
        """CTX (999): the business context of the note it follows."""
        text = self.context(seg[1])
        if self.note is None:
            self.outside(seg)
        elif self.note.elements:
            self.note.elements[-1][1].append(text)
        else:
            self.note.contexts.append(text)

    def on_ak5(self, seg: Segment) -> None:
        """AK5 / IK5: the verdict on the set (AK501 status, AK502..AK506 codes)."""
        self.close_note()
        loop = self.loop
        if loop is None:
            self.outside(seg)
        elif loop.status:
            self.found.add("ack.repeated_segment", f"{self.where(seg)}: a second verdict for "
                           f"set {loop.set_id} {loop.control}; the first "
                           f"({loop.status}) is kept", seg[2])
        else:
            loop.status = element(seg[1], 1)
            loop.codes = [c for c in (element(seg[1], k) for k in range(2, 7)) if c]
            if loop.status not in STATUSES:
                self.found.add("ack.unknown_status", f"{self.where(seg)}: the verdict "
                               f"{quoted(loop.status)} on set {loop.set_id} {loop.control} is "
                               "not a standard code; the hub reads it as a rejection", seg[2])

    def on_ak9(self, seg: Segment) -> None:
        """AK9: the verdict on the whole group (AK901, AK905..AK909)."""
        self.close_loop()
        if self.ak9 is not None:
            self.found.add("ack.repeated_segment", f"{self.where(seg)}: a second AK9; the "
                           "first is kept", seg[2])
            return
        self.ak9 = seg

    def first_repeat(self, value: str) -> str:
        """The first repetition of an element (005010 repetition separator)."""
        return value.split(self.rep, 1)[0] if self.rep else value

    def components(self, value: str) -> list[str]:
        """An element split on the sub-element separator (ISA16), when there is one."""
        return value.split(self.sub) if self.sub else [value]

    def context(self, f: list[str]) -> str:
        """CTX01 (context name and reference) and, for a trigger, CTX02/03/05: where it is."""
        parts = self.components(self.first_repeat(element(f, 1)))
        name, ref = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
        if name.upper() == "SITUATIONAL TRIGGER":
            spot = f"segment {element(f, 2) or '?'} at position {element(f, 3) or '?'}"
            position = self.components(element(f, 5))
            if position[0]:
                spot += f", {_element_name(element(f, 2), position)}"
            return f"situational trigger: {spot}"
        return f"{name} {ref}".strip()

    def outside(self, seg: Segment, loop: str = "AK2 loop") -> None:
        """A note or verdict with no loop to belong to."""
        self.found.add("ack.out_of_place", f"{self.where(seg)} stands outside any {loop}, so "
                       "it is not known what it concerns; it was not read", seg[2])

    def close_note(self) -> None:
        """End the current AK3/IK3 note."""
        self.note = None

    def close_loop(self) -> None:
        """End the current AK2 loop."""
        self.close_note()
        self.loop = None

    def finish(self) -> ParsedDocument:
        """Check what the set must hold and build the FunctionalAck."""
        found, tx = self.found, self.tx
        if self.ak1 is None or not element(self.ak1[1], 2):
            found.add("ack.missing_group", f"{self.kind} ST02 {tx.control} (segment {tx.number}) "
                      "has no AK1 with a group control number (AK102), so it cannot be matched "
                      "with any group we sent: ask the partner to resend it", tx.number, True)
        sets = tuple(filter(None, map(self.acked_set, self.loops)))
        status = element(self.ak9[1], 1) if self.ak9 is not None else ""
        if not status:
            found.add("ack.missing_group_status", f"{self.kind} ST02 {tx.control} (segment "
                      f"{tx.number}) has no group verdict (AK901)"
                      + ("; each set's own verdict is used" if sets else
                         " and no set verdict either, so it says nothing"), tx.number, not sets)
        if found.fatal:
            return ParsedDocument(self.kind, None, found.problems)
        codes = [element(self.ak9[1], k) for k in range(5, 10)] if self.ak9 is not None else []
        errors = tuple(group_error(c, tx.version) for c in codes if c)
        return ParsedDocument(self.kind, FunctionalAck(
            kind=self.kind, functional_id=element(self.ak1[1], 1),
            group_control=element(self.ak1[1], 2), group_status=status, sets=sets,
            errors=errors), found.problems)

    def acked_set(self, loop: _AckedLoop) -> AckedSet | None:
        """The AckedSet of one loop, or None (with a problem) when it cannot be matched."""
        where = f"{self.kind} ST02 {self.tx.control}: the AK2 loop at segment {loop.number}"
        if not loop.control or not loop.status:
            missing = "our set control number (AK202)" if not loop.control else \
                "a verdict (AK501/IK501)"
            self.found.add("ack.incomplete_set", f"{where} has no {missing}; it was not read, "
                           "so that set stays unanswered until the partner resends", loop.number)
            return None
        errors = [s for note in loop.notes for s in note.sentences()]
        errors += [f"{set_error(c, self.tx.version)} (code {c})" for c in loop.codes
                   if c not in SUMMARY_SET_ERRORS or not loop.notes]
        return AckedSet(loop.set_id, loop.control, loop.status, tuple(errors))


def _element_name(segment_id: str, position: list[str]) -> str:
    """'element 2 (PO102)' or 'element 8, component 2 (NM108-2)' from an AK401 composite."""
    number = position[0].strip()
    component = position[1].strip() if len(position) > 1 else ""
    label = f"element {number or '?'}" + (f", component {component}" if component else "")
    if number.isascii() and number.isdigit() and len(number) <= 2 and segment_id.isalnum() \
            and segment_id not in ("", "?"):
        ref = f"{segment_id}{int(number):02d}" + (f"-{component}" if component else "")
        label += f" ({ref})"
    return label


def _context(contexts: list[str]) -> str:
    """CTX contexts appended to a sentence."""
    return f" (context: {'; '.join(contexts)})" if contexts else ""


_HANDLERS = {
    "AK1": FunctionalAckReader.on_ak1, "AK2": FunctionalAckReader.on_ak2,
    "AK3": FunctionalAckReader.on_ak3, "IK3": FunctionalAckReader.on_ak3,
    "AK4": FunctionalAckReader.on_ak4, "IK4": FunctionalAckReader.on_ak4,
    "CTX": FunctionalAckReader.on_ctx,
    "AK5": FunctionalAckReader.on_ak5, "IK5": FunctionalAckReader.on_ak5,
    "AK9": FunctionalAckReader.on_ak9,
}


def parse_functional_ack(tx: Transaction) -> ParsedDocument:
    """A 997 or 999 transaction set as a FunctionalAck, or the problems that prevent it."""
    return FunctionalAckReader(tx).read()
