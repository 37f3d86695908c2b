"""The X12 850 renderer end to end: golden documents, partner conventions, refusals.

Golden files in tests/fixtures/golden/ were checked by hand against the 850 structure,
segment by segment; README.md there records each check and the reference used.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from hub.adapters.mapping_files import load_x12_mapping
from hub.domain.partner import Partner, X12Profile
from hub.edi.context import HEADER_FIELDS, PoContext
from hub.edi.document import ControlNumbers
from hub.edi.x12.po850 import X12Renderer
from hub.edi.x12.writer import ElementError
from hub.errors import DocumentError
from tests.support.partners import x12_partner
from tests.support.pyx12_check import assert_reads_cleanly, read_segments

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
MAPPINGS = ROOT / "mappings" / "x12"
NOW = datetime(2026, 1, 15, 9, 30)


def golden_context(**header_changes: str) -> PoContext:
    """The fixed purchase order behind every golden file: three lines, one drop-ship customer."""
    header = dict.fromkeys(HEADER_FIELDS, "")
    header.update({
        "po.number": "PO-20260115-0001", "po.date": "20260115", "po.time": "0930",
        "po.date_iso": "2026-01-15T09:30:00Z", "po.line_count": "3", "po.quantity_total": "6",
        "po.cost_total": "116.25", "po.route_attempt": "1", "po.test": "0",
        "order.channel": "webshop", "order.channel_order_id": "WS-10001",
        "order.placed_date": "20260114", "order.placed_at_iso": "2026-01-14T18:02:00Z",
        "order.currency": "USD", "order.total": "189.90",
        "customer.id": "C-77", "customer.name": "Jürgen Groß",
        "customer.email": "j.gross@example.com", "customer.phone": "+1 555 0100",
        "ship_to.name": "Jürgen Groß", "ship_to.address1": "12 Elm Street",
        "ship_to.address2": "Apt 4B", "ship_to.city": "Springfield", "ship_to.state": "IL",
        "ship_to.postal_code": "62704", "ship_to.country": "US",
        "buyer.name": "Northwind Retail", "buyer.id": "NWR01",
        "partner.id": "acme", "partner.name": "Acme Supply",
    })
    header.update(header_changes)
    lines = [
        line(1, 2, "12.5", "NW-LAMP-01", "AC-4471", "Desk lamp, brass * 40W ~ warm white"),
        line(2, 1, "89", "NW-CHAIR-02", "AC-1020", ""),
        line(3, 3, "0.75", "NW-BULB-03", "AC-0007",
             "LED bulb E27 warm white 2700K 806 lumen dimmable frosted glass, pack of three, "
             "energy class F"),
    ]
    return PoContext(header["po.number"], header["partner.id"], header, lines)


def line(number: int, quantity: int, cost: str, sku: str, item: str, description: str) -> dict:
    """One PO line's fields."""
    return {"line.number": str(number), "line.order_line_id": f"L{number}",
            "line.quantity": str(quantity), "line.uom": "EA", "line.unit_cost": cost,
            "line.unit_price": cost, "line.extended_cost": cost, "line.sku": sku,
            "line.supplier_item": item, "line.description": description}


acme = x12_partner   # the default drop-ship supplier


def globex(**fields: str) -> Partner:
    """A second supplier: its own delimiters, test mode, vendor number and carrier."""
    profile = X12Profile("004010", "ZZ", "NORTHWIND", "ZZ", "GLOBEXEDI", "NORTHWIND", "GLOBEX",
                         element_separator="|", subelement_separator="^",
                         segment_terminator="~", segment_suffix="")
    return Partner("globex", "Globex Corporation", "partners/globex.toml", test_mode=True,
                   x12=profile, fields=fields or {"vendor_number": "V-55012", "carrier": "UPSN"})


NUMBERS = ControlNumbers(1042, 17, 1)


def render(partner: Partner, mapping: str, ctx: PoContext, numbers: ControlNumbers = NUMBERS):
    """Prepare and finish one document."""
    renderer = X12Renderer(partner, load_x12_mapping(MAPPINGS / mapping))
    return renderer.finish(renderer.prepare(ctx), numbers, NOW)


def globex_context() -> PoContext:
    """The golden order as Globex receives it: its partner constants in the header."""
    return golden_context(**{"partner.id": "globex", "partner.name": "Globex Corporation",
                             "partner.vendor_number": "V-55012", "partner.carrier": "UPSN"})


def acme_5010() -> Partner:
    """Acme on 005010 with a DUNS sender id, ':' sub-elements, CRLF and a TA1 request."""
    return acme("005010", x12=dict(sender_qualifier="01", sender_id="123456789",
                                   receiver_qualifier="ZZ", receiver_id="ACMESUPPLY",
                                   subelement_separator=":", segment_suffix="\r\n",
                                   ack_requested=True))


GOLDEN_CASES = {
    "850-4010-default.edi": lambda: render(acme(), "850-4010.toml", golden_context()),
    "850-5010-default.edi": lambda: render(acme_5010(), "850-5010.toml", golden_context(),
                                           ControlNumbers(1043, 18, 2)),
    "850-4010-globex.edi": lambda: render(globex(), "850-4010-globex.toml", globex_context(),
                                          ControlNumbers(7, 7, 7)),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_850s_are_reproduced_byte_for_byte(name):
    doc = GOLDEN_CASES[name]()
    assert doc.payload == (GOLDEN / name).read_bytes()
    assert_reads_cleanly(doc.payload)


def test_rendered_document_metadata():
    doc = render(acme(), "850-4010.toml", golden_context())
    assert doc.doc_type == "850" and doc.content_type == "application/edi-x12"
    assert doc.control_number == "000001042"
    assert doc.filename == "acme_850_000001042.edi"
    assert_reads_cleanly(doc.payload)


def test_drop_ship_sends_the_end_customer_as_ship_to_and_us_as_buyer():
    segments = read_segments(render(acme(), "850-4010.toml", golden_context()).payload)
    parties = [s[:5] for s in segments if s[0] == "N1"]
    assert parties == [["N1", "ST", "Jurgen Gross"], ["N1", "BY", "Northwind Retail", "92", "NWR01"]]
    assert ["N3", "12 Elm Street", "Apt 4B"] in segments
    assert ["N4", "Springfield", "IL", "62704", "US"] in segments


def test_line_without_description_sends_no_pid():
    segments = read_segments(render(acme(), "850-4010.toml", golden_context()).payload)
    body = [s[0] for s in segments if s[0] in ("PO1", "PID")]
    assert body == ["PO1", "PID", "PO1", "PO1", "PID"]


def test_vendor_number_reference_only_when_the_partner_has_one():
    plain = read_segments(render(acme(), "850-4010.toml", golden_context()).payload)
    assert [s for s in plain if s[:2] == ["REF", "IA"]] == []
    with_vendor = acme(fields={"vendor_number": "V-9"})
    ctx = golden_context(**{"partner.vendor_number": "V-9"})
    segments = read_segments(render(with_vendor, "850-4010.toml", ctx).payload)
    assert ["REF", "IA", "V-9"] in segments


def test_test_mode_and_ack_request_reach_isa14_and_isa15():
    doc = render(acme(test_mode=True, x12={"ack_requested": True}), "850-4010.toml",
                 golden_context())
    isa = read_segments(doc.payload)[0]
    assert isa[14:17] == ["1", "T", ">"]


def test_utf8_partner_keeps_letters_and_still_reads_cleanly():
    doc = render(acme(x12={"charset": "utf-8"}), "850-4010.toml", golden_context())
    assert "N1*ST*Jürgen Groß~".encode() in doc.payload
    assert_reads_cleanly(doc.payload, encoding="utf-8")


def test_the_same_body_takes_any_control_numbers():
    renderer = X12Renderer(acme(), load_x12_mapping(MAPPINGS / "850-4010.toml"))
    prepared = renderer.prepare(golden_context())
    first = renderer.finish(prepared, ControlNumbers(1, 1, 1), NOW)
    second = renderer.finish(prepared, ControlNumbers(2, 2, 2), NOW)
    assert first.control_number == "000000001" and second.control_number == "000000002"
    assert_reads_cleanly(first.payload)
    assert_reads_cleanly(second.payload)
    assert first.payload.split(b"BEG")[1].split(b"SE*")[0] == \
        second.payload.split(b"BEG")[1].split(b"SE*")[0]


def test_sku_holding_the_element_separator_is_refused_by_name():
    ctx = golden_context()
    ctx.lines[1]["line.sku"] = "NW*CHAIR"
    with pytest.raises(ElementError) as exc:
        render(acme(), "850-4010.toml", ctx)
    err = exc.value
    assert (err.po_number, err.position, err.field) == ("PO-20260115-0001", "PO1 07",
                                                        "line.sku, line 2")
    assert str(err).startswith("purchase order PO-20260115-0001: PO1 07 (line.sku, line 2) "
                               "contains the element separator '*'")
    assert err.incident_code == "document.invalid"


def test_supplier_item_longer_than_48_is_refused_not_cut():
    ctx = golden_context()
    ctx.lines[0]["line.supplier_item"] = "A" * 49   # PO109 is AN 1/48
    with pytest.raises(ElementError, match=r"PO1 09 \(line.supplier_item, line 1\) is 49 "
                                           r"characters long .* never altered"):
        render(acme(), "850-4010.toml", ctx)


def test_email_with_a_line_break_is_refused():
    ctx = golden_context(**{"customer.email": "j.gross@example.com\nBcc: x@example.com"})
    with pytest.raises(ElementError, match=r"PER 04 \(customer.email\) contains a line break"):
        render(acme(), "850-4010.toml", ctx)


def test_quantity_that_is_not_a_number_is_refused():
    ctx = golden_context()
    ctx.lines[2]["line.quantity"] = "three"
    with pytest.raises(ElementError, match=r"PO1 02 \(line.quantity, line 3\) is 'three', "
                                           "which is not a number"):
        render(acme(), "850-4010.toml", ctx)


def test_empty_mandatory_element_is_refused_with_the_fix():
    ctx = golden_context(**{"ship_to.address1": "  "})
    with pytest.raises(ElementError) as exc:
        render(acme(), "850-4010.toml", ctx)
    assert exc.value.position == "N3 01"
    assert "is empty but the element is mandatory; fill it, or add when = " \
           "\"ship_to.address1\" to header[7] (N3)" in str(exc.value)


def test_purchase_order_without_lines_is_refused():
    ctx = golden_context()
    ctx.lines.clear()
    with pytest.raises(DocumentError, match="has no lines"):
        render(acme(), "850-4010.toml", ctx)


def test_globex_conventions_come_from_its_mapping_alone():
    segments = read_segments(render(globex(), "850-4010-globex.toml", globex_context()).payload)
    ids = [s[0] for s in segments]
    assert "PID" not in ids and "CUR" in ids and "TD5" in ids and "MSG" in ids
    assert ["BEG", "00", "SA", "PO-20260115-0001", "", "20260115"] in segments
    assert ["N2", "ATTN Jurgen Gross"] in segments
    assert ["CTT", "3"] in segments
    assert segments[0][15] == "T"   # Globex is in test mode


def test_globex_without_a_carrier_sends_no_td5():
    partner = globex(vendor_number="V-55012")
    segments = read_segments(render(partner, "850-4010-globex.toml", globex_context()).payload)
    assert "TD5" not in [s[0] for s in segments]


def test_context_built_from_domain_objects_renders():
    from datetime import timezone
    from decimal import Decimal

    from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
    from hub.edi.context import build_context

    order = Order("webshop", "WS-2", datetime(2026, 1, 14, 18, 2, tzinfo=timezone.utc), "USD",
                  Customer("C-1", "Zoë Ångström", "zoe@example.com", "", True),
                  Address("Zoë Ångström", "Storgatan 1", "", "Springfield", "IL", "62704", "US"),
                  [OrderLine("L1", "NW-1", 4, Decimal("19.90"), "Mug", id=1)])
    po = PurchaseOrder("PO-2", "acme", None,
                       [PoLine(1, 1, "NW-1", "AC-1", "Mug, blue", 4, Decimal("3.50"))],
                       datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc))
    ctx = build_context(po, order, acme(), {"name": "Northwind Retail", "id": "NWR01"})
    segments = read_segments(render(acme(), "850-4010.toml", ctx).payload)
    # Hand-derived: 4 x 3.50 written "3.5"; no phone, so only the e-mail PER; CTT 1 line, 4 units.
    assert ["PO1", "1", "4", "EA", "3.5", "PE", "BP", "NW-1", "VP", "AC-1"] in segments
    assert [s[3] for s in segments if s[0] == "PER"] == ["EM"]
    assert ["N1", "ST", "Zoe Angstrom"] in segments and ["CTT", "1", "4"] in segments
