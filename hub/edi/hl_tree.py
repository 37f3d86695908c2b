"""The HL hierarchy of an 856: levels, their parents, and what is wrong with the tree.

HL01 is a level's id, HL02 its parent's id, HL03 its level code: S shipment, O order,
T tare, P pack, I item (other codes are read as containers, like a pack). A parent must be
an HL that comes before its child. When HL02 is empty the parent is the nearest HL above
of a higher level (S > O > T > P > I), which is how partners that leave it blank mean it.
Parents always come earlier, so walking up from any level ends.
"""

from __future__ import annotations

from collections.abc import Iterator

from hub.edi.answer_fields import element
from hub.edi.reader import Segment

LEVEL_RANKS = {"S": 0, "O": 1, "T": 2, "P": 3, "I": 4}
CONTAINER_RANK = 3             # other HL03 codes (F, Q, ...) are containers, like a pack
ITEM = "I"


class Level:
    """One HL level and what its segments said."""

    __slots__ = ("id", "code", "rank", "number", "parent", "po", "marks", "lin", "sn1",
                 "below", "below_uom", "below_marks")

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

    def above(self) -> Iterator[Level]:
        """This level, then its parent, its parent's parent..."""
        level: Level | None = self
        while level is not None:
            yield level
            level = level.parent

    def item_above(self) -> Level | None:
        """The nearest item level above this one."""
        return next((lv for lv in self.above() if lv is not self and lv.code == ITEM), None)

    def name(self) -> str:
        """'HL 3 (segment 21)', for messages."""
        return f"HL {self.id or '?'} (segment {self.number})"


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
        if parent_id:
            level.parent = self.levels.get(parent_id) if parent_id != hl_id else None
            if level.parent is None:
                self.pending.append((level, parent_id))
        elif self.current is not None:
            level.parent = next((lv for lv in self.current.above() if lv.rank < level.rank), None)
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
            item = level.item_above()
            if item is None:
                continue
            item.below_marks += level.marks
            quantity = quantity_of(level.sn1) if level.sn1 is not None else None
            if quantity is not None:
                item.below = (item.below or 0) + quantity
                item.below_uom = item.below_uom or element(level.sn1[1], 3)
