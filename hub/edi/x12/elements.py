"""X12 data elements: the dictionary for every segment an 850 or 860 mapping may use (004010
and 005010), and how a value is written for each element type (R, N0, N2, DT, TM).

Each segment is a tuple of :class:`ElementSpec`, one per element position: the data element
number, its type, its minimum and maximum length, and whether the standard makes it mandatory
(conditional and optional elements are both "not mandatory" here; relational rules such as
"PO106 needs PO107" are the mapping author's business).

References checked (segment layouts, then lengths):

* 004010 layouts: kputnam/stupidedi ``lib/stupidedi/versions/004010/segment_defs/*.rb``
  (BEG, CUR, REF, PER, DTM, N1, N4, PO1, PID, CTT); the 004010 850 guides at
  internal.dcsnewyork.com/tech/edi/x12/850/ (BEG, PO1) and edi.hersheys.com (PO1, PO4, TD5);
  TD5 up to TD515, FOB, ITD and MSG from the 004040 pages at ws2.segment.co.il and the 004010
  guides at teamadr.com and eedi.net (MSG01 AN 1/264).
* 005010 layouts: stupidedi ``versions/005010/segment_defs`` (N4 gains N407 1715; PER, REF,
  MSG, TD5 as in 004010); ST gains ST03 1705 (pyx12's ``map/820.5010.X218.v2.xml``); ISA11
  becomes I65, the repetition separator (``map/x12.control.00501.xml``). BEG, PO1, PID,
  PO4, FOB, ITD and CTT read the same in 004010 and in the later releases on Stedi and
  doc.chinlinktech.com (x12-006010 BEG, x12-005050 PO1, x12-005020 PO4, x12-008040 FOB).
* Lengths: pyx12's ``map/dataele.xml`` (the 005010 dictionary) and the element pages above for
  004010. Where they differ: 127 Reference Identification is AN 1/30 in 004010 and 1/50 in
  005010 (Stedi x12-004020 vs x12-004030 C040, the 004010 guides); 364 Communication Number
  is AN 1/80 in 004010 and 1/256 in 005010.
* 860 segments (BCH, POC): element numbers, types and lengths from the 004010 860 guides at
  zenbridge.io (edi-dictionary X12/4010/860, BCH: 353 92 324 328 327 373 326 367 127 373 373
  1166 786 587 640 1232) and edi.hersheys.com (8604010, BCH and POC), the 004040 860 page at
  ws2.segment.co.il (POC: 27 elements, POC05 the composite C001 whose first component is 355)
  and kasoftware.com's X12 schema for release 00403 (POC03 330 R 1/15, POC04 671 R 1/9). The
  005010 layouts are bots-edi/bots-grammars ``x12/5010/records005010.py`` (BCH and POC the
  same as 004010 but BCH09, element 127, AN 1/50), whose 004010 records agree too; element 330
  became 380 "Quantity" only in later releases (005050 at doc.chinlinktech.com). Relational
  rules: the 003020-003060 pages at stedi.com (C030405: POC03 needs POC04 and POC05).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

VERSIONS = ("004010", "005010")

# Data element number -> (type, min, max), as in 004010. "C" marks a composite, which the
# hub does not write (no mapping may fill one).
_ELEMENTS_4010: dict[str, tuple[str, int, int]] = {
    # Interchange envelope (ISA/IEA)
    "I01": ("ID", 2, 2), "I02": ("AN", 10, 10), "I03": ("ID", 2, 2), "I04": ("AN", 10, 10),
    "I05": ("ID", 2, 2), "I06": ("AN", 15, 15), "I07": ("AN", 15, 15), "I08": ("DT", 6, 6),
    "I09": ("TM", 4, 4), "I10": ("ID", 1, 1), "I65": ("AN", 1, 1), "I11": ("ID", 5, 5),
    "I12": ("N0", 9, 9), "I13": ("ID", 1, 1), "I14": ("ID", 1, 1), "I15": ("AN", 1, 1),
    "I16": ("N0", 1, 5),
    # Group and transaction envelope (GS/GE, ST/SE)
    "479": ("ID", 2, 2), "142": ("AN", 2, 15), "124": ("AN", 2, 15), "28": ("N0", 1, 9),
    "455": ("ID", 1, 2), "480": ("AN", 1, 12), "97": ("N0", 1, 6), "143": ("ID", 3, 3),
    "329": ("AN", 4, 9), "96": ("N0", 1, 10), "1705": ("AN", 1, 35),
    # BEG
    "353": ("ID", 2, 2), "92": ("ID", 2, 2), "324": ("AN", 1, 22), "328": ("AN", 1, 30),
    "373": ("DT", 8, 8), "367": ("AN", 1, 30), "587": ("ID", 2, 2), "1019": ("ID", 3, 3),
    "1166": ("ID", 2, 2), "1232": ("ID", 2, 2), "786": ("ID", 2, 2), "640": ("ID", 2, 2),
    # CUR, DTM
    "98": ("ID", 2, 3), "100": ("ID", 3, 3), "280": ("R", 4, 10), "669": ("ID", 3, 3),
    "374": ("ID", 3, 3), "337": ("TM", 4, 8), "623": ("ID", 2, 2), "1250": ("ID", 2, 3),
    "1251": ("AN", 1, 35),
    # REF, PER
    "128": ("ID", 2, 3), "127": ("AN", 1, 30), "352": ("AN", 1, 80), "C040": ("C", 1, 1),
    "366": ("ID", 2, 2), "93": ("AN", 1, 60), "365": ("ID", 2, 2), "364": ("AN", 1, 80),
    "443": ("AN", 1, 20),
    # FOB, ITD
    "146": ("ID", 2, 2), "309": ("ID", 1, 2), "334": ("ID", 2, 2), "335": ("ID", 3, 3),
    "54": ("ID", 2, 2), "336": ("ID", 2, 2), "333": ("ID", 1, 2), "338": ("R", 1, 6),
    "370": ("DT", 8, 8), "351": ("N0", 1, 3), "446": ("DT", 8, 8), "386": ("N0", 1, 3),
    "362": ("N2", 1, 10), "388": ("DT", 8, 8), "389": ("N2", 1, 10), "342": ("R", 1, 5),
    "765": ("N0", 1, 2), "107": ("ID", 1, 2), "954": ("R", 1, 10),
    # TD5
    "133": ("ID", 1, 2), "66": ("ID", 1, 2), "67": ("AN", 2, 80), "91": ("ID", 1, 2),
    "387": ("AN", 1, 35), "368": ("ID", 2, 2), "310": ("AN", 1, 30), "731": ("ID", 2, 2),
    "732": ("ID", 2, 2), "733": ("R", 1, 4), "284": ("ID", 2, 2), "26": ("ID", 2, 3),
    # N1..N4
    "706": ("ID", 2, 2), "166": ("AN", 1, 55), "19": ("AN", 2, 30), "156": ("ID", 2, 2),
    "116": ("ID", 3, 15), "1715": ("ID", 1, 3),
    # PO1, PID, PO4
    "350": ("AN", 1, 20), "330": ("R", 1, 15), "355": ("ID", 2, 2), "212": ("R", 1, 17),
    "639": ("ID", 2, 2), "235": ("ID", 2, 2), "234": ("AN", 1, 48), "349": ("ID", 1, 1),
    "750": ("ID", 2, 3), "559": ("ID", 2, 2), "751": ("AN", 1, 12), "752": ("ID", 2, 2),
    "822": ("AN", 1, 15), "1073": ("ID", 1, 1), "819": ("ID", 2, 3), "356": ("N0", 1, 6),
    "357": ("R", 1, 8), "103": ("AN", 3, 5), "187": ("ID", 1, 2), "384": ("R", 1, 9),
    "385": ("R", 1, 9), "82": ("R", 1, 8), "189": ("R", 1, 8), "65": ("R", 1, 8),
    "810": ("N0", 1, 6), "1470": ("N0", 1, 9),
    # MSG, AMT, CTT
    "933": ("AN", 1, 264), "934": ("ID", 2, 2), "522": ("ID", 1, 3), "782": ("R", 1, 18),
    "478": ("ID", 1, 1), "354": ("N0", 1, 6), "347": ("R", 1, 10), "81": ("R", 1, 10),
    "183": ("R", 1, 8),
    # BCH, POC (860)
    "327": ("AN", 1, 8), "326": ("AN", 1, 45), "670": ("ID", 2, 2), "671": ("R", 1, 9),
}

# Where the 005010 dictionary differs from 004010.
_CHANGED_IN_5010: dict[str, tuple[str, int, int]] = {
    "127": ("AN", 1, 50),    # REF02
    "364": ("AN", 1, 256),   # PER04/06/08
}

# Segment layouts: data element numbers by position; "!" marks a mandatory element.
_PRODUCT_IDS = " ".join(["235 234"] * 10)   # PO106..PO125: ten qualifier/id pairs
_CUR_DATES = " ".join(["374 373 337"] * 5)  # CUR07..CUR21: five date/time triples
_LAYOUTS: dict[str, str] = {
    "ISA": "I01! I02! I03! I04! I05! I06! I05! I07! I08! I09! I10! I11! I12! I13! I14! I15!",
    "GS": "479! 142! 124! 373! 337! 28! 455! 480!",
    "ST": "143! 329!",
    "SE": "96! 329!",
    "GE": "97! 28!",
    "IEA": "I16! I12!",
    "BEG": "353! 92! 324! 328 373! 367 587 1019 1166 1232 786 640",
    "CUR": f"98! 100! 280 98 100 669 {_CUR_DATES}",
    "REF": "128! 127 352 C040",
    "PER": "366! 93 365 364 365 364 365 364 443",
    "FOB": "146! 309 352 334 335 309 352 54 352",
    "ITD": "336 333 338 370 351 446 386 362 388 389 342 352 765 107 954",
    "DTM": "374! 373 337 623 1250 1251",
    "TD5": "133 66 67 91 387 368 309 310 731 732 733 284 284 284 26",
    "N1": "98! 93 66 67 706 98",
    "N2": "93! 93",
    "N3": "166! 166",
    "N4": "19 156 116 26 309 310",
    "PO1": f"350 330 355 212 639 {_PRODUCT_IDS}",
    "PID": "349! 750 559 751 352 752 822 1073 819",
    "PO4": "356 357 355 103 187 384 355 385 355 82 189 65 355 810 752 350 350 1470",
    "MSG": "933! 934 1470",
    "AMT": "522! 782! 478",
    "CTT": "354! 347 81 355 183 355 352",
    # 860: BCH06 is the PO date, BCH11 the date of the change request.
    "BCH": "353! 92! 324! 328 327 373! 326 367 127 373 373 1166 786 587 640 1232",
    # POC05 is the composite C001; only its first component (355, the unit) is written.
    "POC": f"350 670! 330 671 C001/355 212 639 {_PRODUCT_IDS}",
}
_LAYOUTS_5010: dict[str, str] = {
    "ISA": _LAYOUTS["ISA"].replace("I10!", "I65!"),   # ISA11 becomes the repetition separator
    "ST": "143! 329! 1705",                            # ST03 implementation convention
    "N4": "19 156 116 26 309 310 1715",                # N407 country subdivision
}

ENVELOPE_SEGMENTS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


@dataclass(frozen=True, slots=True)
class ElementSpec:
    """One element position of a segment: data element number, type, lengths, requirement."""

    ref: str          # "PO107"
    number: str       # data element number, "234"
    type: str         # "ID", "AN", "N0", "N2", "R", "DT", "TM", or "C" for a composite
    min: int
    max: int
    mandatory: bool
    # A composite of which only the first component is written ("C001" for POC05): the
    # element holds that component alone, so it needs no sub-element separator.
    composite: str = ""

    @property
    def position(self) -> str:
        """The position as operators read it: "PO1 07"."""
        return f"{self.ref[:-2]} {self.ref[-2:]}"


def _build(version: str) -> dict[str, tuple[ElementSpec, ...]]:
    """Expand the layouts of one version into element specs."""
    dictionary = dict(_ELEMENTS_4010)
    layouts = dict(_LAYOUTS)
    if version == "005010":
        dictionary.update(_CHANGED_IN_5010)
        layouts.update(_LAYOUTS_5010)
    segments = {}
    for seg_id, layout in layouts.items():
        specs = []
        for pos, token in enumerate(layout.split(), start=1):
            composite, _, number = token.rstrip("!").rpartition("/")
            typ, lo, hi = dictionary[number]
            specs.append(ElementSpec(f"{seg_id}{pos:02d}", number, typ, lo, hi, token.endswith("!"),
                                     composite))
        segments[seg_id] = tuple(specs)
    return segments


_SEGMENTS = {version: _build(version) for version in VERSIONS}


def segment_spec(version: str, seg_id: str) -> tuple[ElementSpec, ...] | None:
    """The element specs of a segment in a version, or None if the hub does not know it."""
    return _SEGMENTS.get(version, {}).get(seg_id)


def segment_ids(version: str) -> frozenset[str]:
    """Every segment id known for a version, envelope included."""
    return frozenset(_SEGMENTS.get(version, {}))


# --- values by element type ---------------------------------------------------------------

# An X12 "R" value already in written form: no leading zeros, no trailing zeros or point.
R_CANONICAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")


class UnfitValue(ValueError):
    """A value that cannot be written in its element; ``reason`` says why, for an operator."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def format_typed(value: str, kind: str, low: int, high: int) -> str:
    """A number, date or time written the X12 way for its type; raises UnfitValue."""
    value = value.strip()
    if kind == "R":
        return _format_decimal(_parse_number(value), low, high)
    if kind in ("N0", "N2"):
        number = _parse_number(value) * (100 if kind == "N2" else 1)
        if number != number.to_integral_value():
            raise UnfitValue(f"is {value!r}, which has more decimals than the "
                             f"{'2 implied' if kind == 'N2' else 'whole-number'} type allows")
        return _format_integer(int(number), low, high)
    if kind == "DT":
        return _check_date(value, low)
    if kind == "TM":
        return _check_time(value)
    return value


def _parse_number(value: str) -> Decimal:
    """A finite decimal number, or UnfitValue."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise UnfitValue(f"is {value!r}, which is not a number") from None
    if not number.is_finite():
        raise UnfitValue(f"is {value!r}, which is not a number")
    return number


def _format_decimal(number: Decimal, low: int, high: int) -> str:
    """X12 'R': no exponent, no trailing zeros or point; lengths count digits only."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    digits = sum(c.isdigit() for c in text)
    if digits > high:
        raise UnfitValue(f"is {text}, {digits} digits, more than the {high} the element allows")
    if digits < low:   # pad with decimal zeros, which do not change the value
        text += ("" if "." in text else ".") + "0" * (low - digits)
    return text


def _format_integer(number: int, low: int, high: int) -> str:
    """X12 'N0': digits only, zero-padded to the minimum length; the sign is not counted."""
    text = f"{abs(number):0{low}d}"
    if len(text) > high:
        raise UnfitValue(f"is {number}, {len(text)} digits, more than the {high} the element allows")
    return "-" + text if number < 0 else text


def _check_date(value: str, length: int) -> str:
    """CCYYMMDD (or YYMMDD for 6-character dates) that names a real day."""
    try:
        if len(value) != length or not value.isascii() or not value.isdigit():
            raise ValueError
        if length == 8:
            date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise UnfitValue(f"is {value!r}, which is not a date written "
                         f"{'CCYYMMDD' if length == 8 else 'YYMMDD'}") from None
    return value


def _check_time(value: str) -> str:
    """HHMM, HHMMSS or HHMMSS with decimal seconds."""
    if (not value.isdigit() or not value.isascii() or len(value) not in (4, 6, 7, 8)
            or value[:2] > "23" or value[2:4] > "59" or value[4:6] > "59"):
        raise UnfitValue(f"is {value!r}, which is not a time written HHMM or HHMMSS")
    return value
