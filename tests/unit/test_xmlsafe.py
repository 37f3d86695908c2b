"""Safe XML parsing and XSLT: entity attacks, external resources, file access from stylesheets."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from lxml import etree

from hub.edi.sniff import sniff
from hub.edi.xml.safe import (MalformedXmlError, XmlSecurityError, parse_bytes, safe_parser,
                             safe_xslt)
from hub.errors import DocumentError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "xml"
CANARY = "canary-7f3a9c-must-never-be-read"

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b"]>\n<lolz>&lol9;</lolz>\n")


@pytest.fixture
def canary_file(tmp_path: Path) -> Path:
    """A local file an attacker would like to read."""
    path = tmp_path / "secret.txt"
    path.write_text(CANARY)
    return path


@pytest.fixture
def http_server():
    """A loopback HTTP server recording every request, to prove nothing is fetched."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            requests.append(self.path)
            body = f'<!ENTITY leak "{CANARY}">'.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()
    thread.join()


def test_billion_laughs_is_refused():
    with pytest.raises(XmlSecurityError, match="entit"):
        parse_bytes(BILLION_LAUGHS)


def test_billion_laughs_in_an_attribute_is_refused():
    # Attribute values are expanded by libxml2 even without entity substitution; its
    # amplification guard stops the parse and we must still call it a security problem.
    doc = BILLION_LAUGHS.replace(b"<lolz>&lol9;</lolz>", b'<lolz a="&lol9;"/>')
    with pytest.raises(XmlSecurityError):
        parse_bytes(doc)


def test_one_harmless_entity_is_refused_too():
    doc = b'<!DOCTYPE a [<!ENTITY co "Example Ltd">]><a>&co;</a>'
    with pytest.raises(XmlSecurityError, match="co"):
        parse_bytes(doc)


def test_external_file_entity_is_refused_and_never_read(canary_file):
    doc = f'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "{canary_file.as_uri()}">]><foo>&xxe;</foo>'
    with pytest.raises(XmlSecurityError) as caught:
        parse_bytes(doc.encode())
    assert CANARY not in str(caught.value)
    # The parser on its own (before our DOCTYPE check) must not have substituted the file.
    tree = etree.fromstring(doc.encode(), safe_parser())
    assert CANARY not in etree.tostring(tree, encoding="unicode")


def test_etc_passwd_entity_does_not_appear():
    doc = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>'
    tree = etree.fromstring(doc, safe_parser())
    assert "root:" not in etree.tostring(tree, encoding="unicode")
    with pytest.raises(XmlSecurityError):
        parse_bytes(doc)


def test_external_url_entity_is_never_fetched(http_server):
    base, requests = http_server
    doc = f'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "{base}/entity">]><foo>&xxe;</foo>'.encode()
    with pytest.raises(XmlSecurityError):
        parse_bytes(doc)
    etree.fromstring(doc, safe_parser())
    assert requests == []


def test_parameter_entities_are_refused_and_never_fetched(http_server, canary_file):
    base, requests = http_server
    for target in (f"{base}/evil.dtd", canary_file.as_uri()):
        doc = (f'<!DOCTYPE foo [<!ENTITY % p SYSTEM "{target}"> %p;]>'
               "<foo>&leak;</foo>").encode()
        with pytest.raises(XmlSecurityError) as caught:
            parse_bytes(doc)
        assert CANARY not in str(caught.value)
    assert requests == []


def test_internal_subset_without_entities_is_refused():
    with pytest.raises(XmlSecurityError, match="internal DTD subset"):
        parse_bytes(b'<!DOCTYPE a [<!ATTLIST a role CDATA "admin">]><a/>')


def test_external_dtd_name_is_accepted_but_not_fetched(http_server):
    # The shape of every cXML document: a DOCTYPE that only names its DTD.
    base, requests = http_server
    root = parse_bytes(f'<!DOCTYPE cXML SYSTEM "{base}/cXML.dtd"><cXML a="1"/>'.encode())
    assert root.tag == "cXML"
    assert root.getroottree().docinfo.system_url == f"{base}/cXML.dtd"
    assert requests == []


def test_entity_declared_only_in_the_unloaded_dtd_is_malformed():
    with pytest.raises(MalformedXmlError, match="nbsp"):
        parse_bytes(b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/x.dtd"><cXML>a&nbsp;b</cXML>')


def test_malformed_xml_names_the_line():
    with pytest.raises(MalformedXmlError) as caught:
        parse_bytes(b"<a>\n<b>\n</a>\n")
    assert caught.value.line == 3
    assert "line 3" in str(caught.value)
    assert isinstance(caught.value, DocumentError)


def test_empty_input_is_malformed():
    with pytest.raises(MalformedXmlError):
        parse_bytes(b"")


def test_text_instead_of_bytes_is_a_type_error():
    with pytest.raises(TypeError):
        parse_bytes("<a/>")  # type: ignore[arg-type]


def test_security_errors_have_their_own_incident_code():
    assert XmlSecurityError.incident_code == "document.xml_unsafe"
    assert MalformedXmlError.incident_code == "document.xml_malformed"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_published_cxml_and_ubl_samples_parse(name):
    root = parse_bytes((FIXTURES / name).read_bytes())
    local = etree.QName(root).localname
    assert local == ("cXML" if name.startswith("cxml") else name.split("_")[1].split("-")[0])


def test_cxml_sample_content_is_read():
    # Values read by eye from tests/fixtures/xml/cxml_OrderRequest_cxmlphp_samples.xml.
    root = parse_bytes((FIXTURES / "cxml_OrderRequest_cxmlphp_samples.xml").read_bytes())
    assert root.get("payloadID") == "1625586002.193314.7293@dev"
    assert root.findtext("Request/OrderRequest/OrderRequestHeader/Total/Money") == "85.00"
    assert [e.text for e in root.iter("SupplierPartID")] == ["1233244", "1233245"]


def test_fixture_set_holds_the_four_cxml_samples():
    assert len(list(FIXTURES.glob("cxml_*.xml"))) == 4


def test_remove_blank_text_is_optional():
    assert parse_bytes(b"<a>\n  <b/>\n</a>").text == "\n  "
    assert parse_bytes(b"<a>\n  <b/>\n</a>", remove_blank_text=True).text is None


def _stylesheet(body: str, extra_ns: str = "") -> etree._Element:
    return parse_bytes(
        f'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        f'{extra_ns}><xsl:template match="/">{body}</xsl:template></xsl:stylesheet>'.encode())


def test_xslt_document_of_a_file_is_denied(canary_file):
    transform = safe_xslt(_stylesheet(
        f"<r><xsl:copy-of select=\"document('{canary_file.as_uri()}')\"/></r>"))
    with pytest.raises(etree.XSLTApplyError) as caught:
        transform(etree.fromstring(b"<a/>"))
    assert "denied" in str(caught.value)
    assert CANARY not in str(caught.value)


def test_xslt_document_of_etc_passwd_is_denied():
    transform = safe_xslt(_stylesheet(
        "<r><xsl:value-of select=\"document('file:///etc/passwd')\"/></r>"))
    with pytest.raises(etree.XSLTApplyError, match="denied"):
        transform(etree.fromstring(b"<a/>"))


def test_xslt_document_of_a_url_is_never_fetched(http_server):
    base, requests = http_server
    transform = safe_xslt(_stylesheet(f"<r><xsl:copy-of select=\"document('{base}/x')\"/></r>"))
    with pytest.raises(etree.XSLTApplyError, match="denied"):
        transform(etree.fromstring(b"<a/>"))
    assert requests == []


def test_xslt_cannot_write_files(tmp_path):
    target = tmp_path / "written.xml"
    transform = safe_xslt(_stylesheet(
        f'<exsl:document href="{target}"><x/></exsl:document><r/>',
        'xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl"'))
    with pytest.raises(etree.XSLTApplyError, match="denied"):
        transform(etree.fromstring(b"<a/>"))
    assert not target.exists()


def test_xslt_include_of_a_file_is_refused(tmp_path):
    included = tmp_path / "inc.xsl"
    included.write_text('<xsl:stylesheet version="1.0" '
                        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>')
    doc = parse_bytes(f'<xsl:stylesheet version="1.0" '
                      f'xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
                      f'<xsl:include href="{included.as_uri()}"/></xsl:stylesheet>'.encode())
    with pytest.raises(XmlSecurityError, match="external resource"):
        safe_xslt(doc)


def test_xslt_runs_an_ordinary_stylesheet():
    transform = safe_xslt(_stylesheet('<r n="{count(//b)}"/>'))
    assert transform(etree.fromstring(b"<a><b/><b/></a>")).getroot().get("n") == "2"


# -- encodings: what a file's first bytes say ----------------------------------------------------

DECLARED = '<?xml version="1.0" encoding="{}"?>\n<Answer note="Grüße">Straße €</Answer>'


@pytest.mark.parametrize(("encoding", "mark", "declared"), [
    ("utf-8", b"", "UTF-8"), ("utf-8", b"\xef\xbb\xbf", "UTF-8"),
    ("utf-16-le", b"\xff\xfe", "UTF-16"), ("utf-16-be", b"\xfe\xff", "UTF-16"),
    ("utf-16-le", b"", "UTF-16"), ("utf-16-be", b"", "UTF-16"),
    ("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32"), ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32"),
])
def test_xml_in_any_detectable_encoding_is_sniffed_and_read(encoding, mark, declared):
    data = mark + DECLARED.format(declared).encode(encoding)
    assert sniff(data[:4096]) == "xml"
    root = parse_bytes(data)
    assert (root.tag, root.get("note"), root.text) == ("Answer", "Grüße", "Straße €")


@pytest.mark.parametrize(("head", "kind"), [
    (b"ISA*00*          *00", "x12"), (b"\xef\xbb\xbfISA*00", "x12"), (b"\r\n  ISA*00", "x12"),
    (b"", "unknown"), (b"\n\n", "unknown"), (b"GS*PO", "unknown"), (b"\x00\x01hello", "unknown"),
    ("ISA*00".encode("utf-16"), "unknown"),       # X12 in UTF-16 is no XML, and no X12 we read
])
def test_what_is_not_xml_is_sniffed_as_x12_or_neither(head, kind):
    assert sniff(head) == kind


def test_blank_space_before_the_root_and_a_cut_character_still_sniff_as_xml():
    assert sniff(b"\xef\xbb\xbf \r\n\t<Answer/>") == "xml"
    assert sniff(b"\xff\xfe" + " \n<A>".encode("utf-16-le") + b"\x41") == "xml"   # odd byte at the end


def test_an_entity_declaration_in_utf32_is_refused():
    attack = '<?xml version="1.0" encoding="UTF-32"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    with pytest.raises(XmlSecurityError):
        parse_bytes(b"\xff\xfe\x00\x00" + attack.encode("utf-32-le"))
