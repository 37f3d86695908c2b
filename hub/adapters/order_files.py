"""Stream order files (JSON, JSON lines, marketplace CSV) record by record, in constant memory.

A reader yields :class:`RawRecord` objects: the decoded order dictionary, or an error saying
where and why a record could not be decoded, with the record's text (bounded) so nothing a
channel sent is lost. Bad records never stop the file.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Iterator

CHUNK = 1 << 20
MAX_RECORD_CHARS = 16 << 20     # a single order bigger than this is refused, not buffered
RAW_KEEP = 4096                 # characters of a bad record kept in its Incident
MAX_LINE_BYTES = 1 << 20        # a CSV or JSON-lines line longer than this is not an order
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A whole string, a run of opening or of closing brackets, or a quote whose string is cut.
_STRING_OR_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]+|[\]}]+|"')
TOO_DEEP = "not an order: its JSON is nested too deeply"

CSV_COLUMNS = ("channel", "channel_order_id", "placed_at", "currency", "customer_id",
               "customer_name", "customer_email", "customer_phone", "customer_prepaid",
               "ship_name", "ship_address1", "ship_address2", "ship_city", "ship_state",
               "ship_postal_code", "ship_country", "line_id", "sku", "quantity", "unit_price",
               "description")
CSV_REQUIRED = ("channel_order_id", "sku", "quantity", "unit_price")
_ORDER_COLUMNS = CSV_COLUMNS[:16]
_TRUE, _FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0", "")


@dataclass(slots=True)
class RawRecord:
    """One record of an order file: an order dictionary, or why it could not be read."""

    source: str                 # "line 7", "item 3 (line 40)", "rows 2-4"
    data: dict | None = None
    error: str = ""
    raw: str = ""


@dataclass(slots=True)
class ReadNotes:
    """What a reader noticed about the whole file (encoding fallbacks, fatal problems)."""

    notes: list[str] = field(default_factory=list)
    fatal: str = ""


class OrderFileError(ValueError):
    """A whole order file cannot be read as what it says it is (e.g. a .json file that is not JSON)."""


def detect_format(path: Path, declared: str = "auto") -> str:
    """"csv", "jsonl" or "json": from the declared format, the extension, then the content.

    A ``.json`` file is JSON or JSON lines by its content; one that is neither is refused
    with :class:`OrderFileError`, never read as CSV.
    """
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    with open(path, "rb") as fh:
        head = [fh.readline(MAX_LINE_BYTES) for _ in range(50)]
    head[0] = head[0].removeprefix(codecs.BOM_UTF8)
    lines = [ln.strip() for ln in head if ln.strip()]
    first = lines[0] if lines else b""
    if first[:1] == b"[":
        return "json"
    if first[:1] == b"{":
        try:
            json.loads(first)
        except ValueError:
            return "json"   # an object spread over several lines
        # One complete object per line, and more lines of them: JSON lines.
        return "jsonl" if len(lines) > 1 and lines[1][:1] == b"{" else "json"
    if suffix == ".json":
        shown = first[:40].decode("utf-8", "replace") if first else "nothing"
        raise OrderFileError(f"this .json file is not JSON: it starts with {shown!r}, not '[' or '{{'; "
                             "save it as JSON, or give it the extension of what it is (.csv, .jsonl)")
    return "csv"


def read_orders(stream: BinaryIO, fmt: str, notes: ReadNotes) -> Iterator[RawRecord]:
    """Records of an order file in the given format ("json", "jsonl" or "csv")."""
    if fmt == "csv":
        return _csv_records(_decoded_lines(stream, notes), notes)
    if fmt == "jsonl":
        return _jsonl_records(_decoded_lines(stream, notes))
    return _json_records(_decoded_chunks(stream, notes), notes)


def _decoded_lines(stream: BinaryIO, notes: ReadNotes) -> Iterator[str]:
    """Text lines (with their newline): UTF-8, BOM dropped, Latin-1 for lines that aren't UTF-8."""
    latin1_lines = 0
    n = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        n += 1
        if n == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if len(raw) > MAX_LINE_BYTES:
            notes.fatal = (f"line {n} is longer than {MAX_LINE_BYTES // 1024} KB: this does not "
                           "look like an order file; nothing after it was read")
            return
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            latin1_lines += 1
            if latin1_lines == 1:
                notes.notes.append(f"line {n} and maybe others are not UTF-8; read as Latin-1")
            yield raw.decode("latin-1")


def _decoded_chunks(stream: BinaryIO, notes: ReadNotes) -> Iterator[str]:
    """Text in chunks: UTF-8 (BOM dropped), switching to Latin-1 at the first byte that isn't."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    latin1, offset = False, 0
    while chunk := stream.read(CHUNK):
        if offset == 0:
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        offset += len(chunk)
        if latin1:
            yield chunk.decode("latin-1")
            continue
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            latin1 = True
            notes.notes.append(f"not UTF-8 near byte {offset - len(chunk)}; read as Latin-1 from there")
            text = (pending + chunk).decode("latin-1")
        if text:  # a read that ended inside a character gives nothing yet: not the end
            yield text
    if not latin1:
        leftover = decoder.getstate()[0]
        if leftover:
            notes.notes.append("file ends inside a UTF-8 character; last bytes read as Latin-1")
            yield leftover.decode("latin-1")


def _jsonl_records(lines: Iterator[str]) -> Iterator[RawRecord]:
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield RawRecord(f"line {n}", data=json.loads(line, parse_float=Decimal))
        except ValueError as exc:
            yield RawRecord(f"line {n}", error=f"not valid JSON: {_short(exc)}", raw=line[:RAW_KEEP])
        except RecursionError:
            yield RawRecord(f"line {n}", error=TOO_DEEP, raw=line[:RAW_KEEP])


def _json_records(chunks: Iterator[str], notes: ReadNotes) -> Iterator[RawRecord]:
    """A single order, a list of orders, or orders one after another, decoded incrementally."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    buf, pos, line, item = "", 0, 1, 0
    in_array: bool | None = None   # None: not seen yet; True inside [ ... ]; False after it
    eof = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        chunk = next(chunks, None)
        if chunk is None:
            eof = True
            return False
        buf, pos = buf[pos:] + chunk, 0   # drop what was consumed; keep memory flat
        return True

    while True:
        ws = _WHITESPACE.match(buf, pos).end()
        line += buf.count("\n", pos, ws)
        pos = ws
        if pos >= len(buf):
            if eof or not fill():
                break
            continue
        if in_array is None:
            in_array = buf[pos] == "["
            pos += in_array
            continue
        if in_array and buf[pos] in ",]":
            in_array = buf[pos] == ","
            pos += 1
            continue
        try:
            value, end = decoder.raw_decode(buf, pos)
        except RecursionError:
            # Too deep for the decoder, but its brackets still say where it ends: refuse it
            # alone and read on.
            end = _nested_end(buf, pos)
            if end is None and not eof and len(buf) - pos < MAX_RECORD_CHARS and fill():
                continue
            item += 1
            where = f"item {item} (line {line})"
            yield RawRecord(where, error=TOO_DEEP, raw=buf[pos:pos + RAW_KEEP])
            if end is None:
                notes.fatal = (f"{where}: {TOO_DEEP}, and its end cannot be found; the rest of "
                               "the file cannot be read reliably: fix it and import the file again")
                return
            line += buf.count("\n", pos, end)
            pos = end
            continue
        except ValueError as exc:
            if not eof and len(buf) - pos < MAX_RECORD_CHARS and fill():
                continue  # most likely an order cut at the chunk boundary
            item += 1
            notes.fatal = (f"item {item} (line {line}): not valid JSON ({_short(exc)}); the rest "
                           "of the file cannot be read reliably: fix it and import the file again")
            yield RawRecord(f"item {item} (line {line})", error=f"not valid JSON: {_short(exc)}",
                            raw=buf[pos:pos + RAW_KEEP])
            return
        item += 1
        where = f"item {item} (line {line})"
        if isinstance(value, dict):
            yield RawRecord(where, data=value)
        else:
            yield RawRecord(where, error=f"must be a JSON object, got {type(value).__name__}",
                            raw=json.dumps(value, default=str)[:RAW_KEEP])
        line += buf.count("\n", pos, end)
        pos = end
    if in_array:
        notes.fatal = ("the JSON list ends without its closing ']': the file looks cut short; the "
                       f"{item} order(s) before the cut were read")


def _nested_end(buf: str, pos: int) -> int | None:
    """End of the array or object starting at ``pos`` (brackets counted outside strings), or
    None when the text ends first."""
    depth = 0
    for m in _STRING_OR_BRACKETS.finditer(buf, pos):
        token = m[0]
        if token == '"':
            return None  # a string that does not end in this text
        if token[0] in "[{":
            depth += len(token)
        elif token[0] in "]}":
            if len(token) >= depth:
                return m.start() + depth
            depth -= len(token)
    return None


def _csv_records(lines: Iterator[str], notes: ReadNotes) -> Iterator[RawRecord]:
    """Marketplace CSV: one row per order line, the order's columns repeated on each row."""
    first = next(lines, None)
    if first is None or not first.strip():
        notes.fatal = notes.fatal or "row 1: no header row; the file is empty"
        return
    # Tab-separated exports (.tsv) are common too: the header line tells which it is.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        notes.fatal = f"row 1: the header cannot be read: {exc}"
        return
    if _bad_header(header, notes):
        return
    group: list[tuple[int, dict]] = []
    done: dict[tuple[str, str], str] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            notes.fatal = (f"row {reader.line_num}: {exc}; the rest of the file cannot be read "
                           "reliably: fix it and import the file again")
            break
        row_no = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(header):
            yield RawRecord(f"row {row_no}", error=f"has {len(cells)} fields but the header has "
                                                    f"{len(header)}", raw=",".join(cells)[:RAW_KEEP])
            continue
        # Exports often drop trailing empty cells: a short row is padded, not refused.
        row = dict(zip(header, cells + [""] * (len(header) - len(cells))))
        key = _key(row)
        if group and key != _key(group[0][1]):
            yield _csv_order(group, done)
            group = []
        group.append((row_no, row))
    if group:
        yield _csv_order(group, done)


def _bad_header(header: list[str], notes: ReadNotes) -> bool:
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if not (missing or unknown):
        return False
    notes.fatal = (f"row 1: missing column(s) {', '.join(missing)}" if missing else
                   f"row 1: unknown column(s) {', '.join(unknown)}") + \
        f"; the columns are {', '.join(CSV_COLUMNS)} (see docs/orders.md)"
    return True


def _key(row: dict) -> tuple[str, str]:
    return (row.get("channel", "").strip(), row.get("channel_order_id", "").strip())


def _csv_order(group: list[tuple[int, dict]], done: dict[tuple[str, str], str]) -> RawRecord:
    first, last = group[0][0], group[-1][0]
    source = f"row {first}" if first == last else f"rows {first}-{last}"
    raw = "\n".join(",".join(r.values()) for _, r in group)[:RAW_KEEP]
    key = _key(group[0][1])
    if key in done:
        return RawRecord(source, error=f"order {key[1]!r} already appeared at {done[key]}: keep the "
                                       "rows of one order together", raw=raw)
    done[key] = source
    head = group[0][1]
    for col in _ORDER_COLUMNS:
        values = {r.get(col, "").strip() for _, r in group}
        if len(values) > 1:
            return RawRecord(source, error=f"column {col} differs between the rows of order "
                                           f"{key[1]!r}: {', '.join(sorted(values))}", raw=raw)
    prepaid = head.get("customer_prepaid", "").strip().lower()
    data = {
        "channel_order_id": key[1],
        "placed_at": head.get("placed_at", "").strip(),
        "currency": head.get("currency", "").strip(),
        "customer": {"id": head.get("customer_id", "").strip(), "name": head.get("customer_name", ""),
                     "email": head.get("customer_email", ""), "phone": head.get("customer_phone", ""),
                     "prepaid": True if prepaid in _TRUE else False if prepaid in _FALSE else prepaid},
        "ship_to": {k: head.get(f"ship_{k}", "") for k in
                    ("name", "address1", "address2", "city", "state", "postal_code", "country")},
        "lines": [{"line_id": r.get("line_id", "").strip() or str(n), "sku": r.get("sku", ""),
                   "quantity": r.get("quantity", "").strip(), "unit_price": r.get("unit_price", ""),
                   "description": r.get("description", "")} for n, (_, r) in enumerate(group, start=1)],
    }
    if key[0]:
        data["channel"] = key[0]
    return RawRecord(source, data=data, raw=raw)


def _short(exc: Exception) -> str:
    return str(exc).split(": line")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)
