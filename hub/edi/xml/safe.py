"""The one place the hub parses XML and compiles XSLT, with every dangerous feature switched off.

Inbound supplier XML and mapping files are untrusted. Entities are never expanded, no DTD is
loaded, nothing is fetched from the network or read from disk while parsing, and a document
whose DOCTYPE declares anything (an internal subset) is refused outright: entity declarations
are how entity-expansion ("billion laughs") and external-entity (XXE) attacks work, and no
business document the hub reads needs them. A DOCTYPE that only names an external DTD, as every
cXML document does, is accepted; the DTD is not fetched.
"""

from __future__ import annotations

from lxml import etree

from hub.errors import DocumentError

# The spelling of an entity declaration in the encodings XML parsers detect on their own.
_ENTITY_DECLS = tuple("<!ENTITY".encode(codec) for codec in
                      ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))


class XmlSecurityError(DocumentError):
    """A document uses an XML feature the hub never allows (entity declarations, external files)."""

    incident_code = "document.xml_unsafe"


class MalformedXmlError(DocumentError):
    """Bytes that are not well-formed XML; ``line`` and ``problem`` say where and what."""

    incident_code = "document.xml_malformed"

    def __init__(self, line: int, problem: str):
        self.line, self.problem = line, problem
        super().__init__(f"XML is not well-formed: line {line}: {problem}")


class _DenyResolver(etree.Resolver):
    """Refuses every external resource, so nothing is read from disk or the network."""

    def resolve(self, system_url, public_id, context):
        """Refuse the resource; a mapping is one file and documents stand alone."""
        raise XmlSecurityError(
            f"the XML refers to an external resource ({system_url}); the hub never loads "
            "external files or URLs while parsing: include the content in the document itself")


def safe_parser(remove_blank_text: bool = False) -> etree.XMLParser:
    """A new lxml parser that expands no entities, loads no DTD and touches no file or network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, attribute_defaults=False, huge_tree=False,
                             remove_blank_text=remove_blank_text)
    parser.resolvers.add(_DenyResolver())
    return parser


def parse_bytes(data: bytes, remove_blank_text: bool = False) -> etree._Element:
    """Parse untrusted XML bytes; refuse DOCTYPE declarations and malformed input, typed."""
    if not isinstance(data, bytes):
        raise TypeError("parse_bytes takes bytes: the encoding is read from the document")
    parser = safe_parser(remove_blank_text)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(data, parser, exc) from None
    if root is None:
        raise MalformedXmlError(1, "the document has no root element")
    _refuse_declarations(root)
    _refuse_entity_references(root)
    return root


def safe_xslt(xslt_doc: etree._Element | etree._ElementTree) -> etree.XSLT:
    """Compile a stylesheet that may not read or write files or the network when it runs."""
    return etree.XSLT(xslt_doc, access_control=etree.XSLTAccessControl.DENY_ALL)


def _syntax_error(data: bytes, parser: etree.XMLParser,
                  exc: etree.XMLSyntaxError) -> DocumentError:
    """Turn lxml's syntax error into ours; an entity attack libxml2 stopped is a security error."""
    # The parser's own log holds only this run; the exception's log may hold older entries.
    entries = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    line = entries[0].line if entries else (exc.lineno or 1)
    problem = entries[0].message.strip() if entries else str(exc)
    if "amplification" in problem or any(decl in data for decl in _ENTITY_DECLS):
        return XmlSecurityError(
            f"the XML declares entities in its DOCTYPE (line {line}); the hub refuses entity "
            "declarations because they allow entity-expansion and external-entity attacks: "
            "ask the sender to remove the [...] part of the DOCTYPE")
    return MalformedXmlError(line, problem)


def _refuse_declarations(root: etree._Element) -> None:
    """Refuse a DOCTYPE with an internal subset; a bare external DTD name (cXML) is fine."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    entities = [e.name for e in dtd.iterentities()]
    if entities:
        raise XmlSecurityError(
            f"the XML declares the entities {', '.join(entities)} in its DOCTYPE; the hub refuses "
            "entity declarations because they allow entity-expansion and external-entity "
            "attacks: ask the sender to remove the [...] part of the DOCTYPE")
    # lxml lists entity and element declarations but not ATTLIST, NOTATION or the like; the
    # serializer writes any such subset as " [...]" after the DOCTYPE's name and ids. Only
    # documents with a DOCTYPE (few, and small) pay for this.
    doctype = root.getroottree().docinfo.doctype
    serialized = etree.tostring(root.getroottree(), encoding="unicode")
    if any(True for _ in dtd.iterelements()) or f"{doctype[:-1]} [" in serialized:
        raise XmlSecurityError(
            "the XML carries declarations in its DOCTYPE (an internal DTD subset); the hub does "
            "not accept internal DTD subsets: ask the sender to remove the [...] part of the "
            "DOCTYPE")


def _refuse_entity_references(root: etree._Element) -> None:
    """Refuse references to entities that are not expanded (declared only in an unloaded DTD)."""
    for ref in root.iter(etree.Entity):
        raise MalformedXmlError(
            ref.sourceline or 1,
            f"the entity {ref.text} is not defined in the document and the hub does not load "
            "external DTDs: write the character itself or a numeric reference such as &#233;")
