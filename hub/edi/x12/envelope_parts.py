"""What the envelope checks fill in: :class:`Group` (GS..GE) and :class:`Transaction` (ST..SE)."""

from __future__ import annotations

from hub.edi.x12.control_numbers import ControlNumbers
from hub.edi.x12.delimiters import Delimiters
from hub.edi.x12.segments import Interchange, Segment
from hub.edi.x12.errors import X12Error


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
