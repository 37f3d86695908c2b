"""Suppliers' answers as the hub understands them, whatever the wire format.

X12 997/999, 855, 856 and 865 parsers and the XML answer mappings all produce these objects;
the services apply them to purchase orders. Plain data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class AckedSet:
    """A 997 AK2..AK5 (or 999 AK2..IK5) loop: the verdict on one transaction set we sent."""

    set_id: str              # AK201, e.g. "850"
    set_control: str         # AK202: our ST02
    status: str              # AK501 / IK501: A accepted, E accepted with errors, R rejected, ...
    errors: tuple[str, ...] = ()   # AK3/AK4 (IK3/IK4) detail, one sentence each


@dataclass(frozen=True, slots=True)
class FunctionalAck:
    """A 997 or 999 about one functional group we sent."""

    kind: str                # "997" or "999"
    functional_id: str       # AK101, e.g. "PO"
    group_control: str       # AK102: our GS06
    group_status: str        # AK901: A, E, P (partially accepted), R
    sets: tuple[AckedSet, ...] = ()
    errors: tuple[str, ...] = ()   # AK905..AK909 group-level codes, as sentences


@dataclass(frozen=True, slots=True)
class LineAck:
    """One ACK segment of an 855 line: what the supplier does with (part of) a PO line."""

    code: str                # ACK01 (IA accepted, IB backordered, IR rejected, IQ/IC changed, ...)
    quantity: int | None     # ACK02; None: the whole line
    uom: str = ""            # ACK03
    date: dt.date | None = None  # ACK05 (with ACK04 qualifier, e.g. 068 current schedule ship)


@dataclass(frozen=True, slots=True)
class PoAckLine:
    """An 855 PO1 loop: a line of our PO with the supplier's answer."""

    line_number: str         # PO101: our PO1 line number
    quantity: int | None     # PO102 as the supplier confirms it
    unit_price: Decimal | None = None   # PO104
    buyer_item: str = ""     # PO1 BP / IN
    vendor_item: str = ""    # PO1 VP / VN
    acks: tuple[LineAck, ...] = ()


@dataclass(frozen=True, slots=True)
class PoAck:
    """An 855: the supplier's acceptance, changes or rejection of a PO."""

    po_number: str           # BAK03
    ack_type: str            # BAK02: AC, AD, AE, AK, AP, AT (accepted forms), RD, RF, RJ, RO (rejected)
    date: dt.date | None = None  # BAK04
    lines: tuple[PoAckLine, ...] = ()
    reference: str = ""      # the supplier's own order number (BAK08 or REF), for operators

    @property
    def rejected(self) -> bool:
        """True when BAK02 rejects the whole purchase order."""
        return self.ack_type in ("RD", "RF", "RJ", "RO", "R1", "R2", "R3", "R4", "R5")


# BCA02 acknowledgment types that reject the change (element 587: RD, RF, RJ, RN, RO, RV).
REJECTING_TYPES = frozenset({"RD", "RF", "RJ", "RN", "RO", "RV"})


@dataclass(frozen=True, slots=True)
class ChangeAckLine:
    """An 865 POC loop: a line of our PO, the change made to it, and the supplier's ACKs."""

    line_number: str         # POC01: our PO1 line number
    change_code: str         # POC02 (element 670): DI delete, QD/QI decrease/increase, CT dates...
    quantity: int | None     # POC03: the line's quantity from now on (None: not given)
    buyer_item: str = ""     # POC BP / IN
    vendor_item: str = ""    # POC VP / VN
    acks: tuple[LineAck, ...] = ()
    ship_date: dt.date | None = None   # a line-level DTM ship date (068, 079, 010, 038)
    unit_price: Decimal | None = None  # POC06: the unit price the supplier gives the line


@dataclass(frozen=True, slots=True)
class ChangeAck:
    """An 865: the supplier's answer to our change (860), or a change of its own to our PO."""

    po_number: str           # BCA03
    purpose: str             # BCA01 (element 353): 19 seller-initiated change, 04 change, 00...
    ack_type: str            # BCA02 (element 587): AC, AT... accept; RD, RJ... reject; "" none
    sequence: int | None     # BCA05: our change's sequence number (BCH05), when it answers one
    date: dt.date | None = None   # BCA06
    ship_date: dt.date | None = None   # a header DTM ship date, for every line it names
    lines: tuple[ChangeAckLine, ...] = ()

    @property
    def rejected(self) -> bool:
        """True when BCA02 rejects the change as a whole."""
        return self.ack_type in REJECTING_TYPES

    @property
    def seller_initiated(self) -> bool:
        """True when BCA01 says the change is the supplier's own (19), not an answer to ours."""
        return self.purpose == "19"


@dataclass(frozen=True, slots=True)
class ShippedItem:
    """An 856 item level: a quantity of one PO line in this shipment."""

    line_number: str = ""    # LIN01 (assigned id, usually our PO101)
    buyer_item: str = ""     # LIN BP / IN
    vendor_item: str = ""    # LIN VP / VN
    upc: str = ""            # LIN UP
    quantity: int = 0        # SN102
    uom: str = ""            # SN103
    marks: tuple[str, ...] = ()   # SSCC-18 (MAN*GM) of the pack or tare holding it


@dataclass(frozen=True, slots=True)
class ShippedOrder:
    """An 856 order level: which PO the items below it belong to."""

    po_number: str           # PRF01
    items: tuple[ShippedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class ShipNotice:
    """An 856: one shipment, possibly for several POs, possibly partial."""

    shipment_id: str         # BSN02
    date: dt.date | None = None  # BSN03
    shipped_at: dt.datetime | None = None   # DTM*011 (shipped)
    expected_delivery: dt.date | None = None  # DTM*017 / 067 (estimated delivery)
    carrier: str = ""        # TD503 (SCAC when TD502 = 2)
    service: str = ""        # TD505 (routing) or TD512 service level
    tracking_numbers: tuple[str, ...] = ()   # REF*2I / 08 / CN / AW / WY and MAN*CP (not BM)
    bill_of_lading: str = ""  # REF*BM
    pro_number: str = ""     # REF*CN
    orders: tuple[ShippedOrder, ...] = ()
    purpose: str = "00"      # BSN01: 00 original, 05 replace, 01 cancel


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    """Something in a supplier's document the hub cannot use, in an operator's words."""

    code: str
    message: str
    segment_position: int | None = None


@dataclass
class ParsedDocument:
    """One parsed transaction set: the document, or the problems that kept it from parsing."""

    doc_type: str            # "997", "999", "855", "856", "865", or an XML answer type
    document: FunctionalAck | PoAck | ShipNotice | ChangeAck | None
    problems: list[DocumentProblem] = field(default_factory=list)
