"""X12 syntax for outbound documents: delimiters, element values, segments and the envelope.

A value is written only if it cannot break the document: free text is cleaned and shortened to
fit its element; identifiers, numbers, codes and e-mail addresses are refused instead (the
caller files an Incident), because a changed identifier is worse than a late document.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from hub.domain.partner import X12Profile
from hub.edi.x12.elements import R_CANONICAL, VERSIONS, UnfitValue, format_typed
from hub.errors import DocumentError

SUFFIXES = ("", "\n", "\r\n")
CHARSETS = {"ascii": "ascii", "us-ascii": "ascii", "latin-1": "latin-1",
            "iso-8859-1": "latin-1", "utf-8": "utf-8", "utf8": "utf-8"}
# C0 and C1 control characters, DEL and the Unicode line/paragraph separators: never in data.
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"
# Characters the charset cannot carry, as a regex range (nothing for UTF-8).
_UNENCODABLE = {"ascii": "\\x80-\\U0010ffff", "latin-1": "\\u0100-\\U0010ffff", "utf-8": ""}
# Letters NFKD does not decompose, spelled the way a person would type them in ASCII.
_SPELLED = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l",
    "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i",
    "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "‐": "-", "−": "-", "€": "EUR",
})


class ElementError(DocumentError):
    """A purchase order cannot be sent: one element value does not fit. Names PO, element, field."""

    def __init__(self, po_number: str, position: str, field: str, reason: str, advice: str):
        self.po_number, self.position, self.field, self.reason = po_number, position, field, reason
        super().__init__(f"purchase order {po_number}: {position} ({field}) {reason}; {advice}")


def check_delimiters(profile: X12Profile) -> list[str]:
    """Problems with a partner's delimiters: each one character, not a letter/digit/space, distinct."""
    named = [("element_separator", profile.element_separator),
             ("subelement_separator", profile.subelement_separator),
             ("segment_terminator", profile.segment_terminator)]
    if profile.version == "005010":
        named.append(("repetition_separator", profile.repetition_separator))
    problems = []
    for name, char in named:
        if len(char) != 1:
            problems.append(f"{name} must be exactly one character, not {char!r}")
        elif char.isalnum() or char == " " or not char.isascii():
            problems.append(f"{name} {char!r} must be an ASCII character that is not a letter, "
                            "digit or space")
        elif char in ".-":
            problems.append(f"{name} {char!r} appears in every decimal number and date; choose "
                            "another character")
        elif not char.isprintable() and name != "segment_terminator":
            problems.append(f"{name} {char!r} is a control character; only the segment "
                            "terminator may be one")
    chars = [char for _, char in named]
    if len(set(chars)) != len(chars):
        problems.append("the delimiters must all differ, but they are " +
                        ", ".join(f"{name}={char!r}" for name, char in named))
    if profile.segment_suffix not in SUFFIXES:
        problems.append(f"segment_suffix must be \"\", \"\\n\" or \"\\r\\n\", "
                        f"not {profile.segment_suffix!r}")
    elif profile.segment_suffix and profile.segment_terminator in "\r\n":
        problems.append("with a line break as segment_terminator the segment_suffix must be \"\"")
    return problems


def check_envelope(profile: X12Profile) -> list[str]:
    """Problems with the identities written in ISA/GS: lengths, characters, version, charset."""
    problems = []
    if profile.version not in VERSIONS:
        problems.append(f"version {profile.version!r} is not supported; use 004010 or 005010")
    if profile.charset.lower() not in CHARSETS:
        problems.append(f"charset {profile.charset!r} is not supported; use ascii, latin-1 or utf-8")
    fields = [("authorization qualifier (ISA01)", profile.authorization[0], 2, 2),
              ("authorization (ISA02)", profile.authorization[1], 0, 10),
              ("security qualifier (ISA03)", profile.security[0], 2, 2),
              ("security (ISA04)", profile.security[1], 0, 10),
              ("sender_qualifier (ISA05)", profile.sender_qualifier, 2, 2),
              ("sender_id (ISA06)", profile.sender_id, 1, 15),
              ("receiver_qualifier (ISA07)", profile.receiver_qualifier, 2, 2),
              ("receiver_id (ISA08)", profile.receiver_id, 1, 15),
              ("gs_sender_id (GS02)", profile.gs_sender_id, 2, 15),
              ("gs_receiver_id (GS03)", profile.gs_receiver_id, 2, 15)]
    delimiters = {profile.element_separator, profile.subelement_separator,
                  profile.segment_terminator, profile.repetition_separator}
    for name, value, low, high in fields:
        if not low <= len(value) <= high:
            problems.append(f"{name} {value!r} must be {low} to {high} characters long"
                            if low != high else f"{name} {value!r} must be {low} characters long")
        elif not value.isascii() or not value.isprintable() or delimiters & set(value):
            problems.append(f"{name} {value!r} must be printable ASCII without a delimiter")
    return problems


def transliterate(text: str) -> str:
    """ASCII spelling of accented letters: 'Müller' -> 'Muller'; what has none stays as it is."""
    text = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    return "".join(c for c in text if not unicodedata.combining(c))


def describe_char(char: str, syntax: Syntax) -> str:
    """How an operator reads a character: its role as delimiter, or its name."""
    roles = {syntax.element: "the element separator", syntax.sub: "the sub-element separator",
             syntax.term: "the segment terminator"}
    if syntax.rep:
        roles.setdefault(syntax.rep, "the repetition separator")
    if char in roles:
        return f"{roles[char]} {char!r}"
    if char in "\r\n\u2028\u2029":
        return "a line break"
    if not char.isprintable():
        return f"a control character (U+{ord(char):04X})"
    return f"{char!r}, which the partner's {syntax.charset} character set cannot carry"


class Syntax:
    """One partner's delimiters and character set, and the precompiled checks that use them."""

    __slots__ = ("element", "sub", "term", "rep", "suffix", "end", "charset", "unsafe",
                 "_spaced", "_unencodable", "_placeholder")

    def __init__(self, profile: X12Profile):
        self.element, self.sub = profile.element_separator, profile.subelement_separator
        self.term, self.suffix = profile.segment_terminator, profile.segment_suffix
        # 004010 has no repetition separator (ISA11 is "U"), so its character is plain data.
        self.rep = profile.repetition_separator if profile.version == "005010" else ""
        self.end = self.term + self.suffix
        self.charset = CHARSETS.get(profile.charset.lower(), "ascii")
        delimiters = re.escape(self.element + self.sub + self.term + self.rep)
        unencodable = _UNENCODABLE[self.charset]
        # One search tells whether a value can be written as it is: the hot path.
        self.unsafe = re.compile(f"[{delimiters}{_CONTROL}{unencodable}]").search
        self._spaced = re.compile(f"[{delimiters}{_CONTROL}]")
        self._unencodable = re.compile(f"[{unencodable}]") if unencodable else None
        self._placeholder = " " if "?" in self.element + self.sub + self.term + self.rep else "?"

    def fit(self, value: str, kind: str, low: int, high: int, free_text: bool) -> str:
        """The value as written in an element of this type and size; raises UnfitValue."""
        if self.unsafe(value) is None and value[-1] != " ":
            n = len(value)
            if kind == "AN" or kind == "ID":
                if low <= n <= high and not (free_text and value[0] == " "):
                    return value
            elif kind == "R":
                if R_CANONICAL.fullmatch(value) and \
                        low <= n - value.startswith("-") - ("." in value) <= high:
                    return value
            elif kind == "N0" and value.isascii() and value.isdigit() and low <= n <= high:
                return value
            elif kind == "DT" and n == 8 == low and value.isdigit() and \
                    "01" <= value[4:6] <= "12" and "01" <= value[6:] <= "28":
                return value   # days 29..31 take the slow path, which knows the calendar
            elif kind == "TM" and n == 4 and value.isdigit() and value[:2] <= "23" and \
                    value[2:] <= "59":
                return value
        return self._fit_slowly(value, kind, low, high, free_text)

    def _fit_slowly(self, value: str, kind: str, low: int, high: int, free_text: bool) -> str:
        """Transliterate, clean or refuse: the path for values that need a second look."""
        if free_text:
            if self._unencodable and self._unencodable.search(value):
                value = transliterate(value)   # "Müller" -> "Muller": still the same person
            return self._clean(value, low, high)
        odd = self._unencodable.search(value) if self._unencodable else None
        if odd:   # an identifier is never altered: "MÜ-100" -> "MU-100" could be another item
            raise UnfitValue(f"contains {describe_char(odd.group(), self)}; an identifier is "
                             "never changed")
        bad = self.unsafe(value)
        if bad:
            raise UnfitValue(f"contains {describe_char(bad.group(), self)}, which would "
                             "break the document")
        if kind not in ("AN", "ID"):
            return format_typed(value, kind, low, high)
        value = value.rstrip(" ")   # X12 drops trailing spaces; an all-space value is empty
        if value and not low <= len(value) <= high:
            raise UnfitValue(f"is {len(value)} characters long but the element takes "
                             f"{low} to {high}" if low != high else
                             f"is {len(value)} characters long but the element takes exactly {low}")
        return value

    def _clean(self, text: str, low: int, high: int) -> str:
        """Free text made safe: delimiters and controls become spaces, spaces collapse, cut to fit."""
        text = self._spaced.sub(" ", text)
        if self._unencodable:
            text = self._unencodable.sub(self._placeholder, text)
        text = " ".join(text.split())
        if len(text) > high:   # cut between words when a word boundary is near the limit
            space = text.rfind(" ", 0, high + 1)
            text = text[:space if space > high // 2 else high].rstrip()
        return text.ljust(low) if text else text   # AN minimum lengths are met with spaces

    def segment(self, seg_id: str, values: list[str]) -> str:
        """One segment without its terminator; trailing empty elements are left out."""
        while values and not values[-1]:
            values.pop()
        return seg_id + self.element + self.element.join(values) if values else seg_id

    def check_literal(self, value: str) -> str | None:
        """Why a fixed mapping value cannot be written with these delimiters, or None."""
        bad = self.unsafe(value)
        return f"contains {describe_char(bad.group(), self)}" if bad else None


class Envelope:
    """ISA/GS/ST and SE/GE/IEA for one partner; identities are laid out once, numbers per call."""

    __slots__ = ("_syntax", "_isa_head", "_isa_tail", "_gs_head", "_gs_tail", "_set_id")

    def __init__(self, profile: X12Profile, test_mode: bool, syntax: Syntax,
                 functional_id: str = "PO", set_id: str = "850", ack_requested: bool | None = None):
        """``functional_id`` (GS01) and ``set_id`` (ST01) default to a purchase order; an
        acknowledgement passes "FA"/"997" and ack_requested=False (never ack an ack)."""
        e, end = syntax.element, syntax.end
        self._syntax = syntax
        # ISA02/ISA04 pad to 10 and ISA06/ISA08 to 15 characters: the ISA is fixed width.
        self._isa_head = e.join(["ISA", profile.authorization[0], profile.authorization[1].ljust(10),
                                 profile.security[0], profile.security[1].ljust(10),
                                 profile.sender_qualifier, profile.sender_id.ljust(15),
                                 profile.receiver_qualifier, profile.receiver_id.ljust(15), ""])
        isa11 = syntax.rep if profile.version == "005010" else "U"   # repetition separator or "U"
        self._isa_tail = (isa11, profile.isa_version,
                          e.join(["1" if (profile.ack_requested if ack_requested is None
                                          else ack_requested) else "0",      # ISA14
                                  "T" if test_mode else "P",                 # ISA15
                                  syntax.sub]) + end)                        # ISA16
        self._gs_head = e.join(["GS", functional_id, profile.gs_sender_id, profile.gs_receiver_id, ""])
        self._set_id = set_id
        self._gs_tail = e + "X" + e + profile.version + end                  # GS07, GS08

    def header(self, interchange: int, group: int, transaction: int, now: datetime) -> str:
        """ISA, GS and ST, each with its terminator."""
        e, end = self._syntax.element, self._syntax.end
        isa11, isa12, isa14_16 = self._isa_tail
        stamp = now.strftime("%Y%m%d%H%M")   # ISA09 is YYMMDD, GS04 CCYYMMDD; both take HHMM
        isa = (self._isa_head + stamp[2:8] + e + stamp[8:] + e + isa11 + e + isa12 + e +
               interchange_number(interchange) + e + isa14_16)
        gs = self._gs_head + stamp[:8] + e + stamp[8:] + e + group_number(group) + self._gs_tail
        return isa + gs + "ST" + e + self._set_id + e + transaction_number(transaction) + end

    def trailer(self, interchange: int, group: int, transaction: int, body_segments: int) -> str:
        """SE (counting ST and SE), GE and IEA for an interchange of one group with one set."""
        e, end = self._syntax.element, self._syntax.end
        return ("SE" + e + str(body_segments + 2) + e + transaction_number(transaction) + end +
                "GE" + e + "1" + e + group_number(group) + end +
                "IEA" + e + "1" + e + interchange_number(interchange) + end)


def interchange_number(number: int) -> str:
    """ISA13/IEA02: nine digits, zero-padded."""
    if not 0 < number <= 999_999_999:
        raise ValueError(f"interchange control number {number} is outside 1..999999999")
    return f"{number:09d}"


def group_number(number: int) -> str:
    """GS06/GE02: 1 to 9 digits."""
    if not 0 < number <= 999_999_999:
        raise ValueError(f"group control number {number} is outside 1..999999999")
    return str(number)


def transaction_number(number: int) -> str:
    """ST02/SE02: at least 4 digits, zero-padded, at most 9."""
    if not 0 < number <= 999_999_999:
        raise ValueError(f"transaction control number {number} is outside 1..999999999")
    return f"{number:04d}"
