"""Order file readers: JSON (object, array, objects one after another), JSON lines and
marketplace CSV, read record by record in constant memory; bad records never stop the file
unless the rest of it cannot be read reliably, and then a fatal note says so."""

from __future__ import annotations

import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.adapters import order_files
from hub.adapters.order_files import (CSV_COLUMNS, ReadNotes, RawRecord, detect_format,
                                      read_orders)
from hub.services.order_input import parse_order

BOM = b"\xef\xbb\xbf"
MB = 1 << 20


def read(data: bytes, fmt: str) -> tuple[list[RawRecord], ReadNotes]:
    notes = ReadNotes()
    return list(read_orders(io.BytesIO(data), fmt, notes)), notes


def sources(records: list[RawRecord]) -> list[str]:
    return [r.source for r in records]


# -- JSON ------------------------------------------------------------------------------------

def test_json_single_object():
    records, notes = read(b'{"channel_order_id": "A-1", "lines": []}', "json")
    assert [(r.source, r.data, r.error) for r in records] == [
        ("item 1 (line 1)", {"channel_order_id": "A-1", "lines": []}, "")]
    assert notes == ReadNotes()


def test_json_numbers_with_a_fraction_are_decimals():
    (rec,), _ = read(b'{"unit_price": 19.99, "quantity": 2}', "json")
    assert rec.data == {"unit_price": Decimal("19.99"), "quantity": 2}
    assert type(rec.data["unit_price"]) is Decimal


def test_json_array_items_are_numbered_with_their_line():
    data = b'[\n  {"id": "A"},\n  {"id": "B"},\n\n  {"id": "C"}\n]\n'
    records, notes = read(data, "json")
    assert [(r.source, r.data) for r in records] == [
        ("item 1 (line 2)", {"id": "A"}), ("item 2 (line 3)", {"id": "B"}),
        ("item 3 (line 5)", {"id": "C"})]
    assert notes.fatal == ""


def test_json_objects_one_after_another():
    records, notes = read(b'{"id": "A"}\n{"id": "B"}{"id": "C"}\n\n{"id": "D"}', "json")
    assert [(r.source, r.data["id"]) for r in records] == [
        ("item 1 (line 1)", "A"), ("item 2 (line 2)", "B"), ("item 3 (line 2)", "C"),
        ("item 4 (line 4)", "D")]
    assert notes.fatal == ""


def test_json_item_that_is_not_an_object_is_an_error_record():
    records, notes = read(b'[{"id": "A"}, 5, "B", {"id": "C"}]', "json")
    assert [(r.source, r.error, r.raw) for r in records] == [
        ("item 1 (line 1)", "", ""),
        ("item 2 (line 1)", "must be a JSON object, got int", "5"),
        ("item 3 (line 1)", "must be a JSON object, got str", '"B"'),
        ("item 4 (line 1)", "", "")]
    assert records[3].data == {"id": "C"}
    assert notes.fatal == ""


def test_invalid_json_in_an_array_stops_after_the_good_items():
    data = b'[{"id": "A"},\n{"id": "B",}\n,{"id": "C"}]'
    records, notes = read(data, "json")
    assert sources(records) == ["item 1 (line 1)", "item 2 (line 2)"]
    assert records[0].data == {"id": "A"}
    bad = records[1]
    assert bad.data is None
    assert bad.error.startswith("not valid JSON: ")
    assert bad.raw.startswith('{"id": "B",}')
    assert notes.fatal.startswith("item 2 (line 2): not valid JSON (")
    assert notes.fatal.endswith("the rest of the file cannot be read reliably: fix it and "
                                "import the file again")


def test_json_cut_inside_an_order_is_fatal():
    records, notes = read(b'[{"id": "A"}, {"id": "B", "lines": [', "json")
    assert [r.data for r in records] == [{"id": "A"}, None]
    assert records[1].source == "item 2 (line 1)"
    assert notes.fatal.startswith("item 2 (line 1): not valid JSON")


def test_json_array_cut_between_orders_is_not_taken_as_complete():
    # A transfer cut off after a comma leaves valid-looking orders and no closing bracket:
    # the operator must learn that the file is incomplete.
    records, notes = read(b'[{"id": "A"},\n{"id": "B"},\n', "json")
    assert [r.data for r in records] == [{"id": "A"}, {"id": "B"}]
    assert notes.fatal or notes.notes


def test_empty_json_array_and_empty_file_give_nothing():
    for data in (b"[]", b"", b"  \n "):
        records, notes = read(data, "json")
        assert records == [] and notes.fatal == ""


def test_json_bom_is_dropped():
    records, notes = read(BOM + b'{"id": "A"}', "json")
    assert [r.data for r in records] == [{"id": "A"}]
    assert notes.notes == []


def test_json_latin1_is_read_with_a_note():
    records, notes = read('{"name": "Café"}'.encode("latin-1"), "json")
    assert records[0].data == {"name": "Café"}
    assert notes.notes == ["not UTF-8 near byte 0; read as Latin-1 from there"]


def test_json_ending_inside_a_utf8_character_is_noted():
    records, notes = read(b'{"id": "A"}\n\xc3', "json")
    assert records[0].data == {"id": "A"}
    assert "file ends inside a UTF-8 character; last bytes read as Latin-1" in notes.notes


TRICKY = [{"id": f"Ü-{n}", "name": "Café €5 — 東京 " * (n + 1), "lines": [{"q": n}]}
          for n in range(4)]


def _tricky(layout: str) -> bytes:
    if layout == "array":
        return json.dumps(TRICKY, ensure_ascii=False, indent=1).encode()
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in TRICKY).encode()


@settings(max_examples=40, deadline=None)
@given(chunk=st.integers(4, 64), layout=st.sampled_from(["array", "stream"]))
def test_orders_cut_at_any_chunk_boundary_read_the_same(chunk, layout):
    # chunks cut orders, strings and multi-byte characters anywhere
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(order_files, "CHUNK", chunk)
        records, notes = read(_tricky(layout), "json")
    assert [r.data for r in records] == TRICKY
    assert notes == ReadNotes()


def test_trailing_newline_in_a_chunk_of_its_own_is_not_an_error():
    # an order of exactly one chunk (1 MB) followed by the usual final newline
    head, tail = b'{"channel_order_id": "A", "d": "', b'"}'
    data = head + b"z" * (MB - len(head) - len(tail)) + tail + b"\n"
    assert len(data) == MB + 1
    records, notes = read(data, "json")
    assert [(r.source, r.data["channel_order_id"] if r.data else r.error) for r in records] == [
        ("item 1 (line 1)", "A")]
    assert notes == ReadNotes()


class ShortReads:
    """A stream that, like a pipe or a socket, returns fewer bytes than asked for."""

    def __init__(self, data: bytes, most: int):
        self._io, self._most = io.BytesIO(data), most

    def read(self, size: int = -1) -> bytes:
        return self._io.read(self._most if size < 0 else min(size, self._most))


@pytest.mark.parametrize("layout", ["array", "stream"])
def test_short_reads_inside_a_character_do_not_end_the_file(layout):
    # a read that returns only the first byte of "é" decodes to no text yet: that is not the
    # end of the file
    notes = ReadNotes()
    records = list(read_orders(ShortReads(_tricky(layout), 1), "json", notes))
    assert [r.data for r in records] == TRICKY
    assert notes == ReadNotes()


class LazyStream:
    """A binary stream whose bytes are made as they are read: the test holds no big buffer."""

    def __init__(self, pieces):
        self._pieces = iter(pieces)
        self._buf = bytearray()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buf += piece
        size = len(self._buf) if size < 0 else size
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


BIG_ORDER = json.dumps({
    "channel": "marketplace", "channel_order_id": "MP-@ID@", "placed_at": "2026-11-25T10:00:00Z",
    "currency": "USD", "customer": {"id": "C-1", "email": "ada@example.com"},
    "ship_to": {"name": "Ada", "address1": "1 Main St", "city": "Springfield", "state": "IL",
                "postal_code": "62701", "country": "US"},
    "lines": [{"line_id": str(n), "sku": f"SKU-{n}", "quantity": 1, "unit_price": "9.99",
               "description": "x" * 240} for n in range(25)],
}).encode()


def _big_array(count: int):
    """The pieces of a JSON array of ``count`` orders of about 8 KB each, made one by one."""
    yield b"[\n"
    for i in range(count):
        yield (b",\n" if i else b"") + BIG_ORDER.replace(b"@ID@", b"%06d" % i)
    yield b"\n]\n"


def test_a_50_mb_json_array_is_read_in_constant_memory():
    count = 50 * MB // len(BIG_ORDER) + 1
    tracemalloc.start()
    try:
        notes, seen, last = ReadNotes(), 0, None
        for rec in read_orders(LazyStream(_big_array(count)), "json", notes):
            seen += 1
            last = rec
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count
    assert last.data["channel_order_id"] == f"MP-{count - 1:06d}"
    assert len(last.data["lines"]) == 25
    assert notes == ReadNotes()
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


# -- JSON lines ------------------------------------------------------------------------------

def test_jsonl_bad_line_is_skipped_with_its_number():
    data = b'{"id": "A"}\nnot json\n\n{"id": "B", "p": 1.50}\n'
    records, notes = read(data, "jsonl")
    assert [(r.source, r.data, r.error) for r in records] == [
        ("line 1", {"id": "A"}, ""),
        ("line 2", None, "not valid JSON: Expecting value"),
        ("line 4", {"id": "B", "p": Decimal("1.50")}, "")]
    assert records[1].raw == "not json\n"
    assert notes == ReadNotes()


def test_jsonl_bom_and_latin1_lines():
    data = BOM + b'{"id": "A"}\n' + '{"name": "Müller"}\n{"name": "Åse"}\n'.encode("latin-1")
    records, notes = read(data, "jsonl")
    assert [r.data for r in records] == [{"id": "A"}, {"name": "Müller"}, {"name": "Åse"}]
    assert notes.notes == ["line 2 and maybe others are not UTF-8; read as Latin-1"]


def test_jsonl_over_long_line_stops_the_file():
    data = b'{"id": "A"}\n' + b"x" * (MB + 10) + b'\n{"id": "B"}\n'
    records, notes = read(data, "jsonl")
    assert [r.data for r in records] == [{"id": "A"}]
    assert notes.fatal == ("line 2 is longer than 1024 KB: this does not look like an order "
                           "file; nothing after it was read")


def test_jsonl_line_of_exactly_one_megabyte_is_read():
    head = b'{"d": "'
    tail = b'"}\n'
    line = head + b"y" * (MB - len(head) - len(tail)) + tail
    assert len(line) == MB
    records, notes = read(line + b'{"id": "B"}\n', "jsonl")
    assert [len(r.data["d"]) if "d" in r.data else r.data for r in records] == \
        [MB - 10, {"id": "B"}]
    assert notes.fatal == ""


# -- CSV -------------------------------------------------------------------------------------

HEADER = ",".join(CSV_COLUMNS)
ORDER_1 = ("marketplace,MP-1,2026-11-25T09:00:00Z,USD,C-1,Ada Lovelace,ada@example.com,555-0100,"
           "yes,Ada Lovelace,1 Main St,,Springfield,IL,62701,US")
ORDER_2 = ("marketplace,MP-2,2026-11-25T09:05:00Z,EUR,C-2,Bo Berg,bo@example.com,,"
           ",Bo Berg,Hauptstr. 1,,Berlin,,10115,DE")


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header,) + rows) + "\n").encode()


def test_csv_rows_of_one_order_become_one_record():
    data = csv_bytes(f"{ORDER_1},,DESK-OAK-120, 2 ,212.00,Oak desk",
                     f'{ORDER_1},L9,LAMP-LED-WHT,1,14.20,"Lamp, white"',
                     f"{ORDER_2},,CHAIR-ERGO-BLK,3,92.00,")
    records, notes = read(data, "csv")
    assert notes == ReadNotes()
    assert sources(records) == ["rows 2-3", "row 4"]
    assert records[0].data == {
        "channel": "marketplace",
        "channel_order_id": "MP-1",
        "placed_at": "2026-11-25T09:00:00Z",
        "currency": "USD",
        "customer": {"id": "C-1", "name": "Ada Lovelace", "email": "ada@example.com",
                     "phone": "555-0100", "prepaid": True},
        "ship_to": {"name": "Ada Lovelace", "address1": "1 Main St", "address2": "",
                    "city": "Springfield", "state": "IL", "postal_code": "62701",
                    "country": "US"},
        "lines": [
            {"line_id": "1", "sku": "DESK-OAK-120", "quantity": "2", "unit_price": "212.00",
             "description": "Oak desk"},
            {"line_id": "L9", "sku": "LAMP-LED-WHT", "quantity": "1", "unit_price": "14.20",
             "description": "Lamp, white"},
        ],
    }
    assert records[1].data["customer"]["prepaid"] is False
    assert records[1].data["lines"] == [{"line_id": "1", "sku": "CHAIR-ERGO-BLK",
                                         "quantity": "3", "unit_price": "92.00",
                                         "description": ""}]
    # what the reader makes is a canonical order
    o = parse_order(records[0].data)
    assert [(ln.line_id, ln.quantity, ln.unit_price) for ln in o.lines] == [
        ("1", 2, Decimal("212.00")), ("L9", 1, Decimal("14.20"))]


@pytest.mark.parametrize(("cell", "prepaid"), [("true", True), ("Y", True), ("1", True),
                                              ("No", False), ("0", False), ("", False),
                                              ("maybe", "maybe")])
def test_csv_prepaid_words(cell, prepaid):
    data = csv_bytes(f"MP-1,{cell},DESK,1,1.00",
                     header="channel_order_id,customer_prepaid,sku,quantity,unit_price")
    (rec,), _ = read(data, "csv")
    assert rec.data["customer"]["prepaid"] == prepaid


def test_csv_with_only_the_required_columns_has_no_channel():
    (rec,), notes = read(csv_bytes("MP-1,DESK,1,1.00", header="channel_order_id,sku,quantity,"
                                                               "unit_price"), "csv")
    assert "channel" not in rec.data
    assert rec.data["channel_order_id"] == "MP-1"
    assert notes.fatal == ""


def test_csv_header_names_are_trimmed_and_bom_dropped():
    data = BOM + b" channel_order_id , sku,quantity ,unit_price\nMP-1,DESK,1,1.00\n"
    (rec,), notes = read(data, "csv")
    assert rec.data["lines"][0]["sku"] == "DESK"
    assert notes == ReadNotes()


def test_csv_missing_required_columns_is_fatal():
    records, notes = read(csv_bytes("MP-1,1", header="channel_order_id,unit_price"), "csv")
    assert records == []
    assert notes.fatal == ("row 1: missing column(s) sku, quantity; the columns are "
                           + ", ".join(CSV_COLUMNS) + " (see docs/orders.md)")


def test_csv_unknown_column_is_fatal():
    records, notes = read(csv_bytes("MP-1,D,1,1,red",
                                    header="channel_order_id,sku,quantity,unit_price,colour"),
                          "csv")
    assert records == []
    assert notes.fatal.startswith("row 1: unknown column(s) colour; the columns are channel,")


def test_empty_csv_is_fatal():
    records, notes = read(b"", "csv")
    assert records == []
    assert notes.fatal == "row 1: no header row; the file is empty"


def test_csv_rows_of_one_order_not_kept_together():
    h = "channel_order_id,sku,quantity,unit_price"
    records, notes = read(csv_bytes("A,X,1,1", "B,Y,1,1", "A,Z,1,1", header=h), "csv")
    assert sources(records) == ["row 2", "row 3", "row 4"]
    assert [r.data is not None for r in records] == [True, True, False]
    assert records[2].error == ("order 'A' already appeared at row 2: keep the rows of one "
                                "order together")
    assert records[2].raw == "A,Z,1,1"
    assert notes.fatal == ""


def test_csv_order_columns_that_differ_between_rows():
    h = "channel_order_id,currency,sku,quantity,unit_price"
    records, notes = read(csv_bytes("A,USD,X,1,1", "A,EUR,Y,1,1", "B,USD,Z,1,1", header=h),
                          "csv")
    assert sources(records) == ["rows 2-3", "row 4"]
    assert records[0].data is None
    assert records[0].error == "column currency differs between the rows of order 'A': EUR, USD"
    assert records[1].data["channel_order_id"] == "B"


def test_csv_same_order_id_on_two_channels_is_two_orders():
    h = "channel,channel_order_id,sku,quantity,unit_price"
    records, _ = read(csv_bytes("shop,A,X,1,1", "market,A,Y,1,1", header=h), "csv")
    assert [(r.data["channel"], r.data["channel_order_id"]) for r in records] == [
        ("shop", "A"), ("market", "A")]


def test_csv_row_with_more_fields_than_the_header():
    h = "channel_order_id,sku,quantity,unit_price"
    records, notes = read(csv_bytes("A,X,1,1", "B,Y,1,1,surplus", "C,Z,1,1", header=h), "csv")
    assert sorted((r.source, r.error) for r in records) == [
        ("row 2", ""), ("row 3", "has 5 fields but the header has 4"), ("row 4", "")]
    assert notes.fatal == ""


def test_csv_row_with_fewer_fields_than_the_header_does_not_break_the_file():
    h = "channel_order_id,sku,quantity,unit_price"
    notes = ReadNotes()
    records = list(read_orders(io.BytesIO(csv_bytes("A,X,1,1", "B,Y", "C,Z,1,1", header=h)),
                               "csv", notes))
    assert [r.source for r in records] == ["row 2", "row 3", "row 4"]
    assert records[2].data["channel_order_id"] == "C"


def test_csv_quoted_field_with_a_line_break():
    h = "channel_order_id,sku,quantity,unit_price,description"
    (rec,), notes = read(csv_bytes('A,X,1,1,"two\nlines"', header=h), "csv")
    assert rec.data["lines"][0]["description"] == "two\nlines"
    assert notes.fatal == ""


def test_csv_latin1_rows_are_read_with_a_note():
    h = "channel_order_id,sku,quantity,unit_price,description"
    data = (h + "\nA,X,1,1,plain\n").encode() + "B,Y,1,1,Crème brûlée\n".encode("latin-1")
    records, notes = read(data, "csv")
    assert records[1].data["lines"][0]["description"] == "Crème brûlée"
    assert notes.notes == ["line 3 and maybe others are not UTF-8; read as Latin-1"]


def test_csv_field_over_the_csv_size_limit_is_fatal_and_names_its_row():
    h = "channel_order_id,sku,quantity,unit_price,description"
    data = csv_bytes("A,X,1,1,short", "B,Y,1,1," + "d" * 200_000, "C,Z,1,1,short", header=h)
    records, notes = read(data, "csv")
    assert [r.data["channel_order_id"] for r in records] == ["A"]
    assert notes.fatal == ("row 3: field larger than field limit (131072); the rest of the file "
                           "cannot be read reliably: fix it and import the file again")


def test_csv_header_over_the_csv_size_limit_is_fatal_not_an_exception():
    data = ("channel_order_id,sku,quantity,unit_price," + "h" * 200_000 + "\nA,X,1,1,\n").encode()
    records, notes = read(data, "csv")
    assert records == []
    assert notes.fatal.startswith("row 1: ")


def test_csv_over_long_line_stops_the_file():
    h = "channel_order_id,sku,quantity,unit_price,description"
    data = csv_bytes("A,X,1,1,ok", "B,Y,1,1," + "d" * (MB + 1), "C,Z,1,1,ok", header=h)
    records, notes = read(data, "csv")
    assert [r.data["channel_order_id"] for r in records] == ["A"]
    assert notes.fatal.startswith("line 3 is longer than 1024 KB")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Z]{2}-[0-9]{1,4}", fullmatch=True),
                          st.lists(st.integers(1, 99), min_size=1, max_size=4)),
                min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_csv_groups_consecutive_rows_by_order(orders):
    h = "channel_order_id,sku,quantity,unit_price"
    rows = [f"{coid},S{n},{q},1.00" for coid, qs in orders for n, q in enumerate(qs)]
    records, notes = read(csv_bytes(*rows, header=h), "csv")
    assert notes.fatal == ""
    assert [(r.data["channel_order_id"], [int(ln["quantity"]) for ln in r.data["lines"]])
            for r in records] == [(coid, qs) for coid, qs in orders]
    assert [[ln["line_id"] for ln in r.data["lines"]] for r in records] == \
        [[str(n) for n in range(1, len(qs) + 1)] for _, qs in orders]


# -- format detection ------------------------------------------------------------------------

def _file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(("name", "expected"), [("a.csv", "csv"), ("a.CSV", "csv"),
                                                ("a.tsv", "csv"), ("a.jsonl", "jsonl"),
                                                ("a.NDJSON", "jsonl")])
def test_detect_format_by_extension(tmp_path, name, expected):
    # the content says otherwise: the extension wins
    assert detect_format(_file(tmp_path, name, b'[{"a": 1}]'), "auto") == expected


def test_declared_format_wins(tmp_path):
    assert detect_format(_file(tmp_path, "a.csv", b"x"), "jsonl") == "jsonl"


@pytest.mark.parametrize(("content", "expected"), [
    (b'[{"a": 1},\n {"a": 2}]\n', "json"),
    (b'{\n  "a": 1\n}\n', "json"),
    (b'{"a": 1}\n', "json"),
    (b'{"a": 1}\n{"a": 2}\n', "jsonl"),
    (BOM + b'  \n{"a": 1}\n{"a": 2}', "jsonl"),
    (b"channel_order_id,sku,quantity,unit_price\nA,X,1,1\n", "csv"),
    (b"", "csv"),
])
def test_detect_format_by_content(tmp_path, content, expected):
    assert detect_format(_file(tmp_path, "orders.txt", content)) == expected


def test_detect_json_lines_with_long_lines(tmp_path):
    # orders of a few dozen lines easily pass 4 KB; one per line is still JSON lines
    line = json.dumps({"channel_order_id": "A", "lines": [{"sku": "X" * 60}] * 80})
    assert len(line) > 4096
    path = _file(tmp_path, "export.json", (line + "\n" + line + "\n").encode())
    assert detect_format(path) == "jsonl"


def test_tsv_files_are_read_with_tabs(tmp_path):
    # detect_format counts .tsv as the CSV family; its rows must then be split at the tabs
    path = _file(tmp_path, "orders.tsv",
                 b"channel_order_id\tsku\tquantity\tunit_price\nA-1\tDESK\t2\t9.50\n")
    fmt = detect_format(path)
    notes = ReadNotes()
    with open(path, "rb") as fh:
        records = list(read_orders(fh, fmt, notes))
    assert notes.fatal == ""
    assert [(r.data["channel_order_id"], r.data["lines"][0]["quantity"]) for r in records] == [
        ("A-1", "2")]


# -- JSON nested too deeply for the decoder ---------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_jsonl_line_nested_too_deeply_is_refused_with_its_number():
    records, notes = read(b'{"id": "A"}\n' + b"[" * 100_000 + b'\n{"id": "B"}\n', "jsonl")
    assert [(r.source, r.data, r.error) for r in records] == [
        ("line 1", {"id": "A"}, ""),
        ("line 2", None, "not an order: its JSON is nested too deeply"),
        ("line 3", {"id": "B"}, "")]
    assert records[1].raw == "[" * 4096
    assert notes == ReadNotes()


def test_json_array_item_nested_too_deeply_is_skipped_and_the_rest_read():
    # Brackets inside strings do not count; the deep item is found to end where its own
    # brackets close.
    deep = b'{"a": "]]}", "b": ' + b'{"c": ' * 60_000 + b'"x' + b'\\"]' + b'"' + b"}" * 60_000 + b"}"
    data = b'[{"id": "A"},\n' + deep + b',\n' + DEEP + b',\n{"id": "B", "s": "[{"}]\n'
    records, notes = read(data, "json")
    assert [(r.source, r.data, r.error) for r in records] == [
        ("item 1 (line 1)", {"id": "A"}, ""),
        ("item 2 (line 2)", None, "not an order: its JSON is nested too deeply"),
        ("item 3 (line 3)", None, "not an order: its JSON is nested too deeply"),
        ("item 4 (line 4)", {"id": "B", "s": "[{"}, "")]
    assert notes.fatal == ""


def test_json_item_nested_too_deeply_across_chunks_is_skipped(monkeypatch):
    monkeypatch.setattr(order_files, "CHUNK", 4096)
    records, notes = read(b'[' + DEEP + b',\n{"id": "B"}]', "json")
    assert [(r.source, r.data) for r in records] == [("item 1 (line 1)", None),
                                                     ("item 2 (line 2)", {"id": "B"})]
    assert notes.fatal == ""


def test_json_item_nested_too_deeply_and_cut_short_is_fatal():
    records, notes = read(b'[{"id": "A"}, ' + b"[" * 100_000, "json")
    assert [r.data for r in records] == [{"id": "A"}, None]
    assert notes.fatal == ("item 2 (line 1): not an order: its JSON is nested too deeply, and its "
                           "end cannot be found; the rest of the file cannot be read reliably: fix "
                           "it and import the file again")
