"""856 ship notices written in the tests, one rule each: levels, orders, marks, carriers, faults."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from hub.domain.documents import ShipNotice, ShippedItem, ShippedOrder
from tests.unit.answer_builders import codes, parse

BSN = "BSN*00*SHIP-1*20260105*1200"


def notice(body: list[str], version: str = "004010") -> ShipNotice:
    """The ShipNotice of a written 856 that must parse without any problem."""
    parsed = parse("856", body, version)
    assert parsed.problems == [] and parsed.doc_type == "856"
    assert isinstance(parsed.document, ShipNotice)
    return parsed.document


def test_two_purchase_orders_in_one_shipment():
    doc = notice([BSN, "HL*1**S", "TD5**2*UPSN", "REF*2I*1Z999AA10123456784",
                  "HL*2*1*O", "PRF*PO-100", "HL*3*2*I", "LIN*1*VP*V-1*BP*B-1", "SN1**2*EA",
                  "HL*4*1*O", "PRF*PO-200", "HL*5*4*I", "LIN*3*UP*012345678905", "SN1**1*EA",
                  "HL*6*4*I", "LIN*4*IN*SKU-4", "SN1**5*CA"])
    assert doc.orders == (
        ShippedOrder("PO-100", (ShippedItem("1", "B-1", "V-1", "", 2, "EA"),)),
        ShippedOrder("PO-200", (ShippedItem("3", "", "", "012345678905", 1, "EA"),
                                ShippedItem("4", "SKU-4", "", "", 5, "CA"))))
    assert doc.carrier == "UPSN" and doc.tracking_numbers == ("1Z999AA10123456784",)
    assert doc.shipment_id == "SHIP-1" and doc.date == date(2026, 1, 5) and doc.purpose == "00"


def test_sotpi_items_carry_the_sscc_marks_of_their_tare_and_pack():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                  "HL*3*2*T", "MAN*GM*00000123450000000017",
                  "HL*4*3*P", "MAN*GM*00000123450000000024**CP*1Z0000000000000001",
                  "HL*5*4*I", "LIN*1*VP*A", "SN1**4*EA",
                  "HL*6*3*P", "MAN*GM*00000123450000000031",
                  "HL*7*6*I", "LIN*2*VP*B", "SN1**6*EA"])
    first, second = doc.orders[0].items
    # Nearest first: the pack holding the item, then the tare holding the pack.
    assert first.marks == ("00000123450000000024", "00000123450000000017")
    assert second.marks == ("00000123450000000031", "00000123450000000017")
    # MAN04/MAN05 CP: the pack's carrier package id is a tracking number.
    assert doc.tracking_numbers == ("1Z0000000000000001",)


def test_soip_item_ships_the_sum_of_its_packs():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*7*BP*X",
                  "HL*4*3*P", "SN1**3*EA", "MAN*GM*00000123450000000048",
                  "HL*5*3*P", "SN1**2*EA", "MAN*GM*00000123450000000055"])
    (item,) = doc.orders[0].items
    assert (item.line_number, item.quantity, item.uom) == ("7", 5, "EA")
    assert item.marks == ("00000123450000000048", "00000123450000000055")


def test_an_item_with_its_own_sn1_ignores_the_packs_below():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1*BP*X",
                  "SN1**10*EA", "HL*4*3*P", "SN1**4*EA", "HL*5*3*P", "SN1**6*EA"])
    assert doc.orders[0].items[0].quantity == 10


def test_shipment_item_without_order_level_uses_the_shipment_prf():
    doc = notice([BSN, "HL*1**S", "PRF*PO-9", "HL*2*1*I", "LIN*1*VP*A", "SN1**1*EA",
                  "HL*3*1*I", "LIN*2*VP*B", "SN1**2*EA"])
    assert [o.po_number for o in doc.orders] == ["PO-9"]
    assert [i.line_number for i in doc.orders[0].items] == ["1", "2"]


def test_prf_at_item_level_wins_over_the_one_above():
    doc = notice([BSN, "HL*1**S", "PRF*PO-S", "HL*2*1*I", "LIN*1*VP*A", "SN1**1*EA",
                  "PRF*PO-X", "HL*3*1*I", "LIN*2*VP*B", "SN1**2*EA"])
    assert [(o.po_number, len(o.items)) for o in doc.orders] == [("PO-X", 1), ("PO-S", 1)]


def test_a_prf_before_the_first_hl_serves_every_item():
    doc = notice([BSN, "PRF*PO-H", "HL*1**S", "HL*2*1*I", "LIN*1*VP*A", "SN1**1*EA"])
    assert doc.orders[0].po_number == "PO-H"


def test_lin_po_pair_names_the_order_when_no_prf_does():
    doc = notice([BSN, "HL*1**S", "HL*2*1*I", "LIN**BP*P-1*PO*PO-L", "SN1**3*PC",
                  "HL*3*1*I", "LIN**BP*P-2*ON*ON-1", "SN1**4*PC"])
    assert [o.po_number for o in doc.orders] == ["PO-L", "ON-1"]


def test_items_without_any_po_number_are_fatal():
    parsed = parse("856", [BSN, "HL*1**S", "HL*2*1*I", "LIN*1*VP*A", "SN1**1*EA",
                           "HL*3*1*I", "LIN*2*VP*B", "SN1**1*EA"])
    assert parsed.document is None and codes(parsed) == ["asn.missing_po_number"]
    message = parsed.problems[0].message
    assert "PRF01" in message and "HL 2 (segment 6)" in message and "HL 3 (segment 9)" in message
    assert parsed.problems[0].segment_position == 6


def test_blank_parents_are_inferred_from_the_level_order():
    # As 856_oopfactory_example4 writes it: HL02 empty everywhere.
    doc = notice([BSN, "HL*1**S", "HL*2**O", "PRF*PO-1", "HL*3**I", "LIN*1*VP*A", "SN1**1*EA",
                  "HL*4**I", "LIN*2*VP*B", "SN1**2*EA", "HL*5**O", "PRF*PO-2",
                  "HL*6**P", "MAN*GM*00000123450000000062", "HL*7**I", "LIN*1*VP*C",
                  "SN1**3*EA"])
    assert [(o.po_number, [i.vendor_item for i in o.items]) for o in doc.orders] == \
        [("PO-1", ["A", "B"]), ("PO-2", ["C"])]
    assert doc.orders[1].items[0].marks == ("00000123450000000062",)


@pytest.mark.parametrize("hls, what, segment", [
    (["HL*2*9*O"], "HL 2 (segment 7) names parent HL 9, which does not exist", 7),
    (["HL*2*3*O", "HL*3*1*O"], "HL 2 (segment 7) names parent HL 3, which comes after it", 7),
    (["HL*2*2*O"], "HL 2 (segment 7) names parent HL 2, which is itself", 7),
    (["HL*1**O"], "HL 1 appears twice (segments 5 and 7)", 7),
    (["HL**1*O"], "the HL at segment 7 has no id (HL01)", 7),
    (["HL*2*1"], "the HL at segment 7 has no level code (HL03)", 7),
])
def test_a_broken_hl_tree_is_fatal(hls, what, segment):
    parsed = parse("856", [BSN, "HL*1**S", "PRF*PO-1", *hls, "HL*8*1*I", "LIN*1*VP*A",
                           "SN1**1*EA"])
    assert parsed.document is None and codes(parsed) == ["asn.hl_structure"]
    assert what in parsed.problems[0].message
    assert "correct the HL hierarchy" in parsed.problems[0].message
    assert parsed.problems[0].segment_position == segment


def test_children_of_a_broken_level_are_not_reported_again():
    parsed = parse("856", [BSN, "HL*1**S", "HL*3*2*I", "LIN*1*VP*A", "SN1**1*EA"])
    assert codes(parsed) == ["asn.hl_structure"]
    assert parsed.problems[0].segment_position == 6


@pytest.mark.parametrize("purpose", ["01", "03"])
def test_cancellation_and_delete_parse_without_items(purpose):
    doc = notice([f"BSN*{purpose}*SHIP-1*20260105*1200", "HL*1**S"])
    assert doc.purpose == purpose and doc.orders == () and doc.shipment_id == "SHIP-1"


def test_an_original_notice_needs_an_order_and_an_item():
    no_order = parse("856", [BSN, "HL*1**S", "TD5**2*UPSN"])
    assert no_order.document is None and codes(no_order) == ["asn.no_orders"]
    no_item = parse("856", [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1"])
    assert no_item.document is None and codes(no_item) == ["asn.no_items"]
    assert "PO-1" in no_item.problems[0].message


def test_quantities_must_be_whole_numbers():
    parsed = parse("856", [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1*VP*A",
                           "SN1**2.5*EA"])
    assert parsed.document is None and codes(parsed) == ["asn.bad_quantity"]
    assert "'2.5'" in parsed.problems[0].message and parsed.problems[0].segment_position == 10
    missing = parse("856", [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1*VP*A"])
    assert missing.document is None and codes(missing) == ["asn.missing_quantity"]
    decimal = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "SN1**12.000*EA"])
    assert decimal.orders[0].items[0].quantity == 12


def test_tracking_numbers_come_best_first_without_repeats():
    doc = notice([BSN, "HL*1**S", "REF*BM*BOL-1", "REF*CN*PRO-1", "REF*IA*VENDOR-7",
                  "REF*2I*TRACK-1", "MAN*CP*PKG-1", "REF*08*PKG-0", "REF*2I*TRACK-1",
                  "HL*2*1*O", "PRF*PO-1", "HL*3*2*P", "REF*2I*TRACK-2", "HL*4*3*I", "SN1**1*EA"])
    assert doc.tracking_numbers == ("TRACK-1", "TRACK-2", "PKG-0", "PKG-1", "PRO-1")  # BM is the bill of lading
    assert doc.bill_of_lading == "BOL-1" and doc.pro_number == "PRO-1"


def test_carrier_prefers_the_scac_and_service_the_routing():
    doc = notice([BSN, "HL*1**S", "TD5**ZZ*MUTUAL", "TD5*B*2*FDEG*M*FEDEX GROUND",
                  "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "SN1**1*EA"])
    assert (doc.carrier, doc.service) == ("FDEG", "FEDEX GROUND")
    other = notice([BSN, "HL*1**S", "TD5**ZZ*MUTUAL*********ND", "HL*2*1*O", "PRF*PO-1",
                    "HL*3*2*I", "SN1**1*EA"])
    # No TD502 = 2: the carrier as written, and TD512 (ND next day) as the service.
    assert (other.carrier, other.service) == ("MUTUAL", "ND")


def test_dates_shipped_and_expected_delivery():
    body = [BSN, "HL*1**S", "DTM*067*20260109", "DTM*011*20260105*1432", "DTM*017*20260108",
            "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "SN1**1*EA"]
    doc = notice(body)
    assert doc.shipped_at == datetime(2026, 1, 5, 14, 32)
    assert doc.expected_delivery == date(2026, 1, 8)     # 017 estimated before 067 scheduled
    scheduled = notice([b for b in body if not b.startswith("DTM*017")])
    assert scheduled.expected_delivery == date(2026, 1, 9)
    no_time = notice([b.replace("*1432", "") for b in body])
    assert no_time.shipped_at == datetime(2026, 1, 5, 0, 0)


def test_bad_dates_are_left_out_with_a_problem():
    parsed = parse("856", ["BSN*00*SHIP-1*20261305*1200", "HL*1**S", "DTM*011*20260105*2561",
                           "DTM*017*200", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "SN1**1*EA"])
    doc = parsed.document
    assert isinstance(doc, ShipNotice) and doc.orders[0].po_number == "PO-1"
    assert doc.date is None and doc.expected_delivery is None
    assert doc.shipped_at == datetime(2026, 1, 5)
    assert sorted(codes(parsed)) == ["asn.bad_date", "asn.bad_date", "asn.bad_time"]


def test_yymmdd_dates_in_old_versions():
    doc = notice(["BSN*00*SHIP-1*970105*1200", "DTM*011*991231*0800", "HL*1**S", "HL*2*1*O",
                  "PRF*PO-1", "HL*3*2*I", "SN1**1*EA"], version="003050")
    assert doc.date == date(1997, 1, 5) and doc.shipped_at == datetime(1999, 12, 31, 8, 0)
    parsed = parse("856", ["BSN*00*SHIP-1*970105*1200", "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                           "HL*3*2*I", "SN1**1*EA"], version="004010")
    assert parsed.document.date is None and codes(parsed) == ["asn.bad_date"]
    assert "CCYYMMDD" in parsed.problems[0].message


def test_no_bsn_is_fatal_and_a_second_bsn_is_noted():
    parsed = parse("856", ["HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "SN1**1*EA"])
    assert parsed.document is None and codes(parsed) == ["asn.missing_bsn"]
    twice = parse("856", [BSN, "BSN*00*OTHER*20260105", "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                          "HL*3*2*I", "SN1**1*EA"])
    assert twice.document.shipment_id == "SHIP-1" and codes(twice) == ["asn.repeated_segment"]


def test_same_po_on_two_order_levels_is_one_order():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1*VP*A",
                  "SN1**1*EA", "HL*4*1*O", "PRF*PO-1", "HL*5*4*I", "LIN*1*VP*A", "SN1**2*EA"])
    assert [(o.po_number, [i.quantity for i in o.items]) for o in doc.orders] == \
        [("PO-1", [1, 2])]


@pytest.mark.parametrize("code, hours", [("ED", -4), ("PS", -8), ("UT", 0), ("05", 5),
                                         ("19", -6), ("NS", -3.5)])
def test_a_fixed_time_code_gives_the_ship_time_its_offset(code, hours):
    doc = notice([BSN, f"DTM*011*20260105*1432*{code}", "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                  "HL*3*2*I", "SN1**1*EA"])
    assert doc.shipped_at == datetime(2026, 1, 5, 14, 32,
                                      tzinfo=timezone(timedelta(hours=hours)))


@pytest.mark.parametrize("code", ["ET", "LT", "XX", ""])
def test_time_codes_without_a_fixed_offset_leave_the_ship_time_naive(code):
    doc = notice([BSN, f"DTM*011*20260105*1432*{code}", "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                  "HL*3*2*I", "SN1**1*EA"])
    assert doc.shipped_at == datetime(2026, 1, 5, 14, 32) and doc.shipped_at.tzinfo is None


# -- where each problem points, and what it names ----------------------------------------------

ITEM = ["HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1", "SN1**1*EA"]


@pytest.mark.parametrize("body, code, segment, named", [
    ([BSN, "BSN*00*OTHER", *ITEM], "asn.repeated_segment", 5, "segment 5"),
    (["BSN*00*SHIP-1*2026", *ITEM], "asn.bad_date", 4, "BSN03 notice date '2026' (segment 4)"),
    ([BSN, "DTM*011*20261305", *ITEM], "asn.bad_date", 5, "DTM02 ship date '20261305' (segment 5)"),
    ([BSN, "DTM*017*2026", *ITEM], "asn.bad_date", 5, "DTM02 delivery date '2026' (segment 5)"),
    ([BSN, "DTM*011*20260105*2561", *ITEM], "asn.bad_time", 5, "DTM03 ship time '2561' (segment 5)"),
])
def test_problems_kept_with_the_notice_point_at_their_segment(body, code, segment, named):
    parsed = parse("856", body)
    assert parsed.document is not None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position == segment
    assert named in parsed.problems[0].message and "856 SHIP-1" in parsed.problems[0].message


@pytest.mark.parametrize("body, code, segment, named", [
    (["HL*1**S", "HL*2*1*O", "PRF*PO-1"], "asn.missing_bsn", 3, "856 ST02 0001"),
    ([BSN, "HL*1**S", "TD5**2*UPSN"], "asn.no_orders", 4, "856 SHIP-1"),
    ([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1"], "asn.no_items", 4, "PO-1"),
    ([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1"], "asn.missing_quantity", 8,
     "HL 3 (segment 8)"),
    ([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "SN1**x*EA"], "asn.bad_quantity", 9,
     "(segment 9)"),
])
def test_fatal_problems_point_at_their_segment(body, code, segment, named):
    parsed = parse("856", body)
    assert parsed.document is None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position == segment
    assert named in parsed.problems[0].message


def test_without_a_shipment_id_the_notice_is_named_by_its_control_number():
    parsed = parse("856", ["BSN*00**20260105", "DTM*011*2026", *ITEM])
    assert codes(parsed) == ["asn.bad_date"] and "856 ST02 0001" in parsed.problems[0].message


def test_a_bad_date_message_names_the_forms_the_version_allows():
    old = parse("856", [BSN, "DTM*011*2026", *ITEM], version="003050")
    assert "CCYYMMDD or YYMMDD" in old.problems[0].message


def test_a_time_code_without_a_time_leaves_the_ship_date_naive():
    doc = notice([BSN, "DTM*011*20260105**ED", *ITEM])
    assert doc.shipped_at == datetime(2026, 1, 5) and doc.shipped_at.tzinfo is None


def test_tracking_numbers_of_one_rank_keep_their_order():
    doc = notice([BSN, "REF*2I*TRACK-B", "REF*2I*TRACK-A", "MAN*CP*PKG-B", "MAN*CP*PKG-A", *ITEM])
    assert doc.tracking_numbers == ("TRACK-B", "TRACK-A", "PKG-B", "PKG-A")


def test_only_man_cp_is_a_tracking_number_and_only_man_gm_a_mark():
    doc = notice([BSN, "MAN*GM*BEFORE-ANY-HL", "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                  "HL*3*2*P", "MAN*UC*012345678905**ZZ*OTHER", "MAN*GM*SSCC-1",
                  "HL*4*3*I", "LIN*1", "SN1**1*EA"])
    assert doc.tracking_numbers == ()
    assert doc.orders[0].items[0].marks == ("SSCC-1",)


def test_the_first_scac_is_the_carrier():
    doc = notice([BSN, "TD5**2*UPSN", "TD5**2*FDEG", "TD5**ZZ*MUTUAL", *ITEM])
    assert doc.carrier == "UPSN"


@pytest.mark.parametrize("lin, po", [
    ("LIN*1*PO**ON*ON-1", "ON-1"),          # an empty PO pair does not hide the ON pair
    ("LIN*1*ON*ON-2*PO*PO-2", "PO-2"),      # the PO pair before the customer order
    ("LIN*1*VP*PO*BP*ON", ""),              # values spelled like qualifiers are values
])
def test_the_order_of_an_item_from_its_lin_pairs(lin, po):
    parsed = parse("856", [BSN, "HL*1**S", "HL*2*1*I", lin, "SN1**1*EA"])
    if po:
        assert [o.po_number for o in parsed.document.orders] == [po]
    else:
        assert parsed.document is None and codes(parsed) == ["asn.missing_po_number"]


def test_a_bad_date_message_in_a_ccyymmdd_version_offers_no_short_form():
    parsed = parse("856", [BSN, "DTM*011*2026", *ITEM])
    assert "(CCYYMMDD)" in parsed.problems[0].message and "YYMMDD)" not in parsed.problems[0].message.replace("(CCYYMMDD)", "")


def test_an_item_without_lin_or_any_po_number_is_fatal():
    parsed = parse("856", [BSN, "HL*1**S", "HL*2*1*I", "SN1**1*EA"])
    assert parsed.document is None and codes(parsed) == ["asn.missing_po_number"]
