"""The HL hierarchy of an 856: levels, their parents, and what is wrong with the tree.

HL01 is a level's id, HL02 its parent's id, HL03 its level code: S shipment, O order,
T tare, P pack, I item (other codes are read as containers, like a pack). A parent must be
an HL that comes before its child. When HL02 is empty the parent is the nearest HL above
of a higher level (S > O > T > P > I), which is how partners that leave it blank mean it.

A parent's own segments (PRF, MAN...) all come before the HL of its first child, so what a
level inherits from the levels above it (the nearest PO number, item, SSCC-marked level,
level of a higher rank) is known when the level arrives and is carried down then. Nothing
walks up the tree, so an 856 whose levels form one long chain is read in linear time.
"""

from __future__ import annotations

from hub.edi.x12.answer_fields import element
from hub.edi.x12.reader import Segment

LEVEL_RANKS = {"S": 0, "O": 1, "T": 2, "P": 3, "I": 4}
CONTAINER_RANK = 3             # other HL03 codes (F, Q, ...) are containers, like a pack
ITEM = "I"


class Level:
    """One HL level, what its segments said, and what it inherits from the levels above."""

    __slots__ = ("id", "code", "rank", "number", "parent", "po", "marks", "lin", "sn1",
                 "below", "below_uom", "below_marks",
                 "higher", "item", "marked", "po_above", "broken")

    def __init__(self, hl_id: str, code: str, number: int):
        self.id, self.code, self.number = hl_id, code, number
        self.rank = LEVEL_RANKS.get(code, CONTAINER_RANK)
        self.parent: Level | None = None
        self.po = ""                            # PRF01
        self.marks: list[str] = []              # MAN*GM
        self.lin: Segment | None = None
        self.sn1: Segment | None = None
        self.below: int | None = None           # SN1 quantities of the packs below an item
        self.below_uom = ""                     # the first of their SN103 units
        self.below_marks: list[str] = []        # MAN*GM of the packs below an item
        # Inherited from the levels above, set once by tie():
        self.higher: Level | None = None        # nearest level above of a lower rank
        self.item: Level | None = None          # nearest item level above
        self.marked: Level | None = None        # nearest level above with MAN*GM marks
        self.po_above = ""                      # nearest PRF01 above
        self.broken = False                     # it or a level above names a missing parent

    def tie(self, parent: Level | None, broken: bool) -> None:
        """Attach to ``parent`` (whose segments are all read) and inherit from it."""
        self.parent, self.broken = parent, broken
        if parent is not None:
            self.higher = nearest_higher(parent, self.rank)
            self.item = parent if parent.code == ITEM else parent.item
            self.marked = parent if parent.marks else parent.marked
            self.po_above = parent.po or parent.po_above
            self.broken = parent.broken

    def item_above(self) -> Level | None:
        """The nearest item level above this one."""
        return self.item

    def order_po(self) -> str:
        """The nearest PO number (PRF01) at or above this level; empty when there is none."""
        return self.po or self.po_above

    def marks_above(self) -> list[str]:
        """The SSCC marks of this level and the levels above it, nearest first."""
        out: list[str] = []
        level = self if self.marks else self.marked
        while level is not None:   # one step per marked level: as long as the answer
            out += level.marks
            level = level.marked
        return out

    def name(self) -> str:
        """'HL 3 (segment 21)', for messages."""
        return f"HL {self.id or '?'} (segment {self.number})"


def nearest_higher(level: Level | None, rank: int) -> Level | None:
    """``level`` or the nearest level above it whose rank is below ``rank`` (a higher level).

    Each step to ``higher`` skips only levels of a rank at least the current one's and lowers
    the rank, so it takes at most as many steps as there are ranks.
    """
    while level is not None and level.rank >= rank:
        level = level.higher
    return level


class HlTree:
    """The levels of one 856 in the order they come, with the faults of the tree."""

    __slots__ = ("levels", "ordered", "current", "pending", "faults")

    def __init__(self) -> None:
        self.levels: dict[str, Level] = {}
        self.ordered: list[Level] = []
        self.current: Level | None = None
        self.pending: list[tuple[Level, str]] = []   # levels whose parent was not seen before
        self.faults: list[tuple[int, str]] = []      # (segment, what is wrong)

    def add(self, seg: Segment) -> Level:
        """An HL segment: a new current level, tied to its parent."""
        f, n = seg[1], seg[2]
        hl_id, parent_id, code = element(f, 1), element(f, 2), element(f, 3)
        level = Level(hl_id, code, n)
        if not hl_id or not code:
            missing = "id (HL01)" if not hl_id else "level code (HL03)"
            self.faults.append((n, f"the HL at segment {n} has no {missing}"))
        elif hl_id in self.levels:
            self.faults.append((n, f"HL {hl_id} appears twice (segments "
                                   f"{self.levels[hl_id].number} and {n})"))
        else:
            self.levels[hl_id] = level
        parent = None
        if parent_id:
            parent = self.levels.get(parent_id) if parent_id != hl_id else None
            if parent is None:
                self.pending.append((level, parent_id))
        elif self.current is not None:
            parent = nearest_higher(self.current, level.rank)
        level.tie(parent, broken=bool(parent_id) and parent is None)
        self.ordered.append(level)
        self.current = level
        return level

    def check(self) -> list[tuple[int, str]]:
        """Every fault of the tree, once all the HL segments are read."""
        faults = list(self.faults)
        for level, parent_id in self.pending:
            if parent_id == level.id:
                why = "is itself"
            elif parent_id in self.levels:
                why = "comes after it"
            else:
                why = "does not exist"
            faults.append((level.number, f"{level.name()} names parent HL {parent_id}, which "
                                         f"{why}"))
        return faults

    def gather_below(self, quantity_of) -> None:
        """Give each item the SN1 quantities and SSCC marks of the packs below it (SOIP)."""
        for level in self.ordered:
            if level.code == ITEM or (level.sn1 is None and not level.marks):
                continue
            item = level.item
            if item is None:
                continue
            item.below_marks += level.marks
            quantity = quantity_of(level.sn1) if level.sn1 is not None else None
            if quantity is not None:
                item.below = (item.below or 0) + quantity
                item.below_uom = item.below_uom or element(level.sn1[1], 3)
