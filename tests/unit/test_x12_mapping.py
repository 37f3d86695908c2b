"""X12 mapping files: one test per kind of mistake, each naming the file, the place and the fix.

Element limits quoted in the expected messages come from the X12 dictionary (e.g. N101 is
ID 2/3, BEG05 DT 8/8 mandatory, REF04 the composite C040), not from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.adapters.mapping_files import load_x12_mapping
from hub.domain.partner import Partner, X12Profile
from hub.edi.x12.elements import segment_spec
from hub.edi.x12.mapping import MappingProblemsError, check_x12_mapping, parse_x12_mapping
from hub.edi.x12.po850 import X12Renderer
from hub.errors import MappingError, PartnerConfigError

ROOT = Path(__file__).resolve().parents[2]
PATH = "mappings/x12/test.toml"

GOOD = """\
[document]
transaction = "850"
version = "004010"
description = "minimal"

[[header]]
id = "BEG"
elements = ["00", "DS", "{po.number}", "", "{po.date}"]

[[header]]
id = "N1"
elements = ["ST", "{ship_to.name}"]

[[line]]
id = "PO1"
elements = ["{line.number}", "{line.quantity}", "EA", "{line.unit_cost}", "PE", "BP", "{line.sku}"]

[[summary]]
id = "CTT"
elements = ["{po.line_count}"]
"""


def only_problem(text: str) -> MappingError:
    """The single problem a mapping has; fails if it has none or several."""
    problems = check_x12_mapping(text, PATH)
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].path == PATH and str(problems[0]).startswith(PATH + ": ")
    return problems[0]


def with_header(segment: str) -> str:
    """The good mapping with one more [[header]] segment after N1."""
    return GOOD.replace("[[line]]", segment + "\n[[line]]")


def test_good_mapping_has_no_problems_and_compiles():
    mapping = parse_x12_mapping(GOOD, PATH)
    assert mapping.version == "004010" and mapping.path == PATH
    assert [r.id for r in mapping.rules()] == ["BEG", "N1", "PO1", "CTT"]
    beg = mapping.header[0]
    assert [s.literal for s in beg.slots] == ["00", "DS", None, "", None]
    assert (beg.slots[2].key, beg.slots[2].in_line) == ("po.number", False)
    po1 = mapping.line[0]
    assert (po1.slots[6].key, po1.slots[6].in_line) == ("line.sku", True)


@pytest.mark.parametrize("name", ["850-4010.toml", "850-5010.toml", "850-4010-globex.toml"])
def test_shipped_mappings_load(name):
    mapping = load_x12_mapping(ROOT / "mappings" / "x12" / name)
    assert mapping.header[0].id == "BEG" and mapping.line[0].id == "PO1"


def test_toml_syntax_error_gives_line_and_column():
    problem = only_problem(GOOD.replace('id = "N1"', 'id = "N1'))
    assert problem.where == ""
    assert "is not valid TOML" in problem.problem and "line 11" in problem.problem


def test_unknown_top_level_key_is_named_with_a_suggestion():
    problem = only_problem(GOOD + '\n[[sumary]]\nid = "CTT"\nelements = ["1"]\n')
    assert problem.where == "sumary"
    assert "(did you mean 'summary'?)" in problem.problem


def test_unknown_document_key():
    problem = only_problem(GOOD.replace('description = "minimal"', 'descripton = "x"'))
    assert problem.where == "document.descripton" and "'description'" in problem.problem


def test_missing_document_table():
    problems = check_x12_mapping(GOOD.split("[[header]]", 1)[1].join(["[[header]]", ""]), PATH)
    assert [p.where for p in problems] == ["document"]


def test_transaction_must_be_850_or_860():
    problem = only_problem(GOOD.replace('transaction = "850"', 'transaction = "855"'))
    assert problem.where == "document.transaction"
    assert "(\"850\") or purchase order changes (\"860\")" in problem.problem


def test_version_must_be_supported():
    problem = only_problem(GOOD.replace('version = "004010"', 'version = "004020"'))
    assert problem.where == "document.version" and "'004020'" in problem.problem


def test_unknown_segment_id_suggests_the_closest():
    problem = only_problem(with_header('[[header]]\nid = "N5"\nelements = ["x"]\n'))
    assert problem.where == "header[3] (N5)"
    assert "unknown segment 'N5' for 004010" in problem.problem
    assert "did you mean" in problem.problem


def test_lowercase_segment_id_is_unknown_with_the_right_suggestion():
    problem = only_problem(with_header('[[header]]\nid = "ref"\nelements = ["CO", "x"]\n'))
    assert "(did you mean 'REF'?)" in problem.problem


def test_envelope_segments_belong_to_the_hub():
    problem = only_problem(with_header('[[header]]\nid = "GS"\nelements = ["PO"]\n'))
    assert problem.where == "header[3] (GS)" and "written by the hub" in problem.problem


def test_too_many_elements():
    problem = only_problem(with_header(
        '[[header]]\nid = "N3"\nelements = ["{ship_to.address1}", "{ship_to.address2}", "x"]\n'))
    assert problem.where == "header[3] (N3)"
    assert "N3 has 2 elements in 004010 but the mapping gives 3" in problem.problem


def test_unknown_field_suggests_the_closest():
    problem = only_problem(with_header(
        '[[header]]\nid = "N3"\nelements = ["{ship_to.adress1}"]\n'))
    assert problem.where == "header[3] (N3) element 1"
    assert "unknown field 'ship_to.adress1' (did you mean 'ship_to.address1'?)" in problem.problem


def test_partner_fields_are_accepted_by_name():
    assert check_x12_mapping(with_header(
        '[[header]]\nid = "REF"\nelements = ["IA", "{partner.vendor_number}"]\n'), PATH) == []


def test_literal_longer_than_the_element_maximum():
    problem = only_problem(with_header('[[header]]\nid = "N1"\nelements = ["SHIP", "x"]\n'))
    assert problem.where == "header[3] (N1) element 1"
    assert "'SHIP' is 4 characters, longer than the 3 N101 (98) allows" in problem.problem


def test_literal_shorter_than_the_element_minimum():
    problem = only_problem(with_header('[[header]]\nid = "DTM"\nelements = ["02", "20260115"]\n'))
    assert problem.where == "header[3] (DTM) element 1"
    assert "shorter than the minimum 3 of DTM01 (374)" in problem.problem


def test_literal_of_the_wrong_type():
    problem = only_problem(with_header('[[header]]\nid = "DTM"\nelements = ["002", "2026-01-15"]\n'))
    assert problem.where == "header[3] (DTM) element 2"
    assert "not a date written CCYYMMDD" in problem.problem


def test_numeric_literal_must_be_written_the_x12_way():
    problem = only_problem(GOOD.replace('"{po.line_count}"', '"3.0"'))
    assert problem.where == "summary[1] (CTT) element 1"
    assert "'3.0' is written '3' in CTT01" in problem.problem


def test_missing_mandatory_element_given_empty():
    problem = only_problem(GOOD.replace('"00", "DS"', '"", "DS"'))
    assert problem.where == "header[1] (BEG) element 1"
    assert "BEG01 (element 353) is mandatory" in problem.problem


def test_missing_mandatory_element_left_off_the_end():
    problem = only_problem(GOOD.replace('"{po.number}", "", "{po.date}"', '"{po.number}"'))
    assert problem.where == "header[1] (BEG) element 5"
    assert "BEG05 (element 373) is mandatory" in problem.problem


def test_composite_elements_are_not_written():
    problem = only_problem(with_header('[[header]]\nid = "REF"\nelements = ["CO", "x", "", "y"]\n'))
    assert problem.where == "header[3] (REF) element 4" and "composite (C040)" in problem.problem


def test_line_fields_only_in_line_segments():
    problem = only_problem(with_header('[[header]]\nid = "REF"\nelements = ["CO", "{line.sku}"]\n'))
    assert problem.where == "header[3] (REF) element 2"
    assert "'line.sku' is a line field" in problem.problem


def test_when_names_known_fields():
    problem = only_problem(with_header(
        '[[header]]\nid = "REF"\nelements = ["IA", "x"]\nwhen = "partner_vendor"\n'))
    assert problem.where == "header[3] (REF) when" and "unknown field" in problem.problem


def test_when_takes_only_names():
    problem = only_problem(with_header('[[header]]\nid = "REF"\nelements = ["IA", "x"]\nwhen = 3\n'))
    assert problem.where == "header[3] (REF) when" and "field name in quotes" in problem.problem


def test_unknown_segment_key():
    problem = only_problem(with_header('[[header]]\nid = "REF"\nelements = ["IA", "x"]\nwen = "a"\n'))
    assert problem.where == "header[3].wen" and "(did you mean 'when'?)" in problem.problem


def test_segment_without_id_or_elements():
    problems = check_x12_mapping(with_header('[[header]]\nelements = ["x"]\n'
                                             '[[header]]\nid = "REF"\n'), PATH)
    assert [(p.where, p.problem[:10]) for p in problems] == [
        ("header[3]", "has no id;"), ("header[4] (REF)", "needs elem")]


def test_elements_are_text():
    problem = only_problem(GOOD.replace('elements = ["{po.line_count}"]', "elements = [3]"))
    assert problem.where == "summary[1] (CTT) element 1" and "text in quotes" in problem.problem


@pytest.mark.parametrize("template, words", [
    ("{po.number", "unmatched '{'"), ("po.number}", "unmatched '}'"), ("{}", "empty placeholder"),
])
def test_broken_templates(template, words):
    problem = only_problem(with_header(f'[[header]]\nid = "REF"\nelements = ["CO", "{template}"]\n'))
    assert problem.where == "header[3] (REF) element 2" and words in problem.problem


def test_double_braces_are_literal_braces():
    mapping = parse_x12_mapping(with_header(
        '[[header]]\nid = "MSG"\nelements = ["{{NOTE}} order {order.channel_order_id}"]\n'), PATH)
    slot = mapping.header[2].slots[0]
    assert slot.getter({"order.channel_order_id": "WS-1"}, None) == "{NOTE} order WS-1"
    assert slot.free_text is False   # an id in the template: refused rather than cut


def test_beg_must_open_the_header_and_po1_the_line():
    problems = check_x12_mapping(GOOD.replace('id = "BEG"', 'id = "REF"', 1)
                                 .replace('elements = ["00", "DS", "{po.number}", "", "{po.date}"]',
                                          'elements = ["CO", "{po.number}"]')
                                 .replace('id = "PO1"', 'id = "PID"')
                                 .replace('elements = ["{line.number}", "{line.quantity}", "EA", '
                                          '"{line.unit_cost}", "PE", "BP", "{line.sku}"]',
                                          'elements = ["F", "", "", "", "{line.description}"]'),
                                 PATH)
    assert [p.where for p in problems] == ["header[1]", "line[1]"]


def test_every_problem_is_reported_at_once():
    text = (GOOD.replace('version = "004010"', 'version = "4010"')
            .replace('"{ship_to.name}"', '"{ship_to.nme}"')
            .replace('"{po.line_count}"', '"{po.linecount}"'))
    with pytest.raises(MappingProblemsError) as exc:
        parse_x12_mapping(text, PATH)
    assert [p.where for p in exc.value.problems] == [
        "document.version", "header[2] (N1) element 2", "summary[1] (CTT) element 1"]
    assert str(exc.value).startswith(f"{PATH}: 3 problems:\n  - document.version: ")


def test_loading_a_missing_file_names_it(tmp_path):
    with pytest.raises(MappingError, match="cannot read the mapping file") as exc:
        load_x12_mapping(tmp_path / "nope.toml")
    assert exc.value.path == str(tmp_path / "nope.toml")


def test_loading_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("minimal", "Müller").encode("latin-1"))
    with pytest.raises(MappingError, match="is not UTF-8 text"):
        load_x12_mapping(path)


def test_loading_raises_with_the_file_name_and_place(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace('"ST"', '"SHIP"'), encoding="utf-8")
    with pytest.raises(MappingError) as exc:
        load_x12_mapping(path)
    assert exc.value.path == str(path) and exc.value.where == "header[2] (N1) element 1"


def test_dictionary_records_both_versions_where_they_differ():
    # 004010 vs 005010 dictionary: REF02 (127) 1/30 -> 1/50, PER04 (364) 1/80 -> 1/256,
    # N407 (1715) and ST03 (1705) exist only in 005010; N102 stays 1/60, PID05 1/80, N301 1/55.
    def spec(version, seg, pos):
        s = segment_spec(version, seg)
        return None if pos > len(s) else (s[pos - 1].number, s[pos - 1].type, s[pos - 1].min,
                                          s[pos - 1].max, s[pos - 1].mandatory)
    assert spec("004010", "REF", 2) == ("127", "AN", 1, 30, False)
    assert spec("005010", "REF", 2) == ("127", "AN", 1, 50, False)
    assert spec("004010", "PER", 4) == ("364", "AN", 1, 80, False)
    assert spec("005010", "PER", 4) == ("364", "AN", 1, 256, False)
    assert spec("004010", "N4", 7) is None and spec("005010", "N4", 7)[0] == "1715"
    assert spec("004010", "ST", 3) is None and spec("005010", "ST", 3)[0] == "1705"
    for version in ("004010", "005010"):
        assert spec(version, "N1", 2) == ("93", "AN", 1, 60, False)
        assert spec(version, "PID", 5) == ("352", "AN", 1, 80, False)
        assert spec(version, "N3", 1) == ("166", "AN", 1, 55, True)
        assert spec(version, "PO1", 7) == ("234", "AN", 1, 48, False)
        assert len(segment_spec(version, "PO1")) == 25 and len(segment_spec(version, "ISA")) == 16


# --- binding a mapping to a partner ---------------------------------------------------------

def partner(version: str = "004010", **changes) -> Partner:
    """A partner for binding checks."""
    fields = changes.pop("fields", {})
    return Partner("acme", "Acme", "partners/acme.toml", fields=fields,
                   x12=X12Profile(version, "ZZ", "HUB", "ZZ", "ACME", "HUB", "ACME", **changes))


def test_mapping_version_must_match_the_partner():
    with pytest.raises(MappingError) as exc:
        X12Renderer(partner("005010"), parse_x12_mapping(GOOD, PATH))
    assert exc.value.path == PATH and exc.value.where == "document.version"
    assert "writes 004010 but partner acme (partners/acme.toml) uses 005010" in exc.value.problem


def test_literal_holding_a_partner_delimiter():
    mapping = parse_x12_mapping(with_header(
        '[[header]]\nid = "MSG"\nelements = ["KEEP | UPRIGHT"]\n'), PATH)
    with pytest.raises(MappingError) as exc:
        X12Renderer(partner(element_separator="|"), mapping)
    assert exc.value.where == "header[3] (MSG) element 1"
    assert "the element separator '|'" in exc.value.problem


def test_partner_field_missing_from_the_partner_file():
    mapping = parse_x12_mapping(with_header(
        '[[header]]\nid = "REF"\nelements = ["IA", "{partner.vendor_number}"]\n'), PATH)
    with pytest.raises(MappingError) as exc:
        X12Renderer(partner(), mapping)
    assert exc.value.where == "header[3] (REF) element 2"
    assert "partners/acme.toml has no vendor_number in its [fields]" in exc.value.problem


def test_partner_field_that_does_not_fit_its_element():
    mapping = parse_x12_mapping(with_header(
        '[[header]]\nid = "REF"\nelements = ["IA", "{partner.vendor_number}"]\n'), PATH)
    with pytest.raises(PartnerConfigError) as exc:
        X12Renderer(partner(fields={"vendor_number": "V" * 31}), mapping)
    assert exc.value.path == "partners/acme.toml" and "REF 02" in exc.value.where
    assert "31 characters long but the element takes 1 to 30" in exc.value.problem


def test_when_on_a_missing_partner_field_leaves_the_segment_out():
    mapping = parse_x12_mapping(with_header(
        '[[header]]\nid = "REF"\nelements = ["IA", "{partner.vendor_number}"]\n'
        'when = "partner.vendor_number"\n'), PATH)
    assert X12Renderer(partner(), mapping)._header[-1][0] == "N1"
    assert X12Renderer(partner(fields={"vendor_number": "V1"}), mapping)._header[-1][0] == "REF"


def test_partner_without_x12_profile():
    with pytest.raises(PartnerConfigError, match="has no \\[x12\\] table"):
        X12Renderer(Partner("acme", "Acme", "partners/acme.toml"), parse_x12_mapping(GOOD, PATH))


def test_partner_with_broken_delimiters():
    with pytest.raises(PartnerConfigError, match="must all differ"):
        X12Renderer(partner(subelement_separator="*"), parse_x12_mapping(GOOD, PATH))


def test_a_mapping_nested_too_deep_is_refused_in_words():
    # tomllib reads nested lists recursively: thousands deep would end in a RecursionError
    text = GOOD + "\ndeep = " + "[" * 5000 + "]" * 5000 + "\n"
    assert [(p.where, p.problem) for p in check_x12_mapping(text, "m.toml")] == [
        ("", "is nested too deep to read: a mapping needs a few levels of tables and lists, not hundreds")]


def test_a_mapping_file_larger_than_any_real_one_is_not_read(tmp_path):
    path = tmp_path / "850-huge.toml"
    path.write_text(GOOD + "#" + "x" * (1 << 20) + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_x12_mapping(path)
    assert info.value.problem == ("is larger than 1,048,576 bytes; a mapping file is a few KB: is it "
                                  "the right file?")
