"""Inbound 855 purchase order acknowledgements: the supplier's answer, line by line.

Read (X12 855 003xxx-005010)::

    BAK  BAK01 purpose, BAK02 acknowledgment type, BAK03 our PO number, BAK04 PO date,
         BAK08 the seller's order number
    REF  REF*VN vendor order number (when BAK08 is empty)
    PO1  PO101 our line number, PO102 quantity, PO104 unit price, PO106.. qualifier/value
         pairs naming the item (BP/IN.. ours, VP/VN.. the supplier's)
    ACK  under a PO1: ACK01 line status, ACK02 quantity, ACK03 unit, ACK04/ACK05 date

A PO1 without ACK is a line with no acks: BAK02 then decides for it. Everything else (N1,
SCH, PID, CTT...) is not needed to apply the answer and is skipped.

Fatal (no document): no BAK, no PO number or acknowledgment type, a cancellation (BAK01
01/03, which would undo an earlier answer: the hub does not undo acknowledgments), an ACK
without line status or with an unreadable quantity, a line answered twice. Kept with a
problem: unreadable dates, PO1 quantities and prices, ACK segments outside a PO1 loop.
"""

from __future__ import annotations

from hub.domain.documents import LineAck, ParsedDocument, PoAck, PoAckLine
from hub.edi.x12.answer_fields import (Findings, element, item_ids, quoted, read_amount, read_date,
                                   read_line_ack, read_whole, short_dates_allowed, walk)
from hub.edi.x12.envelope import Transaction
from hub.edi.x12.reader import Segment

# BAK01 purposes that withdraw an earlier acknowledgment instead of giving one.
WITHDRAWING_PURPOSES = {"01": "cancellation", "03": "delete"}


class _Line:
    """One PO1 loop being read."""

    __slots__ = ("number", "quantity", "price", "buyer", "vendor", "acks", "segment")

    def __init__(self, number: str, quantity: int | None, price, buyer: str, vendor: str,
                 segment: int):
        self.number, self.quantity, self.price = number, quantity, price
        self.buyer, self.vendor, self.segment = buyer, vendor, segment
        self.acks: list[LineAck] = []


class PoAckReader:
    """Reads one 855 transaction set into a :class:`PoAck`."""

    def __init__(self, tx: Transaction):
        self.tx, self.found = tx, Findings()
        self.short_dates = short_dates_allowed(tx.version)
        self.bak: Segment | None = None
        self.vendor_order = ""
        self.lines: list[_Line] = []

    def read(self) -> ParsedDocument:
        """Walk the segments once, dispatching on the segment id."""
        walk(self, self.tx.segments, _HANDLERS)
        return self.finish()

    def name(self) -> str:
        """The document, for messages: by PO number once BAK is read."""
        po = element(self.bak[1], 3) if self.bak is not None else ""
        return f"855 for purchase order {po}" if po else f"855 ST02 {self.tx.control}"

    def on_bak(self, seg: Segment) -> None:
        """BAK: the purpose, type, PO number and date of the acknowledgment."""
        if self.bak is not None:
            self.found.add("poack.repeated_segment", f"{self.name()}: a second BAK (segment "
                           f"{seg[2]}) was ignored; the first one is read", seg[2])
            return
        self.bak = seg

    def on_ref(self, seg: Segment) -> None:
        """REF*VN: the supplier's own order number, for operators."""
        if not self.vendor_order and element(seg[1], 1) == "VN":
            self.vendor_order = element(seg[1], 2)

    def on_po1(self, seg: Segment) -> None:
        """PO1: a line of our PO as the supplier confirms it."""
        f = seg[1]
        qty_text, price_text = element(f, 2), element(f, 4)
        quantity, price = read_whole(qty_text), read_amount(price_text)
        where = f"{self.name()}, line {element(f, 1) or '?'} (PO1 at segment {seg[2]})"
        if qty_text and quantity is None:
            self.found.add("poack.bad_quantity", f"{where}: PO102 {quoted(qty_text)} is not a "
                           "whole number of units; the line's ACK quantities are used", seg[2])
        if price_text and price is None:
            self.found.add("poack.bad_price", f"{where}: PO104 {quoted(price_text)} is not a "
                           "price; it was left out", seg[2])
        buyer, vendor, _ = item_ids(f, 6)
        self.lines.append(_Line(element(f, 1), quantity, price, buyer, vendor, seg[2]))

    def on_ack(self, seg: Segment) -> None:
        """ACK: what the supplier does with (part of) the line above it."""
        f = seg[1]
        if not self.lines:
            self.found.add("poack.out_of_place", f"{self.name()}: the ACK at segment {seg[2]} "
                           "comes before any PO1 line, so it answers no line and was ignored",
                           seg[2])
            return
        line = self.lines[-1]
        where = f"{self.name()}, line {line.number or '?'} (ACK at segment {seg[2]})"
        line.acks.append(read_line_ack(f, seg[2], where, self.found, "poack", self.short_dates))

    def date_form(self) -> str:
        """How dates must be written in this set's version."""
        return "CCYYMMDD or YYMMDD" if self.short_dates else "CCYYMMDD"

    def finish(self) -> ParsedDocument:
        """Check the header, then build the PoAck."""
        self.check_header()
        self.check_lines()
        if self.found.fatal:
            return ParsedDocument("855", None, self.found.problems)
        f = self.bak[1]
        date_text = element(f, 4)
        when = read_date(date_text, self.short_dates)
        if date_text and when is None:
            self.found.add("poack.bad_date", f"{self.name()}: BAK04 {quoted(date_text)} (segment "
                           f"{self.bak[2]}) is not a date ({self.date_form()}); it was left out",
                           self.bak[2])
        lines = tuple(PoAckLine(ln.number, ln.quantity, ln.price, ln.buyer, ln.vendor,
                                tuple(ln.acks)) for ln in self.lines)
        return ParsedDocument("855", PoAck(
            po_number=element(f, 3), ack_type=element(f, 2), date=when, lines=lines,
            reference=element(f, 8) or self.vendor_order), self.found.problems)

    def check_header(self) -> None:
        """BAK must be there, with a PO number and a type, and must not withdraw an answer."""
        tx, bak = self.tx, self.bak
        if bak is None:
            self.found.add("poack.missing_bak", f"855 ST02 {tx.control} (segment {tx.number}) "
                           "has no BAK segment, so it names no purchase order: ask the supplier "
                           "to resend it", tx.number, True)
            return
        f, n = bak[1], bak[2]
        if not element(f, 3):
            self.found.add("poack.missing_po_number", f"855 ST02 {tx.control}: BAK03, our "
                           f"purchase order number, is empty (segment {n}): ask the supplier "
                           "which order it answers", n, True)
        if not element(f, 2):
            self.found.add("poack.missing_ack_type", f"{self.name()}: BAK02, the "
                           f"acknowledgment type, is empty (segment {n}), so whether the order "
                           "is accepted is unknown: ask the supplier", n, True)
        purpose = element(f, 1)
        if purpose in WITHDRAWING_PURPOSES:
            self.found.add("poack.withdrawn", f"{self.name()} is a "
                           f"{WITHDRAWING_PURPOSES[purpose]} (BAK01 {purpose}, segment {n}) of an "
                           "earlier acknowledgment; the hub does not undo acknowledgments, so "
                           "check the order's lines with the supplier", n, True)

    def check_lines(self) -> None:
        """Each of our lines may be answered by one PO1 loop only."""
        seen: dict[str, int] = {}
        for line in self.lines:
            if not line.number:
                continue
            if line.number in seen:
                self.found.add("poack.duplicate_line", f"{self.name()}: line {line.number} is "
                               f"answered twice (PO1 at segments {seen[line.number]} and "
                               f"{line.segment}), so which answer holds is unclear: ask the "
                               "supplier", line.segment, True)
            else:
                seen[line.number] = line.segment


_HANDLERS = {"BAK": PoAckReader.on_bak, "REF": PoAckReader.on_ref, "PO1": PoAckReader.on_po1,
             "ACK": PoAckReader.on_ack}


def parse_po_ack(tx: Transaction) -> ParsedDocument:
    """An 855 transaction set as a PoAck, or the problems that prevent it."""
    return PoAckReader(tx).read()
