"""Every sample X12 file is read: counts of interchanges, groups, sets and segments, and the
exact problems (severity:code) each one must give, no more and no fewer.

Each row was checked by hand against the file and against the notes in
tests/fixtures/SOURCES.md: the counts by listing the ISA/GS/ST/SE/GE/IEA lines, the errors by
recounting the segments of each ST..SE and comparing the trailers with their headers.
Rows marked shipped=True read tests/fixtures/x12/; the others are sample files whose licence
keeps them out of the repository, read from $EDIHUB_SAMPLES_DIR/x12 where that is present
(their quirks are also covered by synthetic interchanges in test_x12_reader.py).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from hub.edi.x12.envelope import check_envelopes, iter_transactions
from hub.edi.x12.reader import read_segments
from hub.edi.x12.check import check_files, exit_code, format_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
SAMPLES = Path(os.environ.get("EDIHUB_SAMPLES_DIR",
                              Path(__file__).resolve().parents[3] / "shared" / "samples")) / "x12"

# file, shipped, interchanges, groups, transaction sets, segments, expected problems
ROWS = [
    # 2 GS (IN with two 810s, PO with one 850) in one ISA; trailers all match.
    ("810-850_staedi_dual-gs.edi", True, 1, 2, 3, 77, []),
    # BOM, clean 810.
    ("810_edifabric_invoice.edi", False, 1, 1, 1, 14, []),
    # ISA01-04 and ISA08 unpadded: ISA 81 characters; trailing space after one '~'.
    ("810_edinet_ariba.edi", True, 1, 1, 1, 68, ["w:isa.length"]),
    # CR terminator (CRLF lines); ISA12 00040 is no X12 version.
    ("810_oopfactory_walmart.edi", False, 1, 1, 1, 24, ["w:isa.version"]),
    ("810_staedi_simple.edi", True, 1, 1, 2, 58, []),
    # '|' element separator.
    ("810_stupidedi_4010_pipe-separator.edi", True, 1, 1, 1, 17, []),
    # '~' element separator, '}' terminator, blank ISA11.
    ("846_oopfactory_example1.edi", False, 1, 1, 1, 20, []),
    # '~' element separator, '*' terminator.
    ("846_oopfactory_example2.edi", False, 1, 1, 1, 28, []),
    # Starts 'SA*00*' after the BOM: no ISA anywhere in the file.
    ("850_edifabric_corrupt-isa.edi", False, 0, 0, 0, 0, ["e:isa.not_found"]),
    # First header reads 'T*850*0001': segments 3-17 sit outside any set; GE01=2 for 1 ST;
    # GS01 IN for 850s.
    ("850_edifabric_corrupt-st.edi", False, 1, 1, 1, 34,
     ["e:ge.count", "e:segment.outside_envelope", "w:gs.functional_id"]),
    # GS01 IN for two 850s.
    ("850_edifabric_purchaseorders_multi-st.edi", False, 1, 1, 2, 34, ["w:gs.functional_id"]),
    # IEA02 000000001 vs ISA13 000000055; NBSP padding (106 characters, 122 bytes).
    ("850_edinet_1_bom-nbsp.edi", True, 1, 1, 1, 15, ["e:iea.control", "w:isa.padding"]),
    # Same, and ISA08 padded to 11 characters only (ISA 102 characters).
    ("850_edinet_2_indented.edi", True, 1, 1, 1, 54,
     ["e:iea.control", "w:isa.length", "w:isa.padding"]),
    # ISA ends '*T*~': ISA16 missing (ISA 105); the DTM on line 23 lacks its '~' so it swallows
    # the next PO1 and the first set counts 86 segments against SE01 87; both ST02 are 0001.
    ("850_edinet_3_issue135.edi", True, 1, 1, 2, 185,
     ["e:isa.field", "e:se.count", "e:st.duplicate_control", "w:isa.length",
      "w:segment.line_break"]),
    ("850_nodex12_1.edi", True, 1, 1, 1, 37, []),
    # Line feed is the terminator.
    ("850_nodex12_2_newline-terminator.edi", True, 1, 1, 1, 37, []),
    ("850_nodex12_3.edi", True, 1, 1, 1, 18, []),
    # Two interchanges with the same ISA13 000003438 from the same sender.
    ("850_nodex12_fat_multi-isa.edi", True, 2, 2, 2, 74, ["w:isa.duplicate_control"]),
    # '~' element separator, '*' terminator, ISA06 14 characters (ISA 105).
    ("850_oopfactory_adobe-clp.edi", False, 1, 1, 1, 79, ["w:isa.length"]),
    # Space then CRLF after ISA16: lines read as segments; ISA06 14 characters.
    ("850_oopfactory_adobe-shrinkwrapped.edi", False, 1, 1, 1, 22,
     ["w:isa.length", "w:isa.terminator"]),
    # '~' element separator, CR terminator.
    ("850_oopfactory_adobe-tlp.edi", False, 1, 1, 1, 44, []),
    ("850_oopfactory_aojuk.edi", False, 1, 1, 1, 23, []),
    # ISA16 '~', terminator '|'.
    ("850_oopfactory_pgwglass.edi", False, 1, 1, 1, 40, []),
    # Unpadded ISA (86); SE01 28 for 27 segments.
    ("850_stupidedi_3010_fail.edi", True, 1, 1, 1, 31, ["e:se.count", "w:isa.length"]),
    # ISA broken after ISA08 and unpadded (85 characters without the line break).
    ("850_stupidedi_3050_fail_split-isa.edi", True, 1, 1, 1, 15, ["w:isa.length", "w:isa.wrapped"]),
    # ISA08 16 characters: ISA 107.
    ("850_stupidedi_4010_pass.edi", True, 1, 1, 1, 9, ["w:isa.length"]),
    # GS01 SC holding an 850.
    ("850_stupidedi_x357_aerospace-basic.edi", True, 1, 1, 1, 14, ["w:gs.functional_id"]),
    # GE01 2 for 1 ST; GS01 IN for an 855.
    ("855_edifabric_po-ack.edi", False, 1, 1, 1, 14, ["e:ge.count", "w:gs.functional_id"]),
    ("855_nodex12_1.edi", True, 1, 1, 1, 30, []),
    ("855_oopfactory_adobe.edi", False, 1, 1, 1, 47, []),
    ("855_staedi_multi-st_minimal.edi", True, 1, 1, 2, 10, []),
    # ISA wrapped inside ISA10 and unpadded (83); LF terminator.
    ("855_stupidedi_4010_fail_unpadded-isa.edi", True, 1, 1, 1, 16,
     ["w:isa.length", "w:isa.wrapped"]),
    ("855_stupidedi_4010_pass.edi", True, 1, 1, 1, 11, []),
    ("855_stupidedi_x358_rejected.edi", True, 1, 1, 1, 9, ["w:gs.functional_id"]),
    ("855_stupidedi_x358_ship-details.edi", True, 1, 1, 1, 20, ["w:gs.functional_id"]),
    # GE01 2 for 1 ST; GS01 IN for an 856.
    ("856_edifabric_shipnotice.edi", False, 1, 1, 1, 48, ["e:ge.count", "w:gs.functional_id"]),
    ("856_nodex12_1.edi", True, 1, 1, 1, 35, []),
    ("856_oopfactory_edi1source.edi", False, 1, 1, 1, 35, []),
    ("856_oopfactory_example1.edi", False, 1, 1, 1, 29, []),
    ("856_oopfactory_example2.edi", False, 1, 1, 1, 38, []),
    # U+2026 terminator (3 bytes).
    ("856_oopfactory_example3_ellipsis-terminator.edi", False, 1, 1, 1, 36, []),
    ("856_oopfactory_example4.edi", False, 1, 1, 1, 44, []),
    ("856_oopfactory_gregarican.edi", False, 1, 1, 1, 29, []),
    # Unpadded ISA (78); two 856s whose counts are right.
    ("856_stupidedi_2001_fail.edi", True, 1, 1, 2, 70, ["w:isa.length"]),
    # N1/N3/N4 end with '~' instead of '$': N1 swallows N3, N4 and HL, 22 segments vs SE01 25.
    ("856_stupidedi_4010_fail_dollar-terminator.edi", True, 1, 1, 1, 26,
     ["e:se.count", "w:segment.line_break"]),
    # N1 line lacks '~': N1 and N3 run together (9 vs SE01 10); ISA06 14 characters.
    ("860_oopfactory_example1_missing-terminator.edi", False, 1, 1, 1, 13,
     ["e:se.count", "w:isa.length", "w:segment.line_break"]),
    ("860_stupidedi_3010_fail.edi", True, 1, 1, 1, 21, ["w:isa.length"]),
    ("997_edifabric.edi", False, 1, 1, 1, 14, []),
    # Its errors are in AK1/AK4 content, not in the envelope.
    ("997_staedi_invalid.edi", True, 1, 1, 1, 12, []),
    ("997_staedi_multiple-interchanges.edi", True, 3, 3, 3, 36, []),
    ("997_staedi_repetition-separator.edi", True, 1, 1, 1, 12, []),
    ("997_staedi_simple.edi", True, 1, 1, 1, 12, []),
    # LF terminator, ISA06 12 characters (ISA 103).
    ("997_stupidedi_4010_newline-terminator.edi", True, 1, 1, 1, 10, ["w:isa.length"]),
    ("999_oopfactory_dhs-wisconsin.edi", False, 1, 1, 1, 20, []),
    ("999_pyx12_834_accept.edi", True, 1, 1, 1, 10, []),
    ("999_pyx12_834_multi-gs.edi", True, 1, 2, 4, 30, []),
    # SE01 16 for 18 segments.
    ("999_staedi_invalid.edi", True, 1, 1, 1, 22, ["e:se.count"]),
    ("999_staedi_simple.edi", True, 1, 1, 1, 20, []),
    # '>' element separator; ISA ends '>P>+' and so does TA1: '+' is the terminator and ISA16
    # is missing (ISA 105); IEA has no terminator at the end of the file.
    ("ta1_oopfactory_jeffn825.edi", False, 1, 0, 0, 3,
     ["e:isa.field", "w:isa.length", "w:segment.unterminated"]),
]


def _path(name: str, shipped: bool) -> Path:
    return (FIXTURES if shipped else SAMPLES) / name


AVAILABLE = [row for row in ROWS if _path(row[0], row[1]).is_file()]


def test_every_shipped_fixture_has_a_row_and_every_row_a_file():
    listed = {name for name, shipped, *_ in ROWS if shipped}
    on_disk = {p.name for p in FIXTURES.glob("*.edi")}
    assert listed == on_disk
    assert len(ROWS) == 59 and len(listed) == 34


@pytest.mark.parametrize("name,shipped,n_isa,n_gs,n_st,n_seg,expected", AVAILABLE,
                         ids=[row[0] for row in AVAILABLE])
def test_sample(name, shipped, n_isa, n_gs, n_st, n_seg, expected):
    with open(_path(name, shipped), "rb") as stream:
        envelopes = iter_transactions(stream)
        transactions = list(envelopes)
    problems = envelopes.all_errors() + [e for t in transactions for e in t.errors]
    assert Counter(f"{e.severity[0]}:{e.code}" for e in problems) == Counter(expected)
    assert len(envelopes.interchanges) == n_isa
    assert sum(len(ic.groups) for ic in envelopes.interchanges) == n_gs
    assert len(transactions) == n_st
    assert envelopes.reader.segments_read == n_seg
    for tx in transactions:
        assert tx.segments[0].id == "ST" and len(tx.segments) == tx.segment_count
    # The check-only walk finds the same problems as the one that builds the sets.
    with open(_path(name, shipped), "rb") as stream:
        checked = check_envelopes(stream)
    assert Counter(f"{e.severity[0]}:{e.code}" for e in checked.all_errors()) == Counter(expected)


@pytest.mark.parametrize("name,shipped", [(r[0], r[1]) for r in AVAILABLE],
                         ids=[r[0] for r in AVAILABLE])
def test_sample_reads_the_same_in_tiny_chunks(name, shipped):
    data = _path(name, shipped).read_bytes()
    whole = [(s.id, s.fields, s.number, s.offset) for s in read_segments(data)]
    tiny = [(s.id, s.fields, s.number, s.offset) for s in read_segments(data, chunk_size=64)]
    assert tiny == whole


def test_offsets_point_at_the_segment_ids():
    # 850_edinet_2_indented: BOM, NBSP in the ISA (multi-byte), tab indentation.
    data = (FIXTURES / "850_edinet_2_indented.edi").read_bytes()
    segments = list(read_segments(data))
    assert segments[0].offset == 3                    # after the BOM
    for seg in segments:
        assert data[seg.offset:seg.offset + len(seg.id)].decode() == seg.id


def test_issue135_transactions_keep_their_own_errors():
    # Set 1 (segments 3-88) has the short count; set 2 (89-183) repeats ST02 0001.
    with open(FIXTURES / "850_edinet_3_issue135.edi", "rb") as stream:
        first, second = list(iter_transactions(stream))
    assert [e.code for e in first.errors] == ["segment.line_break", "se.count"]
    assert first.errors[1].segment_position == 88 and first.errors[1].set_control == "0001"
    assert [e.code for e in second.errors] == ["st.duplicate_control"]
    assert second.errors[0].segment_position == 89
    assert "SE01 87" in first.errors[1].message and "86" in first.errors[1].message


def test_edinet_iea_control_message_names_both_numbers():
    with open(FIXTURES / "850_edinet_1_bom-nbsp.edi", "rb") as stream:
        envelopes = check_envelopes(stream)
    (error,) = [e for e in envelopes.all_errors() if e.code == "iea.control"]
    assert error.message.startswith("IEA02 000000001 does not match ISA13 000000055 (segment 15)")
    assert error.segment_id == "IEA" and error.interchange_control == "000000055"


def test_x12_check_report_and_exit_code(tmp_path):
    missing, folder = tmp_path / "missing.edi", tmp_path / "folder"
    folder.mkdir()
    good = FIXTURES / "856_nodex12_1.edi"
    bad = FIXTURES / "999_staedi_invalid.edi"
    reports = check_files([good, missing, folder, bad])
    assert [r.ok for r in reports] == [True, False, False, False]
    assert [e.code for e in reports[1].errors] == ["file.unreadable"]
    assert [e.code for e in reports[2].errors] == ["file.unreadable"]
    assert exit_code(reports) == 1
    assert exit_code([reports[0]]) == 0
    text = format_report(reports)
    # 856_nodex12_1: ISA13 000000049, ISA11 '-' is the repetition separator (00406).
    assert "ISA13 000000049" in text
    assert "element '*' sub-element '>' repetition '-' terminator '~' + LF" in text
    assert "856 0008: 31 segments, ST at segment 3" in text     # lines 3-33, SE*31*0008
    assert "missing.edi cannot be read (No such file or directory)" in text
    assert "se.count" in text and "segment 20" in text


def test_x12_check_warnings_alone_pass():
    # 850_stupidedi_4010_pass: only the 107-character ISA warning.
    reports = check_files([FIXTURES / "850_stupidedi_4010_pass.edi"])
    assert reports[0].ok and [w.code for w in reports[0].warnings] == ["isa.length"]
    assert exit_code(reports) == 0
    assert "OK (272 bytes, 1 interchange(s), 0 error(s), 1 warning(s))" in format_report(reports)


def test_x12_check_lists_problems_in_file_order(tmp_path):
    # Garbage, then 850_nodex12_1 (37 segments), garbage, 997_staedi_simple whose SE01 we break.
    bad997 = (FIXTURES / "997_staedi_simple.edi").read_bytes().replace(b"SE*8*", b"SE*9*")
    path = tmp_path / "two.edi"
    path.write_bytes(b"hello\n" + (FIXTURES / "850_nodex12_1.edi").read_bytes() + b"world\n" +
                     bad997 + b"bye\n")
    (report,) = check_files([path])
    assert [(p.code, p.severity) for p in report.problems] == [
        ("segment.outside_envelope", "error"), ("segment.outside_envelope", "error"),
        ("se.count", "error"), ("segment.outside_envelope", "warning")]
    assert report.problems[2].segment_position == 47       # SE on line 10 of the 997: 37 + 10
    assert report.interchange_count == 2
