"""The X12 860 renderer end to end: golden changes, the 860 mappings' checks, the samples.

The golden files in tests/fixtures/golden/ were typed by hand from the 860 layout first and
checked segment by segment (README.md there records each check and the reference used);
the renderer then had to reproduce them byte for byte.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hub.adapters.mapping_files import load_x12_mapping
from hub.domain.changes import PoLineChange
from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.states import LineState
from hub.edi.change import ChangeFacts, build_change_context
from hub.edi.document import ControlNumbers
from hub.edi.x12.check import check_files, exit_code
from hub.edi.x12.mapping import check_x12_mapping
from hub.edi.x12.po850 import X12Renderer
from hub.edi.x12.pochange860 import ChangeRenderer
from hub.edi.x12.reader import read_segments as hub_segments
from hub.errors import PartnerConfigError
from tests.support.partners import x12_partner
from tests.support.pyx12_check import assert_reads_cleanly, read_segments
from tests.unit.test_po850 import acme_5010

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
MAPPINGS = ROOT / "mappings" / "x12"
FIXTURES = ROOT / "tests" / "fixtures" / "x12"
SAMPLES = Path(os.environ.get("EDIHUB_SAMPLES_DIR", ROOT.parent / "shared" / "samples")) / "x12"
NOW = datetime(2026, 1, 16, 8, 5)
COMPANY = {"name": "Northwind Retail", "id": "NWR01"}


def golden_order(ship_to: Address | None = None) -> Order:
    """The order behind the golden 850s, as the channel now wants it."""
    lines = [OrderLine("L1", "NW-LAMP-01", 2, Decimal("19.9"), "Desk lamp", id=11),
             OrderLine("L2", "NW-CHAIR-02", 1, Decimal("129"), "", id=12),
             OrderLine("L3", "NW-BULB-03", 3, Decimal("2.5"), "LED bulb", id=13)]
    return Order("webshop", "WS-10001", datetime(2026, 1, 14, 18, 2), "USD",
                 Customer("C-77", "Jurgen Gross", "j.gross@example.com", "+1 555 0100", True),
                 ship_to or Address("Jurgen Gross", "12 Elm Street", "Apt 4B", "Springfield", "IL",
                                    "62704", "US"), lines, id=7)


def golden_po(quantities: tuple[int, int, int], states=(LineState.ACCEPTED,) * 3,
              shipped=(0, 0, 0)) -> PurchaseOrder:
    """The golden PO (three lines) with the quantities it has after the change."""
    specs = [(1, 11, "NW-LAMP-01", "AC-4471", "Desk lamp", "12.5"),
             (2, 12, "NW-CHAIR-02", "AC-1020", "", "89"),
             (3, 13, "NW-BULB-03", "AC-0007", "LED bulb", "0.75")]
    lines = [PoLine(n, oid, sku, item, desc, qty, Decimal(cost), state=state, qty_shipped=sent)
             for (n, oid, sku, item, desc, cost), qty, state, sent in zip(specs, quantities, states, shipped)]
    return PurchaseOrder("PO-20260115-0001", "acme", 7, lines, datetime(2026, 1, 15, 9, 30), id=3)


def change_context():
    """Line 1 from 2 to 1, line 2 deleted, line 3 from 3 to 5 (1 shipped), a new ship-to and
    delivery date: the second change of this purchase order."""
    order = golden_order(Address("Maria Lopez", "400 Oak Avenue", "Suite 12", "Peoria", "IL", "61602", "US"))
    po = golden_po((1, 1, 5), (LineState.ACCEPTED, LineState.CANCELLED, LineState.PARTIALLY_SHIPPED),
                   (0, 0, 1))
    facts = ChangeFacts("CH-7", "04", 2, NOW, (PoLineChange(1, "QD", 2, 1, 0), PoLineChange(2, "DI", 1, 0, 0),
                                               PoLineChange(3, "QI", 3, 5, 1)),
                        date(2026, 1, 30), True, "000001042", "fewer lamps, no chair, more bulbs")
    return build_change_context(po, order, x12_partner(), COMPANY, facts)


def cancel_context():
    """Every line deleted, nothing shipped: a cancellation (BCH01 01), the first change."""
    po = golden_po((2, 1, 3), (LineState.CANCELLED,) * 3)
    facts = ChangeFacts("CH-8", "01", 1, NOW, (PoLineChange(1, "DI", 2, 0, 0), PoLineChange(2, "DI", 1, 0, 0),
                                               PoLineChange(3, "DI", 3, 0, 0)))
    return build_change_context(po, golden_order(), acme_5010(), COMPANY, facts)


def render(partner, mapping: str, ctx, numbers: ControlNumbers):
    renderer = ChangeRenderer(partner, load_x12_mapping(MAPPINGS / mapping))
    return renderer.finish(renderer.prepare(ctx), numbers, NOW)


GOLDEN_CASES = {
    "860-4010-change.edi": lambda: render(x12_partner(), "860-4010.toml", change_context(),
                                          ControlNumbers(2001, 31, 5)),
    "860-5010-cancel.edi": lambda: render(acme_5010(), "860-5010.toml", cancel_context(),
                                          ControlNumbers(2002, 32, 6)),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_860s_are_reproduced_byte_for_byte(name):
    doc = GOLDEN_CASES[name]()
    assert doc.payload == (GOLDEN / name).read_bytes()
    assert (doc.doc_type, doc.filename) == ("860", f"acme_860_{doc.control_number}.edi")
    assert_reads_cleanly(doc.payload)


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_860s_read_cleanly_by_the_hubs_own_check(name, tmp_path):
    [report] = check_files([GOLDEN / name])
    assert exit_code([report]) == 0 and report.problems == []
    ids = [s.id for s in hub_segments((GOLDEN / name).read_bytes())]
    assert ids[:4] == ["ISA", "GS", "ST", "BCH"] and ids[-4:] == ["CTT", "SE", "GE", "IEA"]


def test_pocs_as_pyx12_reads_them():
    segments = read_segments((GOLDEN / "860-4010-change.edi").read_bytes())
    pocs = [s[1:] for s in segments if s[0] == "POC"]
    assert pocs == [["1", "QD", "1", "1", "EA", "12.5", "PE", "BP", "NW-LAMP-01", "VP", "AC-4471"],
                    ["2", "DI", "", "", "EA", "89", "PE", "BP", "NW-CHAIR-02", "VP", "AC-1020"],
                    ["3", "QI", "5", "4", "EA", "0.75", "PE", "BP", "NW-BULB-03", "VP", "AC-0007"]]
    gs = next(s for s in segments if s[0] == "GS")
    assert gs[1] == "PC"   # the purchase order change group


def test_change_context_holds_the_order_as_it_now_stands():
    ctx = change_context()
    assert ctx.header["po.line_count"] == "2"             # the deleted chair is not on it any more
    assert ctx.header["po.quantity_total"] == "6"         # 1 lamp + 5 bulbs
    assert [i["line.sku"] for i in ctx.items] == ["NW-LAMP-01", "NW-BULB-03"]
    assert ctx.header["change.previous_document_id"] == "000001042"
    assert ctx.lines[1]["line.quantity_change"] == "1" and ctx.lines[2]["line.quantity_change"] == "2"
    assert ctx.lines[1]["line.previous_quantity"] == "1" and ctx.lines[1]["line.quantity"] == ""


def test_an_850_mapping_is_not_a_change_mapping_and_back():
    with pytest.raises(PartnerConfigError, match="x12.change_mapping names the mapping for 860s"):
        ChangeRenderer(x12_partner(), load_x12_mapping(MAPPINGS / "850-4010.toml"))
    with pytest.raises(PartnerConfigError, match="x12.mapping names the mapping for 850s"):
        X12Renderer(x12_partner(), load_x12_mapping(MAPPINGS / "860-4010.toml"))


GOOD_860 = (MAPPINGS / "860-4010.toml").read_text()


@pytest.mark.parametrize("change, where, needle", [
    ('id = "BCH"', "header[1]", 'an 860 starts with BCH after ST'),
    ('id = "POC"', "line[1]", 'each line of an 860 starts with POC'),
    ('"{change.line_count}"', "summary[1] (CTT) element 1", "unknown field 'change.line_cnt'"),
    ('"{line.number}", "{line.change_code}"', "header[1] (BCH) element 1", "is a line field"),
])
def test_860_mapping_mistakes_are_named(change, where, needle):
    broken = {
        'id = "BCH"': GOOD_860.replace('id = "BCH"', 'id = "BEG"', 1),
        'id = "POC"': GOOD_860.replace('id = "POC"', 'id = "PO1"', 1),
        '"{change.line_count}"': GOOD_860.replace('"{change.line_count}"', '"{change.line_cnt}"'),
        '"{line.number}", "{line.change_code}"': GOOD_860.replace('"{change.purpose}"', '"{line.change_code}"'),
    }[change]
    problems = check_x12_mapping(broken, "m.toml")
    assert any(p.where.startswith(where) and needle in p.problem for p in problems), problems


def test_poc05_is_the_first_component_of_the_unit_composite():
    text = GOOD_860.replace('"{line.uom}"', '"E"')   # ID 2/2: one letter is refused as written
    [problem] = check_x12_mapping(text, "m.toml")
    assert problem.where == "line[1] (POC) element 5" and "shorter than the minimum 2" in problem.problem


# 860 samples from other projects, as the hub's `x12 check` reads them: what each must say.
SAMPLE_860S = [
    (FIXTURES / "860_stupidedi_3010_fail.edi", 0, ["w:isa.length"]),
    (SAMPLES / "860_oopfactory_example1_missing-terminator.edi", 1,
     ["e:se.count", "w:isa.length", "w:segment.line_break"]),
]


@pytest.mark.parametrize("path, status, expected", [s for s in SAMPLE_860S if s[0].is_file()],
                         ids=[s[0].name for s in SAMPLE_860S if s[0].is_file()])
def test_the_860_samples_are_read_or_refused_with_their_error(path, status, expected):
    [report] = check_files([path])
    assert exit_code([report]) == status
    assert sorted(f"{p.severity[0]}:{p.code}" for p in report.problems) == expected
