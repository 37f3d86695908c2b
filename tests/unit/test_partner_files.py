"""Partner files and the supplier catalog: what loads, and errors that name the file, the key
or line and column, and what is wrong. Every partner file shipped with the hub must load."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

import partners as shipped_partners
from hub.adapters.partner_files import load_catalog, load_partner, load_partners
from hub.domain.partner import CatalogEntry, Partner, Sla, TransportConfig, X12Profile, XmlProfile
from hub.errors import CatalogError, ConfigError, PartnerConfigError

SHIPPED_DIR = Path(shipped_partners.__file__).parent
SHIPPED = sorted(SHIPPED_DIR.glob("*.toml")) + sorted((SHIPPED_DIR / "examples").glob("*.toml"))

X12_PARTNER = """\
name = "Globex Corp."

[x12]
version = "004010"
sender_id = "DEMORETAIL"
receiver_id = "GLOBEX"

[transport]
type = "folder"
path = "var/suppliers/globex/in"
"""

XML_PARTNER = """\
name = "Initech"
po_format = "xml"

[xml]
mapping = "xml/initech.xsl"

[transport]
type = "sftp"
host = "sftp.initech.example"
password_env = "INITECH_SFTP_PASSWORD"
"""


def write(tmp_path: Path, text: str, pid: str = "globex") -> Path:
    path = tmp_path / f"{pid}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def partner_error(tmp_path: Path, text: str, pid: str = "globex") -> PartnerConfigError:
    path = write(tmp_path, text, pid)
    with pytest.raises(PartnerConfigError) as info:
        load_partner(path)
    assert info.value.path == str(path)
    return info.value


def with_x12(**values: str) -> str:
    """The X12 partner with extra lines in its [x12] table (values written as TOML)."""
    extra = "".join(f"{k} = {v}\n" for k, v in values.items())
    return X12_PARTNER.replace('receiver_id = "GLOBEX"\n', f'receiver_id = "GLOBEX"\n{extra}')


# -- shipped files ---------------------------------------------------------------------------

def test_the_hub_ships_partner_files():
    assert {p.stem for p in SHIPPED} >= {"acme", "initech"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_partner_file_loads(path):
    partner = load_partner(path)
    assert partner.id == path.stem
    assert partner.name.strip()
    assert partner.source == str(path)
    assert (partner.x12 if partner.po_format == "x12" else partner.xml) is not None


def test_shipped_catalog_loads_with_the_shipped_partners():
    catalog = load_catalog(SHIPPED_DIR / "catalog.csv", load_partners(SHIPPED_DIR))
    assert len(catalog.entries) == 11
    assert catalog.entry("DESK-OAK-120", "acme") == CatalogEntry(
        "DESK-OAK-120", "acme", "AC-77120", Decimal("212.00"), 5, 10, 1, 20, True, "EA")
    assert not catalog.knows("PLANT-POT-L")       # its only row is inactive
    assert [e.supplier for e in catalog.offers("FOOTREST-ADJ")] == ["acme", "initech"]


def test_acme_partner_values():
    acme = load_partner(SHIPPED_DIR / "acme.toml")
    assert acme.x12 == X12Profile("004010", "ZZ", "DEMORETAIL", "ZZ", "ACMESUPPLY", "DEMORETAIL",
                                  "ACMESUPPLY", "*", ">", "~", "^", "\n", False, "ascii",
                                  "x12/850-4010.toml", "x12/860-4010.toml")
    assert acme.outbound == ("850", "860") and acme.change_mapping == "x12/860-4010.toml"
    assert (acme.test_mode, acme.send_997, acme.expect_997, acme.poll) == (True, True, True,
                                                                          "interval:1m")
    assert acme.sla == Sla(2.0, 24.0, 72.0)
    assert acme.max_units_per_day == 500
    assert acme.fields == {"vendor_number": "V-10442"}


# -- a partner file --------------------------------------------------------------------------

def test_minimal_x12_partner_gets_the_defaults(tmp_path):
    p = load_partner(write(tmp_path, X12_PARTNER))
    assert p == Partner(
        id="globex", name="Globex Corp.", source=str(tmp_path / "globex.toml"),
        x12=X12Profile(version="004010", sender_qualifier="ZZ", sender_id="DEMORETAIL",
                       receiver_qualifier="ZZ", receiver_id="GLOBEX", gs_sender_id="DEMORETAIL",
                       gs_receiver_id="GLOBEX"),
        transport=TransportConfig("folder", {"type": "folder",
                                             "path": "var/suppliers/globex/in"}))
    assert (p.active, p.test_mode, p.po_format, p.outbound, p.inbound, p.poll) == (
        True, False, "x12", ("850",), ("997", "855", "856"), "interval:5m")
    assert (p.send_997, p.expect_997, p.sla, p.max_units_per_day) == (False, True, Sla(), None)


def test_xml_partner(tmp_path):
    text = XML_PARTNER + ('\n[xml.params]\naccount-number = "ER-1"\n'
                          '\n[xml.secret_params]\nshared_secret = "INITECH_CXML_SECRET"\n')
    p = load_partner(write(tmp_path, text, "initech"))
    assert p.xml == XmlProfile("xml/initech.xsl", {"account-number": "ER-1"},
                               {"shared_secret": "INITECH_CXML_SECRET"}, "xml")
    assert p.x12 is None
    assert p.expect_997 is False          # no 997 for XML unless asked
    assert p.transport.settings["password_env"] == "INITECH_SFTP_PASSWORD"


def test_all_tables(tmp_path):
    text = X12_PARTNER.replace('name = "Globex Corp."', 'id = "globex"\nname = "Globex Corp."\n'
                               "active = false\ntest_mode = true") + """
[documents]
outbound = ["850"]
inbound = ["999", "855"]

[schedule]
poll = "cron:*/10 6-20 * * mon-fri"

[acks]
send_997 = true
expect_997 = false

[sla]
ack_hours = 1.5
asn_hours = 48

[capacity]
max_units_per_day = 250

[fields]
vendor_number = "V-1"
"""
    p = load_partner(write(tmp_path, text))
    assert (p.active, p.test_mode, p.inbound, p.poll) == (False, True, ("999", "855"),
                                                          "cron:*/10 6-20 * * mon-fri")
    assert (p.send_997, p.expect_997, p.sla, p.max_units_per_day, p.fields) == (
        True, False, Sla(1.5, None, 48.0), 250, {"vendor_number": "V-1"})


def test_x12_values(tmp_path):
    text = with_x12(version='"005010"', sender_qualifier='"01"', receiver_qualifier='"12"',
                    gs_sender_id='"DR"', gs_receiver_id='"GLOBEXGS"', element_separator='"|"',
                    subelement_separator='":"', segment_terminator='"\\n"',
                    repetition_separator='"!"', segment_suffix='""', ack_requested="true",
                    charset='"utf-8"', mapping='"x12/850-5010.toml"')
    text = text.replace('version = "004010"\n', "")
    x = load_partner(write(tmp_path, text)).x12
    assert x == X12Profile("005010", "01", "DEMORETAIL", "12", "GLOBEX", "DR", "GLOBEXGS", "|",
                           ":", "\n", "!", "", True, "utf-8", "x12/850-5010.toml")


@pytest.mark.parametrize(("written", "suffix"), [('"lf"', "\n"), ('"CRLF"', "\r\n"),
                                                 ('"\\r\\n"', "\r\n"), ('""', "")])
def test_segment_suffix_spellings(tmp_path, written, suffix):
    assert load_partner(write(tmp_path, with_x12(segment_suffix=written))).x12.segment_suffix == \
        suffix


def test_load_partners_keys_by_id(tmp_path):
    write(tmp_path, X12_PARTNER)
    write(tmp_path, XML_PARTNER, "initech")
    (tmp_path / "notes.txt").write_text("not a partner")
    assert sorted(load_partners(tmp_path)) == ["globex", "initech"]


# -- identity --------------------------------------------------------------------------------

def test_id_must_match_the_file_name(tmp_path):
    err = partner_error(tmp_path, 'id = "acme"\n' + X12_PARTNER)
    assert str(err) == (f"{tmp_path / 'globex.toml'}: id: is 'acme' but the file is named "
                        "globex.toml: rename one so they match")
    assert err.incident_code == "partner.config_invalid"


@pytest.mark.parametrize("pid", ["Globex", "globex corp", "-globex", "g" * 41])
def test_id_characters(tmp_path, pid):
    err = partner_error(tmp_path, f'id = "{pid}"\n' + X12_PARTNER, pid)
    assert (err.where, err.problem) == ("id", f"{pid!r} is not a partner id: lower-case letters, "
                                              "digits, '-' and '_', at most 40 (the file name is the "
                                              "id when 'id' is left out)")


@pytest.mark.parametrize("stem", ["Globex", "globex corp"])
def test_a_file_name_that_is_no_valid_id_is_refused_too(tmp_path, stem):
    # without an id key the id is the file name, and must obey the same rule
    err = partner_error(tmp_path, X12_PARTNER, stem)
    assert err.where == "id"


@pytest.mark.parametrize(("text", "where", "problem"), [
    (X12_PARTNER.replace('name = "Globex Corp."\n', ""), "name", "required: must not be empty"),
    (X12_PARTNER.replace('"Globex Corp."', '"  "'), "name", "must not be empty, got '  '"),
    ('active = "yes"\n' + X12_PARTNER, "active", "must be true or false, got 'yes'"),
    ('po_format = "edifact"\n' + X12_PARTNER, "po_format", 'must be "x12" or "xml", got \'edifact\''),
    ('po_format = "xml"\n' + X12_PARTNER, "xml", 'po_format is "xml" but there is no [xml] table'),
    (XML_PARTNER.replace('po_format = "xml"', 'po_format = "x12"'), "x12",
     'po_format is "x12" but there is no [x12] table'),
    ('transprot = 1\n' + X12_PARTNER, "transprot",
     "unknown key (did you mean 'transport'?); allowed: acks, active, capacity, documents, "
     "fields, id, name, po_format, schedule, sla, test_mode, transport, x12, xml"),
    (X12_PARTNER.split("[transport]")[0], "transport", "missing table"),
    (X12_PARTNER.replace('type = "folder"', 'type = "ftp"'), "transport.type",
     'must be "folder", "sftp" or "as2", got \'ftp\''),
    (X12_PARTNER.replace('type = "folder"\n', ""), "transport.type",
     'required: must be "folder", "sftp" or "as2"'),
    (X12_PARTNER + "[sla]\nack_hours = 0\n", "sla.ack_hours", "hours above 0, got 0.0"),
    (X12_PARTNER + '[sla]\nack_hours = "2h"\n', "sla.ack_hours", "must be a number, got '2h'"),
    (X12_PARTNER + "[capacity]\nmax_units_per_day = 0\n", "capacity.max_units_per_day",
     "invalid value 0"),
    (X12_PARTNER + "[acks]\nsend_999 = true\n", "acks.send_999",
     "unknown key (did you mean 'send_997'?); allowed: expect_997, send_997"),
    (X12_PARTNER + "[fields]\nVendor = \"V-1\"\n", "fields.Vendor",
     "fields are lower_case names with string values"),
    (X12_PARTNER + "[fields]\nvendor = 10442\n", "fields.vendor",
     "fields are lower_case names with string values"),
])
def test_partner_table_errors(tmp_path, text, where, problem):
    err = partner_error(tmp_path, text)
    assert (err.where, err.problem) == (where, problem)


# -- x12 identities, version, delimiters -----------------------------------------------------

@pytest.mark.parametrize(("values", "where", "problem"), [
    ({"sender_qualifier": '"Z"'}, "x12.sender_qualifier",
     "two letters or digits, e.g. ZZ, 01, 12, got 'Z'"),
    ({"receiver_qualifier": '"Z*"'}, "x12.receiver_qualifier",
     "two letters or digits, e.g. ZZ, 01, 12, got 'Z*'"),
    ({"receiver_qualifier": '"ZZZ"'}, "x12.receiver_qualifier",
     "two letters or digits, e.g. ZZ, 01, 12, got 'ZZZ'"),
    ({"gs_sender_id": '"D"'}, "x12.gs_sender_id", "2 to 15 characters, got 'D'"),
    ({"gs_receiver_id": '"' + "G" * 16 + '"'}, "x12.gs_receiver_id",
     "2 to 15 characters, got '" + "G" * 16 + "'"),
    ({"charset": '"ebcdic"'}, "x12.charset", '"ascii" or "utf-8", got \'ebcdic\''),
    ({"segment_suffix": '"tab"'}, "x12.segment_suffix", '"", "\\n" or "\\r\\n", got \'tab\''),
    ({"mapping": '""'}, "x12.mapping", "must not be empty, got ''"),
    ({"sender_qualifer": '"ZZ"'}, "x12.sender_qualifer", None),
])
def test_x12_table_errors(tmp_path, values, where, problem):
    err = partner_error(tmp_path, with_x12(**values))
    assert err.where == where
    if problem is None:
        assert err.problem.startswith("unknown key (did you mean 'sender_qualifier'?)")
    else:
        assert err.problem == problem


@pytest.mark.parametrize(("old", "new", "where", "problem"), [
    ('sender_id = "DEMORETAIL"', 'sender_id = ""', "x12.sender_id", "1 to 15 characters, got ''"),
    ('sender_id = "DEMORETAIL"', 'sender_id = "DEMORETAIL123456"', "x12.sender_id",
     "1 to 15 characters, got 'DEMORETAIL123456'"),
    ('receiver_id = "GLOBEX"\n', "", "x12.receiver_id", "required: 1 to 15 characters"),
    ('version = "004010"', 'version = "4010"', "x12.version", '"004010" or "005010", got \'4010\''),
    ('version = "004010"', 'version = "003060"', "x12.version", '"004010" or "005010", got \'003060\''),
    ('version = "004010"', "version = 4010", "x12.version", "must be a string, got 4010"),
    ('version = "004010"\n', "", "x12.version", 'required: "004010" or "005010"'),
])
def test_x12_identity_and_version_errors(tmp_path, old, new, where, problem):
    err = partner_error(tmp_path, X12_PARTNER.replace(old, new))
    assert (err.where, err.problem) == (where, problem)


@pytest.mark.parametrize("sender_id", ["DEMO*RETAIL", "DEMO~RETAIL", "MÜLLER"])
def test_isa_ids_that_cannot_be_written_are_refused_at_load(tmp_path, sender_id):
    # with "*" as element separator and "~" as terminator, or in an ASCII interchange, such an
    # id breaks every ISA the partner would get: the partner file must not load
    err = partner_error(tmp_path, X12_PARTNER.replace('"DEMORETAIL"', f'"{sender_id}"'))
    assert err.where.startswith("x12.")


@pytest.mark.parametrize(("values", "fragment"), [
    ({"segment_terminator": '"*"'}, "the delimiters must all differ"),
    ({"subelement_separator": '"*"'}, "the delimiters must all differ"),
    ({"element_separator": '"A"'}, "element_separator 'A' must be an ASCII character that is "
                                   "not a letter, digit or space"),
    ({"element_separator": '"**"'}, "element_separator must be exactly one character, not '**'"),
    ({"subelement_separator": '"."'}, "subelement_separator '.' appears in every decimal number"),
    ({"element_separator": '"\\t"'}, "element_separator '\\t' is a control character"),
    ({"version": '"005010"', "repetition_separator": '"*"'}, "the delimiters must all differ"),
    ({"segment_terminator": '"\\n"'}, "with a line break as segment_terminator the "
                                      "segment_suffix must be \"\""),
])
def test_delimiter_problems(tmp_path, values, fragment):
    text = with_x12(**values)
    if "version" in values:
        text = text.replace('version = "004010"\n', "", 1)
    err = partner_error(tmp_path, text)
    assert err.where.startswith("x12.")
    assert fragment in err.problem


def test_004010_ignores_the_repetition_separator(tmp_path):
    # 004010 writes "U" in ISA11, so a repetition separator equal to a delimiter does no harm
    p = load_partner(write(tmp_path, with_x12(repetition_separator='"*"')))
    assert p.x12.version == "004010"


# -- secrets ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "where", "key"), [
    ('password = "hunter2"\n', "transport.password", "password"),
    ('sftp_passphrase = "x"\n', "transport.sftp_passphrase", "sftp_passphrase"),
    ('private_key = "-----BEGIN..."\n', "transport.private_key", "private_key"),
    ('API_TOKEN = "x"\n', "transport.API_TOKEN", "API_TOKEN"),
    ('[transport.as2]\nclient_secret = "x"\n', "transport.as2.client_secret", "client_secret"),
])
def test_inline_secrets_are_refused(tmp_path, extra, where, key):
    err = partner_error(tmp_path, X12_PARTNER + extra)
    assert (err.where, err.problem) == (
        where, f'secrets are never written in partner files: use {key}_env = '
               '"NAME_OF_ENVIRONMENT_VARIABLE" (or a key file) instead')


def test_inline_secret_at_the_top_or_in_fields_is_refused(tmp_path):
    assert partner_error(tmp_path, 'password = "x"\n' + X12_PARTNER).where == "password"
    assert partner_error(tmp_path, X12_PARTNER + '[fields]\nportal_token = "abc"\n').where == \
        "fields.portal_token"


def test_secret_references_are_fine(tmp_path):
    text = X12_PARTNER + ('password_env = "GLOBEX_PASSWORD"\nprivate_key_file = "keys/globex"\n'
                          'passphrase_env = "GLOBEX_KEY_PASSPHRASE"\n')
    settings = load_partner(write(tmp_path, text)).transport.settings
    assert (settings["password_env"], settings["private_key_file"]) == ("GLOBEX_PASSWORD",
                                                                        "keys/globex")


def test_only_the_xml_secret_params_table_is_exempt(tmp_path):
    text = X12_PARTNER + '[transport.secret_params]\npassword = "hunter2"\n'
    err = partner_error(tmp_path, text)
    assert err.where.startswith("transport.secret_params")


def test_secrets_in_an_array_of_tables_are_refused(tmp_path):
    text = X12_PARTNER + '[[transport.hosts]]\nname = "a"\npassword = "hunter2"\n'
    err = partner_error(tmp_path, text)
    assert "password" in err.where


# -- documents and schedule ------------------------------------------------------------------

def test_unknown_document_types(tmp_path):
    err = partner_error(tmp_path, X12_PARTNER + '[documents]\noutbound = ["850", "810"]\n')
    assert (err.where, err.problem) == ("documents.outbound",
                                        "unknown document type '810'; known: 850, 860")
    err = partner_error(tmp_path, X12_PARTNER + '[documents]\ninbound = ["997", "860"]\n')
    assert (err.where, err.problem) == (
        "documents.inbound",
        "unknown document type '860'; known: 997, 999, 855, 856, 865, xml-confirmation, "
        "xml-shipnotice")
    err = partner_error(tmp_path, X12_PARTNER + '[documents]\ninbound = "997"\n')
    assert err.problem == "must be a list, got '997'"


@pytest.mark.parametrize("poll", ["interval:30s", "interval:5m", "interval:1.5h",
                                  "cron:0 * * * *", "cron:*/15 8-18 * * 1-5"])
def test_valid_schedules(tmp_path, poll):
    p = load_partner(write(tmp_path, X12_PARTNER + f'[schedule]\npoll = "{poll}"\n'))
    assert p.poll == poll


@pytest.mark.parametrize("poll", ["interval:0m", "interval:5", "interval:5d", "interval:m",
                                  "interval:-5m", "every 5m", "cron:* * * *",
                                  "cron:* * * * * *", "5m"])
def test_invalid_schedules(tmp_path, poll):
    err = partner_error(tmp_path, X12_PARTNER + f'[schedule]\npoll = "{poll}"\n')
    assert (err.where, err.problem) == (
        "schedule.poll", f'"interval:<n>s|m|h" or "cron:<minute hour day month weekday>", got {poll!r}')


def test_cron_fields_are_checked(tmp_path):
    err = partner_error(tmp_path, X12_PARTNER + '[schedule]\npoll = "cron:a b c d e"\n')
    assert err.where == "schedule.poll"


# -- xml -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "where", "problem"), [
    ("\n[xml.params]\naccount = 20417\n", "xml.params.account", "must be a string"),
    ("\n[xml.secret_params]\nsecret = 1\n", "xml.secret_params.secret", "must be a string"),
])
def test_xml_parameter_errors(tmp_path, extra, where, problem):
    err = partner_error(tmp_path, XML_PARTNER + extra, "initech")
    assert (err.where, err.problem) == (where, problem)


@pytest.mark.parametrize(("old", "new", "where", "problem"), [
    ('mapping = "xml/initech.xsl"\n', "", "xml.mapping", "po_format is \"xml\": name the mapping that writes its orders"),
    ('mapping = "xml/initech.xsl"\n', 'mapping = "xml/initech.xsl"\nfile_extension = "x.ml"\n',
     "xml.file_extension", "invalid value 'x.ml'"),
    ('mapping = "xml/initech.xsl"\n', 'mapping = "xml/initech.xsl"\nxslt = "a.xsl"\n',
     "xml.xslt", None),
])
def test_xml_table_errors(tmp_path, old, new, where, problem):
    err = partner_error(tmp_path, XML_PARTNER.replace(old, new), "initech")
    assert err.where == where
    if problem is not None:
        assert err.problem == problem


# -- file level ------------------------------------------------------------------------------

def test_toml_syntax_error_names_the_line(tmp_path):
    text = X12_PARTNER.replace('receiver_id = "GLOBEX"', 'receiver_id = GLOBEX')
    err = partner_error(tmp_path, text)
    assert err.problem.startswith("not valid TOML: ")
    assert "line 6" in err.problem
    assert str(err).startswith(str(tmp_path / "globex.toml"))


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "globex.toml"
    path.write_bytes(X12_PARTNER.replace("Globex Corp.", "Glöbex").encode("latin-1"))
    with pytest.raises(PartnerConfigError) as info:
        load_partner(path)
    assert info.value.problem.startswith("not UTF-8 text: invalid ")


def test_missing_file(tmp_path):
    with pytest.raises(PartnerConfigError) as info:
        load_partner(tmp_path / "ghost.toml")
    assert str(info.value) == f"{tmp_path / 'ghost.toml'}: file not found"
    assert isinstance(info.value, ConfigError)


# -- catalog ---------------------------------------------------------------------------------

CATALOG_HEADER = ("sku,supplier,supplier_item,cost,lead_time_days,priority,min_qty,max_qty,"
                  "active,uom")
PARTNERS = {p: Partner(p, p.title(), f"partners/{p}.toml") for p in ("acme", "initech")}


def catalog_file(tmp_path: Path, *rows: str, header: str = CATALOG_HEADER) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join((header,) + rows) + "\n", encoding="utf-8")
    return path


def catalog_error(tmp_path: Path, *rows: str, header: str = CATALOG_HEADER) -> CatalogError:
    path = catalog_file(tmp_path, *rows, header=header)
    with pytest.raises(CatalogError) as info:
        load_catalog(path, PARTNERS)
    assert info.value.path == str(path)
    assert info.value.incident_code == "catalog.invalid"
    return info.value


def test_catalog_rows(tmp_path):
    catalog = load_catalog(catalog_file(
        tmp_path, "DESK,acme,AC-1,212.00,5,10,2,20,true,EA",
        " LAMP , initech , IN-9 , 14.2 ,,,,,No,CA"), PARTNERS)
    assert catalog.entries == [
        CatalogEntry("DESK", "acme", "AC-1", Decimal("212.00"), 5, 10, 2, 20, True, "EA"),
        CatalogEntry("LAMP", "initech", "IN-9", Decimal("14.2"), 0, 100, 1, None, False, "CA"),
    ]


def test_catalog_with_only_the_required_columns_and_a_bom(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"\xef\xbb\xbfsku,supplier,supplier_item,cost\nDESK,acme,AC-1,1\n")
    (e,) = load_catalog(path, PARTNERS).entries
    assert e == CatalogEntry("DESK", "acme", "AC-1", Decimal("1"))


def test_missing_catalog(tmp_path):
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path / "catalog.csv", PARTNERS)
    assert str(info.value) == (f"{tmp_path / 'catalog.csv'}: file not found: the catalog lists "
                               "which supplier sells each SKU")


def test_catalog_missing_columns(tmp_path):
    err = catalog_error(tmp_path, "DESK,acme", header="sku,supplier")
    assert (err.where, err.problem) == (
        "line 1", "missing column(s) supplier_item, cost; columns are sku, supplier, "
                  "supplier_item, cost, lead_time_days, priority, min_qty, max_qty, active, uom")


def test_catalog_unknown_column(tmp_path):
    err = catalog_error(tmp_path, "DESK,acme,AC-1,1,red",
                        header="sku,supplier,supplier_item,cost,colour")
    assert (err.where, err.problem) == ("line 1", "unknown column 'colour'")


@pytest.mark.parametrize(("row", "where", "problem"), [
    ("DESK,globex,GX-1,1,,,,,,", "line 3, column supplier",
     "no partner file partners/globex.toml for supplier 'globex'"),
    ("DESK,initech,IN-1,\"12,50\",,,,,,", "line 3, column cost",
     "must be a price of 0 or more such as 12.50, got '12,50'"),
    ("DESK,initech,IN-1,,,,,,,", "line 3, column cost", "must not be empty"),
    ("DESK,initech,IN-1,1,,,,,maybe,", "line 3, column active",
     "must be true or false, got 'maybe'"),
    ("DESK,initech,IN-1,1,,,10,5,,", "line 3, column max_qty", "5 is below min_qty 10"),
    ("DESK,initech,IN-1,1,,,,,,EACH", "line 3, column uom",
     "a two-letter unit of measure code such as EA or CA"),
    ("DESK,initech,IN-1,1,-1,,,,,", "line 3, column lead_time_days",
     "must be a whole number, got '-1'"),
    ("DESK,initech,IN-1,1,,high,,,,", "line 3, column priority",
     "must be a whole number, got 'high'"),
    ("DESK,initech,IN-1,1,,,1.5,,,", "line 3, column min_qty", "must be a whole number, got '1.5'"),
    (",initech,IN-1,1,,,,,,", "line 3, column sku", "must not be empty"),
    ("DESK,initech,,1,,,,,,", "line 3, column supplier_item", "must not be empty"),
    ("DESK,acme,AC-2,1,,,,,,", "line 3", "acme already has a row for SKU DESK"),
])
def test_catalog_row_errors_name_line_and_column(tmp_path, row, where, problem):
    err = catalog_error(tmp_path, "DESK,acme,AC-1,1,,,,,,", row)
    assert (err.where, err.problem) == (where, problem)
    assert str(err) == f"{tmp_path / 'catalog.csv'}: {where}: {problem}"


@pytest.mark.parametrize("cost", ["NaN", "-5", "Infinity"])
def test_catalog_cost_must_be_a_real_price(tmp_path, cost):
    # routing sorts by cost: a NaN cost makes every comparison raise, a negative one wins always
    err = catalog_error(tmp_path, f"DESK,acme,AC-1,{cost},,,,,,")
    assert err.where == "line 2, column cost"


def test_catalog_whole_number_with_a_superscript_digit(tmp_path):
    err = catalog_error(tmp_path, "DESK,acme,AC-1,1,,,²,,,")
    assert err.where == "line 2, column min_qty"


def test_catalog_that_is_not_utf8_names_the_file(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(f"{CATALOG_HEADER}\nCRÈME,acme,AC-1,1,,,,,,\n".encode("latin-1"))
    with pytest.raises(CatalogError) as info:
        load_catalog(path, PARTNERS)
    assert info.value.path == str(path)


def test_change_documents_need_a_change_mapping(tmp_path):
    err = partner_error(tmp_path, X12_PARTNER + '[documents]\noutbound = ["850", "860"]\n')
    assert (err.where, err.problem) == ("documents.outbound", "lists \"860\" but [x12] names no change_mapping: "
                                        "name the mapping that writes the partner's order changes")
    text = X12_PARTNER.replace('[x12]\n', '[x12]\nchange_mapping = "x12/860-4010.toml"\n') + \
        '[documents]\noutbound = ["850", "860"]\ninbound = ["997", "865"]\n\n[sla]\nchange_hours = 12\n'
    p = load_partner(write(tmp_path, text))
    assert (p.change_mapping, p.answers_changes, p.sla.change_hours) == ("x12/860-4010.toml", True, 12.0)


def test_the_partner_page_says_each_deadline_and_the_delay_window_in_words():
    from hub.views.partners import partner_profile
    acme = load_partner(SHIPPED_DIR / "acme.toml")
    assert partner_profile(acme)["sla"] == {
        "997/999": "within 2 h", "855": "within 24 h", "856": "within 72 h",
        "answer to a change": "within 24 h",          # no change_hours: the 855's deadline
        "865 delay": "any (no Incident)"}
    strict = dataclasses.replace(acme, sla=Sla(None, 24.0, None, 6.0, 2.5))
    assert partner_profile(strict)["sla"] == {
        "997/999": "no deadline", "855": "within 24 h", "856": "no deadline",
        "answer to a change": "within 6 h", "865 delay": "up to 2.5 day(s) later"}


# -- every problem in one go -------------------------------------------------------------------

def problems_of(err: PartnerConfigError) -> list[tuple[str, str]]:
    """(where, problem) of each problem the error lists, or of the error itself."""
    return [(p.where, p.problem) for p in getattr(err, "problems", None) or [err]]


def test_three_independent_mistakes_are_all_listed(tmp_path):
    text = with_x12(sender_qualifer='"ZZ"').replace('version = "004010"', 'version = "4010"') + \
        '[schedule]\npoll = "every 5m"\n'
    err = partner_error(tmp_path, text)
    assert problems_of(err) == [
        ("x12.sender_qualifer", "unknown key (did you mean 'sender_qualifier'?); allowed: "
                                "ack_requested, change_mapping, charset, element_separator, "
                                "gs_receiver_id, gs_sender_id, mapping, receiver_id, "
                                "receiver_qualifier, repetition_separator, segment_suffix, "
                                "segment_terminator, sender_id, sender_qualifier, "
                                "subelement_separator, version"),
        ("x12.version", '"004010" or "005010", got \'4010\''),
        ("schedule.poll", '"interval:<n>s|m|h" or "cron:<minute hour day month weekday>", '
                          "got 'every 5m'")]
    assert err.where == "" and err.incident_code == "partner.config_invalid"
    assert str(err).startswith(f"{tmp_path / 'globex.toml'}: 3 problems:\n  - x12.sender_qualifer: ")
    assert "\n  - x12.version: " in str(err) and "\n  - schedule.poll: " in str(err)
    assert all(isinstance(p, PartnerConfigError) and p.path == str(tmp_path / "globex.toml")
               for p in err.problems)


def test_problems_in_every_table_are_listed(tmp_path):
    text = ('id = "Globex"\nactive = "yes"\ncolour = "red"\nshape = 1\n' + X12_PARTNER
            .replace('receiver_id = "GLOBEX"\n', "").replace('type = "folder"', 'type = "ftp"') +
            '[documents]\noutbound = ["810", "812"]\n[sla]\nack_hours = 0\n[capacity]\nmax_units_per_day = -1\n'
            '[acks]\nsend_999 = true\n[fields]\nVendor = "V"\n')
    assert [where for where, _ in problems_of(partner_error(tmp_path, text))] == [
        "colour", "shape", "id", "active", "documents.outbound", "acks.send_999", "fields.Vendor",
        "x12.receiver_id", "transport.type", "sla.ack_hours", "capacity.max_units_per_day"]


def test_every_inline_secret_is_listed_once(tmp_path):
    text = 'password = "x"\n' + X12_PARTNER + 'password = "hunter2"\n[transport.as2]\nclient_secret = "y"\n'
    assert [where for where, _ in problems_of(partner_error(tmp_path, text))] == [
        "password", "transport.password", "transport.as2.client_secret"]


@pytest.mark.parametrize(("text", "said"), [
    (X12_PARTNER.split("[transport]")[0] + '[schedule]\npoll = "5m"\n',
     [("transport", "missing table"), ("schedule.poll", None)]),
    (X12_PARTNER.replace("[transport]", "[transport.x]"),
     [("transport.type", 'required: must be "folder", "sftp" or "as2"')]),
    (X12_PARTNER.split("[x12]")[0] + 'x12 = "yes"\n[transport]' + X12_PARTNER.split("[transport]")[1],
     [("x12", "must be a table")]),
    ('po_format = "xml"\n' + X12_PARTNER, [("xml", 'po_format is "xml" but there is no [xml] table')]),
    (X12_PARTNER.replace('[x12]\n', '[x12]\nversion = 4010\n', 1).replace('version = "004010"\n', ""),
     [("x12.version", "must be a string, got 4010")]),
])
def test_a_problem_that_makes_others_unreadable_is_the_one_said(tmp_path, text, said):
    # no [transport]: not also its type; [x12] not a table: not also each of its keys
    listed = problems_of(partner_error(tmp_path, text))
    assert [w for w, _ in listed] == [w for w, _ in said]
    assert all(p is None or p == problem for (_, problem), (_, p) in zip(listed, said))


def test_a_wrong_delimiter_is_said_not_every_id_it_makes_unwritable(tmp_path):
    # "DEMORETAIL" holds an "A": with "A" as element separator ISA06 and GS02 break too
    err = partner_error(tmp_path, with_x12(element_separator='"A"'))
    assert problems_of(err) == [("x12.element_separator", "element_separator 'A' must be an ASCII "
                                                          "character that is not a letter, digit or space")]


def test_transport_settings_are_checked_with_the_rest_of_the_file(tmp_path):
    from hub.adapters.delivery import TransportPool
    from hub.bootstrap import default_transports
    text = XML_PARTNER.replace('mapping = "xml/initech.xsl"\n', 'mapping = "xml/initech.xsl"\nxslt = "a"\n')
    path = write(tmp_path, text, "initech")
    with pytest.raises(PartnerConfigError) as info:
        load_partner(path, TransportPool({}, default_transports(), tmp_path).check_settings)
    assert [where for where, _ in problems_of(info.value)] == ["xml.xslt", "transport.password_env"]
    assert "environment variable INITECH_SFTP_PASSWORD is not set" in info.value.problems[1].problem


# -- files that are not partner files ----------------------------------------------------------

@pytest.mark.parametrize(("text", "where", "words"), [
    (X12_PARTNER.replace('name = "Globex Corp."', 'name = "Globex Corp."\nname = "Globex"'), "",
     "not valid TOML: Cannot overwrite a value (at line 2, column 16); a key is written twice in "
     "the same table: keep one of them"),
    (X12_PARTNER + '[x12]\nmapping = "x12/850-5010.toml"\n', "",
     "a table is declared twice: merge the two [sections] into one"),
    (X12_PARTNER + "[fields." + ".".join(["a"] * 5000) + "]\n", "fields.a.a.a.a.a.a.a",
     "nested deeper than 8 levels of tables and lists; a configuration file needs far fewer"),
    ('deep = ' + "[" * 5000 + "]" * 5000 + "\n" + X12_PARTNER, "",
     "nested too deep to read; a configuration file needs at most 8 levels of tables and lists"),
    ('deep = ' + "{a = " * 3000 + "1" + "}" * 3000 + "\n" + X12_PARTNER, "", "nested too deep to read"),
    ("# " + "x" * (1 << 20) + "\n" + X12_PARTNER, "",
     "is larger than 1,048,576 bytes; a configuration file is a few KB: is it the right file?"),
    (X12_PARTNER.replace("Globex Corp.", "Glo\x00bex"), "", "not valid TOML: Illegal character"),
])
def test_hostile_files_get_one_clear_problem(tmp_path, text, where, words):
    err = partner_error(tmp_path, text)
    assert err.where == where and words in err.problem
    assert not getattr(err, "problems", None)


def test_a_folder_named_like_a_partner_file(tmp_path):
    (tmp_path / "globex.toml").mkdir()
    with pytest.raises(PartnerConfigError) as info:
        load_partner(tmp_path / "globex.toml")
    assert info.value.problem == "is a folder, not a file"


def test_nesting_as_deep_as_a_real_file_needs_loads(tmp_path):
    # transport.as2.<table>.<key>, lists inside: well within the limit
    text = X12_PARTNER + '[transport.a.b.c]\nd = [[["x"]]]\n'
    assert load_partner(write(tmp_path, text)).transport.settings["a"] == {"b": {"c": {"d": [[["x"]]]}}}


def test_catalog_lists_every_bad_row_and_each_problem_in_a_row(tmp_path):
    err = catalog_error(tmp_path, "DESK,acme,AC-1,1,,,,,,", "LAMP,globex,GX-1,1,,,,,,",
                        "CHAIR,acme,AC-2,abc,,,,,maybe,", "DESK,acme,AC-3,2,,,,,,",
                        "SHELF,initech,IN-4,3,,,,,,")
    assert [(p.where, p.problem) for p in err.problems] == [
        ("line 3, column supplier", "no partner file partners/globex.toml for supplier 'globex'"),
        ("line 4, column cost", "must be a price of 0 or more such as 12.50, got 'abc'"),
        ("line 4, column active", "must be true or false, got 'maybe'"),
        ("line 5", "acme already has a row for SKU DESK")]
    assert str(err).startswith(f"{tmp_path / 'catalog.csv'}: 4 problems:\n  - line 3, column supplier: ")


def test_a_catalog_broken_throughout_lists_the_first_problems_and_counts_the_rest(tmp_path):
    from hub.adapters.partner_files import MAX_LISTED
    rows = [f"SKU-{n},acme,AC-{n},free,,,,,," for n in range(MAX_LISTED + 30)]
    err = catalog_error(tmp_path, *rows)
    assert len(err.problems) == MAX_LISTED + 1
    assert err.problems[MAX_LISTED - 1].where == f"line {MAX_LISTED + 1}, column cost"
    assert err.problems[-1].where == "" and err.problems[-1].problem.startswith(
        "and 30 more problem(s) in later rows, not listed (only the first 50 are)")


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_catalog_cells_a_spreadsheet_would_run_are_refused(tmp_path, cell):
    quoted = '"' + cell.replace('"', '""') + '"'
    err = catalog_error(tmp_path, f"DESK,acme,{quoted},1,,,,,,")
    assert err.where == "line 2, column supplier_item"
    assert err.problem == (f"starts with {cell[0]!r}, which a spreadsheet runs as a formula; got "
                           f"{cell!r}: write the value without it")


def test_catalog_row_with_more_cells_than_the_header(tmp_path):
    # 12,50 without quotes: the cost would silently be 12
    err = catalog_error(tmp_path, "DESK,acme,AC-1,12,50", header="sku,supplier,supplier_item,cost")
    assert (err.where, err.problem) == ("line 2, column 5", "1 cell(s) more than the header's 4 "
                                        "columns: is a value holding a comma (such as 12,50) not in quotes?")


def test_an_oversized_catalog_is_refused_before_it_is_read(tmp_path):
    from hub.adapters.partner_files import MAX_CATALOG_BYTES
    path = catalog_file(tmp_path, *["DESK,acme,AC-1,1,,,,,,"] * (MAX_CATALOG_BYTES // 20))
    with pytest.raises(CatalogError, match="the catalog may have at most 4,194,304"):
        load_catalog(path, PARTNERS)


def test_problems_at_the_same_place_of_two_files_are_both_kept():
    """One collection can hold several files' problems (start-up): line 5 of the catalog and
    line 5 of a mapping are two problems, while the same key of one file is said once."""
    from hub.adapters.toml_table import Problems
    found = Problems("partners")
    found.add(CatalogError("partners/catalog.csv", "line 5", "cost is not a number"))
    found.add(ConfigError("mappings/x12/850.toml", "line 5", "unknown key"))
    found.add(CatalogError("partners/catalog.csv", "line 5", "the same row seen by another check"))
    assert [(p.path, p.problem) for p in found.found] == [
        ("partners/catalog.csv", "cost is not a number"), ("mappings/x12/850.toml", "unknown key")]
