"""Suppliers' XML answers: inbound XSLT mappings and the reader of the canonical answer XML.

A supplier's order confirmation or ship notice, in whatever XML layout it writes, goes through
the partner's answer mapping (an XSLT stylesheet run with access control) into one small
canonical document in our own namespace, ``urn:edihub:answer:1`` (see
``mappings/xml/README-answers.md``). The fixed reader below turns that document into the
:class:`~hub.domain.documents.PoAck` or :class:`~hub.domain.documents.ShipNotice` the X12
855/856 parsers produce, or into :class:`~hub.domain.documents.DocumentProblem` entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from hub.domain.documents import (DocumentProblem, LineAck, ParsedDocument, PoAck, PoAckLine,
                                  ShipNotice, ShippedItem, ShippedOrder)
from hub.edi.xml.safe import MalformedXmlError, XmlSecurityError, parse_bytes
from hub.errors import DocumentError

ANSWER_NAMESPACE = "urn:edihub:answer:1"
# Canonical answer type -> the hub's document type (as partner files list them).
DOC_TYPES = {"confirmation": "xml-confirmation", "ship-notice": "xml-shipnotice"}
# BAK02: the accepted forms, then the rejections.
ACCEPTED_ACK_TYPES = ("AC", "AD", "AE", "AK", "AP", "AT")
REJECTED_ACK_TYPES = ("RD", "RF", "RJ", "RO")
# ACK01 (X12 004010 element 668).
LINE_ACK_CODES = ("AC", "AR", "BP", "DR", "IA", "IB", "IC", "ID", "IE", "IF", "IH", "IP", "IQ",
                  "IR", "IS", "IW", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "SP")
# BSN01: original, cancellation, replacement.
SHIP_NOTICE_PURPOSES = ("00", "01", "05")

_A = f"{{{ANSWER_NAMESPACE}}}"
_WHOLE = re.compile(r"([0-9]{1,9})(?:\.0*)?\Z")
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                     r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
                     r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?\Z")

# Children each canonical element may have: name -> True when it may repeat.
_CONFIRMATION = {"po-number": False, "ack-type": False, "date": False, "reference": False,
                 "line": True}
_LINE = {"line-number": False, "quantity": False, "unit-price": False, "buyer-item": False,
         "vendor-item": False, "ack": True}
_ACK = {"code": False, "quantity": False, "uom": False, "date": False}
_SHIP_NOTICE = {"shipment-id": False, "purpose": False, "date": False, "shipped-at": False,
                "expected-delivery": False, "carrier": False, "service": False,
                "tracking-number": True, "bill-of-lading": False, "pro-number": False,
                "order": True}
_ORDER = {"po-number": False, "item": True}
_ITEM = {"line-number": False, "buyer-item": False, "vendor-item": False, "upc": False,
         "quantity": False, "uom": False, "mark": True}


@dataclass(frozen=True, slots=True)
class AnswerMapping:
    """A compiled inbound mapping: which supplier documents it reads and what it makes of them."""

    source: str
    transform: etree.XSLT
    answers: tuple[str, ...]               # canonical answer types it produces
    reads: tuple[tuple[str, ...], ...]     # element paths (local names) of the documents it reads
    description: str = ""
    # (path, answer type) pairs learnt from the mapping's samples when it was loaded.
    produces: tuple[tuple[tuple[str, ...], str], ...] = ()

    def reads_document(self, root: etree._Element) -> bool:
        """True when the document starts with one of the element paths the mapping reads."""
        return any(document_has_path(root, path) for path in self.reads)

    @property
    def doc_type(self) -> str:
        """The document type to file a failure under when nothing more is known."""
        return DOC_TYPES[self.answers[0]] if len(self.answers) == 1 else "xml-answer"

    def doc_type_for(self, root: etree._Element) -> str:
        """The document type to file a failure of this document under: what its path produces."""
        kind = next((k for path, k in self.produces if document_has_path(root, path)), None)
        return DOC_TYPES[kind] if kind in DOC_TYPES else self.doc_type


def document_has_path(root: etree._Element, path: tuple[str, ...]) -> bool:
    """True when root's local name is path[0] and each next name is a child of the one before."""
    if etree.QName(root).localname != path[0]:
        return False
    node = root
    for name in path[1:]:
        node = next((c for c in node.iterchildren(etree.Element)
                     if etree.QName(c).localname == name), None)
        if node is None:
            return False
    return True


def describe_path(root: etree._Element, depth: int = 3) -> str:
    """The first element path of a document, for messages: 'cXML/Request/OrderRequest'."""
    names, node = [], root
    while node is not None and len(names) < depth:
        names.append(etree.QName(node).localname)
        node = next(node.iterchildren(etree.Element), None)
    return "/".join(names)


def find_answer_mapping(mappings: Iterable[AnswerMapping],
                        root: etree._Element) -> AnswerMapping | None:
    """The first of a partner's answer mappings that reads this document, or None."""
    return next((m for m in mappings if m.reads_document(root)), None)


def _failed(doc_type: str, code: str, message: str) -> ParsedDocument:
    """A ParsedDocument holding one problem and no document."""
    return ParsedDocument(doc_type, None, [DocumentProblem(code, message)])


def _parse(data: bytes, doc_type: str) -> etree._Element | ParsedDocument:
    """Parse supplier bytes safely; a ParsedDocument with the problem when that fails."""
    try:
        return parse_bytes(data)
    except XmlSecurityError as exc:
        return _failed(doc_type, "xml.unsafe", str(exc))
    except MalformedXmlError as exc:
        return _failed(doc_type, "xml.malformed", str(exc))
    except DocumentError as exc:
        return _failed(doc_type, "xml.invalid", str(exc))


def run_answer_mapping(mapping: AnswerMapping, supplier_xml: bytes) -> ParsedDocument:
    """Parse a supplier's XML answer safely, run the mapping on it and read the result."""
    root = _parse(supplier_xml, mapping.doc_type)
    if isinstance(root, ParsedDocument):
        return root
    if not mapping.reads_document(root):
        wanted = ", ".join("/".join(p) for p in mapping.reads)
        return _failed(mapping.doc_type, "answer.unexpected_document",
                       f"the document starts {describe_path(root)}, but mapping "
                       f"{mapping.source} reads only {wanted}: check which mapping the partner "
                       "file names, or whether the supplier sent the right file")
    return apply_answer_mapping(mapping, root)


def read_supplier_answer(mappings: Iterable[AnswerMapping], supplier_xml: bytes) -> ParsedDocument:
    """Pick the partner's mapping that reads this document, run it and read the result."""
    mappings = tuple(mappings)
    root = _parse(supplier_xml, "xml-answer")
    if isinstance(root, ParsedDocument):
        return root
    mapping = find_answer_mapping(mappings, root)
    if mapping is None:
        known = "; ".join(f"{m.source} reads {', '.join('/'.join(p) for p in m.reads)}"
                          for m in mappings) or "the partner has no answer mapping"
        return _failed("xml-answer", "answer.no_mapping",
                       f"no answer mapping of this partner reads a document starting "
                       f"{describe_path(root)} ({known})")
    return apply_answer_mapping(mapping, root)


def apply_answer_mapping(mapping: AnswerMapping, root: etree._Element) -> ParsedDocument:
    """Run the mapping on a parsed supplier document and read the canonical answer it makes."""
    try:
        result = mapping.transform(root.getroottree())
    except etree.XSLTError as exc:
        messages = [e.message.strip() for e in getattr(exc, "error_log", ()) if e.message.strip()]
        reason = messages[-1] if messages else str(exc)
        return _failed(mapping.doc_type_for(root), "answer.mapping_stopped",
                       f"mapping {mapping.source} could not read the document: {reason}")
    canonical = result.getroot()
    if canonical is None:
        return _failed(mapping.doc_type_for(root), "answer.mapping_empty",
                       f"mapping {mapping.source} produced nothing from this document")
    return read_answer(canonical, mapping.answers)


def read_answer(root: etree._Element, expected: tuple[str, ...] = ()) -> ParsedDocument:
    """Turn canonical answer XML into a PoAck or ShipNotice, or the problems that prevent it."""
    kind = root.get("type", "")
    doc_type = DOC_TYPES.get(kind, "xml-answer")
    if root.tag != _A + "answer":
        return _failed(doc_type, "answer.not_canonical",
                       f"the mapping's result is <{_name(root)}>, not an <answer> element in "
                       f"the namespace {ANSWER_NAMESPACE}")
    if kind not in DOC_TYPES or (expected and kind not in expected):
        allowed = expected or tuple(DOC_TYPES)
        return _failed(doc_type, "answer.unknown_type",
                       f"the answer's type is {_quote(kind)}; expected "
                       f"{' or '.join(repr(a) for a in allowed)}")
    if root.get("version", "1") != "1":
        return _failed(doc_type, "answer.unknown_version",
                       f"the answer's version is {_quote(root.get('version'))}; the hub reads "
                       "version 1")
    reader = _Reader()
    document = (reader.confirmation(root) if kind == "confirmation"
                else reader.ship_notice(root))
    if reader.problems:
        return ParsedDocument(doc_type, None, reader.problems)
    return ParsedDocument(doc_type, document)


def _name(el: etree._Element) -> str:
    """An element's name as a mapping author wrote it: local name, or {namespace}name."""
    qname = etree.QName(el)
    return qname.localname if qname.namespace == ANSWER_NAMESPACE else str(qname)


def _quote(value: str | None, limit: int = 40) -> str:
    """A value quoted for a message, shortened when long."""
    value = value or ""
    return repr(value if len(value) <= limit else value[:limit] + "...")


_Fields = dict[str, list[etree._Element]]


class _Reader:
    """Reads one canonical answer, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[DocumentProblem] = []

    def problem(self, code: str, message: str) -> None:
        """Record a problem in an operator's words."""
        self.problems.append(DocumentProblem(code, message))

    def fields(self, el: etree._Element, allowed: dict[str, bool], where: str) -> _Fields:
        """The element's children by name; unknown or wrongly repeated children are problems."""
        found: _Fields = {}
        for child in el.iterchildren(etree.Element):
            name = _name(child)
            if name not in allowed:
                self.problem("answer.unknown_element",
                             f"{where}: the mapping wrote an element <{name}> the canonical "
                             f"answer does not have (expected {', '.join(allowed)})")
            elif found.get(name) and not allowed[name]:
                self.problem("answer.repeated_element", f"{where}: <{name}> appears more "
                             "than once")
            else:
                found.setdefault(name, []).append(child)
        return found

    def text(self, fields: _Fields, name: str, where: str) -> str:
        """The stripped text of a single field; empty when absent."""
        found = fields.get(name)
        return self.value(found[0], where) if found else ""

    def value(self, el: etree._Element, where: str) -> str:
        """The stripped text of a field element, which must hold text only."""
        if next(el.iterchildren(etree.Element), None) is not None:
            self.problem("answer.not_text", f"{where}: <{_name(el)}> must hold text, "
                         "not elements")
            return ""
        return str(el.xpath("string()")).strip()

    def required(self, fields: _Fields, name: str, where: str, what: str) -> str:
        """A field that must have a value; a problem naming it otherwise."""
        value = self.text(fields, name, where)
        if not value:
            self.problem("answer.missing_field", f"{where}: the {what} is missing ({name})")
        return value

    def code(self, fields: _Fields, name: str, where: str, what: str,
             known: tuple[str, ...], default: str = "") -> str:
        """A code from a known list."""
        value = self.text(fields, name, where) or default
        if not value:
            self.problem("answer.missing_field", f"{where}: the {what} is missing ({name})")
        elif value not in known:
            self.problem("answer.unknown_code", f"{where}: the {what} {_quote(value)} is not "
                         f"a code the hub knows ({', '.join(known)})")
        return value

    def whole(self, fields: _Fields, name: str, where: str, what: str) -> int | None:
        """A whole number of units, or None when absent."""
        value = self.text(fields, name, where)
        match = _WHOLE.match(value)
        if value and not match:
            self.problem("answer.bad_quantity", f"{where}: the {what} {_quote(value)} is not a "
                         "whole number of units")
        return int(match.group(1)) if match else None

    def decimal(self, fields: _Fields, name: str, where: str, what: str) -> Decimal | None:
        """A non-negative decimal such as 12.5, or None when absent."""
        value = self.text(fields, name, where)
        if value and not _DECIMAL.match(value):
            self.problem("answer.bad_amount", f"{where}: the {what} {_quote(value)} is not an "
                         "amount such as 12.50")
            return None
        return Decimal(value) if value else None

    def day(self, fields: _Fields, name: str, where: str, what: str) -> date | None:
        """A CCYY-MM-DD date, or None when absent."""
        value = self.text(fields, name, where)
        if not value:
            return None
        try:
            if _DATE.match(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.problem("answer.bad_date", f"{where}: the {what} {_quote(value)} is not a calendar "
                     "date written CCYY-MM-DD")
        return None

    def moment(self, fields: _Fields, name: str, where: str, what: str) -> datetime | None:
        """An ISO 8601 date and time (offset kept when given), or None when absent."""
        value = self.text(fields, name, where)
        if not value:
            return None
        try:
            if _MOMENT.match(value):
                return datetime.fromisoformat(value)
        except ValueError:
            pass
        self.problem("answer.bad_date", f"{where}: the {what} {_quote(value)} is not a date and "
                     "time written CCYY-MM-DDThh:mm[:ss][offset]")
        return None

    def confirmation(self, root: etree._Element) -> PoAck:
        """The whole confirmation: header fields, then each line."""
        f = self.fields(root, _CONFIRMATION, "the confirmation")
        po_number = self.required(f, "po-number", "the confirmation", "purchase order number")
        where = f"confirmation of purchase order {po_number}" if po_number else "the confirmation"
        ack_type = self.code(f, "ack-type", where, "acknowledgment type",
                             ACCEPTED_ACK_TYPES + REJECTED_ACK_TYPES)
        lines = tuple(self.ack_line(el, where) for el in f.get("line", ()))
        numbers = [ln.line_number for ln in lines if ln.line_number]
        for number in sorted({n for n in numbers if numbers.count(n) > 1}):
            self.problem("answer.duplicate_line", f"{where}: line {number} is answered more "
                         "than once")
        return PoAck(po_number=po_number, ack_type=ack_type,
                     date=self.day(f, "date", where, "confirmation date"), lines=lines,
                     reference=self.text(f, "reference", where))

    def ack_line(self, el: etree._Element, where: str) -> PoAckLine:
        """One confirmed line with its acks."""
        f = self.fields(el, _LINE, f"{where}, a line")
        number = self.required(f, "line-number", f"{where}, a line", "line number")
        here = f"{where}, line {number or '?'}"
        acks = tuple(self.line_ack(a, here) for a in f.get("ack", ()))
        return PoAckLine(line_number=number, quantity=self.whole(f, "quantity", here, "quantity"),
                         unit_price=self.decimal(f, "unit-price", here, "unit price"),
                         buyer_item=self.text(f, "buyer-item", here),
                         vendor_item=self.text(f, "vendor-item", here), acks=acks)

    def line_ack(self, el: etree._Element, where: str) -> LineAck:
        """One ack of a line: a code for a quantity, with a date."""
        f = self.fields(el, _ACK, where)
        code = self.code(f, "code", where, "line status code", LINE_ACK_CODES)
        return LineAck(code=code, quantity=self.whole(f, "quantity", where, f"{code} quantity"),
                       uom=self.text(f, "uom", where),
                       date=self.day(f, "date", where, f"{code} date"))

    def ship_notice(self, root: etree._Element) -> ShipNotice:
        """The whole ship notice: shipment fields, then each order and its items."""
        f = self.fields(root, _SHIP_NOTICE, "the ship notice")
        shipment = self.required(f, "shipment-id", "the ship notice", "shipment number")
        where = f"ship notice {shipment}" if shipment else "the ship notice"
        purpose = self.code(f, "purpose", where, "purpose", SHIP_NOTICE_PURPOSES, "00")
        tracking = [self.value(t, where) for t in f.get("tracking-number", ())]
        orders = tuple(self.shipped_order(el, where) for el in f.get("order", ()))
        if not orders:
            self.problem("answer.missing_field", f"{where}: no purchase order is named (order)")
        return ShipNotice(
            shipment_id=shipment, date=self.day(f, "date", where, "notice date"),
            shipped_at=self.moment(f, "shipped-at", where, "ship date"),
            expected_delivery=self.day(f, "expected-delivery", where, "expected delivery date"),
            carrier=self.text(f, "carrier", where), service=self.text(f, "service", where),
            tracking_numbers=tuple(dict.fromkeys(t for t in tracking if t)),
            bill_of_lading=self.text(f, "bill-of-lading", where),
            pro_number=self.text(f, "pro-number", where), orders=orders, purpose=purpose)

    def shipped_order(self, el: etree._Element, where: str) -> ShippedOrder:
        """One purchase order in the shipment, with the items shipped against it."""
        f = self.fields(el, _ORDER, f"{where}, an order")
        po_number = self.required(f, "po-number", f"{where}, an order", "purchase order number")
        here = f"{where}, purchase order {po_number or '?'}"
        items = tuple(self.shipped_item(it, f"{here}, item {n}")
                      for n, it in enumerate(f.get("item", ()), 1))
        return ShippedOrder(po_number=po_number, items=items)

    def shipped_item(self, el: etree._Element, where: str) -> ShippedItem:
        """One shipped quantity of a PO line."""
        f = self.fields(el, _ITEM, where)
        ids = {n: self.text(f, n, where)
               for n in ("line-number", "buyer-item", "vendor-item", "upc")}
        if not any(ids.values()):
            self.problem("answer.missing_field", f"{where}: names neither a line number nor an "
                         "item number (line-number, buyer-item, vendor-item or upc)")
        quantity = self.whole(f, "quantity", where, "shipped quantity")
        if quantity is None and not self.text(f, "quantity", where):
            self.problem("answer.missing_field", f"{where}: the shipped quantity is missing "
                         "(quantity)")
        marks = tuple(m for m in (self.value(el_, where) for el_ in f.get("mark", ())) if m)
        return ShippedItem(line_number=ids["line-number"], buyer_item=ids["buyer-item"],
                           vendor_item=ids["vendor-item"], upc=ids["upc"],
                           quantity=quantity or 0, uom=self.text(f, "uom", where), marks=marks)
