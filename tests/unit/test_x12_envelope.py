"""Envelope checks: counts, control numbers, missing and misplaced headers and trailers, ISA
and GS fields, and transaction sets handed out with their envelope context.

Every interchange here is written for these tests; expected positions were counted by hand
(the ISA is segment 1, the GS segment 2, the first ST segment 3...).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.edi.x12 import envelope
from hub.edi.x12.envelope import (ControlNumbers, EnvelopeError, check_envelopes, iter_transactions)
from hub.edi.x12.reader import X12Error


def isa(control: str = "000000001", **fields: str) -> list[str]:
    """A conforming ISA; keyword ISA09='...' style overrides set single fields."""
    f = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ",
         "RECEIVER".ljust(15), "260115", "1200", "U", "00401", control, "0", "T", ">"]
    for name, value in fields.items():
        f[int(name[3:])] = value
    return f


def po(control: str = "0001", lines: int = 1) -> list[list[str]]:
    """One 850 transaction set with a correct SE."""
    body = [["BEG", "00", "SA", f"PO-{control}", "", "20260115"]]
    body += [["PO1", str(n), "1", "EA", "2.5", "PE", "VP", f"SKU{n}"] for n in range(1, lines + 1)]
    return [["ST", "850", control], *body, ["SE", str(len(body) + 2), control]]


def group(control: str = "1", sets: list[list[list[str]]] | None = None,
          gs01: str = "PO") -> list[list[str]]:
    """A GS..GE group around ``sets`` (one 850 by default), GE01 counting them."""
    sets = [po()] if sets is None else sets
    return [["GS", gs01, "SENDER", "RECEIVER", "20260115", "1200", control, "X", "004010"],
            *[seg for s in sets for seg in s], ["GE", str(len(sets)), control]]


def interchange(groups: list[list[list[str]]] | None = None, control: str = "000000001",
                **isa_fields: str) -> list[list[str]]:
    """ISA, the groups (one by default), IEA with the right count and control number."""
    groups = [group()] if groups is None else groups
    return [isa(control, **isa_fields), *[seg for g in groups for seg in g],
            ["IEA", str(len(groups)), control]]


def text(*segment_lists: list[list[str]]) -> bytes:
    """Segments joined with '*', each ended by '~' and a line feed."""
    return "".join("*".join(seg) + "~\n" for segs in segment_lists for seg in segs).encode()


def problems_of(data: bytes, chunk_size: int = 16384) -> tuple[list, list[X12Error]]:
    """The transaction sets and every problem found, wherever it was filed."""
    envelopes = iter_transactions(data, chunk_size)
    transactions = list(envelopes)
    return transactions, envelopes.all_errors() + [e for t in transactions for e in t.errors]


def codes(problems: list[X12Error]) -> Counter:
    """Problems as 'e:code' / 'w:code' counts."""
    return Counter(f"{p.severity[0]}:{p.code}" for p in problems)


# -- a clean interchange -------------------------------------------------------------------------

def test_clean_interchange_yields_its_sets_with_context():
    data = text(interchange([group(sets=[po("0001", 2), po("0002", 1)])]))
    envelopes = iter_transactions(data)
    first, second = list(envelopes)
    assert envelopes.all_errors() == []
    assert (first.set_id, first.control, first.number, first.segment_count) == ("850", "0001", 3, 5)
    assert [s.id for s in first.segments] == ["ST", "BEG", "PO1", "PO1", "SE"]
    assert second.number == 8 and second.segments[-1].number == 11
    assert first.version == "004010" and first.delimiters.element == "*"
    assert first.group.control == "1" and first.group.functional_id == "PO"
    assert first.interchange.control == "000000001" and first.interchange.sender_id == "SENDER"
    assert first.errors == [] and first.envelope_errors() == []
    ic = envelopes.interchanges[0]
    assert ic.iea.number == 13 and ic.groups[0].ge.number == 12
    assert ic.groups[0].transaction_count == 2


def test_st03_gives_the_version():
    data = text(interchange([group(sets=[[["ST", "999", "0001", "005010X231"], ["AK9", "A"],
                                         ["SE", "3", "0001"]]], gs01="FA")]))
    (tx,) = list(iter_transactions(data))
    assert tx.version == "005010X231"


def test_sets_split_across_many_chunks_are_whole():
    data = text(interchange([group(sets=[po(f"{n:04}", 7) for n in range(1, 40)])]))
    small = list(iter_transactions(data, chunk_size=64))
    large = list(iter_transactions(data))
    assert [[s.fields for s in t.segments] for t in small] == \
        [[s.fields for s in t.segments] for t in large]
    assert len(small) == 39 and all(len(t.segments) == 10 for t in small)


# -- counts and control numbers ------------------------------------------------------------------

def _mutate(segs: list[list[str]], seg_id: str, n: int, value: str,
            which: int = 0) -> list[list[str]]:
    hits = [s for s in segs if s[0] == seg_id]
    hits[which][n] = value
    return segs


@pytest.mark.parametrize("seg_id,element,value,code,position", [
    ("SE", 1, "9", "se.count", 6),            # ST..SE holds 4 segments
    ("SE", 2, "0002", "se.control", 6),
    ("GE", 1, "2", "ge.count", 7),
    ("GE", 2, "7", "ge.control", 7),
    ("IEA", 1, "3", "iea.count", 8),
    ("IEA", 2, "000000009", "iea.control", 8),
])
def test_trailer_mismatch(seg_id, element, value, code, position):
    segs = _mutate(interchange(), seg_id, element, value)
    _, problems = problems_of(text(segs))
    assert codes(problems) == Counter({f"e:{code}": 1})
    assert problems[0].segment_position == position and problems[0].segment_id == seg_id
    assert problems[0].interchange_control == "000000001"
    assert isinstance(problems[0], EnvelopeError)


def test_leading_zeros_in_counts_and_controls_match():
    segs = _mutate(interchange(), "SE", 1, "0004")
    segs = _mutate(segs, "GE", 2, "000000001")
    assert problems_of(text(segs))[1] == []


def test_bad_set_is_told_apart_from_good_ones():
    sets = [po(f"{n:04}") for n in range(1, 301)]
    sets[150][-1][1] = "99"                   # SE01 of set 0151
    data = text(interchange([group(sets=sets)]))
    for chunk in (64, 16384):
        transactions, problems = problems_of(data, chunk)
        bad = [t for t in transactions if t.errors]
        assert [t.control for t in bad] == ["0151"]
        assert bad[0].errors[0].code == "se.count" and bad[0].errors[0].set_control == "0151"
        assert bad[0].envelope_errors() == bad[0].errors
        assert len(problems) == 1 and len(transactions) == 300


def test_duplicate_st02_in_a_group():
    data = text(interchange([group(sets=[po("0001"), po("0002"), po("0001")])]))
    transactions, problems = problems_of(data)
    assert codes(problems) == Counter({"e:st.duplicate_control": 1})
    # ISA 1, GS 2, sets of 4 segments at 3, 7 and 11.
    assert transactions[2].errors[0].segment_position == 11
    assert "ST02 0001 (segment 11)" in transactions[2].errors[0].message


def test_same_st02_in_two_groups_is_fine():
    data = text(interchange([group("1"), group("2")]))
    assert problems_of(data)[1] == []


def test_duplicate_gs06_and_isa13():
    data = text(interchange([group("5"), group("5")]), interchange())
    _, problems = problems_of(data)
    assert codes(problems) == Counter({"e:gs.duplicate_control": 1, "w:isa.duplicate_control": 1})


# -- missing and misplaced envelope segments -----------------------------------------------------

def test_missing_se_before_next_st():
    sets = [po("0001")[:-1], po("0002")]
    data = text(interchange([group(sets=sets)]))
    transactions, problems = problems_of(data)
    assert codes(problems) == Counter({"e:trailer.missing": 1})
    assert transactions[0].errors[0].code == "trailer.missing"
    assert "before the next ST at segment 6" in transactions[0].errors[0].message
    assert [s.id for s in transactions[0].segments] == ["ST", "BEG", "PO1"]


def test_file_cut_short_misses_all_trailers():
    segs = interchange()[:-3]                 # ends after PO1
    transactions, problems = problems_of(text(segs))
    assert codes(problems) == Counter({"e:trailer.missing": 3})
    assert len(transactions) == 1 and transactions[0].segment_count == 3
    messages = " ".join(p.message for p in problems)
    assert "no SE trailer" in messages and "no GE trailer" in messages and "no IEA" in messages


def test_new_isa_closes_the_open_interchange():
    data = text(interchange()[:-1], interchange(control="000000002"))
    _, problems = problems_of(data)
    assert codes(problems) == Counter({"e:trailer.missing": 1})
    assert "before the next ISA at segment 8" in problems[0].message


def test_st_without_gs():
    segs = [isa(), *po(), ["IEA", "0", "000000001"]]
    transactions, problems = problems_of(text(segs))
    assert codes(problems) == Counter({"e:gs.missing": 1})
    assert transactions[0].group is None and transactions[0].version == ""


def test_segments_between_sets_are_outside_the_envelope():
    g = group(sets=[po("0001"), [["REF", "ZZ", "1"], ["NTE", "x"]], po("0002")])
    g[-1][1] = "2"                            # two real sets
    _, problems = problems_of(text(interchange([g])))
    assert codes(problems) == Counter({"e:segment.outside_envelope": 1})
    assert problems[0].segment_position == 7 and "2 segments" in problems[0].message   # REF, NTE


def test_damaged_st_header_makes_its_set_stray():
    sets = [po("0001"), po("0002")]
    sets[0][0][0] = "T"                       # 'T*850*0001', as a damaged header reads
    _, problems = problems_of(text(interchange([group(sets=sets)])))
    assert codes(problems) == Counter({"e:segment.outside_envelope": 1, "e:ge.count": 1})
    stray = [p for p in problems if p.code == "segment.outside_envelope"][0]
    assert stray.segment_position == 3 and "'T*850*0001'" in stray.message
    assert "segments 3 to 6" in stray.message


def test_segment_between_isa_and_gs():
    segs = interchange()
    segs.insert(1, ["NTE", "hello"])
    _, problems = problems_of(text(segs))
    assert codes(problems) == Counter({"e:segment.outside_envelope": 1})
    assert "outside any GS..GE functional group" in problems[0].message


def test_ta1_only_interchange():
    segs = [isa(), ["TA1", "000000009", "260115", "1200", "A", "000"], ["IEA", "0", "000000001"]]
    envelopes = check_envelopes(text(segs))
    assert envelopes.all_errors() == [] and envelopes.interchanges[0].ta1_count == 1


# -- ISA, GS and ST fields ------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("ISA01", "0"), ("ISA03", "  "), ("ISA05", "Z"), ("ISA06", " " * 15), ("ISA07", "ZZZ"),
    ("ISA08", " " * 15), ("ISA09", "261315"), ("ISA10", "2460"), ("ISA12", "0040A"),
    ("ISA13", "00000001A"), ("ISA14", "2"), ("ISA15", "X"),
])
def test_isa_field_values(field, value):
    _, problems = problems_of(text(interchange(**{field: value})))
    fields = [p for p in problems if p.code == "isa.field"]
    assert len(fields) == 1 and fields[0].message.startswith(f"{field} {value!r}")
    assert fields[0].is_error and fields[0].segment_position == 1


def test_unpadded_isa_is_a_warning_naming_the_fields():
    _, problems = problems_of(text(interchange(ISA02=" ", ISA06="SENDER")))
    assert codes(problems) == Counter({"w:isa.length": 1})
    assert "is 88 characters long" in problems[0].message
    assert "ISA02 is 1 wide, not 10" in problems[0].message


def test_isa_widths_that_cancel_out():
    _, problems = problems_of(text(interchange(ISA02=" " * 9, ISA04=" " * 11)))
    assert codes(problems) == Counter({"w:isa.width": 1})


def test_isa_version_and_sub_element_checks():
    _, problems = problems_of(text(interchange(ISA12="00040", ISA16="A")))
    assert codes(problems) == Counter({"w:isa.version": 1, "e:isa.field": 1})


def test_gs_fields():
    segs = interchange()
    segs[1] = ["GS", "P", "", "RECEIVER", "2026011", "12", "1", "", "004010"]
    _, problems = problems_of(text(segs))
    assert [p.message[:4] for p in problems if p.code == "gs.field"] == \
        ["GS01", "GS02", "GS04", "GS05", "GS07"]


def test_st_fields():
    segs = interchange()
    segs[2] = ["ST", "85", "01"]
    segs[5] = ["SE", "4", "01"]
    transactions, problems = problems_of(text(segs))
    assert codes(problems) == Counter({"e:st.field": 1})
    assert transactions[0].errors[0].code == "st.field"


def test_functional_id_is_checked_once_per_group():
    g = group(sets=[po("0001"), po("0002"), po("0003")], gs01="IN")
    _, problems = problems_of(text(interchange([g])))
    assert codes(problems) == Counter({"w:gs.functional_id": 1})
    assert "GS01 'IN' but holds 850" in problems[0].message and "'PO'" in problems[0].message


# -- the check-only walk and its limits ----------------------------------------------------------

def test_check_lists_the_first_sets_and_every_bad_one():
    sets = [po(f"{n:04}") for n in range(1, 251)]
    sets[200][-1][2] = "XXXX"                  # SE02 of set 0201
    envelopes = check_envelopes(text(interchange([group(sets=sets)])), listing=100)
    g = envelopes.interchanges[0].groups[0]
    assert g.transaction_count == 250
    assert [t.control for t in g.listed][:100] == [f"{n:04}" for n in range(1, 101)]
    assert [t.control for t in g.listed][100:] == ["0201"]
    assert codes(envelopes.all_errors()) == Counter({"e:se.control": 1})


def test_errors_are_capped_per_place(monkeypatch):
    monkeypatch.setattr(envelope, "MAX_ERRORS", 3)
    g = group(sets=[po("0001")] * 6)
    envelopes = check_envelopes(text(interchange([g])))
    g = envelopes.interchanges[0].groups[0]
    dupes = [t for t in g.listed if t.errors]
    assert len(dupes) == 5 and all(t.errors[0].code == "st.duplicate_control" for t in dupes)
    # A GS with nothing right in it: GS01 and GS02 to GS08 give 8 problems, 3 are kept.
    noisy = check_envelopes(text([isa(), ["GS", "P"], ["GE", "0", ""], ["IEA", "1", "000000001"]]))
    bad = noisy.interchanges[0].groups[0]
    assert len(bad.errors) == 3 and bad.suppressed == 5


def test_control_numbers_fold_into_ranges(monkeypatch):
    monkeypatch.setattr(ControlNumbers, "FOLD_AT", 8)
    seen = ControlNumbers()
    assert all(seen.add(f"{n:04}") for n in range(1, 30))
    assert not seen.add("0005") and not seen.add("0029")
    assert seen.add("005") and seen.add("0031") and seen.add("ABC") and not seen.add("ABC")
    assert all(seen.add(f"{n:04}") for n in range(32, 60)) and seen.add("0030")
    assert all(not seen.add(f"{n:04}") for n in range(1, 60))
    assert len(seen._ranges[4][0]) <= 2 and len(seen._recent) < 8   # folded into ranges
    assert not seen.add_all(["0100", "0100"]) and seen.add("0100")
    assert not seen.add_all(["0101", "0003"]) and seen.add("0101")


# -- robustness ----------------------------------------------------------------------------------

ENVELOPE_PIECES = [["ISA"], ["GS", "PO", "S", "R", "20260115", "1200", "1", "X", "004010"],
                   ["ST", "850", "0001"], ["ST", "850"], ["SE", "2", "0001"], ["SE"],
                   ["GE", "1", "1"], ["GE"], ["IEA", "1", "000000001"], ["IEA"], ["TA1", "1"],
                   ["BEG", "00"], ["PO1", "1"], ["", ""]]


@settings(max_examples=300, deadline=2000, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(range(len(ENVELOPE_PIECES))), max_size=40), st.integers(64, 200))
def test_any_order_of_envelope_segments_is_reported_not_raised(order, chunk):
    segs = [isa()] + [ENVELOPE_PIECES[i] for i in order if ENVELOPE_PIECES[i] != ["ISA"]]
    data = text(segs)
    small = problems_of(data, chunk)
    large = problems_of(data)
    assert codes(small[1]) == codes(large[1])
    assert [t.control for t in small[0]] == [t.control for t in large[0]]
    assert all(isinstance(p, X12Error) for p in large[1])
    # The check-only walk (batch checks, sets listed not yielded) finds exactly the same.
    checked = check_envelopes(data)
    listed = [t for ic in checked.interchanges for g in ic.groups for t in g.listed] + \
        [t for ic in checked.interchanges for t in ic.ungrouped]
    assert codes(checked.all_errors()) == codes(large[1])
    assert sorted(t.number for t in listed) == [t.number for t in large[0]]


@settings(max_examples=200, deadline=2000, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5000), st.sampled_from(
    [b"", b"~", b"*", b"\n", b"ISA*", b"~ST*850*0001~", b"~SE*3*0001~", b"~GS*PO*A*B*1*1*1*X*1~",
     b"~GE*1*1~", b"~IEA*1*000000001~", b"\xff", b"~~"])), max_size=10), st.integers(64, 400))
def test_damaged_bytes_are_reported_not_raised(edits, chunk):
    data = bytearray(text(interchange([group(sets=[po("0001", 3), po("0002", 2)])]),
                          interchange([group()], control="000000002")))
    for where, what in edits:
        at = where % (len(data) + 1)
        if what:
            data[at:at] = what
        else:
            del data[at:at + 1]
    small = problems_of(bytes(data), chunk)
    large = problems_of(bytes(data))
    assert codes(small[1]) == codes(large[1])
    assert all(isinstance(p, X12Error) for p in large[1])
    assert codes(check_envelopes(bytes(data)).all_errors()) == codes(large[1])


def test_endless_set_stops_being_held(monkeypatch):
    monkeypatch.setattr(envelope, "MAX_SET_SEGMENTS", 50)
    sets = [po("0001", 120)]
    transactions, problems = problems_of(text(interchange([group(sets=sets)])), chunk_size=256)
    assert codes(problems) == Counter({"e:st.too_long": 1})
    assert transactions[0].segment_count == 123 and transactions[0].segments == []


@settings(max_examples=200, deadline=2000, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=1500), st.integers(64, 300))
def test_random_bytes_after_a_header_are_reported_not_raised(data, chunk):
    head = text([isa(), ["GS", "PO", "S", "R", "20260115", "1200", "1", "X", "004010"]])
    transactions, problems = problems_of(head + data, chunk)
    assert all(isinstance(p, X12Error) for p in problems)
    assert codes(check_envelopes(head + data, chunk).all_errors()) == codes(problems)


# -- garbage: read at the speed of good data, or cut off after a bound ---------------------------

class _Counting:
    """A stream of ``size`` bytes made of ``unit``, counting how many bytes were read."""

    def __init__(self, unit: bytes, size: int):
        self.data, self.given = unit * (size // len(unit)), 0

    def read(self, n: int = -1) -> bytes:
        n = len(self.data) - self.given if n < 0 else n
        out = self.data[self.given:self.given + n]
        self.given += len(out)
        return out


@pytest.mark.parametrize("unit", [b"ISA*", b"ISA*~", b"GS*~"])
def test_a_file_that_is_mostly_errors_is_cut_off_after_the_bound(unit, monkeypatch):
    # 'ISA*' four bytes apart is a header to try each time; 'GS*~' inside an interchange a
    # group with nine problems: such a file is given up on after MAX_FILE_ERRORS errors.
    monkeypatch.setattr(envelope, "MAX_FILE_ERRORS", 500)
    head = text([isa()]) if unit == b"GS*~" else b""
    stream = _Counting(head + unit * 100_000, len(head) + len(unit) * 100_000)
    envelopes = iter_transactions(stream)
    assert list(envelopes) == []
    [cut] = [e for e in envelopes.all_errors() if e.code == "file.too_many_errors"]
    assert stream.given == len(stream.data)                   # the rest was skipped, not left
    assert cut.is_error and cut.offset <= 3 * 16384           # within a few chunks of the bound
    found = re.fullmatch(r"([\d,]+) errors found before byte ([\d,]+); the rest of the file "
                         r"\(([\d,]+) bytes\) was not read: this does not look like X12 a "
                         r"supplier meant to send; ask them what it is", cut.message)
    number = [int(g.replace(",", "")) for g in found.groups()]
    assert number[0] >= 500 and number[1] == cut.offset
    assert number[2] == len(stream.data) - cut.offset


def test_a_file_with_fewer_errors_than_the_bound_is_read_to_its_end(monkeypatch):
    monkeypatch.setattr(envelope, "MAX_FILE_ERRORS", 500)
    sets = [[["ST", "850", f"{n:04}"], ["SE", "9", f"{n:04}"]]   # SE01 wrong: one error each
            for n in range(1, 401)] + [po("0500")]
    transactions, problems = problems_of(text(interchange([group(sets=sets)])))
    assert len(transactions) == 401 and transactions[-1].control == "0500"
    assert "file.too_many_errors" not in {p.code for p in problems}


@pytest.mark.parametrize("chunk", [64, 100, 16384])
def test_interchanges_without_iea_one_after_another(chunk):
    # Each new ISA ends the interchange before it; empty segments just before it are still
    # reported, as the earlier interchange's, wherever the chunks are cut.
    one = text([isa("000000001"), *group()])
    two = text([isa("000000002"), *group()]).replace(b"GE*1*1~\n", b"GE*1*1~~~\n")
    three = text(interchange(control="000000003"))
    envelopes = iter_transactions(one + two + three, chunk)
    assert [t.interchange.control for t in envelopes] == ["000000001", "000000002", "000000003"]
    ics = envelopes.interchanges
    assert [[e.code for e in ic.errors] for ic in ics] == [
        ["trailer.missing"], ["segment.empty", "trailer.missing"], []]
    assert "before segment 15" in ics[1].errors[0].message     # the third ISA is segment 15


@pytest.mark.parametrize("chunk", [64, 16384])
def test_a_segment_whose_id_only_begins_with_isa_starts_no_interchange(chunk):
    sets = [[["ST", "850", "0001"], ["ISAX", "1"], ["SE", "3", "0001"]]]
    data = text(interchange([group(sets=sets)]))
    envelopes = iter_transactions(data, chunk)
    [tx] = list(envelopes)
    assert [s.id for s in tx.segments] == ["ST", "ISAX", "SE"]
    assert envelopes.interchange_count == 1 and envelopes.all_errors() == []
