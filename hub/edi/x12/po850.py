"""The X12 850 renderer: a partner's mapping applied to one purchase order, then enveloped.
(The 860 renderer in pochange860.py is the same machine with an 860 mapping.)

Construction binds a mapping to a partner once: partner constants are resolved, fixed values
are checked against the partner's delimiters, and every segment becomes a tuple the hot path
walks without further lookups. ``prepare`` lays out the body or raises DocumentError;
``finish`` only adds the envelope, so it cannot fail for a prepared body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.domain.partner import Partner
from hub.edi.context import PoContext
from hub.edi.document import ControlNumbers, RenderedDocument, document_filename
from hub.edi.x12.elements import UnfitValue
from hub.edi.x12.mapping import SegmentRule, Slot, X12Mapping
from hub.edi.x12.writer import ElementError, Envelope, Syntax, check_delimiters, check_envelope
from hub.errors import DocumentError, MappingError, PartnerConfigError

CONTENT_TYPE = "application/edi-x12"
_TEXT = frozenset({"AN", "ID"})
_ADVICE_FREE = "fill it at the source"
_ADVICE_FIXED = ("identifiers, numbers and codes are never altered to fit, so correct the value "
                 "at its source (order, catalog or partner file)")

# A bound segment: id, ``when`` fields as (key, is_line), the values with fixed text filled in,
# and per field element (index, key, is_line, getter, type, min, max, mandatory, free, slot).
Bound = tuple[str, tuple, tuple[str, ...], tuple, SegmentRule]


@dataclass(frozen=True, slots=True)
class PreparedX12:
    """A checked 850 body, waiting for its control numbers."""

    po_number: str
    body: str           # every segment between ST and SE, each with its terminator
    segments: int       # how many segments ``body`` holds


class X12Renderer:
    """Renders purchase orders as X12 850 for one partner with one mapping."""

    doc_type = "850"
    mapping_key = "mapping"          # the [x12] key naming the mapping, for messages

    def __init__(self, partner: Partner, mapping: X12Mapping):
        profile = partner.x12
        if profile is None:
            raise PartnerConfigError(partner.source, "x12", f"partner {partner.id} has no [x12] "
                                     f"table, so it cannot receive X12 {self.doc_type}s")
        if mapping.transaction != self.doc_type:
            raise PartnerConfigError(partner.source, f"x12.{self.mapping_key}",
                                     f"{mapping.path} writes {mapping.transaction}s, but "
                                     f"x12.{self.mapping_key} names the mapping for "
                                     f"{self.doc_type}s; pick a mapping whose [document] says "
                                     f"transaction = \"{self.doc_type}\"")
        if mapping.version != profile.version:
            raise MappingError(mapping.path, "document.version",
                               f"the mapping writes {mapping.version} but partner {partner.id} "
                               f"({partner.source}) uses {profile.version}; pick a mapping of "
                               "that version or change the partner's x12.version")
        problems = check_delimiters(profile) + check_envelope(profile)
        if problems:
            raise PartnerConfigError(partner.source, "x12", "; ".join(problems))
        self.partner, self.mapping = partner, mapping
        self._syntax = Syntax(profile)
        self._fit, self._unsafe = self._syntax.fit, self._syntax.unsafe
        spec = mapping.spec
        self._line_fields = spec.line_fields
        self._envelope = Envelope(profile, partner.test_mode, self._syntax, spec.functional_id,
                                  spec.set_id)
        constants = {"partner.id": partner.id, "partner.name": partner.name,
                     **{f"partner.{k}": v for k, v in partner.fields.items()}}
        self._header = self._bind_all(mapping.header, constants)
        self._line = self._bind_all(mapping.line, constants)
        self._summary = self._bind_all(mapping.summary, constants)

    def prepare(self, ctx: PoContext) -> PreparedX12:
        """Check the PO's values against the mapping and lay out the body; raise DocumentError."""
        if not ctx.lines:
            raise DocumentError(f"purchase order {ctx.po_number} has no lines; an "
                                f"{self.doc_type} needs at least one {self.mapping.spec.line_begins}"
                                + (", so route at least one line to this supplier"
                                   if self.doc_type == "850" else ""))
        out: list[str] = []
        header = ctx.header
        for bound in self._header:
            self._lay_out(bound, header, None, ctx.po_number, out)
        for line in ctx.lines:
            for bound in self._line:
                self._lay_out(bound, header, line, ctx.po_number, out)
        for bound in self._summary:
            self._lay_out(bound, header, None, ctx.po_number, out)
        end = self._syntax.end
        return PreparedX12(ctx.po_number, end.join(out) + end, len(out))

    def finish(self, prepared: PreparedX12, numbers: ControlNumbers,
               now: datetime) -> RenderedDocument:
        """Wrap a prepared body in ISA/GS/ST ... SE/GE/IEA with the allocated control numbers.

        Nothing in the data can make this fail; only control numbers outside 1..999999999 (an
        allocator's mistake) raise ValueError.
        """
        env = self._envelope
        text = (env.header(numbers.interchange, numbers.group, numbers.transaction, now) +
                prepared.body +
                env.trailer(numbers.interchange, numbers.group, numbers.transaction,
                            prepared.segments))
        isa13 = f"{numbers.interchange:09d}"
        return RenderedDocument(
            doc_type=self.doc_type, payload=text.encode(self._syntax.charset),
            filename=document_filename(self.partner.id, self.doc_type, isa13, "edi"),
            content_type=CONTENT_TYPE, control_number=isa13)

    def _lay_out(self, bound: Bound, header: dict, line: dict | None, po_number: str,
                 out: list[str]) -> None:
        """Append one segment, or nothing when a ``when`` field is empty; the hot path."""
        seg_id, when, fixed, fields, rule = bound
        for key, in_line in when:
            if not (line if in_line else header).get(key):
                return
        values = list(fixed)
        unsafe = self._unsafe
        for index, key, in_line, getter, kind, low, high, mandatory, free, slot in fields:
            value = getter(header, line) if getter else (line if in_line else header).get(key, "")
            if value:
                # Inline the commonest case, clean text that fits; Syntax.fit does the rest.
                if not (kind in _TEXT and unsafe(value) is None and low <= len(value) <= high
                        and value[-1] != " " and value[0] != " "):
                    try:
                        value = self._fit(value, kind, low, high, free)
                    except UnfitValue as exc:
                        raise self._refusal(po_number, slot, line, exc.reason) from None
            if not value and mandatory:
                raise self._refusal(po_number, slot, line, "is empty but the element is mandatory",
                                    f"fill it, or add when = \"{slot.fields[0]}\" to {rule.where}"
                                    f" in {self.mapping.path} to leave the segment out")
            values[index] = value
        text = self._syntax.segment(seg_id, values)
        if text == seg_id:
            raise DocumentError(f"purchase order {po_number}: {seg_id} ({rule.where} in "
                                f"{self.mapping.path}) would carry no data; fill one of its "
                                "fields or give the segment a when")
        out.append(text)

    def _refusal(self, po_number: str, slot: Slot, line: dict | None, reason: str,
                 advice: str = "") -> ElementError:
        """The error an operator reads: PO, element position, field (and line), why, what to do."""
        label = ", ".join(slot.fields) or slot.text
        if line is not None:
            label += f", line {line.get('line.number', '?')}"
        return ElementError(po_number, slot.spec.position, label, reason,
                            advice or (_ADVICE_FREE if slot.free_text else _ADVICE_FIXED))

    def _bind_all(self, rules: tuple[SegmentRule, ...], constants: dict) -> tuple[Bound, ...]:
        """Bind every rule; rules whose ``when`` names an empty partner constant are dropped."""
        bound = (self._bind(rule, constants) for rule in rules)
        return tuple(b for b in bound if b is not None)

    def _bind(self, rule: SegmentRule, constants: dict) -> Bound | None:
        """One rule bound to this partner: constants folded in, fixed values checked."""
        when = []
        for name in rule.when:
            if name.startswith("partner."):
                if not constants.get(name):
                    return None   # a partner without the value never sends this segment
            else:
                when.append((name, name in self._line_fields))
        fixed, fields = [], []
        for index, slot in enumerate(rule.slots):
            value = self._constant(rule, slot, constants)
            fixed.append(value if value is not None else "")
            if value is None:
                spec = slot.spec
                fields.append((index, slot.key, slot.in_line, slot.getter, spec.type, spec.min,
                               spec.max, spec.mandatory, slot.free_text, slot))
        return rule.id, tuple(when), tuple(fixed), tuple(fields), rule

    def _constant(self, rule: SegmentRule, slot: Slot, constants: dict) -> str | None:
        """The fixed value of a slot (literal or partner constants only), checked; else None."""
        where = f"{rule.where} element {slot.spec.ref[-2:].lstrip('0')}"
        if slot.literal is not None:
            problem = self._syntax.check_literal(slot.literal) if slot.literal else None
            if problem:
                raise MappingError(self.mapping.path, where, f"{slot.literal!r} {problem}, "
                                   f"which partner {self.partner.id} ({self.partner.source}) "
                                   "cannot receive; change the value in the mapping")
            return slot.literal
        if not all(name.startswith("partner.") for name in slot.fields):
            return None
        missing = [name for name in slot.fields if name not in constants]
        if missing:
            raise MappingError(self.mapping.path, where, f"uses {missing[0]} but "
                               f"{self.partner.source} has no {missing[0][8:]} in its [fields]; "
                               "add it there, or guard the segment with when")
        value = "".join(p if isinstance(p, str) else constants[p[0]] for p in slot.parts)
        spec = slot.spec
        try:
            value = self._syntax.fit(value, spec.type, spec.min, spec.max, slot.free_text) \
                if value else value
        except UnfitValue as exc:
            raise PartnerConfigError(self.partner.source, f"fields ({spec.position} via {where} "
                                     f"of {self.mapping.path})", f"{slot.text} {exc.reason}") \
                from None
        if not value and spec.mandatory:
            raise PartnerConfigError(self.partner.source, "fields", f"{slot.text} is empty but "
                                     f"{spec.position} ({where} of {self.mapping.path}) needs it")
        return value
