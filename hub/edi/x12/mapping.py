"""X12 mapping files: parse the TOML, check it against the element dictionary, compile it.

A mapping lists the segments of an 850 (purchase order) or an 860 (purchase order change)
between ST and SE: ``[[header]]`` once per document, ``[[line]]`` once per PO line (for an
860: per line the change names), ``[[summary]]`` once after the lines. Each element is fixed
text or a template with ``{field}`` placeholders; the format is described in
mappings/README.md. Every problem is collected, so an integration engineer fixes a file in
one pass.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from typing import Callable

from hub.edi.change import CHANGE_HEADER_FIELDS, CHANGE_LINE_FIELDS
from hub.edi.context import HEADER_FIELDS, LINE_FIELDS, is_free_text, partner_field
from hub.edi.x12.elements import (ENVELOPE_SEGMENTS, VERSIONS, ElementSpec, UnfitValue,
                               format_typed, segment_ids, segment_spec)
from hub.errors import MappingError

SECTIONS = ("header", "line", "summary")
_TOP_KEYS = ("document", *SECTIONS)
_DOCUMENT_KEYS = ("transaction", "version", "description")
_SEGMENT_KEYS = ("id", "elements", "when")
# "{{" and "}}" are literal braces; "{name}" is a field; a lone brace is a mistake.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Part = str | tuple[str, bool]   # literal text, or (field name, is a line field)


@dataclass(frozen=True, slots=True)
class Transaction:
    """What a mapping of one transaction set writes: its envelope ids, its first segments and
    the fields its templates may use."""

    set_id: str                     # ST01
    functional_id: str              # GS01
    begins: str                     # the first [[header]] segment
    line_begins: str                # the first [[line]] segment
    header_fields: dict[str, tuple[str, bool]]
    line_fields: dict[str, tuple[str, bool]]
    writes: str                     # for messages: "purchase orders"

    def free_text(self, name: str) -> bool:
        """True if the field may be shortened to fit an element."""
        return is_free_text(name, self.header_fields, self.line_fields)


TRANSACTIONS = {
    "850": Transaction("850", "PO", "BEG", "PO1", HEADER_FIELDS, LINE_FIELDS, "purchase orders"),
    "860": Transaction("860", "PC", "BCH", "POC", CHANGE_HEADER_FIELDS, CHANGE_LINE_FIELDS,
                       "purchase order changes"),
}


@dataclass(frozen=True, slots=True)
class Slot:
    """One element of a segment rule: fixed text, or a template filled from a PO's fields."""

    spec: ElementSpec
    text: str                       # as written in the mapping, for messages
    parts: tuple[Part, ...]
    free_text: bool                 # every field in it is free text, so it may be cleaned and cut
    # The compiled form: a fixed value, a single field read straight from a dict, or a getter.
    literal: str | None
    key: str | None
    in_line: bool
    getter: Callable[[dict, dict | None], str] | None

    @property
    def fields(self) -> tuple[str, ...]:
        """The field names the template reads."""
        return tuple(p[0] for p in self.parts if not isinstance(p, str))


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """One segment of the mapping, in the order it is written."""

    section: str
    index: int                      # 1-based within its section, as an engineer counts
    id: str
    slots: tuple[Slot, ...]
    when: tuple[str, ...]           # the segment is left out when any of these fields is empty

    @property
    def where(self) -> str:
        """Location for messages: ``header[3] (N4)``."""
        return f"{self.section}[{self.index}] ({self.id})"


@dataclass(frozen=True, slots=True)
class X12Mapping:
    """A checked X12 850 or 860 mapping, ready to be bound to a partner by the renderer."""

    path: str
    version: str
    description: str
    header: tuple[SegmentRule, ...]
    line: tuple[SegmentRule, ...]
    summary: tuple[SegmentRule, ...]
    transaction: str = "850"

    @property
    def spec(self) -> Transaction:
        """The transaction set the mapping writes."""
        return TRANSACTIONS[self.transaction]

    def rules(self) -> tuple[SegmentRule, ...]:
        """Every segment rule, header first."""
        return self.header + self.line + self.summary


class MappingProblemsError(MappingError):
    """Every problem found in one mapping file; ``problems`` holds each as a MappingError."""

    def __init__(self, path: str, problems: list[MappingError]):
        self.problems = problems
        if len(problems) == 1:
            super().__init__(path, problems[0].where, problems[0].problem)
        else:
            listed = "\n".join(f"  - {p.where}: {p.problem}" if p.where else f"  - {p.problem}"
                               for p in problems)
            super().__init__(path, "", f"{len(problems)} problems:\n{listed}")


def parse_x12_mapping(text: str, path: str) -> X12Mapping:
    """Parse and check a mapping; raise MappingProblemsError listing every problem."""
    mapping, problems = _read(text, path)
    if problems:
        raise MappingProblemsError(path, problems)
    return mapping


def check_x12_mapping(text: str, path: str) -> list[MappingError]:
    """Every problem in a mapping, or an empty list."""
    return _read(text, path)[1]


class _Problems(list):
    """Collects MappingErrors for one file."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def add(self, where: str, problem: str) -> None:
        """Record one problem."""
        self.append(MappingError(self.path, where, problem))


def _read(text: str, path: str) -> tuple[X12Mapping | None, list[MappingError]]:
    """Parse and check; return the mapping (None when broken) and the problems."""
    problems = _Problems(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.add("", f"is not valid TOML: {exc}; fix the syntax there")
        return None, problems
    except RecursionError:   # tomllib reads nested lists and inline tables recursively
        problems.add("", "is nested too deep to read: a mapping needs a few levels of tables "
                         "and lists, not hundreds")
        return None, problems
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(key, f"unknown top-level key {key!r}{_suggest(key, _TOP_KEYS)}; a mapping "
                              "has [document], [[header]], [[line]] and [[summary]]")
    version, description, spec = _check_document(data.get("document"), problems)
    # With no usable version the segments are still checked, against 004010, so one pass
    # reports everything; the mapping itself is refused for the version problem anyway.
    sections = {name: _check_section(name, data.get(name, []), version or VERSIONS[0], spec,
                                     problems)
                for name in SECTIONS}
    _check_structure(sections, spec, problems)
    if problems:
        return None, problems
    return X12Mapping(path, version, description, sections["header"], sections["line"],
                      sections["summary"], spec.set_id), problems


def _check_document(table: object, problems: _Problems) -> tuple[str, str, Transaction]:
    """The [document] table: transaction 850 or 860, a supported version, a description."""
    if not isinstance(table, dict):
        problems.add("document", "the [document] table is missing; it names transaction = \"850\" "
                                 "(or \"860\") and version = \"004010\" or \"005010\"")
        return "", "", TRANSACTIONS["850"]
    for key in table:
        if key not in _DOCUMENT_KEYS:
            problems.add(f"document.{key}", f"unknown key{_suggest(key, _DOCUMENT_KEYS)}; "
                                            "[document] takes transaction, version, description")
    spec = TRANSACTIONS.get(table.get("transaction"))
    if spec is None:
        problems.add("document.transaction", f"{_given(table, 'transaction')}; X12 mappings "
                                             "write purchase orders (\"850\") or purchase order "
                                             "changes (\"860\")")
        spec = TRANSACTIONS["850"]
    version = table.get("version")
    if version not in VERSIONS:
        problems.add("document.version", f"{_given(table, 'version')}; write \"004010\" or "
                                         "\"005010\" (the partner's GS08)")
        version = ""
    description = table.get("description", "")
    if not isinstance(description, str):
        problems.add("document.description", "must be text in quotes")
        description = ""
    return version, description, spec


def _check_section(name: str, tables: object, version: str, spec: Transaction,
                   problems: _Problems) -> tuple[SegmentRule, ...]:
    """One of [[header]], [[line]], [[summary]]: a list of segment tables."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.add(name, f"must be written as [[{name}]] tables, one per segment")
        return ()
    rules = []
    for index, table in enumerate(tables, start=1):
        rule = _check_segment(name, index, table, version, spec, problems)
        if rule:
            rules.append(rule)
    return tuple(rules)


def _check_segment(section: str, index: int, table: dict, version: str, spec: Transaction,
                   problems: _Problems) -> SegmentRule | None:
    """One segment table: a known id, its elements, and an optional ``when``."""
    where = f"{section}[{index}]"
    for key in table:
        if key not in _SEGMENT_KEYS:
            problems.add(f"{where}.{key}", f"unknown key{_suggest(key, _SEGMENT_KEYS)}; a segment "
                                           "takes id, elements and when")
    seg_id = table.get("id")
    if not isinstance(seg_id, str) or not seg_id:
        problems.add(where, "has no id; write id = \"BEG\" (or another segment id)")
        return None
    where = f"{where} ({seg_id})"
    specs = segment_spec(version, seg_id)
    if seg_id in ENVELOPE_SEGMENTS:
        problems.add(where, f"{seg_id} is written by the hub from the partner file and the "
                            "control numbers; remove it from the mapping")
    elif specs is None:
        known = sorted(segment_ids(version) - ENVELOPE_SEGMENTS)
        problems.add(where, f"unknown segment {seg_id!r} for {version}{_suggest(seg_id, known)}; "
                            f"the hub knows {', '.join(known)}")
    elements = table.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.add(where, "needs elements = [\"...\", ...], one entry per element")
        return None
    when = _check_when(table.get("when", ()), section, where, spec, problems)
    if specs is None or seg_id in ENVELOPE_SEGMENTS:
        return None
    if len(elements) > len(specs):
        problems.add(where, f"{seg_id} has {len(specs)} elements in {version} but the mapping "
                            f"gives {len(elements)}; remove the extra ones")
    slots = []
    for pos, element in enumerate(specs, start=1):
        raw = elements[pos - 1] if pos <= len(elements) else ""
        slot = _check_element(raw, element, section, f"{where} element {pos}", spec, problems)
        if slot:
            slots.append(slot)
    return SegmentRule(section, index, seg_id, tuple(slots[:len(elements)]), when)


def _check_when(value: object, section: str, where: str, transaction: Transaction,
                problems: _Problems) -> tuple[str, ...]:
    """``when``: one field name or a list of them."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        problems.add(f"{where} when", "must be a field name in quotes, or a list of them")
        return ()
    for name in names:
        _check_field(name, section, f"{where} when", transaction, problems)
    return tuple(names)


def _check_element(raw: object, spec: ElementSpec, section: str, where: str,
                   transaction: Transaction, problems: _Problems) -> Slot | None:
    """One element: literal or template, known fields, and literal type and length."""
    if not isinstance(raw, str):
        problems.add(where, f"is {raw!r}; write every element as text in quotes, e.g. \"{raw}\"")
        return None
    try:
        parts = _parse_template(raw, transaction.line_fields)
    except ValueError as exc:
        problems.add(where, str(exc))
        return None
    fields = [p for p in parts if not isinstance(p, str)]
    if not all([_check_field(name, section, where, transaction, problems) for name, _ in fields]):
        return None   # every unknown field is reported, not just the first
    if spec.type == "C" and raw:
        problems.add(where, f"{spec.ref} is a composite ({spec.number}), which the hub does not "
                            "write; leave it empty")
        return None
    if not fields:
        literal = "".join(parts)
        if not literal and spec.mandatory:
            problems.add(where, f"{spec.ref} (element {spec.number}) is mandatory but the mapping "
                                "leaves it empty; give a value or a field")
        elif literal:
            _check_literal(literal, spec, where, problems)
        return Slot(spec, raw, tuple(parts), False, literal, None, False, None)
    free = all(transaction.free_text(name) for name, _ in fields)
    if len(parts) == 1:
        key, in_line = fields[0]
        return Slot(spec, raw, tuple(parts), free, None, key, in_line, None)
    return Slot(spec, raw, tuple(parts), free, None, None, False, _compile_getter(tuple(parts)))


def _check_field(name: str, section: str, where: str, transaction: Transaction,
                 problems: _Problems) -> bool:
    """A field name is known, and line fields appear only in [[line]] segments."""
    header, lines = transaction.header_fields, transaction.line_fields
    if name not in header and name not in lines and not partner_field(name):
        problems.add(where, f"unknown field {name!r}{_suggest(name, [*header, *lines])}; the fields "
                            f"of an {transaction.set_id} are listed in mappings/README.md, and "
                            "partner.<key> reads the partner file's [fields]")
        return False
    if name in lines and section != "line":
        problems.add(where, f"{name!r} is a line field, which only [[line]] segments can use")
        return False
    return True


def _check_literal(literal: str, spec: ElementSpec, where: str, problems: _Problems) -> None:
    """Fixed text fits its element: characters, length, and the number/date/time format."""
    if _CONTROL.search(literal):
        problems.add(where, f"{literal!r} contains a control character; remove it")
    elif spec.type in ("AN", "ID"):
        if len(literal) > spec.max:
            problems.add(where, f"{literal!r} is {len(literal)} characters, longer than the "
                                f"{spec.max} {spec.ref} ({spec.number}) allows")
        elif len(literal) < spec.min:
            problems.add(where, f"{literal!r} is {len(literal)} characters, shorter than the "
                                f"minimum {spec.min} of {spec.ref} ({spec.number})")
    else:
        try:
            written = format_typed(literal, spec.type, spec.min, spec.max)
        except UnfitValue as exc:
            problems.add(where, f"{spec.ref} ({spec.number}, type {spec.type}) {exc.reason}")
            return
        if written != literal:
            problems.add(where, f"{literal!r} is written {written!r} in {spec.ref} "
                                f"(type {spec.type}); write it that way")


def _check_structure(sections: dict[str, tuple[SegmentRule, ...]], spec: Transaction,
                     problems: _Problems) -> None:
    """An 850 starts with BEG and each line with PO1 (an 860: BCH and POC); neither appears
    anywhere else."""
    header, line = sections["header"], sections["line"]
    begins, line_begins, set_id = spec.begins, spec.line_begins, spec.set_id
    if not header or header[0].id != begins:
        problems.add("header[1]", f"an {set_id} starts with {begins} after ST; make the first "
                                  f"[[header]] segment id = \"{begins}\"")
    if not line or line[0].id != line_begins:
        problems.add("line[1]", f"each line of an {set_id} starts with {line_begins}; make the "
                                f"first [[line]] segment id = \"{line_begins}\"")
    for rule in header[1:] + line[1:] + sections["summary"]:
        if rule.id in (begins, line_begins):
            problems.add(rule.where, f"{rule.id} may only be the first segment of "
                                     f"[[{'header' if rule.id == begins else 'line'}]]")


def _given(table: dict, key: str) -> str:
    """'is missing' or 'is <value>', for messages about one key."""
    return f"is {table[key]!r}" if key in table else "is missing"


def _parse_template(text: str, line_fields: dict = LINE_FIELDS) -> list[Part]:
    """Split ``"{a} and {b}"`` into literal text and (field, is_line) parts; ValueError if broken."""
    parts: list[Part] = []
    pending: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        pending.append(text[pos:match.start()])
        pos = match.end()
        token = match.group()
        if token in ("{{", "}}"):
            pending.append(token[0])
        elif match.group(1) is None:
            raise ValueError(f"{text!r} has an unmatched {token!r}; write {token * 2} "
                             "for a literal brace")
        elif not match.group(1).strip():
            raise ValueError(f"{text!r} has an empty placeholder {{}}; put a field name inside")
        else:
            if "".join(pending):
                parts.append("".join(pending))
            pending = []
            name = match.group(1).strip()
            parts.append((name, name in line_fields))
    if "".join(pending) + text[pos:]:
        parts.append("".join(pending) + text[pos:])
    return parts


def _compile_getter(parts: tuple[Part, ...]) -> Callable[[dict, dict | None], str]:
    """A function that fills a multi-part template from a PO's header and line fields."""
    def get(header: dict, line: dict | None) -> str:
        return "".join([p if isinstance(p, str) else (line if p[1] else header).get(p[0], "")
                        for p in parts])
    return get


def _suggest(name: str, candidates) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or ''."""
    candidates = list(candidates)
    same_letters = [c for c in candidates if c.lower() == name.lower()]
    close = same_letters or difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""
