"""The X12 glossary: what segments, elements and codes are called, for people reading documents.

Segment names, element layouts, composites and element names come from
``glossary_data/x12.toml`` and pyx12's own element dictionary (``pyx12/map/dataele.xml``);
code meanings from ``glossary_data/codes.json``. The segments the 850/860 writer knows are laid out
from its dictionary (:mod:`hub.edi.x12.elements`), so the viewer and the writer agree on them. Where
each fact comes from is written at the top of the data files.

Everything is loaded on first use and kept; nothing is read at import time.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hub.edi.x12.elements import segment_spec
from hub.edi.xml.safe import parse_bytes

_DATA = resources.files("hub.edi.x12") / "glossary_data"


@dataclass(frozen=True, slots=True)
class Composite:
    """A composite element: its name and the data element number of each component."""

    name: str
    components: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """One element position of a segment: number, name, and a composite's components."""

    number: str                             # "324"; a composite "C040"
    name: str                               # "" when the dictionary has none
    components: tuple[Position, ...] = ()   # empty for a simple element


def release(version: str) -> str:
    """The dictionary release used for a GS08 or ISA12 version: "005010" from 00501 on, else "004010"."""
    digits = version.strip()[:6].ljust(6, "0")
    return "005010" if digits.isdigit() and digits >= "005010" else "004010"


def segment_name(seg_id: str, version: str = "004010") -> str:
    """The standard name of a segment ("BEG" -> "Beginning Segment for Purchase Order"), or ""."""
    data = _dictionary()
    if release(version) == "005010" and seg_id in data["segments_005010"]:
        return data["segments_005010"][seg_id]
    return data["segments"].get(seg_id, "")


def layout(seg_id: str, version: str = "004010") -> tuple[str, ...]:
    """Data element numbers of a segment by position (index 0 is element 01); () if unknown."""
    return tuple(p.number for p in positions(seg_id, version))


def positions(seg_id: str, version: str = "004010") -> tuple[Position, ...]:
    """The positions of a segment with their names, worked out once per segment and release."""
    # ISA11 became the repetition separator in 00402, before the rest of the 005010 dictionary.
    isa12 = version.strip()[:5]
    isa_5010 = seg_id == "ISA" and isa12.isdigit() and isa12 >= "00402"
    return _positions(seg_id, "005010" if isa_5010 else release(version))


def composite(number: str) -> Composite | None:
    """The composite with this number ("C040"), or None for a simple element."""
    return _composites().get(number)


def element_name(number: str) -> str:
    """The dictionary name of a data element ("324" -> "Purchase Order Number"), or ""."""
    found = composite(number)
    if found is not None:
        return found.name
    return _dictionary()["elements"].get(number) or _pyx12_names().get(number, "")


def code_meaning(number: str, code: str) -> str:
    """What ``code`` means in data element ``number`` ("353", "00" -> "Original"), or ""."""
    code = code.strip()
    if not code:
        return ""
    # Elements whose values name other parts of the dictionary (AK301/IK301, AK402/IK402).
    if number == "721":
        return segment_name(code)
    if number == "725":
        return element_name(code)
    return _codes().get(number, {}).get(code, "")


@cache
def _positions(seg_id: str, dictionary_release: str) -> tuple[Position, ...]:
    spec = segment_spec(dictionary_release, seg_id)
    # A composite the writer fills only the first component of is still that composite here.
    numbers = tuple(e.composite or e.number for e in spec) if spec is not None else \
        _layouts().get(seg_id, ())
    return tuple(_position(number) for number in numbers)


def _position(number: str) -> Position:
    found = composite(number)
    if found is None:
        return Position(number, element_name(number))
    return Position(number, found.name, tuple(_position(part) for part in found.components))


@cache
def _dictionary() -> dict:
    return tomllib.loads((_DATA / "x12.toml").read_text(encoding="utf-8"))


@cache
def _layouts() -> dict[str, tuple[str, ...]]:
    return {seg_id: tuple(text.split()) for seg_id, text in _dictionary()["layouts"].items()}


@cache
def _composites() -> dict[str, Composite]:
    return {number: Composite(entry["name"], tuple(entry["components"].split()))
            for number, entry in _dictionary()["composites"].items()}


@cache
def _codes() -> dict[str, dict[str, str]]:
    return json.loads((_DATA / "codes.json").read_text(encoding="utf-8"))["codes"]


@cache
def _pyx12_names() -> dict[str, str]:
    """Element names from pyx12's dictionary; entries named only by their number are skipped."""
    root = parse_bytes((resources.files("pyx12") / "map" / "dataele.xml").read_bytes())
    return {e.get("ele_num"): e.get("name") for e in root.iter("data_ele")
            if e.get("name") and e.get("name") != e.get("ele_num")}
