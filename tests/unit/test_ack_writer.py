"""The outbound 997/999: golden documents, verdict rules, envelope, refusals, pyx12 checks.

Golden files in tests/fixtures/golden/ (997-*.edi, 999-*.edi) were written by hand from the
997/999 segment layouts before the writer reproduced them; README.md there records each check
and the reference used. Inline expected segments below were checked the same way against the
element lists of AK1..AK9, IK3..IK5 and CTX (stedi.com x12-004010/x12-005010 segment and
element pages, pyx12's map/997.4010.xml and map/999.5010.xml).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import pyx12
import pyx12.errors
import pyx12.params
import pyx12.x12n_document
from lxml import etree

from hub.domain.partner import Partner, X12Profile
from hub.edi.x12.fa997_out import (ReceivedGroup, ReceivedSet, SetError, build_ack, default_kind,
                                group_status, set_status)
from hub.edi.document import ControlNumbers
from hub.errors import DocumentError, PartnerConfigError
from tests.support.partners import x12_partner
from tests.support.pyx12_check import assert_reads_cleanly, read_segments

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "golden"
NOW = datetime(2026, 1, 16, 8, 5)


def acme(version: str = "004010", **changes) -> Partner:
    """The default supplier, as in the 850 goldens, asking for 997s."""
    return x12_partner(version, send_997=True, **changes)


def acme_5010() -> Partner:
    """Acme on 005010: DUNS sender, ':' sub-elements, CRLF, and a TA1 request for its 850s."""
    return acme("005010", x12=dict(sender_qualifier="01", sender_id="123456789",
                                   receiver_qualifier="ZZ", receiver_id="ACMESUPPLY",
                                   subelement_separator=":", segment_suffix="\r\n",
                                   ack_requested=True))


def zeta() -> Partner:
    """A partner with unusual delimiters: '|' elements, '^' sub-elements, '!' repetition,
    a line feed as the segment terminator with nothing after it; test mode."""
    profile = X12Profile("005010", "ZZ", "NORTHWIND", "ZZ", "ZETAEDI", "NORTHWIND", "ZETA",
                         element_separator="|", subelement_separator="^",
                         repetition_separator="!", segment_terminator="\n", segment_suffix="")
    return Partner("zeta", "Zeta Parts", "partners/zeta.toml", test_mode=True, x12=profile,
                   send_997=True)


def ok(set_id: str, control: str, **kw) -> ReceivedSet:
    """A set read without errors."""
    return ReceivedSet(set_id, control, **kw)


PARTIAL_4010 = ReceivedGroup("PR", "3042", "004010", (
    ok("855", "0001"),
    ReceivedSet("855", "0002", (
        SetError("BAK", 2, element_position=2, element_code="7", bad_value="ZZ",
                 element_reference="587"),
        SetError("PO1", 6, "PO1", element_position=2, element_code="6", bad_value="1O",
                 element_reference="330"))),
    ReceivedSet("855", "0003", (
        SetError("REF", 3, element_position=5, element_code="3", bad_value="EXTRA"),)),
))

PARTIAL_999 = ReceivedGroup("PR", "3044", "005010", (
    ok("855", "0001", business_unit=("BAK03", "PO-20260115-0001")),
    ReceivedSet("855", "0002", (
        SetError("BAK", 2, element_position=2, element_code="7", bad_value="ZZ",
                 element_reference="587"),
        SetError("N1", 5, "N1", segment_code="3")),
        business_unit=("BAK03", "PO-20260115-0002")),
    ReceivedSet("855", "0003", (
        SetError("REF", 3, element_position=3, element_code="I10", bad_value="NOTE",
                 element_reference="352"),),
        business_unit=("BAK03", "PO-20260115-0003")),
))

PIPES_999 = ReceivedGroup("SH", "77", "005010", (
    ReceivedSet("856", "0001", (
        SetError(set_code="4"),
        SetError("TD1", 9, "HL", element_position=2, element_code="6", bad_value="4|2",
                 element_reference="80")),
        business_unit=("BSN02", "SHIP-0001")),
))

GOLDEN_CASES = {
    "997-4010-accepted.edi": lambda: build_ack(
        acme(), ReceivedGroup("PR", "3041", "004010", (ok("855", "0001"), ok("855", "0002"))),
        ControlNumbers(5001, 41, 1), NOW),
    "997-4010-partial.edi": lambda: build_ack(acme(), PARTIAL_4010, ControlNumbers(5002, 42, 2),
                                              NOW),
    "997-5010-group-error.edi": lambda: build_ack(
        acme_5010(), ReceivedGroup("SH", "88", "005010", (ok("856", "0001"), ok("856", "0002")),
                                   group_errors=("5",), declared_sets=3),
        ControlNumbers(5003, 43, 3), NOW, kind="997"),
    "999-5010-partial.edi": lambda: build_ack(acme_5010(), PARTIAL_999,
                                              ControlNumbers(5004, 44, 4), NOW),
    "999-5010-pipes.edi": lambda: build_ack(zeta(), PIPES_999, ControlNumbers(9, 9, 9), NOW),
}


def body(doc) -> list[list[str]]:
    """The segments between ST and SE as pyx12 reads them."""
    return read_segments(doc.payload)[3:-3]


# -- golden files ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_acks_are_reproduced_byte_for_byte(name):
    doc = GOLDEN_CASES[name]()
    assert doc.payload == (GOLDEN / name).read_bytes()
    assert_reads_cleanly(doc.payload)


@pytest.mark.parametrize("name", ["997-4010-accepted.edi", "997-4010-partial.edi",
                                  "999-5010-partial.edi", "999-5010-pipes.edi"])
def test_goldens_validate_against_pyx12_maps_without_hipaa_code_lists(name, pyx12_maps):
    valid, errors = pyx12_validate((GOLDEN / name).read_bytes(), pyx12_maps)
    assert (valid, errors) == (True, [])


def test_pyx12_map_check_catches_a_broken_999(pyx12_maps):
    """The derived map is a real check: an unknown IK501 and a misplaced IK4 fail."""
    doc = (GOLDEN / "999-5010-partial.edi").read_bytes()
    valid, errors = pyx12_validate(doc.replace(b"IK5*R*5", b"IK5*Q*5"), pyx12_maps)
    assert not valid and any("IK5*Q not found" in e for e in errors)
    valid, errors = pyx12_validate(doc.replace(b"IK3*BAK*2**8~\r\n", b""), pyx12_maps)
    assert not valid


def test_bundled_999_map_is_hipaa_only():
    """pyx12's own 999 map is keyed on GS08 005010X231 and takes only HIPAA groups."""
    doc = build_ack(acme_5010(), ReceivedGroup("PR", "3044", "005010", (ok("855", "0001"),)),
                    ControlNumbers(5004, 44, 4), NOW).payload
    with pytest.raises(pyx12.errors.EngineError, match="Map not found"):
        pyx12_validate(doc, None)
    hipaa_envelope = doc.replace(b"*005010~", b"*005010X231~", 1).replace(
        b"ST*999*0004~", b"ST*999*0004*005010X231~")
    valid, errors = pyx12_validate(hipaa_envelope, None)
    assert not valid and "Segment AK1*PR not found" in errors[0]
    valid, _ = pyx12_validate(hipaa_envelope.replace(b"AK1*PR", b"AK1*HC")
                              .replace(b"AK2*855", b"AK2*837"), None)
    assert valid


# -- envelope and metadata ------------------------------------------------------------------

def test_rendered_document_metadata():
    doc = GOLDEN_CASES["997-4010-accepted.edi"]()
    assert (doc.doc_type, doc.filename, doc.content_type, doc.control_number) == (
        "997", "acme_997_000005001.edi", "application/edi-x12", "000005001")
    doc = GOLDEN_CASES["999-5010-partial.edi"]()
    assert (doc.doc_type, doc.filename) == ("999", "acme_999_000005004.edi")


def test_envelope_is_an_fa_group_with_gs08_from_the_profile_and_no_ack_requested():
    segments = read_segments(GOLDEN_CASES["997-5010-group-error.edi"]().payload)
    isa, gs, st = segments[:3]
    assert isa[14] == "0"           # ISA14: never ask for an ack of an ack (profile asks "1")
    assert isa[12] == "00501" and gs[8] == "005010"   # GS08 is the version, not ISA12
    assert (gs[1], st[1]) == ("FA", "997")
    segments = read_segments(GOLDEN_CASES["997-4010-accepted.edi"]().payload)
    assert segments[1][8] == "004010"                 # not pyx12's "00401"


def test_test_mode_reaches_isa15():
    assert read_segments(GOLDEN_CASES["999-5010-pipes.edi"]().payload)[0][15] == "T"
    assert read_segments(GOLDEN_CASES["997-4010-accepted.edi"]().payload)[0][15] == "P"


def test_unusual_delimiters_are_honoured():
    payload = GOLDEN_CASES["999-5010-pipes.edi"]().payload.decode()
    lines = payload.split("\n")
    assert lines[-1] == "" and all(line and "~" not in line for line in lines[:-1])
    assert payload[3] == "|" and payload[104:106] == "^\n"   # ISA16, then the terminator
    assert "*" not in payload.replace("4 2", "")
    # The bad value's "|" would split IK404; it is written as a space instead.
    assert "IK4|2|80|6|4 2\n" in payload and "CTX|BSN02^SHIP-0001\n" in payload


def test_default_kind_follows_the_profile_version():
    assert default_kind(acme()) == "997"
    assert default_kind(acme_5010()) == "999"
    group = ReceivedGroup("PR", "1", "005010", (ok("855", "0001"),))
    assert build_ack(acme_5010(), group, ControlNumbers(1, 1, 1), NOW).doc_type == "999"
    assert build_ack(acme_5010(), group, ControlNumbers(1, 1, 1), NOW, "997").doc_type == "997"


def test_a_999_for_a_004010_partner_is_refused():
    group = ReceivedGroup("PR", "1", "004010", (ok("855", "0001"),))
    with pytest.raises(PartnerConfigError, match="999 exists from 005010 on"):
        build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW, kind="999")
    with pytest.raises(ValueError, match="kind"):
        build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW, kind="998")


def test_partner_without_x12_profile_is_refused():
    partner = Partner("xmlonly", "XML Only", "partners/xmlonly.toml", po_format="xml")
    with pytest.raises(PartnerConfigError, match="no \\[x12\\] table"):
        build_ack(partner, ReceivedGroup("PR", "1", "004010", ()), ControlNumbers(1, 1, 1), NOW)


# -- verdicts -------------------------------------------------------------------------------

@pytest.mark.parametrize("errors, status", [
    ((), "A"),
    ((SetError("REF", 3, element_position=5, element_code="3"),), "E"),      # extra element
    ((SetError("REF", 3, segment_code="I4"),), "E"),                         # "not used" seg
    ((SetError("REF", 3, element_position=5, element_code="3"),
      SetError("BAK", 2, element_position=2, element_code="7")), "R"),       # one real error
    ((SetError("BAK", 2, segment_code="8"),), "R"),                          # unexplained
    ((SetError(set_code="5"),), "R"),
    ((SetError(set_code="4"),), "R"),                                        # SE01 wrong
])
def test_set_status(errors, status):
    assert set_status(ReceivedSet("855", "0001", errors)) == status


@pytest.mark.parametrize("sets, group_errors, status", [
    (("A", "A"), (), "A"), (("A", "E"), (), "E"), (("A", "R"), (), "P"),
    (("E", "R"), (), "P"), (("R", "R"), (), "R"), ((), (), "R"), (("A", "A"), ("5",), "R"),
])
def test_group_status(sets, group_errors, status):
    errors = {"A": (), "E": (SetError("REF", 3, element_position=5, element_code="3"),),
              "R": (SetError(set_code="4"),)}
    group = ReceivedGroup("PR", "1", "004010",
                          tuple(ReceivedSet("855", f"{i:04d}", errors[s]) for i, s in
                                enumerate(sets, 1)), group_errors)
    assert group_status(group) == status


def test_4010_group_error_rejects_the_group_and_counts_from_ge01():
    group = ReceivedGroup("PR", "17", "004010", (ok("855", "0001"),), group_errors=("4", "5"),
                          declared_sets=2)
    # AK9: AK901 R, AK902 2 from GE01, AK903 1 received, AK904 1 accepted, AK905/906 codes.
    assert body(build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW))[-1] == \
        ["AK9", "R", "2", "1", "1", "4", "5"]


def test_group_without_a_trailer_counts_the_sets_received():
    group = ReceivedGroup("PR", "17", "004010", (ok("855", "0001"), ok("855", "0002")),
                          group_errors=("3",))
    assert body(build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW))[-1] == \
        ["AK9", "R", "2", "2", "2", "3"]


# -- detail ---------------------------------------------------------------------------------

def test_errors_in_one_segment_share_one_ak3():
    received = ReceivedSet("855", "0002", (
        SetError("PO1", 6, "PO1", element_position=2, element_code="6", bad_value="1O"),
        SetError("PO1", 6, "PO1", element_position=3, element_code="7", bad_value="XX"),
        SetError("PO1", 9, "PO1", segment_code="5")))
    doc = build_ack(acme(), ReceivedGroup("PR", "1", "004010", (received,)),
                    ControlNumbers(1, 1, 1), NOW)
    # AK3 per segment occurrence (AK302 position), its AK4s right after it; AK502 "5".
    assert body(doc)[1:-1] == [
        ["AK2", "855", "0002"], ["AK3", "PO1", "6", "PO1", "8"], ["AK4", "2", "", "6", "1O"],
        ["AK4", "3", "", "7", "XX"], ["AK3", "PO1", "9", "PO1", "5"], ["AK5", "R", "5"]]


def test_set_level_errors_go_to_ak5_without_an_ak3():
    received = ReceivedSet("855", "0002", (SetError(set_code="4"), SetError(set_code="3")))
    doc = build_ack(acme(), ReceivedGroup("PR", "1", "004010", (received,)),
                    ControlNumbers(1, 1, 1), NOW)
    assert body(doc)[1:3] == [["AK2", "855", "0002"], ["AK5", "R", "4", "3"]]


def test_component_position_is_written_with_the_sub_element_separator():
    received = ReceivedSet("856", "0001", (SetError("TD5", 4, element_position=3,
                                                    component_position=2, element_code="7"),))
    doc = build_ack(acme_5010(), ReceivedGroup("SH", "1", "005010", (received,)),
                    ControlNumbers(1, 1, 1), NOW)
    assert b"IK4*3:2**7~\r\n" in doc.payload


def test_005010_997_echoes_gs08_and_st03_but_004010_has_no_place_for_them():
    group = ReceivedGroup("PR", "5", "005010", (ok("855", "0001", convention="VICS5010"),))
    doc = build_ack(acme_5010(), group, ControlNumbers(1, 1, 1), NOW, kind="997")
    assert body(doc)[:2] == [["AK1", "PR", "5", "005010"], ["AK2", "855", "0001", "VICS5010"]]
    group = ReceivedGroup("PR", "5", "004010", (ok("855", "0001", convention="VICS5010"),))
    assert body(build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW))[:2] == [
        ["AK1", "PR", "5"], ["AK2", "855", "0001"]]


def test_codes_beyond_five_and_element_notes_beyond_99_are_cut():
    errors = tuple(SetError("PO1", 6, element_position=n % 20 + 1, element_code="6")
                   for n in range(120))
    set_codes = tuple(SetError(set_code=c) for c in ("1", "2", "3", "4", "6", "7"))
    doc = build_ack(acme(), ReceivedGroup("PR", "1", "004010",
                                          (ReceivedSet("855", "0001", set_codes + errors),)),
                    ControlNumbers(1, 1, 1), NOW)
    segments = body(doc)
    assert sum(s[0] == "AK4" for s in segments) == 99          # AK4 max use 99
    assert segments[-2] == ["AK5", "R", "1", "2", "3", "4", "6"]   # AK502..AK506
    assert_reads_cleanly(doc.payload)


def test_bad_value_copy_is_cleaned_and_cut():
    received = ReceivedSet("855", "0001", (
        SetError("PID", 7, element_position=5, element_code="5", bad_value="A*B~C" + "x" * 200),))
    doc = build_ack(acme(), ReceivedGroup("PR", "1", "004010", (received,)),
                    ControlNumbers(1, 1, 1), NOW)
    ak4 = body(doc)[3]
    assert ak4[:4] == ["AK4", "5", "", "5"] and ak4[4] == ("A B C" + "x" * 200)[:99]


# -- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("group, what", [
    (ReceivedGroup("PR", "1", "004010", (ok("855", "12"),)), "AK202"),         # AN 4/9
    (ReceivedGroup("PR", "A1", "004010", (ok("855", "0001"),)), "AK102"),      # N0 1/9
    (ReceivedGroup("P*", "1", "004010", (ok("855", "0001"),)), "AK101"),       # delimiter
    (ReceivedGroup("PR", "1", "004010", (ok("", "0001"),)), "AK201"),          # empty
])
def test_mandatory_echo_that_does_not_fit_is_refused_by_name(group, what):
    with pytest.raises(DocumentError, match=what) as caught:
        build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW)
    assert "ask the partner to correct the group" in str(caught.value)


@pytest.mark.parametrize("error, kind, message", [
    (SetError("BAK", 2, element_position=1, element_code="I12"), "997", "AK403 code 'I12'"),
    (SetError(set_code="I5"), "997", "AK502 code 'I5'"),
    (SetError(set_code="14"), "999", "AK502 code '14'"),
    (SetError("BAK", 2, segment_code="9"), "999", "AK304 code '9'"),
    (SetError("BAK", 2), "997", "carries no error code"),
    (SetError(segment_code="8"), "997", "no segment_id"),
    (SetError("BAK", segment_code="8"), "997", "segment position"),
    (SetError("BAK", 2, element_code="7"), "997", "element_position"),
    (SetError("BAK", 2, segment_code="8", bad_value="x"), "997", "element_code"),
])
def test_malformed_errors_and_unknown_codes_are_programming_errors(error, kind, message):
    group = ReceivedGroup("PR", "1", "005010", (ReceivedSet("855", "0001", (error,)),))
    with pytest.raises(ValueError, match=message):
        build_ack(acme_5010(), group, ControlNumbers(1, 1, 1), NOW, kind=kind)


def test_unknown_group_code_is_refused():
    group = ReceivedGroup("PR", "1", "004010", (ok("855", "0001"),), group_errors=("7",))
    with pytest.raises(ValueError, match="AK905 code '7'"):
        build_ack(acme(), group, ControlNumbers(1, 1, 1), NOW)


# -- pyx12 validation with its 997/999 maps ---------------------------------------------------

# The bundled maps are HIPAA maps: their code lists take only HIPAA functional groups and sets
# (AK101, AK201), ISA qualifiers (ISA05/ISA07), the CTX business unit names, and for the 999
# GS08/ST03 005010X231. The derived maps drop exactly those code lists and register the 999
# map under GS08 005010; loops, segment order, element counts, lengths and types stay pyx12's.
_LOOSENED = {"x12.control.00401.xml": ("ISA05", "ISA07"),
             "997.4010.xml": ("ISA05", "ISA07", "AK101", "AK201"),
             "999.5010.xml": ("GS08", "ST03", "AK101", "AK201",
                              "Business Unit Identifier/CTX01-01")}


@pytest.fixture(scope="module")
def pyx12_maps(tmp_path_factory) -> str:
    """pyx12's map directory with the HIPAA-only code lists of the 997/999 maps removed."""
    target = tmp_path_factory.mktemp("pyx12") / "map"
    shutil.copytree(Path(pyx12.__file__).parent / "map", target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for name, xids in _LOOSENED.items():
        tree = etree.parse(str(target / name))
        for segment in tree.getroot().iter("segment"):
            for element in segment.iter("element"):
                if {element.get("xid"), f"{segment.findtext('name')}/{element.get('xid')}"} & \
                        set(xids):
                    codes = element.find("valid_codes")
                    if codes is not None:
                        element.remove(codes)
                    if element.get("xid") == "ST03":
                        element.find("usage").text = "S"   # ST03 is optional outside HIPAA
        tree.write(str(target / name), xml_declaration=True, encoding="utf-8")
    maps = etree.parse(str(target / "maps.xml"))
    entry = etree.Element("map", vriic="005010", fic="FA", abbr="999")
    entry.text = "999.5010.xml"
    maps.getroot().find("version[@icvn='00501']").insert(0, entry)
    maps.write(str(target / "maps.xml"), xml_declaration=True, encoding="utf-8")
    return os.fspath(target)


class _Collect(logging.Handler):
    """Keeps pyx12's validation messages, which it only logs."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pyx12_validate(data: bytes, map_path: str | None) -> tuple[bool, list[str]]:
    """pyx12's verdict on a document and the errors it logged."""
    logger, collect = logging.getLogger("pyx12"), _Collect()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    logger.addHandler(collect)
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=io.StringIO(data.decode("ascii")),
            fd_997=None, fd_html=None, map_path=map_path)
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
        logger.propagate = propagate
    return valid, collect.messages
