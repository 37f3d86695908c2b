"""Field checks of the ISA and GS headers: layout, widths and values, as :class:`EnvelopeError`."""

from __future__ import annotations

from hub.edi.x12.delimiters import visible
from hub.edi.x12.segments import Interchange, Segment
from hub.edi.x12.errors import EnvelopeError

ISA_WIDTHS = (0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 106
_VERSION_PREFIXES = ("002", "003", "004", "005", "006", "007", "008")   # ISA12 00200 .. 00801


def _digits(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.isdigit() and low <= len(value) <= high


def _is_yymmdd(v: str) -> bool:
    return _digits(v, 6, 6) and 1 <= int(v[2:4]) <= 12 and 1 <= int(v[4:6]) <= 31


def _is_hhmm(v: str) -> bool:
    return _digits(v, 4, 4) and int(v[:2]) < 24 and int(v[2:]) < 60


def _qualifier(v: str) -> bool:
    return len(v) == 2 and v.isascii() and v.isalnum()


# ISA element -> (test, what it must be)
_ISA_RULES = (
    (1, _qualifier, "must be a 2-character authorization qualifier (00 = none)"),
    (3, _qualifier, "must be a 2-character security qualifier (00 = none)"),
    (5, _qualifier, "must be a 2-character sender id qualifier, e.g. ZZ or 01"),
    (6, lambda v: bool(v.strip()), "the sender id must not be blank"),
    (7, _qualifier, "must be a 2-character receiver id qualifier, e.g. ZZ or 01"),
    (8, lambda v: bool(v.strip()), "the receiver id must not be blank"),
    (9, _is_yymmdd, "must be a date written YYMMDD"),
    (10, _is_hhmm, "must be a time written HHMM"),
    (12, lambda v: _digits(v, 5, 5), "must be a 5-digit version number, e.g. 00401"),
    (13, lambda v: _digits(v, 9, 9), "must be a 9-digit interchange control number"),
    (14, lambda v: v in ("0", "1"), "must be 0 or 1 (acknowledgment requested)"),
    (15, lambda v: v in ("T", "P", "I"), "must be T (test), P (production) or I (information)"),
)


def check_isa(ic: Interchange) -> list[EnvelopeError]:
    """Problems with the ISA header: its length, field widths and field values."""
    n, offset = ic.isa[2], ic.isa.offset
    return [EnvelopeError(code, message, n, "ISA", severity=severity, offset=offset)
            for code, message, severity in _isa_layout(ic) + _isa_values(ic)]


def _isa_layout(ic: Interchange) -> list[tuple[str, str, str]]:
    """Warnings about the fixed layout: total length, field widths, padding characters."""
    fields, n, found = ic.isa[1], ic.isa[2], []
    wrong = [k for k in range(1, 17) if fields[k] and len(fields[k]) != ISA_WIDTHS[k]]
    detail = "; ".join(f"ISA{k:02} is {len(fields[k])} wide, not {ISA_WIDTHS[k]}" for k in wrong)
    if ic.isa_length != ISA_LENGTH:
        why = f"{detail}: its fields are not padded to their fixed widths" if detail else \
            "a field or a separator is missing"
        found.append(("isa.length", f"the ISA header (segment {n}) is {ic.isa_length} characters "
                      f"long, not {ISA_LENGTH} ({why}); it was read by counting separators, but a "
                      f"strict partner system would reject it", "warning"))
    elif wrong:
        found.append(("isa.width", f"the ISA header (segment {n}) has fields of the wrong width "
                      f"({detail}); a strict partner system would reject it", "warning"))
    odd = [f"ISA{k:02}" for k in range(1, 17) if not fields[k].isascii()]
    if odd:
        chars = sorted({f"U+{ord(c):04X}" for k in range(1, 17) for c in fields[k] if ord(c) > 127})
        found.append(("isa.padding", f"{', '.join(odd)} (segment {n}) hold characters outside "
                      f"ASCII ({', '.join(chars)}, e.g. no-break spaces) where plain spaces are "
                      f"expected; it was read, but a strict partner system would reject it",
                      "warning"))
    return found


def _isa_values(ic: Interchange) -> list[tuple[str, str, str]]:
    """Errors in ISA field values (qualifiers, date, time, version, control number, ISA16)."""
    fields, n, d = ic.isa[1], ic.isa[2], ic.delimiters
    fix = "ask the supplier to correct the ISA header"
    found = [("isa.field", f"ISA{k:02} {fields[k]!r} (segment {n}) {rule}; {fix}", "error")
             for k, test, rule in _ISA_RULES if not test(fields[k])]
    if _digits(fields[12], 5, 5) and fields[12][:3] not in _VERSION_PREFIXES:
        found.append(("isa.version", f"ISA12 {fields[12]!r} (segment {n}) is not an X12 "
                      f"interchange version (00200 to 00801, e.g. 00401 or 00501); it was read "
                      f"as if it were one", "warning"))
    if not fields[16]:
        found.append(("isa.field", f"ISA16, the sub-element separator, is missing (segment {n}): "
                      f"the ISA ends with the segment terminator {visible(d.terminator)} right "
                      f"after ISA15; the segments were read but composite elements cannot be "
                      f"split; {fix}", "error"))
    elif d.sub_element is None:
        found.append(("isa.field", f"ISA16 {fields[16]!r} (segment {n}) cannot be the "
                      f"sub-element separator: it is a letter or digit, or another delimiter; "
                      f"{fix}", "error"))
    return found


def check_gs(gs: Segment) -> list[EnvelopeError]:
    """Problems with a GS header's elements."""
    f = gs[1] + [""] * max(0, 9 - len(gs[1]))
    rules = (
        (1, len(f[1]) == 2 and f[1].isalpha(), "must be a 2-letter functional identifier, e.g. PO"),
        (2, bool(f[2].strip()), "the application sender code must not be blank"),
        (3, bool(f[3].strip()), "the application receiver code must not be blank"),
        (4, _digits(f[4], 6, 8) and len(f[4]) != 7,
         "must be a date written CCYYMMDD (YYMMDD before 004010)"),
        (5, _digits(f[5], 4, 8), "must be a time written HHMM"),
        (6, _digits(f[6], 1, 9), "must be a group control number of 1 to 9 digits"),
        (7, bool(f[7].strip()), "the responsible agency code (X) must not be blank"),
        (8, bool(f[8].strip()), "the version code, e.g. 004010, must not be blank"),
    )
    return [EnvelopeError("gs.field", f"GS{k:02} {f[k]!r} (segment {gs[2]}) {rule}; ask the "
                          f"supplier to correct the GS header", gs[2], "GS")
            for k, ok, rule in rules if not ok]
