"""The streaming X12 tokenizer: delimiters from each ISA, framing quirks, positions, robustness.

The interchanges here are written for these tests (ours, not published samples). Several
reproduce, in a few segments, a quirk seen in sample files that cannot be shipped with the
project (BOM, '~' or '>' element separators, CR or U+2026 terminators, a space before the line
break, a damaged 'SA*' header, a line without its terminator). Expected values were worked
out by hand from the text of each interchange.
"""

from __future__ import annotations

import io
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.edi.x12 import reader
from hub.edi.x12.reader import X12Error, read_segments

BODY = [["GS", "PO", "SENDER", "RECEIVER", "20260115", "1200", "1", "X", "004010"],
        ["ST", "850", "0001"],
        ["BEG", "00", "SA", "PO-1", "", "20260115"],
        ["PO1", "1", "10", "EA", "1.25", "PE", "VP", "SKU 1"],
        ["CTT", "1"],
        ["SE", "5", "0001"],
        ["GE", "1", "1"],
        ["IEA", "1", "000000001"]]


def isa_fields(sub: str = ">", rep: str = "U", control: str = "000000001",
               sender: str = "SENDER", version: str = "00401") -> list[str]:
    """A conforming ISA (106 characters once joined and terminated)."""
    return ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ",
            "RECEIVER".ljust(15), "260115", "1200", rep, version, control, "0", "T", sub]


def build(el: str = "*", sub: str = ">", term: str = "~", nl: str = "\n", indent: str = "",
          body: list[list[str]] | None = None, **isa) -> str:
    """An interchange as text: every segment followed by the terminator and ``nl``."""
    segments = [isa_fields(sub, **isa)] + (BODY if body is None else body)
    return "".join(indent + el.join(seg) + term + nl for seg in segments)


def read(data: bytes, chunk_size: int = reader.CHUNK_SIZE):
    """Segments and problems of a byte string."""
    segments, problems = [], []
    for batch in read_segments(data, chunk_size).batches():
        segments += batch.segments()
        problems += batch.problems
    return segments, problems


def codes(problems: list[X12Error]) -> list[str]:
    """Problems as 'e:code' / 'w:code'."""
    return [f"{p.severity[0]}:{p.code}" for p in problems]


# -- a conforming interchange --------------------------------------------------------------------

def test_conforming_interchange():
    data = build().encode()
    segments, problems = read(data)
    assert problems == []
    assert [s.id for s in segments] == ["ISA", "GS", "ST", "BEG", "PO1", "CTT", "SE", "GE", "IEA"]
    assert [s.number for s in segments] == list(range(1, 10))
    ic = segments[0].interchange
    assert ic.delimiters == reader.Delimiters("*", ">", None, "~", "\n")
    assert ic.isa_length == 106 and ic.control == "000000001"
    assert (ic.sender_qualifier, ic.sender_id, ic.receiver_id) == ("ZZ", "SENDER", "RECEIVER")
    po1 = segments[4]
    assert po1.element(7) == "SKU 1" and po1.element(9) == "" and po1.elements[0] == "1"
    assert po1.fields[0] == "PO1" and po1.text() == "PO1*1*10*EA*1.25*PE*VP*SKU 1"
    for seg in segments:
        assert data[seg.offset:seg.offset + len(seg.id)].decode() == seg.id
    assert segments[1].offset == 107      # 106-character ISA, then the line feed


def test_bytes_file_object_and_iteration_agree():
    data = build().encode()
    from_file = [s.fields for s in read_segments(io.BytesIO(data))]
    assert from_file == [s.fields for s in read_segments(data)]
    assert len(from_file) == 9


def test_text_stream_is_refused():
    with pytest.raises(TypeError):
        list(read_segments(io.StringIO(build())))


def test_composites_and_repeats():
    # ISA11 '^' is the repetition separator from 00402 on; ':' the sub-element separator.
    body = [["GS", "FA", "S", "R", "20260115", "1200", "1", "X", "005010X231"],
            ["ST", "999", "0001"], ["CTX", "A^B:C", "CLM01:123"], ["SE", "3", "0001"],
            ["GE", "1", "1"], ["IEA", "1", "000000001"]]
    segments, _ = read(build(sub=":", rep="^", version="00501", body=body).encode())
    ctx = segments[3]
    assert ctx.repeats(1) == ["A", "B:C"]
    assert ctx.composite(2) == ["CLM01", "123"]
    assert segments[0].interchange.delimiters.repetition == "^"


# -- framing quirks (synthetic interchanges reproducing what sample files do) --------------------

def test_bom_and_leading_blank_lines():
    data = b"\xef\xbb\xbf\r\n\n" + build().encode()
    segments, problems = read(data)
    assert problems == [] and len(segments) == 9
    assert segments[0].offset == 6


def test_tilde_element_separator_star_terminator_crlf_indented():
    # Element '~', terminator '*', CRLF and indentation, as some 846/850/856 senders write.
    data = build(el="~", term="*", nl="\r\n", indent="  ").encode()
    segments, problems = read(data)
    assert problems == []
    assert segments[0].interchange.delimiters == reader.Delimiters("~", ">", None, "*", "\r\n")
    assert segments[4].fields == ["PO1", "1", "10", "EA", "1.25", "PE", "VP", "SKU 1"]
    assert all(data[s.offset:s.offset + 2] == s.id[:2].encode() for s in segments)


def test_cr_line_ends_serve_as_terminator():
    # ISA16 '>' then CR LF: every line break ends a segment.
    data = build(term="", nl="\r\n", indent="    ").encode()
    segments, problems = read(data)
    assert problems == []
    d = segments[0].interchange.delimiters
    assert (d.terminator, d.line_break) == ("\n", "\r\n")
    assert "line break (CR LF)" in d.describe()
    assert [s.id for s in segments][-1] == "IEA" and segments[-1].fields[-1] == "000000001"


def test_bare_cr_terminator():
    segments, problems = read(build(term="\r", nl="").encode())
    assert problems == [] and len(segments) == 9
    assert segments[0].interchange.delimiters.terminator == "\r"


def test_ellipsis_terminator_three_bytes():
    data = build(term="\u2026", nl="\r\n", indent="  ").encode()
    segments, problems = read(data)
    assert problems == []
    assert segments[0].interchange.delimiters.terminator == "\u2026"
    assert "(U+2026)" in segments[0].interchange.delimiters.describe()
    for seg in segments:
        assert data[seg.offset:seg.offset + len(seg.id)] == seg.id.encode()


def test_greater_than_element_separator_and_missing_isa16():
    # TA1-only interchange: element '>', the ISA ends '>P>+' and so does the TA1 line: '+' is
    # the terminator and ISA16 is missing; the IEA ends the file without a terminator.
    fields = isa_fields()[:16]
    fields[15] = "P"
    text = (">".join(fields) + ">+\r\n  TA1>900000001>100624>1430>R>006>+\r\n"
            "IEA>0>000000001")
    segments, problems = read(text.encode())
    d = segments[0].interchange.delimiters
    assert (d.element, d.sub_element, d.terminator) == (">", None, "+")
    assert [s.id for s in segments] == ["ISA", "TA1", "IEA"]
    assert segments[0].fields[16] == "" and segments[0].interchange.isa_length == 105
    assert codes(problems) == ["w:segment.unterminated"]


def test_isa16_missing_before_newline_with_tilde_terminator():
    # The ISA ends '*T*~' + LF while every other line ends '~' + LF.
    fields = isa_fields()[:16]
    text = "*".join(fields) + "*~\n" + "".join("*".join(seg) + "~\n" for seg in BODY)
    segments, _ = read(text.encode())
    d = segments[0].interchange.delimiters
    assert (d.sub_element, d.terminator, d.line_break) == (None, "~", "\n")
    assert segments[1].fields[-1] == "004010"


def test_space_then_line_break_after_isa16():
    # '> ' + CRLF after the ISA: the space is not a usable terminator (the data hold spaces).
    body = [list(s) for s in BODY]
    body[2] = ["N1", "BY", "SOLD TO Org Name", "ZZ", "038181483"]
    text = "".join("*".join(seg) + " \r\n" for seg in [isa_fields()] + body)
    segments, problems = read(text.encode())
    assert codes(problems) == ["w:isa.terminator"]
    assert segments[3].fields == ["N1", "BY", "SOLD TO Org Name", "ZZ", "038181483"]
    assert segments[-1].fields == ["IEA", "1", "000000001"]


def test_pipe_terminator_tilde_sub_element():
    segments, problems = read(build(sub="~", term="|", nl="\r\n").encode())
    assert problems == []
    d = segments[0].interchange.delimiters
    assert (d.sub_element, d.terminator) == ("~", "|")


def test_damaged_isa_header_is_not_found():
    # 'SA*00*...' after a BOM: the I of ISA is missing, so there is no interchange at all.
    data = b"\xef\xbb\xbf" + build().encode()[1:]
    segments, problems = read(data)
    assert segments == []
    assert codes(problems) == ["e:isa.not_found"]
    assert "'SA*00*" in problems[0].message and problems[0].offset == 3


def test_nbsp_padding_counts_characters_not_bytes():
    fields = isa_fields()
    fields[2] = " \u00a0" * 5
    fields[6] = "000123456 \u00a0 \u00a0 \u00a0"
    text = "*".join(fields) + "~\n" + "".join("*".join(s) + "~\n" for s in BODY)
    segments, problems = read(("\ufeff" + text).encode())
    ic = segments[0].interchange
    assert problems == [] and ic.isa_length == 106
    assert ic.sender_id == "000123456"
    assert segments[1].offset == 3 + len(("*".join(fields) + "~\n").encode())


def test_wrapped_isa_is_read_as_one_segment():
    fields = isa_fields()
    text = "*".join(fields[:10]) + "*12\n00*" + "*".join(fields[11:]) + "~\n"
    text += "".join("*".join(s) + "~\n" for s in BODY)
    segments, problems = read(text.encode())
    assert codes(problems) == ["w:isa.wrapped"]
    assert segments[0].element(10) == "1200" and segments[0].interchange.isa_length == 106


def test_line_without_terminator_runs_into_the_next():
    text = build(nl="\r\n").replace("BEG*00*SA*PO-1**20260115~", "BEG*00*SA*PO-1**20260115")
    segments, problems = read(text.encode())
    assert codes(problems) == ["w:segment.line_break"]
    assert problems[0].segment_position == 4 and problems[0].segment_id == "BEG"
    assert segments[3].id == "BEG" and segments[3].fields[5] == "20260115\r\nPO1"
    assert len(segments) == 8


def test_other_terminator_at_line_end_is_named():
    text = build(term="$").replace("CTT*1$", "CTT*1~")
    _, problems = read(text.encode())
    assert codes(problems) == ["w:segment.line_break"]
    assert "ends with '~' instead" in problems[0].message


def test_empty_segments_are_skipped_with_a_warning():
    text = build(nl="").replace("CTT*1~", "CTT*1~~~")
    segments, problems = read(text.encode())
    assert [s.id for s in segments][5:] == ["CTT", "SE", "GE", "IEA"]
    assert codes(problems) == ["w:segment.empty"]
    assert problems[0].segment_position == 7 and "2 times" in problems[0].message
    assert segments[6].number == 7


def test_bytes_that_are_not_utf8_are_read_as_latin1():
    data = build().encode().replace(b"SKU 1", b"SKU \xe9")
    segments, problems = read(data)
    assert segments[4].element(7) == "SKU \u00e9"
    assert codes(problems) == ["w:data.encoding"]
    assert problems[0].offset == data.index(b"\xe9")
    assert segments[5].offset == data.index(b"CTT")


def test_several_interchanges_with_their_own_delimiters():
    first = build()
    second = build(el="|", sub="@", term="!", control="000000002").replace("000000001", "000000002")
    data = (first + "\n\n" + second).encode()
    segments, problems = read(data)
    assert problems == []
    isas = [s for s in segments if s.id == "ISA"]
    assert [s.interchange.delimiters.element for s in isas] == ["*", "|"]
    assert [s.interchange.index for s in isas] == [1, 2]
    assert segments[-1].fields == ["IEA", "1", "000000002"] and len(segments) == 18
    assert segments[9].offset == data.index(b"ISA|")


def test_new_isa_without_iea_starts_a_new_interchange():
    text = build().replace("IEA*1*000000001~\n", "") + build(control="000000002")
    segments, _ = read(text.encode())
    assert [s.interchange.index for s in segments].count(2) == 9
    assert [s.id for s in segments].count("ISA") == 2


def test_garbage_before_and_after_the_interchange():
    data = b"From: somebody\n" + build().encode() + b"\n\x00\x1a\n" + b"THE END\n"
    segments, problems = read(data)
    assert len(segments) == 9
    assert codes(problems) == ["e:segment.outside_envelope", "w:segment.outside_envelope"]
    assert problems[0].offset == 0 and "'From: somebody'" in problems[0].message
    assert problems[1].offset == data.index(b"THE END")


def test_blank_padding_after_the_last_interchange_is_fine():
    _, problems = read(build().encode() + b"\r\n\r\n\x00\x00\x1a")
    assert problems == []


def test_unterminated_last_segment():
    segments, problems = read(build(nl="").encode()[:-1])
    assert segments[-1].fields == ["IEA", "1", "000000001"]
    assert codes(problems) == ["w:segment.unterminated"]


def test_isa_with_too_few_separators():
    segments, problems = read(b"ISA*00*          *00*\nGS*PO~")
    assert segments == []
    assert codes(problems) == ["e:isa.incomplete", "e:segment.outside_envelope"]
    assert "'*00*          *00* GS*PO~'" in problems[1].message


def test_letter_as_terminator_cannot_be_read():
    text = build(term="X", nl="\n")
    _, problems = read(text.encode())
    assert problems[0].code == "isa.delimiters"


def test_no_terminator_for_too_long(monkeypatch):
    monkeypatch.setattr(reader, "MAX_SEGMENT_BYTES", 4096)
    data = build(nl="").encode()[:150] + b"A" * 20000     # cut inside the ST
    segments, problems = read(data, chunk_size=1024)
    assert "segment.too_long" in [p.code for p in problems]
    assert segments[0].id == "ISA"


@pytest.mark.parametrize("chunk", [64, 65, 100, 333, 1024])
def test_chunk_size_does_not_change_the_result(chunk):
    data = (build(nl="\r\n", indent="\t") + build(el="~", term="\u2026", control="000000002",
                                                  nl="\n")).encode() * 3
    assert [(s.fields, s.number, s.offset) for s in read(data, chunk)[0]] == \
        [(s.fields, s.number, s.offset) for s in read(data)[0]]


# -- robustness ----------------------------------------------------------------------------------

ROBUST = settings(max_examples=300, deadline=2000, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])


def _exhaust(data: bytes, chunk: int = 64) -> list[X12Error]:
    problems = []
    for batch in read_segments(data, chunk).batches():
        assert all(isinstance(p, X12Error) for p in batch.problems)
        problems += batch.problems
        batch.segments()
    return problems


@ROBUST
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    _exhaust(data)
    _exhaust(b"ISA" + data)


@ROBUST
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    [b"", b"~", b"*", b">", b"\n", b"\r", b"ISA", b"IEA*1*1~", b"\xe2\x80\xa6", b"\xff", b" ",
     b"~ISA*", b"~ST*850*1~", b"~SE*1*1~", b"~GS*PO~", b"~GE*1*1~", b"~~"])),
    max_size=8), st.integers(64, 300))
def test_mutated_interchanges_never_raise(edits, chunk):
    data = bytearray((build() + build(el="|", term="!", control="000000002")).encode())
    for where, what in edits:
        at = where % (len(data) + 1)
        if what:
            data[at:at] = what
        else:
            del data[at:at + 1]
    _exhaust(bytes(data), chunk)
    # Offsets stay exact whatever was damaged.
    for seg in read_segments(bytes(data), chunk):
        first = seg.id[:1]
        assert data.startswith(first.encode(), seg.offset) or \
            data.startswith(first.encode("latin-1", "replace"), seg.offset)


class _Repeat(io.RawIOBase):
    """A stream of ``total`` bytes made by repeating ``unit`` (never held whole in memory)."""

    def __init__(self, head: bytes, unit: bytes, total: int):
        self.head, self.unit, self.left = head, unit, total

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        n = min(n, self.left)
        self.left -= n
        reps = self.unit * (n // len(self.unit) + 2)
        return reps[:n]


@pytest.mark.parametrize("unit", [
    "ST*850*0001~BEG*00*SA*PO**20260115~PO1*1*1*EA*1*PE*VP*X~SE*4*0001~\n",   # endless sets
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                   # no terminator
    "~~~~~~~~\n",                                                              # empty segments
])
def test_memory_stays_flat_on_long_input(unit):
    head = (build(body=[]).encode()[:107] +
            b"GS*PO*SENDER*RECEIVER*20260115*1200*1*X*004010~\n")
    stream = _Repeat(head, unit.encode(), 6_000_000)
    tracemalloc.start()
    try:
        read_bytes = 0
        for batch in read_segments(stream).batches():
            read_bytes += len(batch)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stream.left == 0                     # everything was read
    assert peak < 3_000_000, peak               # 6 MB in, never more than a few chunks held


@pytest.mark.parametrize("chunk", [64, 100, 16384])
def test_blanks_after_terminators_without_line_breaks(chunk):
    # No line break anywhere: a segment of spaces is an empty segment, a space before an id
    # is dropped, whatever the chunk boundaries; offsets stay exact.
    data = build(nl="").replace("CTT*1~", "CTT*1~  ~ ").encode()
    segments, problems = read(data, chunk)
    assert [s.id for s in segments][5:7] == ["CTT", "SE"]
    assert codes(problems) == ["w:segment.empty"]
    for seg in segments:
        assert data[seg.offset:seg.offset + len(seg.id)].decode() == seg.id


@pytest.mark.parametrize("chunk", [64, 65, 100, 333])
def test_problems_do_not_depend_on_chunk_boundaries(chunk):
    # Runs of empty segments, a missing terminator, bytes that are not UTF-8 and garbage
    # between interchanges are reported the same wherever the chunks are cut.
    quirky = build().replace("CTT*1~", "CTT*1~" + "~" * 150).replace(
        "BEG*00*SA*PO-1**20260115~", "BEG*00*SA*PO-1**20260115")
    data = (b"junk\n" + quirky.encode().replace(b"SKU 1", b"SKU \xff") + b"IEA~~junk\n" +
            build(control="000000002").encode() + b"~~\n")

    def report(size: int) -> list[tuple]:
        return [(p.code, p.segment_position, p.offset, p.message) for p in read(data, size)[1]]

    found = report(chunk)
    assert found == report(reader.CHUNK_SIZE)
    assert [f[0] for f in found] == ["segment.outside_envelope", "data.encoding",
                                     "segment.line_break", "segment.empty",
                                     "segment.outside_envelope", "segment.outside_envelope"]
    # ISA 1, GS 2, ST 3, BEG run into PO1 4, CTT 5: the 150 empties come before SE, segment 6.
    assert "150 times before segment 6" in found[3][3]
    assert [p.severity for p in read(data, chunk)[1]][-2:] == ["error", "warning"]
