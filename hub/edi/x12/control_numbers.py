"""Control numbers seen so far, kept in little memory: ISA13, GS06 or ST02 repeats are found."""

from __future__ import annotations

from bisect import bisect_right


class ControlNumbers:
    """Control numbers seen so far, in little memory.

    New numbers go to a set; when it grows large, numeric ones are folded into sorted ranges
    (control numbers usually run in sequence, so millions of them fold into a few ranges).
    """

    __slots__ = ("_recent", "_other", "_ranges")
    FOLD_AT = 65536

    def __init__(self) -> None:
        self._recent: set[str] = set()
        self._other: set[str] = set()       # folded values that are not numbers
        self._ranges: dict[int, tuple[list[int], list[int]]] = {}   # width -> (starts, ends)

    def add(self, value: str) -> bool:
        """Record ``value``; False if it was already there."""
        return self.add_all((value,))

    def add_all(self, values: list[str] | tuple[str, ...]) -> bool:
        """Record all ``values`` if none was seen before (nor repeats); else record nothing."""
        new = set(values)
        if len(new) != len(values) or not self._recent.isdisjoint(new):
            return False
        if self._other and not self._other.isdisjoint(new):
            return False
        if self._ranges and not self._above_folded(new) and any(map(self._folded, new)):
            return False
        self._recent |= new
        if len(self._recent) >= self.FOLD_AT:
            self._fold()
        return True

    def _above_folded(self, values: set[str]) -> bool:
        """True when all values are numbers of one width above every folded one (the usual case)."""
        if len(set(map(len, values))) != 1 or not all(map(str.isdigit, values)) \
                or not all(map(str.isascii, values)):
            return False
        low = min(values)       # same width, so text order is number order
        ranges = self._ranges.get(len(low))
        return ranges is None or int(low) > ranges[1][-1]

    def _folded(self, value: str) -> bool:
        if not (value.isascii() and value.isdigit()):
            return False
        starts, ends = self._ranges.get(len(value), ((), ()))
        i = bisect_right(starts, int(value)) - 1
        return i >= 0 and int(value) <= ends[i]

    def _fold(self) -> None:
        by_width: dict[int, list[tuple[int, int]]] = {}
        for value in self._recent:
            if value.isascii() and value.isdigit():
                by_width.setdefault(len(value), []).append((int(value), int(value)))
            else:
                self._other.add(value)
        self._recent = set()
        for width, points in by_width.items():
            starts, ends = self._ranges.get(width, ([], []))
            merged_s: list[int] = []
            merged_e: list[int] = []
            for s, e in sorted(points + list(zip(starts, ends))):
                if merged_e and s <= merged_e[-1] + 1:
                    merged_e[-1] = max(merged_e[-1], e)
                else:
                    merged_s.append(s)
                    merged_e.append(e)
            self._ranges[width] = (merged_s, merged_e)
