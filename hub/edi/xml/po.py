"""Supplier XML purchase orders and changes: the canonical XML, XSLT mappings over it, and
their renderer.

A PO's :class:`~hub.edi.context.PoContext` becomes one canonical XML document in our own
namespace (see ``mappings/xml/README.md``); the partner's mapping, an XSLT stylesheet run with
access control, turns it into the supplier's layout. A purchase-order change is the same with
root ``purchase-order-change``, the ``change`` fields and the lines the change names
(hub.edi.change). A mapping declares which document it reads, the fields it needs and the
parameters it takes in a top-level ``<edihub:mapping>`` element, so it is one file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from lxml import etree

from hub.domain.partner import Partner, XmlProfile
from hub.edi.change import CHANGE_HEADER_FIELDS, CHANGE_LINE_FIELDS
from hub.edi.context import HEADER_FIELDS, LINE_FIELDS, PoContext, is_free_text, partner_field
from hub.edi.document import ControlNumbers, RenderedDocument, document_filename
from hub.edi.xml.safe import parse_bytes, safe_xslt
from hub.errors import DocumentError, MappingError, PartnerConfigError

PO_NAMESPACE = "urn:edihub:purchase-order:1"
MAPPING_NAMESPACE = "urn:edihub:mapping:1"
XSL_NAMESPACE = "http://www.w3.org/1999/XSL/Transform"
# Parameters the hub sets for every document; a partner file may not set them.
BUILTIN_PARAMS = ("document-id", "timestamp", "test")

_PO = f"{{{PO_NAMESPACE}}}"
_XSL = f"{{{XSL_NAMESPACE}}}"
_META_ATTRIBUTES = ("requires", "params", "description", "document")
PURCHASE_ORDER, CHANGE = "purchase-order", "purchase-order-change"
# What each kind of mapping reads: root element, fields, document type and file-name word.
DOCUMENTS = {PURCHASE_ORDER: (HEADER_FIELDS, LINE_FIELDS, "xml-po", "po"),
             CHANGE: (CHANGE_HEADER_FIELDS, CHANGE_LINE_FIELDS, "xml-change", "change")}
# Characters XML 1.0 can carry: tab, LF, CR and everything from space on, minus surrogates,
# U+FFFE and U+FFFF. Anything else cannot appear in a document, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ELEMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


def canonical_po_xml(ctx: PoContext, document_id: str, test_mode: bool,
                     document: str = PURCHASE_ORDER) -> etree._Element:
    """Build the canonical purchase-order (or change) XML of one PO; every known field
    appears, even empty."""
    header_fields, line_fields = DOCUMENTS[document][:2]
    root = etree.Element(_PO + document, nsmap={None: PO_NAMESPACE})
    root.set("version", "1")
    root.set("document-id", document_id)
    root.set("test", "1" if test_mode else "0")
    groups: dict[str, etree._Element] = {}
    extras = [n for n in ctx.header if partner_field(n) and n not in header_fields]
    for name in [*header_fields, *extras]:
        group, _, key = name.partition(".")
        if group not in groups:
            groups[group] = etree.SubElement(root, _PO + group)
        if not _ELEMENT_NAME.match(key):
            raise DocumentError(
                f"purchase order {ctx.po_number}: partner field '{name}' cannot be an XML element "
                f"name; rename the key in the [fields] table of partner {ctx.partner_id}'s file "
                "(letters, digits, '_', '-', '.')")
        _field(groups[group], key, ctx, name, ctx.header.get(name, ""), header_fields)
    lines = etree.SubElement(root, _PO + "lines")
    for values in ctx.lines:
        line = etree.SubElement(lines, _PO + "line")
        for name in line_fields:
            _field(line, name.partition(".")[2], ctx, name, values.get(name, ""), line_fields)
    if document == CHANGE:   # the purchase order as it now stands, for layouts that resend it whole
        items = etree.SubElement(root, _PO + "items")
        for values in ctx.items:
            item = etree.SubElement(items, _PO + "item")
            for name in LINE_FIELDS:
                _field(item, name.partition(".")[2], ctx, name, values.get(name, ""), LINE_FIELDS)
    return root


def _field(parent: etree._Element, key: str, ctx: PoContext, name: str, value: str,
           fields: dict) -> None:
    """Append one field element, cleaning or refusing characters XML 1.0 cannot carry."""
    bad = _NOT_XML.search(value)
    if bad and not is_free_text(name, fields):
        # Ids, codes and numbers are never altered: a changed id would reach the wrong record.
        raise DocumentError(
            f"purchase order {ctx.po_number}: {name} contains the character "
            f"U+{ord(bad.group()):04X}, which XML cannot carry; correct the value and resend")
    # Free text loses only characters XML cannot carry (stray control codes from copy-paste).
    etree.SubElement(parent, _PO + key).text = _NOT_XML.sub("", value) if bad else value


@dataclass(frozen=True, slots=True)
class XmlMapping:
    """A compiled XSLT mapping and what it declares: the fields it needs and the params it takes."""

    source: str
    transform: etree.XSLT
    requires: tuple[str, ...]        # field names that must not be empty
    params: tuple[str, ...]          # parameters the partner file must give
    accepts: tuple[str, ...]         # every top-level xsl:param the partner file may give
    description: str = ""
    document: str = PURCHASE_ORDER   # what it reads: purchase-order or purchase-order-change


def check_stylesheet_shape(doc: etree._Element, source: str, kind: str) -> None:
    """A mapping is one XSLT 1.0 stylesheet: refuse another root or xsl:include/import."""
    if doc.tag not in (_XSL + "stylesheet", _XSL + "transform"):
        raise MappingError(source, f"line {doc.sourceline}",
                           f"the root element is not xsl:stylesheet: {kind} is an XSLT 1.0 "
                           f"stylesheet (xmlns:xsl=\"{XSL_NAMESPACE}\")")
    link = next(doc.iterchildren(_XSL + "include", _XSL + "import"), None)
    if link is not None:
        raise MappingError(source, f"line {link.sourceline}", "a mapping is one file: copy the "
                           f"templates of {link.get('href')} into it instead of xsl:include/import")


def mapping_from_stylesheet(doc: etree._Element, source: str) -> XmlMapping:
    """Read a stylesheet's ``<edihub:mapping>`` declaration and compile it, or MappingError."""
    check_stylesheet_shape(doc, source, "an XML mapping")
    meta = _metadata_element(doc, source)
    for attr in meta.attrib:
        if attr not in _META_ATTRIBUTES:
            raise MappingError(source, f"line {meta.sourceline}", f"edihub:mapping has an "
                               f"unknown attribute '{attr}'{_did_you_mean(attr, _META_ATTRIBUTES)}")
    document = meta.get("document", PURCHASE_ORDER)
    if document not in DOCUMENTS:
        raise MappingError(source, f"line {meta.sourceline}", f"edihub:mapping document="
                           f"\"{document}\" is unknown: write \"{PURCHASE_ORDER}\" (the "
                           f"default) or \"{CHANGE}\"")
    declared = [p.get("name", "") for p in doc.iterchildren(_XSL + "param")]
    requires = _declared_fields(meta, source, *DOCUMENTS[document][:2])
    params = _declared_params(meta, declared, source)
    _check_output(doc, source)
    accepts = tuple(n for n in declared if n not in BUILTIN_PARAMS)
    return XmlMapping(source, compile_stylesheet(doc, source), requires, params, accepts,
                      meta.get("description", ""), document)


def _declared_fields(meta: etree._Element, source: str, header_fields: dict,
                     line_fields: dict) -> tuple[str, ...]:
    """The ``requires`` list, every name a known field."""
    requires = tuple(meta.get("requires", "").split())
    for name in requires:
        if not (name in header_fields or name in line_fields or partner_field(name)):
            raise MappingError(source, f"line {meta.sourceline}",
                               f"requires names an unknown field '{name}'"
                               f"{_did_you_mean(name, [*header_fields, *line_fields])}")
    return requires


def _declared_params(meta: etree._Element, declared: list[str], source: str) -> tuple[str, ...]:
    """The ``params`` list, each one a top-level xsl:param the hub does not set itself."""
    params = tuple(meta.get("params", "").split())
    where = f"line {meta.sourceline}"
    for name in params:
        if name in BUILTIN_PARAMS:
            raise MappingError(source, where, f"params lists '{name}', which the hub sets for "
                               "every document: remove it from params")
        if name not in declared:
            raise MappingError(source, where, f"params lists '{name}' but the stylesheet has no "
                               f"top-level <xsl:param name=\"{name}\"/>; add one")
    return params


def _metadata_element(doc: etree._Element, source: str) -> etree._Element:
    """The one top-level ``<edihub:mapping>`` element."""
    found = list(doc.iterchildren(f"{{{MAPPING_NAMESPACE}}}mapping"))
    if len(found) != 1:
        raise MappingError(source, f"line {doc.sourceline}" if not found else
                           f"line {found[1].sourceline}",
                           f"the stylesheet needs exactly one top-level <edihub:mapping "
                           f"xmlns:edihub=\"{MAPPING_NAMESPACE}\" requires=\"...\" params=\"...\"/>"
                           f" element, found {len(found)}")
    return found[0]


def _check_output(doc: etree._Element, source: str) -> None:
    """The hub sends UTF-8 XML with a declaration; refuse an xsl:output that says otherwise."""
    for out in doc.iterchildren(_XSL + "output"):
        where = f"line {out.sourceline}"
        if out.get("method", "xml") != "xml":
            raise MappingError(source, where, "xsl:output method must be \"xml\"")
        if out.get("encoding", "UTF-8").upper() not in ("UTF-8", "UTF8"):
            raise MappingError(source, where, "xsl:output encoding must be \"UTF-8\"")
        if out.get("omit-xml-declaration", "no") == "yes":
            raise MappingError(source, where, "remove omit-xml-declaration=\"yes\": documents "
                               "are sent with an XML declaration")


def compile_stylesheet(doc: etree._Element, source: str) -> etree.XSLT:
    """Compile with access control; libxslt errors become a MappingError with their line."""
    try:
        transform = safe_xslt(doc)
    except etree.XSLTParseError as exc:
        raise MappingError(source, *_log_location(exc.error_log, str(exc))) from None
    errors = [e for e in transform.error_log if e.level >= etree.ErrorLevels.ERROR]
    if errors:  # libxslt compiles some mistakes (an unknown xsl: element) and only logs them
        raise MappingError(source, *_log_location(errors, "the stylesheet does not compile"))
    return transform


def _log_location(entries: Iterable, fallback: str) -> tuple[str, str]:
    """(where, problem) from libxslt log entries: the first line number, the specific messages."""
    entries = list(entries)
    line = next((e.line for e in entries if e.line > 0), 0)
    specific = [e.message.strip() for e in entries
                if not e.message.startswith("compilation error")]
    return (f"line {line}" if line else ""), "; ".join(specific) or fallback


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close name exists."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True, slots=True)
class PreparedXml:
    """A checked canonical PO, waiting for its document id."""

    po_number: str
    canonical: etree._Element


class XmlRenderer:
    """Renders a PO (or a PO's change) as a supplier's XML through the partner's XSLT mapping."""

    def __init__(self, partner: Partner, mapping: XmlMapping,
                 secrets: Mapping[str, str] | None = None):
        if partner.xml is None:
            raise PartnerConfigError(partner.source, "xml", "the partner sends XML purchase "
                                     "orders but has no [xml] table naming the mapping")
        self.partner, self.mapping, self.profile = partner, mapping, partner.xml
        self._header_fields, self._line_fields, self.doc_type, self._word = \
            DOCUMENTS[mapping.document]
        self._secrets = dict(secrets or {})
        self._check_params(self.profile)

    def _check_params(self, profile: XmlProfile) -> None:
        """Fail fast when the partner file and the mapping disagree about parameters."""
        where, src = "xml.params", self.partner.source
        given = [*profile.params, *profile.secret_params]
        for name in given:
            if name in BUILTIN_PARAMS:
                raise PartnerConfigError(src, where, f"'{name}' is set by the hub; remove it")
            if name not in self.mapping.accepts:
                hint = _did_you_mean(name, self.mapping.accepts)
                raise PartnerConfigError(src, where, f"mapping {self.mapping.source} takes no "
                                         f"parameter '{name}'{hint}")
        for name in self.mapping.params:
            if name not in given:
                raise PartnerConfigError(src, where, f"mapping {self.mapping.source} needs the "
                                         f"parameter '{name}'; add it to [xml.params] or "
                                         "[xml.secret_params]")
        for name, variable in profile.secret_params.items():
            if name not in self._secrets:
                raise PartnerConfigError(src, f"xml.secret_params.{name}", f"no value for the "
                                         f"secret parameter (environment variable {variable})")
        values = {**profile.params, **self._secrets}
        for name, value in values.items():
            if _NOT_XML.search(value):  # the value itself is never shown: it may be a secret
                raise PartnerConfigError(src, where, f"the value of '{name}' contains a "
                                         "character XML cannot carry")

    def test_mode(self, ctx: PoContext) -> bool:
        """Test if either the partner or the PO says so: a test PO never goes out as production."""
        return self.partner.test_mode or ctx.header.get("po.test") == "1"

    def prepare(self, ctx: PoContext) -> PreparedXml:
        """Check the fields the mapping requires and build the canonical PO XML."""
        def empty(value: str) -> bool:  # judged after cleaning, as the mapping will see it
            return not _NOT_XML.sub("", value).strip()

        missing = []
        for name in self.mapping.requires:
            if name in self._line_fields:
                missing += [f"{name} on line {ln.get('line.number', '?')}" for ln in ctx.lines
                            if empty(ln.get(name, ""))]
            elif empty(ctx.header.get(name, "")):
                missing.append(name)
        if missing:
            raise DocumentError(
                f"purchase order {ctx.po_number}: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} empty but mapping "
                f"{self.mapping.source} requires a value; complete the order, catalog or "
                "partner data and resend")
        return PreparedXml(ctx.po_number, canonical_po_xml(ctx, "", self.test_mode(ctx),
                                                           self.mapping.document))

    def finish(self, prepared: PreparedXml, numbers: ControlNumbers,
               now: datetime) -> RenderedDocument:
        """Run the mapping with the document id, timestamp and partner parameters."""
        document_id = f"{numbers.interchange:09d}"
        prepared.canonical.set("document-id", document_id)
        stamp = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        values = {"document-id": document_id, "timestamp": stamp.isoformat(timespec="seconds"),
                  "test": prepared.canonical.get("test"), **self.profile.params, **self._secrets}
        payload = self._run(prepared, values)
        return RenderedDocument(
            doc_type=self.doc_type, payload=payload,
            filename=document_filename(self.partner.id, self._word, document_id,
                                       self.profile.file_extension),
            content_type="application/xml", control_number=document_id)

    def _run(self, prepared: PreparedXml, values: dict[str, str]) -> bytes:
        """Apply the stylesheet; a stop, an empty or a malformed result is a DocumentError."""
        failure = (f"mapping {self.mapping.source} did not produce purchase order "
                   f"{prepared.po_number}")
        result, problem = self._apply(prepared.canonical, values)
        if result is not None and result.getroot() is None:
            problem = "the stylesheet's result is empty"
        if result is not None and problem is None:
            payload = bytes(result)
            try:
                parse_bytes(payload)
                return payload
            except DocumentError as exc:  # e.g. disable-output-escaping let raw markup through
                problem = f"the result is not usable XML: {exc}"
        # Raised outside any except block so no original exception text rides along.
        raise DocumentError(f"{failure}: {self._scrub(problem or 'unknown error')}")

    def _apply(self, canonical: etree._Element,
               values: dict[str, str]) -> tuple[etree._XSLTResultTree | None, str | None]:
        """Run the transform; (result, None) or (None, the stylesheet's own messages)."""
        params = {k: etree.XSLT.strparam(v) for k, v in values.items()}
        try:
            return self.mapping.transform(canonical.getroottree(), **params), None
        except etree.XSLTApplyError as exc:
            messages = [e.message.strip() for e in exc.error_log] or [str(exc)]
            return None, "; ".join(messages)

    def _scrub(self, text: str) -> str:
        """Hide secret values a stylesheet may have put into its own message."""
        for value in self._secrets.values():
            if value:
                text = text.replace(value, "***")
        return text


def sample_context(partner_fields: Iterable[str] = ()) -> PoContext:
    """A fixed two-line PO with every field filled, for trial runs of a mapping."""
    header = {
        "po.number": "PO-SAMPLE-1", "po.date": "20250304", "po.time": "1015",
        "po.date_iso": "2025-03-04T10:15:00Z", "po.line_count": "2",
        "po.quantity_total": "3", "po.cost_total": "39.5", "po.route_attempt": "1",
        "po.test": "1", "order.channel": "webshop", "order.channel_order_id": "WS-10001",
        "order.placed_date": "20250304", "order.placed_at_iso": "2025-03-04T09:58:00Z",
        "order.currency": "USD", "order.total": "59.97", "order.requested_delivery": "20250314",
        "customer.id": "C-1001",
        "customer.name": "Ada Example", "customer.email": "ada@example.com",
        "customer.phone": "+1 555 0100", "ship_to.name": "Ada Example",
        "ship_to.address1": "1 Sample Street", "ship_to.address2": "Apt 2",
        "ship_to.city": "Springfield", "ship_to.state": "IL", "ship_to.postal_code": "62701",
        "ship_to.country": "US", "buyer.name": "Example Retail", "buyer.id": "BUYER-1",
        "partner.id": "sample", "partner.name": "Sample Supplier",
    }
    header.update({name: f"sample-{name[len('partner.'):]}" for name in partner_fields})
    lines = [
        {"line.number": "1", "line.order_line_id": "1", "line.quantity": "1", "line.uom": "EA",
         "line.unit_cost": "12.5", "line.unit_price": "19.99", "line.extended_cost": "12.5",
         "line.sku": "SKU-1", "line.supplier_item": "SUP-1", "line.description": "Sample mug"},
        {"line.number": "2", "line.order_line_id": "2", "line.quantity": "2", "line.uom": "EA",
         "line.unit_cost": "13.5", "line.unit_price": "19.99", "line.extended_cost": "27",
         "line.sku": "SKU-2", "line.supplier_item": "SUP-2", "line.description": "Sample bowl"},
    ]
    return PoContext("PO-SAMPLE-1", "sample", header, lines)


def sample_change_context(partner_fields: Iterable[str] = ()) -> PoContext:
    """The sample PO changed: line 1 from 1 to 3 units, line 2 deleted, a new delivery date."""
    ctx = sample_context(partner_fields)
    header = {**ctx.header, "po.line_count": "1", "po.quantity_total": "3", "po.cost_total": "37.5",
              "change.id": "CH-SAMPLE-1", "change.purpose": "04",
              "change.sequence": "1", "change.date": "20250305", "change.time": "0800",
              "change.date_iso": "2025-03-05T08:00:00Z", "change.delivery_date": "20250320",
              "change.delivery_date_iso": "2025-03-20", "change.ship_to_changed": "",
              "change.line_count": "2", "change.previous_document_id": "000000001",
              "change.reason": "the customer wants more mugs and no bowl"}
    lines = [{**{k: v for k, v in ctx.lines[0].items() if k in CHANGE_LINE_FIELDS},
              "line.change_code": "QI", "line.quantity": "3", "line.quantity_left": "3",
              "line.previous_quantity": "1", "line.quantity_change": "2"},
             {**{k: v for k, v in ctx.lines[1].items() if k in CHANGE_LINE_FIELDS},
              "line.change_code": "DI", "line.quantity": "", "line.quantity_left": "",
              "line.previous_quantity": "2", "line.quantity_change": "2"}]
    items = [{**ctx.lines[0], "line.quantity": "3", "line.extended_cost": "37.5"}]
    return PoContext(ctx.po_number, ctx.partner_id, header, lines, items)


def trial_run(mapping: XmlMapping) -> bytes:
    """Render the sample PO (or change) through the mapping; MappingError if that fails."""
    profile = XmlProfile(mapping=mapping.source,
                         params={name: f"sample-{name}" for name in mapping.params})
    partner = Partner(id="sample", name="Sample Supplier", source=mapping.source,
                      test_mode=True, po_format="xml", xml=profile)
    sample = sample_change_context if mapping.document == CHANGE else sample_context
    ctx = sample(n for n in mapping.requires if n not in HEADER_FIELDS and partner_field(n))
    try:
        renderer = XmlRenderer(partner, mapping)
        prepared = renderer.prepare(ctx)
        document = renderer.finish(prepared, ControlNumbers(1, 1, 1),
                                   datetime(2025, 3, 4, 10, 15, tzinfo=timezone.utc))
    except (DocumentError, PartnerConfigError) as exc:
        raise MappingError(mapping.source, "trial run",
                           f"the sample purchase order fails: {exc}") from None
    return document.payload
