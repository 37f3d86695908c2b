"""The X12 glossary: names and code meanings checked by hand against the public references.

Each expected string below was read in the reference named beside it, not produced by the
code: Stedi's X12 reference pages (stedi.com/edi/x12-004010/element/NNN, .../segment/XXX),
kputnam/stupidedi's versions/004010 segment and element definitions, pyx12's map files.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

import pytest

from hub.edi.x12 import glossary
from hub.edi.x12.elements import segment_ids

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "hub" / "edi" / "x12" / "glossary_data"

# The segments the hub reads and writes, and those of the 860/865 that come next.
SEGMENTS = ("ISA IEA GS GE ST SE TA1 BEG CUR REF PER FOB ITD DTM TD5 N1 N2 N3 N4 PO1 PID PO4 SAC "
            "MSG CTT AMT BAK ACK BSN HL TD1 TD3 PRF MAN LIN SN1 AK1 AK2 AK3 AK4 AK5 AK9 IK3 CTX IK4 "
            "IK5 BCH BCA POC").split()


@pytest.mark.parametrize("seg_id, version, name", [
    ("BEG", "004010", "Beginning Segment for Purchase Order"),          # stupidedi BEG.rb, Stedi
    ("AMT", "004010", "Monetary Amount"),                               # Stedi x12-004010 AMT
    ("AMT", "005010X231", "Monetary Amount Information"),               # stupidedi 005010 AMT.rb
    ("N1", "004010", "Name"),                                           # stupidedi 004010 N1.rb
    ("N1", "005010", "Party Identification"),                           # stupidedi 005010 N1.rb
    ("AK3", "004010", "Data Segment Note"),                             # pyx12 997.4010.xml
    ("IK4", "005010", "Implementation Data Element Note"),              # pyx12 999.5010.xml
    ("POC", "004010", "Line Item Change"),                              # Stedi, GotWoods/EDDY v4010
    ("ZZZ", "004010", ""),
])
def test_segment_names(seg_id, version, name):
    assert glossary.segment_name(seg_id, version) == name


@pytest.mark.parametrize("number, name", [
    ("324", "Purchase Order Number"),           # pyx12 dataele.xml, Stedi BEG-03
    ("92", "Purchase Order Type Code"),         # not in pyx12: eddy elements.tsv, Stedi BEG-02
    ("668", "Line Item Status Code"),           # Stedi element 668
    ("621", "Implementation Data Element Syntax Error Code"),   # pyx12's dataele.xml is wrong here
    ("715", "Functional Group Acknowledge Code"),               # Stedi element 715
    ("I65", "Repetition Separator"),            # pyx12 x12.control.00501.xml
    ("C040", "Reference Identifier"),           # stupidedi 004010 element_defs.rb
    ("124", "Application Receiver's Code"),     # pyx12 names it "124" only
    ("99999", ""),
])
def test_element_names(number, name):
    assert glossary.element_name(number) == name


@pytest.mark.parametrize("number, code, meaning", [
    ("353", "00", "Original"),                              # BEG01; Stedi 353, stupidedi E353
    ("668", "IA", "Item Accepted"),                         # ACK01; Stedi x12-004010 668
    ("735", "S", "Shipment"),                               # HL03; stupidedi E735
    ("717", "E", "Accepted But Errors Were Noted"),         # AK501; Stedi x12-005050 717
    ("715", "P", "Partially Accepted, At Least One Transaction Set Was Rejected"),  # Stedi 715
    ("723", "7", "Invalid code value."),                    # AK403; Stedi x12-004010 723
    ("620", "8", "Segment Has Data Element Errors"),        # IK304; Stedi x12-005010 620
    ("621", "1", "Required Data Element Missing"),          # IK403; Stedi x12-005040 621
    ("355", "EA", "Each"),                                  # PO103; stupidedi E355
    ("235", "VN", "Vendor's (Seller's) Item Number"),       # PO106; stupidedi E235
    ("587", "AT", "Accepted"),                              # BAK02; stupidedi E587
    ("I14", "T", "Test Data"),                              # ISA15; stupidedi interchanges I14
    ("143", "999", "Implementation Acknowledgment"),        # ST01; stupidedi 005010 E143
    ("353", "  00 ", "Original"),                           # padded values are looked up trimmed
    ("353", "ZZ9", ""),
    ("324", "00", ""),                                      # not a coded element
])
def test_code_meanings(number, code, meaning):
    assert glossary.code_meaning(number, code) == meaning


def test_segment_and_element_references_read_as_names():
    # AK301/IK301 name a segment, AK402/IK402 a data element: their meaning is that name.
    assert glossary.code_meaning("721", "BEG") == "Beginning Segment for Purchase Order"
    assert glossary.code_meaning("725", "66") == "Identification Code Qualifier"


def test_layouts_follow_the_writers_dictionary_and_the_version():
    assert glossary.layout("BEG")[:3] == ("353", "92", "324")
    assert glossary.layout("REF")[3] == "C040"
    assert glossary.layout("ISA", "00401")[10] == "I10"
    # ISA11 is the repetition separator from 00402 on, as the reader takes it (delimiters.py).
    assert glossary.layout("ISA", "00406")[10] == "I65"
    assert glossary.layout("N4", "005010")[6] == "1715"
    assert glossary.layout("POC")[:5] == ("350", "670", "330", "671", "C001")   # EDDY v4010 POC
    assert glossary.layout("XYZ") == ()


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_every_position_of_every_segment_has_a_name(version):
    missing = []
    for seg_id in SEGMENTS:
        assert glossary.segment_name(seg_id, version), seg_id
        numbers = glossary.layout(seg_id, version)
        assert numbers, seg_id
        for number in numbers:
            found = glossary.composite(number)
            for part in (found.components if found else (number,)):
                if not glossary.element_name(part):
                    missing.append(f"{seg_id}:{part}")
    assert missing == []


def test_the_writers_segments_are_not_laid_out_twice():
    data = tomllib.loads((DATA / "x12.toml").read_text())
    assert not set(data["layouts"]) & segment_ids("004010")


def test_code_lists_are_strings_to_strings():
    codes = json.loads((DATA / "codes.json").read_text())["codes"]
    assert all(isinstance(meaning, str) and meaning and isinstance(code, str) and code.strip() == code
               for table in codes.values() for code, meaning in table.items())


def test_the_data_files_ship_with_the_package():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["*"]
    for path in DATA.iterdir():
        if path.suffix in (".toml", ".json"):
            assert any(fnmatch.fnmatch(path.name, p) for p in patterns), path.name
