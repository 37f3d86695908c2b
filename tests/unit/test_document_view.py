"""The document viewer's XML and preview side, and the dispatch by what a document is."""

from __future__ import annotations

from pathlib import Path

from hub.edi import document_view
from hub.edi.document_view import describe_document, pretty_xml, preview_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

ORDER = '<?xml version="1.0" encoding="UTF-16"?><Order><Party name="Caf\u00e9"/><Line n="1">2</Line></Order>'
INDENTED = '<Order>\n  <Party name="Caf\u00e9"/>\n  <Line n="1">2</Line>\n</Order>\n'


def test_utf16_xml_is_indented_with_its_encoding_and_root():
    for data in (ORDER.encode("utf-16"), ORDER.encode("utf-16-be")):   # with and without BOM
        shown = pretty_xml(data)
        assert (shown.ok, shown.text, shown.encoding, shown.root, shown.error) == \
            (True, INDENTED, "UTF-16", "Order", "")


def test_a_real_cxml_order_keeps_its_doctype_and_is_not_fetched():
    data = (FIXTURES / "xml" / "cxml_OrderRequest_cxmlphp_samples.xml").read_bytes()
    shown = pretty_xml(data)
    assert shown.ok and shown.root == "cXML"
    assert shown.text.startswith('<!DOCTYPE cXML SYSTEM "http://xml.cXML.org/schemas/cXML/1.2.050/cXML.dtd">\n<cXML ')
    assert "\n  <Header>" in shown.text


def test_entity_declarations_are_refused_and_never_expanded():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "EXPANDED"><!ENTITY b "&a;&a;">]>\n'
            b"<x>&b;</x>\n")
    shown = pretty_xml(data)
    assert not shown.ok and shown.root == ""
    assert "declares the entities a, b" in shown.error
    assert "EXPANDED" in shown.text and "EXPANDEDEXPANDED" not in shown.text
    assert shown.text == data.decode().rstrip("\n") + "\n"


def test_malformed_xml_gives_the_error_and_the_raw_text():
    shown = pretty_xml(b"<a>\n<b>text</a>")
    assert not shown.ok
    assert shown.error.startswith("XML is not well-formed: line 2:")
    assert shown.text == "<a>\n<b>text</a>"
    shown = pretty_xml("<a>caf\u00e9<b></a>".encode("utf-16"))       # raw text decoded as UTF-16
    assert (shown.ok, shown.text, shown.encoding) == (False, "<a>caf\u00e9<b></a>", "UTF-16-LE")


def test_raw_text_shows_control_and_direction_characters_as_replacement_marks():
    shown = pretty_xml(b"<a>\x1b[2J\xe2\x80\xaeevil\xc2\xa0ok\t!</a")
    assert shown.text == "<a>\ufffd[2J\ufffdevil\u00a0ok\t!</a"


def test_xml_over_the_limit_is_previewed_not_parsed(monkeypatch):
    monkeypatch.setattr(document_view, "MAX_XML_BYTES", 100)
    monkeypatch.setattr(document_view, "PREVIEW_BYTES", 40)
    data = b"<r>" + b"<i>1</i>" * 30 + b"</r>"
    shown = pretty_xml(data)
    assert not shown.ok and "more than the 100 the viewer parses" in shown.error
    assert shown.text == data[:40].decode()
    assert shown.truncated == f"truncated: showing the first 40 of {len(data)} bytes; the raw download holds the whole document"


def test_anything_else_is_previewed_as_printable_text_and_hex():
    data = b"PK\x03\x04\x00binary\xffstuff" + b"z" * 70_000
    shown = preview_text(data)
    assert shown.size == len(data)
    assert shown.text.startswith("PK\ufffd\ufffd\ufffdbinary\ufffdstuffzzz")
    assert len(shown.text) == 64 * 1024          # one character, or one mark, per byte
    assert shown.hex[0] == "00000000  50 4b 03 04 00 62 69 6e 61 72 79 ff 73 74 75 66  |PK...binary.stuf|"
    assert len(shown.hex) == 32
    assert shown.truncated.startswith("truncated: showing the first 65,536 of 70,017 bytes")


def test_describe_document_dispatches_on_what_the_bytes_are():
    x12 = describe_document((FIXTURES / "x12" / "850_edinet_1_bom-nbsp.edi").read_bytes())
    assert x12.kind == "x12" and x12.xml is None and x12.preview is None
    assert [s.id for s in x12.x12.segments][:3] == ["ISA", "GS", "ST"]
    xml = describe_document(ORDER.encode("utf-16"))
    assert (xml.kind, xml.xml.root, xml.x12, xml.preview) == ("xml", "Order", None, None)
    other = describe_document(b"%PDF-1.7\n")
    assert (other.kind, other.preview.text, other.x12, other.xml) == ("other", "%PDF-1.7\n", None, None)
    assert describe_document(b"").preview.text == ""
