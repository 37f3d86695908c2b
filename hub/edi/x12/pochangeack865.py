"""Inbound 865 purchase order change acknowledgments/requests (seller initiated).

An 865 answers our 860 (accepting or refusing the change, whole or line by line) or tells of
a change the supplier makes to our purchase order on its own (a quantity cut, a deleted line,
a new ship date). This module only reads it; hub.services.apply decides which it is.

Read (X12 865 003xxx-005010; heading ST, BCA, ... DTM at 150; detail: the POC loop, in it the
ACK loop, ACK at 270 and its DTM at 280)::

    BCA  BCA01 purpose (element 353; 19 seller-initiated change), BCA02 acknowledgment type
         (587: AC, AT... accept; RD, RJ... reject), BCA03 our PO number, BCA04 release,
         BCA05 the change order sequence number (our BCH05), BCA06 the PO date
    DTM  in the heading: a ship date for every line (DTM01 068/079/010/038 and DTM02)
    POC  POC01 our line number, POC02 change or response type (670: DI delete, QD/QI
         quantity decrease/increase, CT change of dates, CA changes to line items...),
         POC03 the line's quantity from now on, POC05 unit, POC06 unit price, POC08..
         qualifier/value pairs
    ACK  under a POC: ACK01 line status (668: IA accepted, IR rejected, IC/IQ/IS changed,
         DR date rescheduled...), ACK02 quantity, ACK03 unit, ACK04/ACK05 date qualifier/date
    DTM  under a POC (or its ACK): the line's new ship date, with the qualifiers above

Everything else (N1, REF, PO4, CTT...) is not needed to apply it and is skipped.

Fatal (no document): no BCA, no PO number, a cancellation or delete of an earlier answer
(BCA01 01/03: the hub does not undo answers), an 865 that says nothing (no BCA02 and no POC
line), a POC without POC02, an ACK without line status or with an unreadable quantity, an
unreadable POC03, a line answered twice. Kept with a problem: unreadable dates or unit
prices, a BCA05 that is not a sequence number, ACK or DTM segments outside a POC loop.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.domain.documents import ChangeAck, ChangeAckLine, LineAck, ParsedDocument
from hub.edi.x12.answer_fields import (Findings, element, item_ids, quoted, read_amount, read_date,
                                   read_line_ack, read_whole, short_dates_allowed, walk)
from hub.edi.x12.envelope import Transaction
from hub.edi.x12.reader import Segment

# BCA01 purposes that withdraw an earlier answer instead of giving one.
WITHDRAWING_PURPOSES = {"01": "cancellation", "03": "delete"}
# DTM01 qualifiers (element 374) that give a ship date: current schedule ship, promised for
# shipment, requested ship, ship no later. Delivery dates (002, 017, 067...) are not ship dates.
SHIP_DATE_QUALIFIERS = frozenset({"068", "079", "010", "038"})


class _Line:
    """One POC loop being read."""

    __slots__ = ("number", "code", "quantity", "buyer", "vendor", "acks", "ship_date", "segment", "price")

    def __init__(self, number: str, code: str, quantity: int | None, buyer: str, vendor: str,
                 segment: int, price: Decimal | None = None):
        self.number, self.code, self.quantity = number, code, quantity
        self.buyer, self.vendor, self.segment, self.price = buyer, vendor, segment, price
        self.acks: list[LineAck] = []
        self.ship_date: date | None = None


class ChangeAckReader:
    """Reads one 865 transaction set into a :class:`ChangeAck`."""

    def __init__(self, tx: Transaction):
        self.tx, self.found = tx, Findings()
        self.short_dates = short_dates_allowed(tx.version)
        self.bca: Segment | None = None
        self.ship_date: date | None = None
        self.lines: list[_Line] = []

    def read(self) -> ParsedDocument:
        """Walk the segments once, dispatching on the segment id."""
        walk(self, self.tx.segments, _HANDLERS)
        return self.finish()

    def name(self) -> str:
        """The document, for messages: by PO number once BCA is read."""
        po = element(self.bca[1], 3) if self.bca is not None else ""
        return f"865 for purchase order {po}" if po else f"865 ST02 {self.tx.control}"

    def on_bca(self, seg: Segment) -> None:
        """BCA: purpose, type, PO number, change sequence and date."""
        if self.bca is not None:
            self.found.add("change_ack.repeated_segment", f"{self.name()}: a second BCA (segment "
                           f"{seg[2]}) was ignored; the first one is read", seg[2])
            return
        self.bca = seg

    def on_poc(self, seg: Segment) -> None:
        """POC: a line of our PO and the change made to it."""
        f = seg[1]
        number, code, qty_text = element(f, 1), element(f, 2), element(f, 3)
        quantity = read_whole(qty_text)
        where = f"{self.name()}, line {number or '?'} (POC at segment {seg[2]})"
        if not code:
            self.found.add("change_ack.missing_change_code", f"{where}: POC02, the change or "
                           "response type, is empty, so what changes on the line is unknown: "
                           "ask the supplier", seg[2], True)
        if qty_text and quantity is None:
            self.found.add("change_ack.bad_quantity", f"{where}: POC03 {quoted(qty_text)} is not "
                           "a whole number of units, so the line's quantity is unknown: ask the "
                           "supplier", seg[2], True)
        price_text = element(f, 6)
        price = read_amount(price_text)
        if price_text and price is None:
            self.found.add("change_ack.bad_price", f"{where}: POC06 {quoted(price_text)} is not a "
                           "unit price; it was left out", seg[2])
        buyer, vendor, _ = item_ids(f, 8)
        self.lines.append(_Line(number, code, quantity, buyer, vendor, seg[2], price))

    def on_ack(self, seg: Segment) -> None:
        """ACK: what the supplier does with (part of) the line above it."""
        f = seg[1]
        if not self.lines:
            self.found.add("change_ack.out_of_place", f"{self.name()}: the ACK at segment {seg[2]} "
                           "comes before any POC line, so it answers no line and was ignored",
                           seg[2])
            return
        line = self.lines[-1]
        where = f"{self.name()}, line {line.number or '?'} (ACK at segment {seg[2]})"
        line.acks.append(read_line_ack(f, seg[2], where, self.found, "change_ack", self.short_dates))

    def on_dtm(self, seg: Segment) -> None:
        """DTM: a ship date, for the line above it or (before any POC) for every line."""
        f = seg[1]
        if element(f, 1) not in SHIP_DATE_QUALIFIERS:
            return
        text = element(f, 2)
        when = read_date(text, self.short_dates)
        if when is None:
            self.found.add("change_ack.bad_date", f"{self.name()}: DTM02 {quoted(text)} (segment "
                           f"{seg[2]}) is not a date ({self.date_form()}); it was left out", seg[2])
        elif self.lines:
            self.lines[-1].ship_date = when
        else:
            self.ship_date = when

    def date_form(self) -> str:
        """How dates must be written in this set's version."""
        return "CCYYMMDD or YYMMDD" if self.short_dates else "CCYYMMDD"

    def finish(self) -> ParsedDocument:
        """Check the header and lines, then build the ChangeAck."""
        self.check_header()
        self.check_lines()
        if self.found.fatal:
            return ParsedDocument("865", None, self.found.problems)
        f, n = self.bca[1], self.bca[2]
        date_text, seq_text = element(f, 6), element(f, 5)
        when = read_date(date_text, self.short_dates)
        if date_text and when is None:
            self.found.add("change_ack.bad_date", f"{self.name()}: BCA06 {quoted(date_text)} "
                           f"(segment {n}) is not a date ({self.date_form()}); it was left out", n)
        sequence = read_whole(seq_text)
        if seq_text and sequence is None:
            self.found.add("change_ack.bad_sequence", f"{self.name()}: BCA05 {quoted(seq_text)} "
                           f"(segment {n}) is not one of our change sequence numbers; the 865 "
                           "was matched to the purchase order's oldest open change instead", n)
        lines = tuple(ChangeAckLine(ln.number, ln.code, ln.quantity, ln.buyer, ln.vendor,
                                    tuple(ln.acks), ln.ship_date, ln.price) for ln in self.lines)
        return ParsedDocument("865", ChangeAck(
            po_number=element(f, 3), purpose=element(f, 1), ack_type=element(f, 2),
            sequence=sequence, date=when, ship_date=self.ship_date, lines=lines),
            self.found.problems)

    def check_header(self) -> None:
        """BCA must be there with a PO number, must not withdraw an answer, and must say something."""
        tx, bca = self.tx, self.bca
        if bca is None:
            self.found.add("change_ack.missing_bca", f"865 ST02 {tx.control} (segment {tx.number}) "
                           "has no BCA segment, so it names no purchase order: ask the supplier "
                           "to resend it", tx.number, True)
            return
        f, n = bca[1], bca[2]
        if not element(f, 3):
            self.found.add("change_ack.missing_po_number", f"865 ST02 {tx.control}: BCA03, our "
                           f"purchase order number, is empty (segment {n}): ask the supplier "
                           "which order it is about", n, True)
        purpose = element(f, 1)
        if purpose in WITHDRAWING_PURPOSES:
            self.found.add("change_ack.withdrawn", f"{self.name()} is a "
                           f"{WITHDRAWING_PURPOSES[purpose]} (BCA01 {purpose}, segment {n}) of an "
                           "earlier answer; the hub does not undo answers, so check the order's "
                           "lines with the supplier", n, True)
        if not element(f, 2) and not self.lines:
            self.found.add("change_ack.empty", f"{self.name()} has neither an acknowledgment type "
                           f"(BCA02, segment {n}) nor a POC line, so it says nothing to apply: ask "
                           "the supplier", n, True)

    def check_lines(self) -> None:
        """Each of our lines may be named by one POC loop only."""
        seen: dict[str, int] = {}
        for line in self.lines:
            if not line.number:
                continue
            if line.number in seen:
                self.found.add("change_ack.duplicate_line", f"{self.name()}: line {line.number} "
                               f"is named twice (POC at segments {seen[line.number]} and "
                               f"{line.segment}), so which change holds is unclear: ask the "
                               "supplier", line.segment, True)
            else:
                seen[line.number] = line.segment


_HANDLERS = {"BCA": ChangeAckReader.on_bca, "POC": ChangeAckReader.on_poc,
             "ACK": ChangeAckReader.on_ack, "DTM": ChangeAckReader.on_dtm}


def parse_change_ack(tx: Transaction) -> ParsedDocument:
    """An 865 transaction set as a ChangeAck, or the problems that prevent it."""
    return ChangeAckReader(tx).read()
