"""A supplier's EDI profile (loaded from ``partners/<id>.toml``) and its catalog entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class X12Profile:
    """How to write X12 for one partner: identities, version, delimiters, mapping."""

    version: str                      # "004010" or "005010" (GS08); ISA12 follows from it
    sender_qualifier: str             # ISA05
    sender_id: str                    # ISA06
    receiver_qualifier: str           # ISA07
    receiver_id: str                  # ISA08
    gs_sender_id: str                 # GS02
    gs_receiver_id: str               # GS03
    element_separator: str = "*"
    subelement_separator: str = ">"   # ISA16
    segment_terminator: str = "~"
    repetition_separator: str = "^"   # ISA11 from 005010 on; 004010 sends "U" there
    segment_suffix: str = "\n"        # written after each terminator: "", "\n" or "\r\n"
    ack_requested: bool = False       # ISA14
    charset: str = "ascii"            # "ascii": non-ASCII letters are transliterated
    mapping: str = "x12/850-4010.toml"
    change_mapping: str = ""          # the 860 mapping; empty: no X12 change documents
    authorization: tuple[str, str] = ("00", "")   # ISA01/ISA02
    security: tuple[str, str] = ("00", "")        # ISA03/ISA04

    @property
    def isa_version(self) -> str:
        """ISA12: 00401 for 004010, 00501 for 005010."""
        return self.version[:5]


@dataclass(frozen=True, slots=True)
class XmlProfile:
    """How to write a supplier's own XML: an XSLT mapping and the parameters it takes."""

    mapping: str = ""                 # outbound PO mapping (empty: the partner reads X12 850s)
    params: dict[str, str] = field(default_factory=dict)
    # Parameters whose values come from environment variables (e.g. a cXML shared secret).
    secret_params: dict[str, str] = field(default_factory=dict)
    file_extension: str = "xml"
    answers: tuple[str, ...] = ()     # inbound mappings for the partner's confirmations/ship notices
    change_mapping: str = ""          # outbound mapping for purchase-order changes (empty: none)


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Which transport reaches the partner, with its settings as written in the partner file."""

    type: str                         # "folder", "sftp" or "as2"
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sla:
    """How long the partner has for each answer, in hours; None means no deadline."""

    ack_hours: float | None = None    # 997/999 after our 850
    poack_hours: float | None = None  # 855 after our 850
    asn_hours: float | None = None    # first 856 after the 855 (or the 850)
    change_hours: float | None = None  # the answer to our change (865, or 997); default poack_hours
    delay_days: float | None = None   # how much later an 865 may move a ship date before an Incident


@dataclass(frozen=True, slots=True)
class Partner:
    """One supplier's EDI profile."""

    id: str
    name: str
    source: str                       # the file it was loaded from, for error messages
    active: bool = True
    test_mode: bool = False           # ISA15 "T"; XML mappings receive it as a parameter
    po_format: str = "x12"            # "x12" or "xml"
    x12: X12Profile | None = None
    xml: XmlProfile | None = None
    transport: TransportConfig = TransportConfig("folder")
    outbound: tuple[str, ...] = ("850",)
    inbound: tuple[str, ...] = ("997", "855", "856")
    poll: str = "interval:5m"         # inbox schedule: "interval:<n>[smh]" or "cron:<5 fields>"
    send_997: bool = False            # answer the partner's groups with a 997/999
    expect_997: bool = True
    sla: Sla = Sla()
    max_units_per_day: int | None = None
    fields: dict[str, str] = field(default_factory=dict)   # constants mappings may print

    def takes(self, doc_type: str) -> bool:
        """True if the partner file lists ``doc_type`` among the documents it receives."""
        return doc_type in self.outbound

    @property
    def change_mapping(self) -> str:
        """The mapping writing this partner's purchase-order changes, or "" when it has none."""
        profile = self.x12 if self.po_format == "x12" else self.xml
        return profile.change_mapping if profile is not None else ""

    @property
    def answers_changes(self) -> bool:
        """True when the partner answers our changes with an 865 (they wait for it)."""
        return "865" in self.inbound


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One SKU as one supplier sells it to us."""

    sku: str
    supplier: str                     # partner id
    supplier_item: str
    cost: Decimal
    lead_time_days: int = 0
    priority: int = 100               # lower wins
    min_qty: int = 1
    max_qty: int | None = None
    active: bool = True
    uom: str = "EA"

    def fits(self, quantity: int) -> bool:
        """True if the supplier takes this quantity on one line."""
        return self.min_qty <= quantity and (self.max_qty is None or quantity <= self.max_qty)


class Catalog:
    """The supplier catalog, indexed by SKU."""

    def __init__(self, entries: list[CatalogEntry]):
        self.entries = entries
        self.by_sku: dict[str, list[CatalogEntry]] = {}
        for e in entries:
            self.by_sku.setdefault(e.sku, []).append(e)

    def knows(self, sku: str) -> bool:
        """True if at least one active entry sells this SKU."""
        return any(e.active for e in self.by_sku.get(sku, ()))

    def offers(self, sku: str) -> list[CatalogEntry]:
        """Every entry for the SKU, active or not."""
        return self.by_sku.get(sku, [])

    def entry(self, sku: str, supplier: str) -> CatalogEntry | None:
        """The entry of one supplier for one SKU, if any."""
        for e in self.by_sku.get(sku, ()):
            if e.supplier == supplier:
                return e
        return None
