"""Annotated X12: real documents read segment by segment with names and meanings, and bad,
huge or hostile input shown as far as it can be, never raising.

Expected names and meanings were checked by hand against the references named in
tests/unit/test_glossary.py (Stedi's X12 pages, stupidedi's and pyx12's definitions); the
segment numbers and values by reading the fixture files.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.edi.x12.annotated import AnnotatedElement, AnnotatedSegment, AnnotatedX12, annotate_x12

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"

ISA = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*U*00401*000000001*0*T*>~\n"


def read(name: str) -> AnnotatedX12:
    return annotate_x12((FIXTURES / name).read_bytes())


def segments(doc: AnnotatedX12, seg_id: str) -> list[AnnotatedSegment]:
    return [s for s in doc.segments if s.id == seg_id]


def element(segment: AnnotatedSegment, position: str) -> AnnotatedElement:
    return next(e for e in segment.elements if e.position == position)


def po850(*body: bytes) -> bytes:
    """An 850 interchange around the given body segments (with their terminators)."""
    inner = b"ST*850*0001~\n" + b"".join(body)
    count = sum(1 for part in inner.split(b"~") if part.strip()) + 1     # SE counts ST..SE
    return (ISA + b"GS*PO*SENDER*RECEIVER*20260709*1200*1*X*004010~\n" + inner
            + b"SE*%d*0001~\nGE*1*1~\nIEA*1*000000001~\n" % count)


def test_purchase_order_reads_with_names_and_meanings():
    doc = read("850_stupidedi_4010_pass.edi")
    assert [s.id for s in doc.segments] == ["ISA", "GS", "ST", "BEG", "PO1", "CTT", "SE", "GE", "IEA"]
    assert [s.number for s in doc.segments] == list(range(1, 10))
    beg = segments(doc, "BEG")[0]
    assert beg.name == "Beginning Segment for Purchase Order"
    assert beg.text == "BEG*00*NE*PO12345**20260709"
    assert element(beg, "BEG01") == AnnotatedElement("BEG01", "00", "Transaction Set Purpose Code",
                                                     "353", "Original")
    assert element(beg, "BEG02").meaning == "New Order"
    beg03 = element(beg, "BEG03")
    assert (beg03.value, beg03.name, beg03.number, beg03.meaning) == \
        ("PO12345", "Purchase Order Number", "324", "")
    po1 = segments(doc, "PO1")[0]
    assert element(po1, "PO103").meaning == "Each"
    assert element(po1, "PO106").meaning == "Vendor's (Seller's) Item Number"
    isa = segments(doc, "ISA")[0]
    assert element(isa, "ISA06").value == "SENDER         "     # padding kept, as read
    assert element(isa, "ISA15").meaning == "Test Data"
    assert element(segments(doc, "GS")[0], "GS01").meaning == "Purchase Order (850)"
    shown = doc.delimiters[0]
    assert (shown.interchange, shown.first_segment, shown.element, shown.sub_element,
            shown.repetition, shown.terminator) == (1, 1, "'*'", "'>'", "none", "'~' + LF")
    assert doc.truncated == ""
    assert doc.size == len((FIXTURES / "850_stupidedi_4010_pass.edi").read_bytes())


def test_acknowledgment_855():
    doc = read("855_stupidedi_4010_pass.edi")
    bak = segments(doc, "BAK")[0]
    assert bak.name == "Beginning Segment for Purchase Order Acknowledgment"
    assert (element(bak, "BAK01").meaning, element(bak, "BAK02").meaning) == ("Original", "Accepted")
    assert element(segments(doc, "N1")[0], "N101").meaning == "Supplier/Manufacturer"
    ack = segments(read("855_nodex12_1.edi"), "ACK")[0]
    assert ack.name == "Line Item Acknowledgment"
    assert (element(ack, "ACK01").name, element(ack, "ACK01").meaning) == \
        ("Line Item Status Code", "Item Accepted")


def test_ship_notice_856():
    doc = read("856_nodex12_1.edi")
    bsn = segments(doc, "BSN")[0]
    assert element(bsn, "BSN05").meaning == "Shipment, Order, Item, Packaging"
    assert [element(hl, "HL03").meaning for hl in segments(doc, "HL")] == \
        ["Shipment", "Order", "Item", "Item"]
    ref = segments(doc, "REF")[0]
    assert element(ref, "REF01").meaning == "Bill of Lading Number"
    # ISA11 declares '-' as repetition separator; a simple element is still shown as written.
    assert [(e.position, e.value, e.repeat) for e in ref.elements] == \
        [("REF01", "BM", 0), ("REF02", "999999-001", 0)]
    assert element(segments(doc, "ISA")[0], "ISA11").name == "Repetition Separator"
    assert element(segments(doc, "DTM")[0], "DTM01").meaning == "Shipped"
    assert segments(doc, "PRF")[0].name == "Purchase Order Reference"
    sn1 = segments(doc, "SN1")[0]
    assert (sn1.name, element(sn1, "SN102").name) == ("Item Detail (Shipment)", "Number of Units Shipped")
    assert element(segments(doc, "LIN")[0], "LIN02").meaning == "Vendor's (Seller's) Part Number"


def test_functional_acknowledgment_997():
    doc = read("997_staedi_simple.edi")
    ak3 = segments(doc, "AK3")[0]
    assert element(ak3, "AK304").meaning == "Segment Has Data Element Errors"
    ak4 = segments(doc, "AK4")[0]
    position = element(ak4, "AK401")
    assert (position.name, position.number) == ("Position in Segment", "C030")
    assert [(c.position, c.value, c.name) for c in position.components] == \
        [("AK401-01", "8", "Element Position in Segment")]
    assert element(ak4, "AK402").meaning == "Identification Code Qualifier"    # element 66
    assert element(ak4, "AK403").meaning == "Invalid code value."
    ak5 = segments(doc, "AK5")[0]
    assert (element(ak5, "AK501").meaning, element(ak5, "AK502").meaning) == \
        ("Rejected", "One or More Segments in Error")
    assert element(segments(doc, "AK9")[0], "AK901").meaning == "Rejected"


def test_implementation_acknowledgment_999():
    doc = read("999_staedi_simple.edi")
    assert element(segments(doc, "IK3")[0], "IK304").meaning == "Segment Has Data Element Errors"
    ik4 = segments(doc, "IK4")[0]
    assert (element(ik4, "IK402").meaning, element(ik4, "IK403").meaning) == \
        ("Monetary Amount", "Required Data Element Missing")
    assert [element(s, "IK501").meaning for s in segments(doc, "IK5")] == \
        ["Accepted", "Rejected", "Rejected"]
    first, repeated = segments(doc, "CTX")[:2]
    assert [(c.name, c.value) for c in element(first, "CTX01").components] == \
        [("Context Name", "CLM01"), ("Context Reference", "123456789")]
    # CTX01 repeats ('^' in a 00501 ISA11); each repeat is split into its own components.
    ctx01 = [e for e in repeated.elements if e.position == "CTX01"]
    assert [(e.repeat, e.value) for e in ctx01] == [
        (1, "SITUATIONAL TRIGGER"), (2, "SITUATIONAL TRIGGER:2"), (3, "SITUATIONAL TRIGGER:3")]
    assert [c.value for c in ctx01[1].components] == ["SITUATIONAL TRIGGER", "2"]
    assert element(segments(doc, "AK9")[0], "AK901").meaning == \
        "Partially Accepted, At Least One Transaction Set Was Rejected"


def test_purchase_order_change_860():
    doc = read("860_stupidedi_3010_fail.edi")
    assert segments(doc, "BCH")[0].name == "Beginning Segment for Purchase Order Change"
    poc = segments(doc, "POC")[0]
    assert element(poc, "POC02").meaning == "Changes To Line Items"
    unit = element(poc, "POC05")
    assert unit.name == "Composite Unit of Measure"
    assert [(c.position, c.value, c.meaning) for c in unit.components] == [("POC05-01", "EA", "Each")]


def test_unknown_segments_and_positions_show_their_values_only():
    doc = annotate_x12(po850(b"ZZZ*A*B~\n", b"BEG*00*NE*PO1**20260709*******X*EXTRA~\n"))
    zzz = segments(doc, "ZZZ")[0]
    assert (zzz.name, [(e.position, e.value, e.name, e.number) for e in zzz.elements]) == \
        ("", [("ZZZ01", "A", "", ""), ("ZZZ02", "B", "", "")])
    beg13 = element(segments(doc, "BEG")[0], "BEG13")     # BEG has 12 positions
    assert (beg13.value, beg13.name, beg13.number) == ("EXTRA", "", "")


def test_hostile_values_are_returned_verbatim():
    script = b"<script>alert('x')</script> & \"q\""
    doc = annotate_x12(po850(b"N1*ST*" + script + b"~\n"))
    n1 = segments(doc, "N1")[0]
    assert element(n1, "N102").value == script.decode()
    assert n1.text == "N1*ST*" + script.decode()


def test_bytes_that_are_not_utf8_are_read_as_latin1_with_a_warning():
    doc = annotate_x12(po850(b"N1*ST*Caf\xe9 \xff~\n"))
    assert element(segments(doc, "N1")[0], "N102").value == "Caf\u00e9 \u00ff"
    assert [(p.severity, p.code) for p in doc.problems] == [("warning", "data.encoding")]


def test_a_malformed_document_shows_what_can_be_read_and_its_problems():
    # One line ends with '~' instead of the declared '$': two segments run together at
    # segment 13, so SE01 (segment 24) no longer matches the count.
    doc = read("856_stupidedi_4010_fail_dollar-terminator.edi")
    assert [(p.severity, p.code, p.segment) for p in doc.problems] == [
        ("warning", "segment.line_break", 13), ("error", "se.count", 24)]
    assert len(doc.segments) == 26
    # Cut short inside PO1: everything before is shown, the stub too, and the missing trailers.
    cut = (FIXTURES / "850_stupidedi_4010_pass.edi").read_bytes()[:200]
    doc = annotate_x12(cut)
    assert [s.id for s in doc.segments] == ["ISA", "GS", "ST", "BEG", "PO"]
    assert [(p.code, p.segment) for p in doc.problems if p.code != "isa.length"] == [
        ("trailer.missing", 1), ("trailer.missing", 2), ("trailer.missing", 3),
        ("segment.unterminated", 5)]


def test_garbage_gives_problems_and_no_segments():
    doc = annotate_x12(b"\x00\xffnot an interchange at all\x1b[0m")
    assert doc.segments == [] and doc.delimiters == []
    assert [p.code for p in doc.problems] == ["isa.not_found"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.binary(max_size=300).map(lambda tail: ISA[:60] + tail)
       | st.binary(max_size=300).map(lambda tail: ISA + tail))
def test_random_bytes_never_raise(data):
    doc = annotate_x12(data)
    assert doc.size == len(data)
    assert all(p.severity in ("error", "warning") and p.message for p in doc.problems)


def test_the_segment_limit_truncates_with_a_note():
    lines = [b"PO1*%d*1*EA*9.99**VN*SKU%d~\n" % (i, i) for i in range(50)]
    data = po850(*lines[:30], b"~\n", *lines[30:])      # an empty segment before segment 34
    doc = annotate_x12(data, max_segments=10)
    assert [s.number for s in doc.segments] == list(range(1, 11))
    assert doc.truncated.startswith(f"truncated: showing the first 10 segments of {len(data):,} bytes")
    assert doc.problems == []           # the empty segment lies beyond the part shown
    whole = annotate_x12(data, max_segments=56)          # exactly all 56 segments
    assert whole.truncated == ""
    assert [(p.code, p.segment) for p in whole.problems] == [("segment.empty", 34)]


def test_a_document_over_five_megabytes_is_truncated():
    big = b"MSG*" + b"X" * 250_000 + b"~\n"
    data = po850(*[big] * 24)                  # about 6 MB in 33 segments
    doc = annotate_x12(data)
    assert len(data) > 5 * 1024 * 1024
    assert 5 < len(doc.segments) < 33
    assert doc.truncated.startswith(f"truncated: showing the first {len(doc.segments)} segments of "
                                    f"{len(data):,} bytes")
