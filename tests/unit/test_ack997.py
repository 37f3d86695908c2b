"""997 and 999 acknowledgements written in the tests: verdicts, error sentences, faults."""

from __future__ import annotations

import pytest

from hub.domain.documents import AckedSet, FunctionalAck
from hub.edi.x12.fa997_codes import group_error, set_error
from hub.edi.x12.answers import parse_transaction
from hub.edi.x12.envelope import iter_transactions
from tests.unit.answer_builders import codes, interchange, parse


def fa(body: list[str], kind: str = "997", version: str = "004010") -> FunctionalAck:
    """The FunctionalAck of a written 997/999 that must parse without any problem."""
    parsed = parse(kind, body, version)
    assert parsed.problems == [] and parsed.doc_type == kind
    assert isinstance(parsed.document, FunctionalAck)
    return parsed.document


def test_accepted_group_without_set_loops():
    # No AK2: the caller applies AK901 to every set of the group.
    assert fa(["AK1*PO*1042", "AK9*A*3*3*3"]) == FunctionalAck("997", "PO", "1042", "A")


def test_a_rejected_set_with_its_segment_and_element_errors():
    doc = fa(["AK1*PO*1042", "AK2*850*0001", "AK5*A", "AK2*850*0002", "AK3*PO1*6*PO1*8",
              "AK4*2*330*1", "AK4*4*212*6*12,50", "AK3*N1*9**3", "AK5*R*5", "AK9*P*2*2*1"])
    assert doc.group_status == "P" and doc.errors == ()
    assert doc.sets == (
        AckedSet("850", "0001", "A"),
        AckedSet("850", "0002", "R", (
            "segment PO1 at position 6: element 2 (PO102) mandatory data element missing",
            "segment PO1 at position 6: element 4 (PO104) invalid character in data element "
            "(value '12,50')",
            "segment N1 at position 9: mandatory segment missing")))


def test_set_codes_are_sentences_and_the_summary_code_only_stands_alone():
    doc = fa(["AK1*PO*1042", "AK2*850*0003", "AK5*R*4*5", "AK9*R*1*1*0"])
    assert doc.sets[0].errors == (
        "number of included segments does not match actual count (code 4)",
        "one or more segments in error (code 5)")


def test_composite_positions_and_unknown_codes():
    doc = fa(["AK1*IN*77", "AK2*810*0001", "AK3*TXI*5**511", "AK4*1:2*963*99", "AK5*E",
              "AK9*E*1*1*1"])
    assert doc.sets[0].errors == (
        "segment TXI at position 5: error code '511'",
        "segment TXI at position 5: element 1, component 2 (TXI01-2) error code '99'")


def test_a_segment_note_without_codes_still_says_something():
    doc = fa(["AK1*PO*1", "AK2*850*0001", "AK3*BEG*3", "AK5*R", "AK9*R*1*1*0"])
    assert doc.sets[0].errors == ("segment BEG at position 3: segment in error (no error code "
                                  "given)",)


def test_group_codes_read_by_version():
    doc = fa(["AK1*PO*1", "AK9*R*2*1*0*5*19"])
    assert doc.errors == ("number of included transaction sets does not match actual count",
                          "S1E security end segment missing for S1S security start segment")
    later = fa(["AK1*PO*1", "AK9*R*1*1*0*19"], version="005010")
    assert later.errors == ("functional group control number not unique within interchange",)
    assert set_error("18", "005010") == "transaction set not in functional group"
    assert set_error("20", "004010").startswith("S1S security start segment")
    assert group_error("77", "004010") == "error code '77'"


@pytest.mark.parametrize("status", ["W", "X", "M"])
def test_every_standard_status_is_kept_as_written(status):
    assert fa(["AK1*PO*1", "AK2*850*0001", f"AK5*{status}", f"AK9*{status}*1*1*0"]).sets[0] \
        == AckedSet("850", "0001", status)


def test_999_notes_with_their_context():
    doc = fa(["AK1*PO*5*005010", "AK2*850*0001*005010", "IK3*PO1*12*PO1*8",
              "CTX*PO101:3", "IK4*3*355*7*ZZ", "CTX*SITUATIONAL TRIGGER*PO1*12**6:1",
              "IK5*R*I5", "AK9*R*1*1*0"], kind="999", version="005010")
    assert doc.kind == "999" and doc.sets == (AckedSet("850", "0001", "R", (
        "segment PO1 at position 12 (context: PO101 3): element 3 (PO103) invalid code value "
        "(value 'ZZ') (context: situational trigger: segment PO1 at position 12, element 6, "
        "component 1 (PO106-1))",)),)


def test_a_999_context_takes_the_first_repetition():
    doc = fa(["AK1*PO*5*005010", "AK2*850*0001", "IK3*REF*4**I6", "CTX*BAK03:PO-1^BAK03:PO-2",
              "IK5*R*I5", "AK9*R*1*1*0"], kind="999", version="005010")
    assert doc.sets[0].errors == ("segment REF at position 4 (context: BAK03 PO-1): "
                                  "implementation dependent segment missing",)


def test_no_ak1_is_fatal():
    parsed = parse("997", ["AK2*850*0001", "AK5*A", "AK9*A*1*1*1"])
    assert parsed.document is None and codes(parsed) == ["ack.missing_group"]
    blank = parse("997", ["AK1*PO", "AK9*A*1*1*1"])
    assert blank.document is None and codes(blank) == ["ack.missing_group"]
    assert "AK102" in blank.problems[0].message


def test_a_loop_without_verdict_or_control_is_left_out_with_a_problem():
    parsed = parse("997", ["AK1*PO*1", "AK2*850*0001", "AK2*850", "AK5*R", "AK2*850*0003",
                           "AK5*A", "AK9*P*3*3*1"])
    assert parsed.document.sets == (AckedSet("850", "0003", "A"),)
    assert codes(parsed) == ["ack.incomplete_set", "ack.incomplete_set"]
    assert [p.segment_position for p in parsed.problems] == [5, 6]
    assert "verdict" in parsed.problems[0].message and "AK202" in parsed.problems[1].message


def test_missing_ak9_is_fatal_only_when_no_set_has_a_verdict():
    parsed = parse("997", ["AK1*PO*1", "AK2*850*0001", "AK5*A"])
    assert parsed.document.group_status == "" and parsed.document.sets[0].status == "A"
    assert codes(parsed) == ["ack.missing_group_status"]
    empty = parse("997", ["AK1*PO*1"])
    assert empty.document is None and codes(empty) == ["ack.missing_group_status"]


def test_segments_out_of_place_are_noted():
    parsed = parse("999", ["IK5*A", "AK1*PO*1", "AK4*1*1*1", "AK2*850*0001", "IK5*A", "IK5*R",
                           "AK9*A*1*1*1", "AK1*PO*2", "AK9*R"], version="005010")
    doc = parsed.document
    assert doc.group_control == "1" and doc.group_status == "A"
    assert doc.sets == (AckedSet("850", "0001", "A"),)
    assert codes(parsed) == ["ack.out_of_place", "ack.out_of_place", "ack.repeated_segment",
                             "ack.repeated_segment", "ack.repeated_segment"]


def test_an_unknown_verdict_is_kept_with_a_problem():
    parsed = parse("997", ["AK1*PO*1", "AK2*850*0001", "AK5*Q", "AK9*R*1*1*0"])
    assert parsed.document.sets[0].status == "Q" and codes(parsed) == ["ack.unknown_status"]


# -- where each problem points -----------------------------------------------------------------

@pytest.mark.parametrize("body, code, segment, named", [
    (["AK1*PO*1", "AK1*PO*2", "AK9*A*1*1*1"], "ack.repeated_segment", 5, "AK1 at segment 5"),
    (["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK5*R", "AK9*A*1*1*1"], "ack.repeated_segment", 7,
     "AK5 at segment 7"),
    (["AK1*PO*1", "AK9*A*1*1*1", "AK9*R"], "ack.repeated_segment", 6, "AK9 at segment 6"),
    (["AK1*PO*1", "AK5*A", "AK9*A*1*1*1"], "ack.out_of_place", 5, "AK5 at segment 5"),
    (["AK1*PO*1", "AK4*1*1*1", "AK9*A*1*1*1"], "ack.out_of_place", 5, "AK4 at segment 5"),
    (["AK1*PO*1", "AK2*850*0001", "AK5*Q", "AK9*R*1*1*0"], "ack.unknown_status", 6,
     "AK5 at segment 6"),
    (["AK1*PO*1", "AK2*850", "AK5*R", "AK9*R*1*1*0"], "ack.incomplete_set", 5,
     "AK2 loop at segment 5"),
])
def test_problems_kept_with_the_document_point_at_their_segment(body, code, segment, named):
    parsed = parse("997", body)
    assert parsed.document is not None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position == segment
    assert named in parsed.problems[0].message and "997 ST02 0001" in parsed.problems[0].message


def test_an_element_note_outside_a_segment_note_says_which_note_it_lacks():
    parsed = parse("997", ["AK1*PO*1", "AK2*850*0001", "AK4*1*1*1", "AK5*R", "AK9*R*1*1*0"])
    assert codes(parsed) == ["ack.out_of_place"] and "AK3" in parsed.problems[0].message


@pytest.mark.parametrize("body, code", [
    (["AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], "ack.missing_group"),
    (["AK1*PO*1"], "ack.missing_group_status"),
])
def test_fatal_problems_point_at_the_set(body, code):
    parsed = parse("997", body)
    assert parsed.document is None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position == 3       # the ST segment


def test_a_missing_group_verdict_beside_set_verdicts_points_at_the_set():
    parsed = parse("997", ["AK1*PO*1", "AK2*850*0001", "AK5*A"])
    assert parsed.problems[0].segment_position == 3


def test_elements_past_the_last_code_element_are_not_read_as_codes():
    # AK304 (one code; partners repeat it up to AK308), AK502..AK506, AK905..AK909.
    doc = fa(["AK1*PO*1", "AK2*850*0001", "AK3*PO1*6**3*3*3*3*3*99", "AK5*R*1*1*1*1*1*99",
              "AK9*R*1*1*0*1*1*1*1*1*99"])
    assert all("99" not in e for e in doc.sets[0].errors + doc.errors)
    assert len(doc.sets[0].errors) == 1 + 5 and len(doc.errors) == 5


@pytest.mark.parametrize("position, name", [
    ("2", "element 2 (PO102)"), ("10", "element 10 (PO110)"), ("100", "element 100"),
    ("", "element ?"), ("2:3", "element 2, component 3 (PO102-3)"),
])
def test_element_names_for_the_positions_an_ak401_can_give(position, name):
    # Element references (PO102) exist for positions 1..99; a position past that is written
    # as it came.
    doc = fa(["AK1*PO*1", "AK2*850*0001", "AK3*PO1*6", f"AK4*{position}**1", "AK5*R", "AK9*R*1*1*0"])
    assert doc.sets[0].errors == (f"segment PO1 at position 6: {name} mandatory data element missing",)


def test_999_context_with_one_part_and_a_trigger_without_component():
    doc = fa(["AK1*PO*5*005010", "AK2*850*0001", "IK3*PO1*12**8", "CTX*PO101",
              "IK4*6**7", "CTX*SITUATIONAL TRIGGER*PO1*12**6", "IK5*R", "AK9*R*1*1*0"],
             kind="999", version="005010")
    (sentence,) = doc.sets[0].errors
    assert "(context: PO101)" in sentence
    assert "situational trigger: segment PO1 at position 12, element 6 (PO106)" in sentence


def test_without_a_sub_element_separator_positions_are_not_split():
    # ISA16 missing: AK401 is read whole, whatever it holds.
    data = interchange("997", ["AK1*PO*1", "AK2*850*0001", "AK3*PO1*6", "AK4*1 2**1", "AK5*R",
                               "AK9*R*1*1*0"]).replace(b"*P*:~", b"*P*~")
    (tx,) = iter_transactions(data)
    assert tx.delimiters.sub_element is None
    doc = parse_transaction(tx).document
    assert doc.sets[0].errors == ("segment PO1 at position 6: element 1 2 mandatory data element missing",)
