"""X12 writing rules: delimiters, element values, segments and the ISA/GS/ST envelope.

Expected strings were written by hand from the X12 rules (ISA fixed width: ISA02/ISA04 10
characters, ISA06/ISA08 15, ISA13 9 digits; SE01 counts ST and SE; 'R' without trailing zeros),
not produced by the code under test.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.domain.partner import Partner, X12Profile
from hub.edi.context import HEADER_FIELDS, PoContext
from hub.edi.document import ControlNumbers
from hub.edi.x12.mapping import parse_x12_mapping
from hub.edi.x12.po850 import X12Renderer
from hub.edi.x12.elements import UnfitValue
from hub.edi.x12.writer import (ElementError, Envelope, Syntax, check_delimiters, check_envelope,
                         transliterate)
from hub.errors import DocumentError
from tests.support.pyx12_check import assert_reads_cleanly, read_segments

NOW = datetime(2026, 1, 15, 9, 30)


def profile(version: str = "004010", **changes) -> X12Profile:
    """A partner profile with short ids, so padding shows."""
    base = dict(version=version, sender_qualifier="ZZ", sender_id="HUB",
                receiver_qualifier="01", receiver_id="123456789", gs_sender_id="HUB",
                gs_receiver_id="SUPPLIER")
    base.update(changes)
    return X12Profile(**base)


def syntax(version: str = "004010", **changes) -> Syntax:
    """The value rules for one profile."""
    return Syntax(profile(version, **changes))


# --- delimiters ---------------------------------------------------------------------------

def test_default_delimiters_are_fine():
    assert check_delimiters(profile()) == []
    assert check_delimiters(profile("005010")) == []


@pytest.mark.parametrize("changes, words", [
    ({"element_separator": "**"}, "exactly one character"),
    ({"element_separator": ""}, "exactly one character"),
    ({"element_separator": "A"}, "not a letter, digit or space"),
    ({"subelement_separator": "7"}, "not a letter, digit or space"),
    ({"segment_terminator": " "}, "not a letter, digit or space"),
    ({"element_separator": "é"}, "ASCII"),
    ({"element_separator": "."}, "decimal number"),
    ({"subelement_separator": "*"}, "must all differ"),
    ({"element_separator": "\t"}, "control character"),
    ({"segment_suffix": "\r"}, "segment_suffix"),
    ({"segment_terminator": "\n", "segment_suffix": "\n"}, "must be \"\""),
])
def test_bad_delimiters_are_named(changes, words):
    problems = check_delimiters(profile(**changes))
    assert len(problems) == 1 and words in problems[0]


def test_repetition_separator_counts_only_from_005010():
    # 004010 writes "U" in ISA11, so its repetition character never reaches the document.
    assert check_delimiters(profile("004010", repetition_separator="*")) == []
    assert "must all differ" in check_delimiters(profile("005010", repetition_separator="*"))[0]


def test_newline_may_terminate_segments_without_a_suffix():
    assert check_delimiters(profile(segment_terminator="\n", segment_suffix="")) == []


@pytest.mark.parametrize("changes, words", [
    ({"sender_id": "A" * 16}, "sender_id (ISA06)"),
    ({"receiver_qualifier": "1"}, "receiver_qualifier (ISA07)"),
    ({"gs_receiver_id": "X"}, "gs_receiver_id (GS03)"),
    ({"sender_id": "HUB*1"}, "without a delimiter"),
    ({"authorization": ("03", "TOO-LONG-PASS")}, "authorization (ISA02)"),
    ({"version": "003040"}, "not supported"),
    ({"charset": "ebcdic"}, "charset"),
])
def test_bad_envelope_identities_are_named(changes, words):
    problems = check_envelope(profile(**changes))
    assert len(problems) == 1 and words in problems[0]


# --- envelope -----------------------------------------------------------------------------

def test_isa_is_fixed_width_106_characters_for_004010():
    env = Envelope(profile(), test_mode=False, syntax=syntax())
    isa = env.header(42, 7, 3, NOW).split("\n")[0]
    # Hand-written: ISA02/04 10 spaces, ISA06 "HUB" + 12 spaces, ISA08 "123456789" + 6 spaces.
    assert isa == ("ISA*00*          *00*          *ZZ*HUB            *01*123456789      "
                   "*260115*0930*U*00401*000000042*0*P*>~")
    assert len(isa) == 106


def test_isa_005010_carries_the_repetition_separator_and_flags():
    p = profile("005010", repetition_separator="!", subelement_separator=":", ack_requested=True,
                authorization=("03", "PASS"), security=("01", "SECRET"))
    env = Envelope(p, test_mode=True, syntax=Syntax(p))
    isa = env.header(999_999_999, 1, 1, NOW).split("\n")[0]
    assert isa == ("ISA*03*PASS      *01*SECRET    *ZZ*HUB            *01*123456789      "
                   "*260115*0930*!*00501*999999999*1*T*:~")
    assert len(isa) == 106


def test_gs_st_and_trailers_carry_the_numbers():
    p = profile()
    env = Envelope(p, test_mode=False, syntax=Syntax(p))
    head = env.header(42, 7, 3, NOW).split("\n")
    assert head[1:] == ["GS*PO*HUB*SUPPLIER*20260115*0930*7*X*004010~", "ST*850*0003~", ""]
    # SE01 = 5 body segments + ST + SE; GE01 one transaction set; IEA01 one group.
    assert env.trailer(42, 7, 3, 5).split("\n") == [
        "SE*7*0003~", "GE*1*7~", "IEA*1*000000042~", ""]


@pytest.mark.parametrize("suffix", ["", "\n", "\r\n"])
def test_segment_suffix_follows_every_terminator(suffix):
    p = profile(segment_suffix=suffix)
    env = Envelope(p, test_mode=False, syntax=Syntax(p))
    text = env.header(1, 1, 1, NOW) + env.trailer(1, 1, 1, 0)
    assert text.count("~") == 6 and text.count("~" + suffix) == 6
    assert text.endswith("IEA*1*000000001~" + suffix)


def test_control_numbers_outside_their_range_are_a_caller_error():
    env = Envelope(profile(), test_mode=False, syntax=syntax())
    with pytest.raises(ValueError, match="interchange control number"):
        env.header(1_000_000_000, 1, 1, NOW)
    with pytest.raises(ValueError, match="transaction control number"):
        env.trailer(1, 1, 0, 3)


# --- element values -----------------------------------------------------------------------

def test_clean_values_pass_unchanged():
    s = syntax()
    assert s.fit("NW-LAMP-01", "AN", 1, 48, False) == "NW-LAMP-01"
    assert s.fit("12.5", "R", 1, 17, False) == "12.5"
    assert s.fit("20260131", "DT", 8, 8, False) == "20260131"
    assert s.fit("0930", "TM", 4, 8, False) == "0930"


def test_free_text_delimiters_and_controls_become_single_spaces():
    s = syntax()
    assert s.fit("Desk*lamp ~ brass>40W\r\nwarm\twhite", "AN", 1, 80, True) == \
        "Desk lamp brass 40W warm white"


def test_free_text_is_cut_to_the_element_maximum_between_words():
    s = syntax()
    assert s.fit("Springfield Gardens North", "AN", 2, 20, True) == "Springfield Gardens"
    assert s.fit("Abcdefghijklmnopqrstuvwxyz", "AN", 2, 10, True) == "Abcdefghij"


def test_free_text_shorter_than_the_minimum_is_padded():
    # N401 city is AN 2/30; X12 meets an AN minimum with trailing spaces.
    assert syntax().fit("X", "AN", 2, 30, True) == "X "


def test_free_text_of_nothing_but_delimiters_becomes_empty():
    assert syntax().fit("*~*", "AN", 1, 60, True) == ""


@pytest.mark.parametrize("value, words", [
    ("SKU*1", "the element separator '*'"),
    ("SKU~1", "the segment terminator '~'"),
    ("SKU>1", "the sub-element separator '>'"),
    ("SKU\n1", "a line break"),
    ("SKU\x07", "control character (U+0007)"),
])
def test_identifiers_with_delimiters_are_refused(value, words):
    with pytest.raises(UnfitValue, match="break the document") as exc:
        syntax().fit(value, "AN", 1, 48, False)
    assert words in exc.value.reason


def test_repetition_separator_is_data_in_004010_and_a_delimiter_in_005010():
    assert syntax("004010").fit("A^B", "AN", 1, 48, False) == "A^B"
    with pytest.raises(UnfitValue, match="repetition separator"):
        syntax("005010").fit("A^B", "AN", 1, 48, False)
    assert syntax("005010").fit("A^B", "AN", 1, 48, True) == "A B"


def test_identifiers_are_never_cut():
    with pytest.raises(UnfitValue, match="49 characters long but the element takes 1 to 48"):
        syntax().fit("S" * 49, "AN", 1, 48, False)


def test_codes_shorter_than_the_minimum_are_refused():
    with pytest.raises(UnfitValue, match="takes exactly 2"):
        syntax().fit("E", "ID", 2, 2, False)


def test_trailing_spaces_of_identifiers_are_dropped():
    assert syntax().fit("AC-4471  ", "AN", 1, 48, False) == "AC-4471"


@pytest.mark.parametrize("value, written", [
    ("1.50", "1.5"), ("007", "7"), ("1E+2", "100"), ("-0.0", "0"), ("+3", "3"), ("2.000", "2"),
])
def test_decimals_are_written_the_x12_way(value, written):
    assert syntax().fit(value, "R", 1, 15, False) == written


def test_decimals_count_digits_only_and_pad_to_the_minimum():
    assert syntax().fit("-12345.6", "R", 1, 6, False) == "-12345.6"   # 6 digits, sign and point free
    assert syntax().fit("1.2", "R", 4, 10, False) == "1.200"         # CUR03 exchange rate R 4/10
    with pytest.raises(UnfitValue, match="7 digits, more than the 6"):
        syntax().fit("1234567", "R", 1, 6, False)


@pytest.mark.parametrize("value", ["abc", "1,5", "NaN", "Infinity", ""])
def test_non_numbers_are_refused_in_numeric_elements(value):
    with pytest.raises(UnfitValue, match="not a number"):
        syntax().fit(value + " ", "R", 1, 15, False)


def test_whole_numbers_pad_with_zeros_and_refuse_fractions():
    assert syntax().fit("7", "N0", 3, 6, False) == "007"
    assert syntax().fit("12.00", "N0", 1, 6, False) == "12"
    with pytest.raises(UnfitValue, match="whole-number"):
        syntax().fit("1.5", "N0", 1, 6, False)


def test_implied_decimals_move_the_point():
    assert syntax().fit("12.5", "N2", 1, 10, False) == "1250"
    with pytest.raises(UnfitValue, match="2 implied"):
        syntax().fit("1.005", "N2", 1, 10, False)


@pytest.mark.parametrize("value", ["20260230", "2026013", "2026-01-31", "20261301"])
def test_impossible_dates_are_refused(value):
    with pytest.raises(UnfitValue, match="not a date written CCYYMMDD"):
        syntax().fit(value, "DT", 8, 8, False)


def test_leap_day_is_a_date():
    assert syntax().fit("20280229", "DT", 8, 8, False) == "20280229"


@pytest.mark.parametrize("value", ["2460", "0960", "93", "09300"])
def test_impossible_times_are_refused(value):
    with pytest.raises(UnfitValue, match="not a time"):
        syntax().fit(value, "TM", 4, 8, False)


# --- character sets -----------------------------------------------------------------------

@pytest.mark.parametrize("text, ascii_text", [
    ("Müller", "Muller"), ("Straße", "Strasse"), ("Ærøskøbing", "AEroskobing"),
    ("Łódź", "Lodz"), ("café – “bar”", "cafe - \"bar\""),
])
def test_transliteration_spells_letters_in_ascii(text, ascii_text):
    assert transliterate(text) == ascii_text


def test_ascii_partner_gets_transliterated_free_text_and_placeholders_for_the_rest():
    s = syntax()
    assert s.fit("Jürgen Groß", "AN", 1, 60, True) == "Jurgen Gross"
    assert s.fit("東京 Store", "AN", 1, 60, True) == "?? Store"


def test_ascii_partner_refuses_identifiers_it_cannot_carry():
    # Free text may lose its accents ("Jürgen" is still Jürgen); an identifier may not:
    # "MU-100" could be another item at the supplier.
    s = syntax()
    with pytest.raises(UnfitValue, match="'Ü'.*ascii character set cannot carry.*never changed"):
        s.fit("MÜ-100", "AN", 1, 48, False)
    with pytest.raises(UnfitValue, match="'東'.*ascii character set cannot carry"):
        s.fit("東-100", "AN", 1, 48, False)


def test_placeholder_is_a_space_when_the_question_mark_is_a_delimiter():
    assert syntax(segment_terminator="?").fit("東京 Store", "AN", 1, 60, True) == "Store"


def test_utf8_partner_keeps_letters():
    assert syntax(charset="utf-8").fit("Jürgen Groß", "AN", 1, 60, True) == "Jürgen Groß"


# --- segments -----------------------------------------------------------------------------

def test_trailing_empty_elements_are_dropped_but_inner_ones_kept():
    s = syntax()
    assert s.segment("PID", ["F", "", "", "", "Lamp", "", ""]) == "PID*F****Lamp"
    assert s.segment("N3", ["12 Elm Street", ""]) == "N3*12 Elm Street"
    assert s.segment("CTT", []) == "CTT"


# --- whole documents: free text can never break the structure -------------------------------

PROPERTY_MAPPING = """
[document]
transaction = "850"
version = "{version}"
[[header]]
id = "BEG"
elements = ["00", "DS", "{{po.number}}", "", "{{po.date}}"]
[[header]]
id = "N1"
elements = ["ST", "{{ship_to.name}}"]
[[header]]
id = "N3"
elements = ["{{ship_to.address1}}", "{{ship_to.address2}}"]
[[header]]
id = "N4"
elements = ["{{ship_to.city}}", "IL", "62704", "US"]
[[line]]
id = "PO1"
elements = ["{{line.number}}", "{{line.quantity}}", "EA", "1.5", "PE", "BP", "{{line.sku}}"]
[[line]]
id = "PID"
elements = ["F", "", "", "", "{{line.description}}"]
[[summary]]
id = "CTT"
elements = ["{{po.line_count}}"]
"""

FREE_TEXT = st.text(alphabet=st.one_of(st.characters(codec="utf-8"),
                                       st.sampled_from("*~>^:|!\r\n\t \x00\x85\u2028")),
                    max_size=90)


def property_context(name: str, street: str, city: str, description: str) -> PoContext:
    """Two lines; the free-text fields take whatever hypothesis draws."""
    header = dict.fromkeys(HEADER_FIELDS, "")
    header.update({"po.number": "PO-1", "po.date": "20260115", "po.line_count": "2",
                   "ship_to.name": name, "ship_to.address1": "1 Main St " + street,
                   "ship_to.address2": street, "ship_to.city": "Ur" + city})
    lines = [{"line.number": str(n), "line.quantity": "1", "line.sku": f"SKU-{n}",
              "line.description": "Lamp " + description} for n in (1, 2)]
    return PoContext("PO-1", "acme", header, lines)


@pytest.mark.parametrize("version", ["004010", "005010"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=FREE_TEXT, street=FREE_TEXT, city=FREE_TEXT, description=FREE_TEXT)
def test_any_free_text_keeps_the_segment_and_element_structure(version, name, street, city,
                                                               description):
    p = profile(version, segment_suffix="\r\n")
    partner = Partner("acme", "Acme", "partners/acme.toml", x12=p)
    mapping = parse_x12_mapping(PROPERTY_MAPPING.format(version=version), "property.toml")
    renderer = X12Renderer(partner, mapping)
    ctx = property_context(name, street, city, description)
    data = renderer.finish(renderer.prepare(ctx), ControlNumbers(5, 5, 5), NOW).payload

    # ISA GS ST BEG N1 N3 N4 (PO1 PID) x2 CTT SE GE IEA: 15 segments, whatever the text.
    segments = data.decode("ascii").split("~\r\n")
    assert segments[-1] == "" and len(segments) == 16
    ids = [seg.split("*")[0] for seg in segments[:-1]]
    assert ids == ["ISA", "GS", "ST", "BEG", "N1", "N3", "N4", "PO1", "PID", "PO1", "PID",
                   "CTT", "SE", "GE", "IEA"]
    elements = {seg.split("*")[0]: len(seg.split("*")) - 1 for seg in segments[:-1]}
    assert elements["ISA"] == 16 and elements["N1"] <= 2 and elements["N3"] <= 2
    assert elements["N4"] == 4 and elements["PID"] == 5 and elements["PO1"] == 7
    assert len(segments[0] + "~") == 106
    assert_reads_cleanly(data)


@settings(max_examples=100, deadline=None)
@given(sku=st.text(alphabet=st.sampled_from("AB1-*~>\n"), min_size=1, max_size=60))
def test_any_identifier_is_written_intact_or_refused_by_name(sku):
    partner = Partner("acme", "Acme", "partners/acme.toml", x12=profile())
    mapping = parse_x12_mapping(PROPERTY_MAPPING.format(version="004010"), "property.toml")
    renderer = X12Renderer(partner, mapping)
    ctx = property_context("Jane", "", "bana", "Lamp")
    ctx.lines[1]["line.sku"] = sku
    try:
        data = renderer.finish(renderer.prepare(ctx), ControlNumbers(5, 5, 5), NOW).payload
    except ElementError as exc:
        assert exc.position == "PO1 07" and exc.field == "line.sku, line 2"
        assert exc.po_number == "PO-1"
        return
    written = [s for s in read_segments(data) if s[0] == "PO1"][1][7]
    assert written == sku.rstrip(" ")


def test_a_segment_left_without_data_is_refused():
    mapping = parse_x12_mapping(PROPERTY_MAPPING.format(version="004010").replace(
        '["{ship_to.city}", "IL", "62704", "US"]', '["{ship_to.city}"]'), "property.toml")
    renderer = X12Renderer(Partner("acme", "Acme", "partners/acme.toml", x12=profile()), mapping)
    ctx = property_context("Jane", "", "", "Lamp")
    ctx.header["ship_to.city"] = ""
    with pytest.raises(DocumentError, match="N4 .*would carry no data"):
        renderer.prepare(ctx)
