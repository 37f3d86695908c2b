"""Values read from suppliers' answer segments (855, 856, 865, 997, 999), and the problems found.

Readers here take the text of one element and give a value or None; the parsers decide
whether a bad value is worth a problem. They use ``str`` methods, no regular expressions:
an 856 passes through them for every item, and the hub reads thousands of 856s a second.

A problem is *fatal* when the document cannot be applied without it (a PO number, a
quantity, the HL tree); the parsers then return no document, only the problems. Other
problems (an unreadable date, a segment out of place) travel with the document.
"""

from __future__ import annotations

from datetime import date, time, timedelta, timezone
from decimal import Decimal

from hub.domain.documents import DocumentProblem, LineAck

# YYMMDD dates belong to the versions before 004010, which moved every date to CCYYMMDD.
FIRST_CCYY_VERSION = "004010"
# YY below this is 20YY, else 19YY: the window X12 translators commonly use for YYMMDD.
CENTURY_PIVOT = 50

# Qualifier/value pairs of PO1 (PO106..) and LIN (LIN02..) naming an item, best first.
# BP/IN/PI/SK/CB: buyer's part, buyer's item, purchaser's item code, SKU, buyer's catalog.
BUYER_ITEM = {"BP": 0, "IN": 1, "PI": 2, "SK": 3, "CB": 4}
# VP/VN/VA/VC: vendor's part, item, style, catalog; MG manufacturer's part (the maker ships).
VENDOR_ITEM = {"VP": 0, "VN": 1, "VA": 2, "VC": 3, "MG": 4}
UPC_ITEM = {"UP": 0, "UK": 1, "EN": 2}          # U.P.C., GTIN-14, EAN-13

# DTM04 time codes (element 623) with a fixed offset from UTC, in hours. ET, CT, MT, PT, AT,
# HT, NT ("Eastern time"...) and LT (local) depend on daylight saving: they give no offset.
# 01..12 are ISO P01..P12 and 13..24 are ISO M12..M01.
_ZONES = {"UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7, "MD": -6,
          "PS": -8, "PD": -7, "AS": -9, "AD": -8, "HS": -10, "HD": -9, "NS": -3.5, "ND": -2.5,
          **{f"{n:02d}": n for n in range(1, 13)}, **{f"{n:02d}": n - 25 for n in range(13, 25)}}


class Findings:
    """The problems found in one transaction set; ``fatal`` once one of them blocks its use."""

    __slots__ = ("problems", "fatal")

    def __init__(self) -> None:
        self.problems: list[DocumentProblem] = []
        self.fatal = False

    def add(self, code: str, message: str, segment: int | None, fatal: bool = False) -> None:
        """Record a problem; ``fatal`` when the document cannot be applied with it."""
        self.problems.append(DocumentProblem(code, message, segment))
        self.fatal = self.fatal or fatal


def element(fields: list[str], n: int) -> str:
    """Element ``n`` of a segment's fields, white space stripped; empty when absent."""
    return fields[n].strip() if n < len(fields) else ""


def short_dates_allowed(version: str) -> bool:
    """True when the set's version (GS08 or ST03) predates 004010, so YYMMDD dates are legal."""
    head = version[:6]
    return not (len(head) == 6 and head.isascii() and head.isdigit()) or head < FIRST_CCYY_VERSION


def read_date(text: str, short_ok: bool) -> date | None:
    """CCYYMMDD, or YYMMDD when ``short_ok``, as a date; None when it is not one."""
    size = len(text)
    if not (text.isascii() and text.isdigit()) or not (size == 8 or (size == 6 and short_ok)):
        return None
    if size == 6:
        yy = int(text[:2])
        year, rest = yy + (2000 if yy < CENTURY_PIVOT else 1900), text[2:]
    else:
        year, rest = int(text[:4]), text[4:]
    try:
        return date(year, int(rest[:2]), int(rest[2:]))
    except ValueError:
        return None


def read_time(text: str) -> time | None:
    """HHMM, HHMMSS or HHMMSSD[D] (tenths, hundredths) as a time; None when it is not one."""
    if len(text) not in (4, 6, 7, 8) or not (text.isascii() and text.isdigit()):
        return None
    hour, minute = int(text[:2]), int(text[2:4])
    second = int(text[4:6]) if len(text) >= 6 else 0
    micro = int(text[6:].ljust(6, "0")) if len(text) > 6 else 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second, micro)


def read_zone(code: str) -> timezone | None:
    """The UTC offset a DTM04 time code stands for; None when it has no fixed offset."""
    hours = _ZONES.get(code)
    return None if hours is None else timezone(timedelta(hours=hours))


def read_line_ack(fields: list[str], position: int, where: str, found: Findings, prefix: str,
                  short_dates: bool) -> LineAck:
    """An ACK segment (855 and 865 alike): line status ACK01, quantity ACK02, unit ACK03, date
    ACK05. A missing status or an unreadable quantity is fatal; a bad date only a problem.
    ``prefix`` names the problems (``poack``, ``change_ack``); ``where`` says which line."""
    code, qty_text, date_text = element(fields, 1), element(fields, 2), element(fields, 5)
    quantity = read_whole(qty_text)
    if not code:
        found.add(f"{prefix}.missing_line_status", f"{where}: ACK01, the line status, is empty, so "
                  "what happens to the line is unknown: ask the supplier", position, True)
    if qty_text and quantity is None:
        found.add(f"{prefix}.bad_quantity", f"{where}: ACK02 {quoted(qty_text)} is not a whole "
                  "number of units, so the line's quantities are unknown: ask the supplier",
                  position, True)
    when = read_date(date_text, short_dates)
    if date_text and when is None:
        found.add(f"{prefix}.bad_date", f"{where}: ACK05 {quoted(date_text)} is not a date "
                  f"({'CCYYMMDD or YYMMDD' if short_dates else 'CCYYMMDD'}); the line was read "
                  "without its date", position)
    return LineAck(code, quantity, element(fields, 3), when)


def read_whole(text: str) -> int | None:
    """A whole, non-negative number of units ('24', '24.0', '24.'); None otherwise."""
    if text.isascii() and text.isdigit() and len(text) <= 15:
        return int(text)
    head, dot, tail = text.partition(".")
    if dot and head.isascii() and head.isdigit() and len(head) <= 15 \
            and (not tail or (tail.isascii() and tail.isdigit() and not tail.strip("0"))):
        return int(head)
    return None


def read_amount(text: str) -> Decimal | None:
    """An X12 decimal (R type: '47.34', '-3', '.5') as a Decimal; None otherwise."""
    digits = text[1:] if text[:1] == "-" else text
    head, _, tail = digits.partition(".")
    if not (head or tail) or len(digits) > 18 or not all(
            part.isascii() and (part.isdigit() or not part) for part in (head, tail)):
        return None
    return Decimal(text)


# Qualifier -> (slot: 0 buyer, 1 vendor, 2 UPC; rank within the slot).
_ITEM_QUALIFIERS = {q: (slot, rank)
                    for slot, ranks in enumerate((BUYER_ITEM, VENDOR_ITEM, UPC_ITEM))
                    for q, rank in ranks.items()}


def item_ids(fields: list[str], first: int) -> tuple[str, str, str]:
    """(buyer item, vendor item, UPC) from the qualifier/value pairs starting at ``first``."""
    values, ranks = ["", "", ""], [99, 99, 99]
    for k in range(first, len(fields) - 1, 2):
        found = _ITEM_QUALIFIERS.get(fields[k].strip())
        if found is not None and found[1] < ranks[found[0]]:
            value = fields[k + 1].strip()
            if value:
                values[found[0]], ranks[found[0]] = value, found[1]
    return values[0], values[1], values[2]


def quoted(value: str, limit: int = 40) -> str:
    """A value quoted for a message, shortened when long."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def walk(reader, segments, handlers: dict) -> None:
    """Hand each segment to the reader's handler for its id; segments without one are skipped."""
    for seg in segments:
        handler = handlers.get(seg[0])
        if handler is not None:
            handler(reader, seg)
