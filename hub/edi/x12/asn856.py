"""Inbound 856 ship notices: what left the supplier's dock, for which POs, with which carrier.

Read (X12 856 002001-005010)::

    BSN  BSN01 purpose (00 original, 01 cancellation, 03 delete, 05 replace), BSN02 shipment
         id, BSN03 date (BSN04 time is not kept)
    HL   HL01 id, HL02 parent id, HL03 level: S shipment, O order, T tare, P pack, I item
    TD5  TD503 carrier (the SCAC when TD502 is 2), TD505 routing or TD512 service level
    REF  BM bill of lading, CN PRO number; tracking numbers: see TRACKING_REFS
    DTM  011 shipped (DTM02 date, DTM03 time, DTM04 time code), 017 estimated delivery,
         067 scheduled delivery
    PRF  PRF01 our PO number (order level, or any level above or at an item)
    MAN  GM: SSCC-18 of a tare or pack; CP: a carrier's package id, i.e. a tracking number
    LIN  LIN01 our PO line number; LIN02.. qualifier/value pairs (BP/IN, VP/VN, UP...)
    SN1  SN102 quantity shipped, SN103 unit

Any level order works (SOI, SOPI, SOTPI, SOIP, S>I with PRF at the item...; the tree is
read by :mod:`hub.edi.x12.hl_tree`). An item's PO number is the nearest PRF at or above it,
else a PRF before the first HL, else a PO (or ON, customer order) pair in its LIN, as
automotive 856s write it. Its SSCC marks are those of the tares and packs above it and of
the packs below it (SOIP); an item without SN1 ships the sum of the SN1 of the packs below
it. Marks come nearest first (pack, then tare). Shipment facts (TD5, REF, DTM) are read at
any level, the first of each kind counting.

Fatal (no document): no BSN; a broken HL tree (no id, duplicate id, a parent that does not
exist or comes after its child, no level code); an item without PO number or readable
quantity; an original notice with no order or no item. A cancellation or delete (BSN01 01,
03) needs no items: the purpose tells the caller what to do.
"""

from __future__ import annotations

from datetime import date, datetime, time

from hub.domain.documents import ParsedDocument, ShipNotice, ShippedItem, ShippedOrder
from hub.edi.x12.answer_fields import (Findings, element, item_ids, quoted, read_date, read_time,
                                   read_whole, read_zone, short_dates_allowed, walk)
from hub.edi.x12.envelope import Transaction
from hub.edi.x12.hl_tree import ITEM, HlTree, Level
from hub.edi.x12.reader import Segment

# REF qualifiers holding a number the customer can track the shipment with, best first:
# 2I tracking number, 08 carrier-assigned package id, CN carrier's reference (PRO),
# AW air waybill, WY waybill, BM bill of lading (what LTL freight is tracked by).
# A bill of lading (BM) identifies the whole freight, not a parcel a customer can follow: it is
# kept as bill_of_lading, not among the tracking numbers.
TRACKING_REFS = {"2I": 0, "08": 1, "CN": 3, "AW": 4, "WY": 5}
PACKAGE_ID_RANK = 2            # MAN*CP ranks after REF*2I and REF*08, before the PRO number
NOTHING_SHIPPED = ("01", "03")  # BSN01 cancellation, delete
DELIVERY_DATES = ("017", "067")  # DTM01 estimated, then scheduled delivery
LIN_ORDER_QUALIFIERS = ("PO", "ON")  # LIN pairs naming the order when no PRF does


class ShipNoticeReader:
    """Reads one 856 transaction set into a :class:`ShipNotice`."""

    def __init__(self, tx: Transaction):
        self.tx, self.found = tx, Findings()
        self.short_dates = short_dates_allowed(tx.version)
        self.bsn: Segment | None = None
        self.tree = HlTree()
        self.header_po = ""
        self.carrier = self.any_carrier = self.service = self.service_code = ""
        self.tracking: list[tuple[int, str]] = []
        self.bill_of_lading = self.pro_number = ""
        self.shipped: Segment | None = None
        self.delivery: dict[str, Segment] = {}

    def read(self) -> ParsedDocument:
        """Walk the segments once, dispatching on the segment id."""
        walk(self, self.tx.segments, _HANDLERS)
        return self.finish()

    def name(self) -> str:
        """The document, for messages: by shipment id once BSN is read."""
        shipment = element(self.bsn[1], 2) if self.bsn is not None else ""
        return f"856 {shipment}" if shipment else f"856 ST02 {self.tx.control}"

    # -- segments -------------------------------------------------------------------------

    def on_bsn(self, seg: Segment) -> None:
        """BSN: purpose, shipment id and date."""
        if self.bsn is None:
            self.bsn = seg
        else:
            self.found.add("asn.repeated_segment", f"{self.name()}: a second BSN (segment "
                           f"{seg[2]}) was ignored; the first one is read", seg[2])

    def on_hl(self, seg: Segment) -> None:
        """HL: a new level; its segments follow until the next HL."""
        self.tree.add(seg)

    def on_prf(self, seg: Segment) -> None:
        """PRF: our PO number for the level and everything below it."""
        po = element(seg[1], 1)
        if self.tree.current is None:
            self.header_po = self.header_po or po
        elif not self.tree.current.po:
            self.tree.current.po = po

    def on_td5(self, seg: Segment) -> None:
        """TD5: carrier (TD503; a SCAC when TD502 is 2) and service (TD505 or TD512)."""
        f = seg[1]
        carrier = element(f, 3)
        if carrier and element(f, 2) == "2" and not self.carrier:
            self.carrier = carrier
        self.any_carrier = self.any_carrier or carrier
        self.service = self.service or element(f, 5)
        self.service_code = self.service_code or element(f, 12)

    def on_ref(self, seg: Segment) -> None:
        """REF: bill of lading, PRO number and tracking numbers."""
        qualifier, value = element(seg[1], 1), element(seg[1], 2)
        if not value:
            return
        rank = TRACKING_REFS.get(qualifier)
        if rank is not None:
            self.tracking.append((rank, value))
        if qualifier == "BM":
            self.bill_of_lading = self.bill_of_lading or value
        elif qualifier == "CN":
            self.pro_number = self.pro_number or value

    def on_dtm(self, seg: Segment) -> None:
        """DTM: 011 shipped, 017 / 067 delivery."""
        qualifier = element(seg[1], 1)
        if qualifier == "011":
            self.shipped = self.shipped or seg
        elif qualifier in DELIVERY_DATES:
            self.delivery.setdefault(qualifier, seg)

    def on_man(self, seg: Segment) -> None:
        """MAN: GM SSCC-18 marks of the level; CP carrier package ids (tracking numbers)."""
        f = seg[1]
        for k in (1, 4):
            qualifier, value = element(f, k), element(f, k + 1)
            if value and qualifier == "GM" and self.tree.current is not None:
                self.tree.current.marks.append(value)
            elif value and qualifier == "CP":
                self.tracking.append((PACKAGE_ID_RANK, value))

    def on_lin(self, seg: Segment) -> None:
        """LIN: which PO line the level ships."""
        if self.tree.current is not None and self.tree.current.lin is None:
            self.tree.current.lin = seg

    def on_sn1(self, seg: Segment) -> None:
        """SN1: the quantity shipped at this level."""
        if self.tree.current is not None and self.tree.current.sn1 is None:
            self.tree.current.sn1 = seg

    # -- the whole notice -----------------------------------------------------------------

    def finish(self) -> ParsedDocument:
        """Check the notice, tie the items to their orders and build the ShipNotice."""
        if self.bsn is None:
            self.found.add("asn.missing_bsn", f"856 ST02 {self.tx.control} (segment "
                           f"{self.tx.number}) has no BSN segment, so it is no ship notice "
                           "the hub can read: ask the supplier to resend it", self.tx.number, True)
        for segment, what in self.tree.check():
            self.found.add("asn.hl_structure", f"{self.name()}: {what}, so its items cannot be "
                           "tied to their orders: ask the supplier to correct the HL hierarchy",
                           segment, True)
        self.tree.gather_below(lambda sn1: read_whole(element(sn1[1], 2)))
        orders = self.orders()
        purpose = element(self.bsn[1], 1) if self.bsn is not None else ""
        if purpose not in NOTHING_SHIPPED and not self.found.fatal:
            self.check_content(orders)
        if self.found.fatal:
            return ParsedDocument("856", None, self.found.problems)
        return ParsedDocument("856", self.notice(purpose, orders), self.found.problems)

    def orders(self) -> dict[str, list[ShippedItem]]:
        """PO number -> the items shipped for it, in the order they first appear."""
        orders: dict[str, list[ShippedItem]] = {}
        orphans: list[Level] = []
        for level in self.tree.ordered:
            if level.code == "O" and level.po:
                orders.setdefault(level.po, [])
            if level.code != ITEM:
                continue
            item = self.item(level)
            po = level.order_po() or self.header_po or _lin_po(level.lin)
            if not po:
                if not level.broken:   # a broken tree is reported as such already
                    orphans.append(level)
            elif item is not None:
                orders.setdefault(po, []).append(item)
        if orphans:
            names = ", ".join(lv.name() for lv in orphans)
            self.found.add("asn.missing_po_number", f"{self.name()} gives no PO number (PRF01) "
                           f"for items {names}: no PRF at or above them, no PO in their LIN; ask "
                           "the supplier which purchase order they ship", orphans[0].number, True)
        return orders

    def item(self, level: Level) -> ShippedItem | None:
        """One item level as a ShippedItem, or None (with a problem) without a quantity."""
        if level.sn1 is not None:
            text = element(level.sn1[1], 2)
            quantity = read_whole(text)
            if quantity is None:
                self.found.add("asn.bad_quantity", f"{self.name()}, item {level.name()}: SN102 "
                               f"{quoted(text)} (segment {level.sn1[2]}) is not a whole number "
                               "of units: ask the supplier how many were shipped",
                               level.sn1[2], True)
                return None
            uom = element(level.sn1[1], 3)
        elif level.below is not None:
            quantity, uom = level.below, level.below_uom
        else:
            self.found.add("asn.missing_quantity", f"{self.name()}, item {level.name()} has no "
                           "SN1 quantity shipped: ask the supplier how many were shipped",
                           level.number, True)
            return None
        marks = level.marks_above() + level.below_marks
        lin = level.lin[1] if level.lin is not None else []
        buyer, vendor, upc = item_ids(lin, 2)
        return ShippedItem(line_number=element(lin, 1), buyer_item=buyer, vendor_item=vendor,
                           upc=upc, quantity=quantity, uom=uom,
                           marks=tuple(dict.fromkeys(marks)))

    def check_content(self, orders: dict[str, list[ShippedItem]]) -> None:
        """An original or replacing notice must ship something for some order."""
        if not orders:
            self.found.add("asn.no_orders", f"{self.name()} names no purchase order (no PRF) "
                           "and ships no item: ask the supplier to resend it", self.bsn[2], True)
        elif not any(orders.values()):
            self.found.add("asn.no_items", f"{self.name()} names purchase order(s) "
                           f"{', '.join(orders)} but ships no item (no HL level I): ask the "
                           "supplier to resend it with its items", self.bsn[2], True)

    def notice(self, purpose: str, orders: dict[str, list[ShippedItem]]) -> ShipNotice:
        """The ShipNotice, with dates read (an unreadable date is left out with a problem)."""
        f = self.bsn[1]
        shipped_on = self.date_of(self.shipped, 2, "DTM02 ship date")
        shipped_at = None
        if shipped_on is not None:
            at = self.time_of(self.shipped)
            # DTM04 gives the offset when it is a fixed one (ED, PS, UT...); else naive.
            zone = read_zone(element(self.shipped[1], 4)) if at is not None else None
            shipped_at = datetime.combine(shipped_on, at or time(), zone)
        delivery = next((self.delivery[q] for q in DELIVERY_DATES if q in self.delivery), None)
        tracking = [value for _, value in sorted(self.tracking, key=lambda t: t[0])]
        return ShipNotice(
            shipment_id=element(f, 2), date=self.date_of(self.bsn, 3, "BSN03 notice date"),
            shipped_at=shipped_at,
            expected_delivery=self.date_of(delivery, 2, "DTM02 delivery date"),
            carrier=self.carrier or self.any_carrier,
            service=self.service or self.service_code,
            tracking_numbers=tuple(dict.fromkeys(tracking)),
            bill_of_lading=self.bill_of_lading, pro_number=self.pro_number,
            orders=tuple(ShippedOrder(po, tuple(items)) for po, items in orders.items()),
            purpose=purpose)

    def date_of(self, seg: Segment | None, n: int, what: str) -> date | None:
        """Element ``n`` of ``seg`` as a date; None (with a problem when unreadable) if not."""
        text = element(seg[1], n) if seg is not None else ""
        value = read_date(text, self.short_dates)
        if text and value is None:
            form = "CCYYMMDD or YYMMDD" if self.short_dates else "CCYYMMDD"
            self.found.add("asn.bad_date", f"{self.name()}: {what} {quoted(text)} (segment "
                           f"{seg[2]}) is not a date ({form}); it was left out", seg[2])
        return value

    def time_of(self, seg: Segment) -> time | None:
        """DTM03 as a time; None (with a problem when unreadable) if not."""
        text = element(seg[1], 3)
        value = read_time(text)
        if text and value is None:
            self.found.add("asn.bad_time", f"{self.name()}: DTM03 ship time {quoted(text)} "
                           f"(segment {seg[2]}) is not a time (HHMM[SS]); the ship date was "
                           "kept without it", seg[2])
        return value


def _lin_po(lin: Segment | None) -> str:
    """A PO number among the LIN pairs (PO, else ON customer order), as automotive 856s give."""
    found = {}
    f = lin[1] if lin is not None else []
    for k in range(2, len(f) - 1, 2):
        qualifier = f[k].strip()
        if qualifier in LIN_ORDER_QUALIFIERS and f[k + 1].strip():
            found.setdefault(qualifier, f[k + 1].strip())
    return next((found[q] for q in LIN_ORDER_QUALIFIERS if q in found), "")


_HANDLERS = {
    "BSN": ShipNoticeReader.on_bsn, "HL": ShipNoticeReader.on_hl,
    "PRF": ShipNoticeReader.on_prf, "TD5": ShipNoticeReader.on_td5,
    "REF": ShipNoticeReader.on_ref, "DTM": ShipNoticeReader.on_dtm,
    "MAN": ShipNoticeReader.on_man, "LIN": ShipNoticeReader.on_lin,
    "SN1": ShipNoticeReader.on_sn1,
}


def parse_ship_notice(tx: Transaction) -> ParsedDocument:
    """An 856 transaction set as a ShipNotice, or the problems that prevent it."""
    return ShipNoticeReader(tx).read()
