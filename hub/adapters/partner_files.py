"""Load and check ``partners/<id>.toml`` files and the supplier catalog ``partners/catalog.csv``.

Onboarding a supplier is data: these files are checked when the hub starts and by
``edihub partners check``; every error names the file, the key or line, and what is wrong.
Secrets never appear in these files, only the names of environment variables or key files.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable

from hub.adapters.toml_table import Problems, Table, load_toml
from hub.domain.partner import (Catalog, CatalogEntry, Partner, Sla, TransportConfig, X12Profile,
                                XmlProfile)
from hub.errors import CatalogError, PartnerConfigError

CATALOG_FILE = "catalog.csv"
CATALOG_COLUMNS = ("sku", "supplier", "supplier_item", "cost", "lead_time_days", "priority",
                   "min_qty", "max_qty", "active", "uom")
_REQUIRED_COLUMNS = ("sku", "supplier", "supplier_item", "cost")
MAX_CATALOG_BYTES = 4 << 20   # some tens of thousands of rows; the web app reads at most 5 MB
MAX_LISTED = 50               # a file broken throughout: the first problems say what is wrong
_FORMULA_START = ("=", "+", "-", "@")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_SECRET_WORDS = ("password", "passphrase", "secret", "private_key", "token")
_SUFFIX = {"": "", "lf": "\n", "crlf": "\r\n", "\n": "\n", "\r\n": "\r\n"}
_DOCS_OUT = ("850", "860")
_DOCS_IN = ("997", "999", "855", "856", "865", "xml-confirmation", "xml-shipnotice")
_TOP_KEYS = ("id", "name", "active", "test_mode", "po_format", "x12", "xml", "documents",
             "transport", "schedule", "acks", "sla", "capacity", "fields")
_X12_KEYS = ("version", "sender_qualifier", "sender_id", "receiver_qualifier", "receiver_id",
             "gs_sender_id", "gs_receiver_id", "element_separator", "subelement_separator",
             "segment_terminator", "repetition_separator", "segment_suffix", "ack_requested",
             "charset", "mapping", "change_mapping")
# Builds a transport from a partner file's [transport] table; raises PartnerConfigError.
TransportCheck = Callable[[str, TransportConfig], None]


def load_partners(directory: Path) -> dict[str, Partner]:
    """Every ``*.toml`` partner file in ``directory``, keyed by partner id."""
    partners = {}
    for path in sorted(directory.glob("*.toml")):
        partner = load_partner(path)
        partners[partner.id] = partner
    return partners


def load_partner(path: Path, check_transport: TransportCheck | None = None) -> Partner:
    """Read and check one partner file; PartnerConfigError naming every problem it has (each
    in ``problems`` when there are several). ``check_transport`` builds the [transport]
    settings, so a wrong one is among them; a problem that makes others unreadable (no
    [transport] table, a file that is not TOML) is the only one said about them."""
    root = Table(path, load_toml(path, PartnerConfigError), error=PartnerConfigError)
    found = Problems(path, PartnerConfigError)
    take = found.take
    for problem in _inline_secrets(root):
        found.add(problem)
    take(root.allow, *_TOP_KEYS)
    pid = take(_partner_id, root, path)
    name = take(root.text, "name")
    active, test_mode = take(root.get, "active", bool, True), take(root.get, "test_mode", bool, False)
    po_format = take(root.get, "po_format", str, "x12", lambda v: v in ("x12", "xml"),
                     "must be \"x12\" or \"xml\"")
    outbound, inbound = _documents(root, found)
    acks, sla, cap = (_table(root, k, found, *keys) for k, keys in (
        ("acks", ("send_997", "expect_997")),
        ("sla", ("ack_hours", "poack_hours", "asn_hours", "change_hours", "delay_days")),
        ("capacity", ("max_units_per_day",))))
    schedule, fields = _table(root, "schedule", found, "poll"), _table(root, "fields", found)
    for key, value in fields.data.items():
        if not isinstance(value, str) or not re.match(r"^[a-z][a-z0-9_]*$", key):
            found.add(fields.fail(key, "fields are lower_case names with string values"))
    if po_format is not None and po_format not in root.data:
        found.add(root.fail(po_format, f"po_format is \"{po_format}\" but there is no [{po_format}] table"))
    x12 = _profile(root, "x12", _x12, found)
    xml = _profile(root, "xml", _xml, found)
    if po_format == "xml" and xml is not None and not xml.mapping:
        found.add(root.fail("xml.mapping", "po_format is \"xml\": name the mapping that writes its orders"))
    profile = x12 if po_format == "x12" else xml if po_format == "xml" else None
    if outbound and "860" in outbound and profile is not None and not profile.change_mapping:
        found.add(root.fail("documents.outbound", f"lists \"860\" but [{po_format}] names no "
                            "change_mapping: name the mapping that writes the partner's order changes"))
    transport = take(_transport, root, check_transport)
    partner = dict(
        poll=take(schedule.get, "poll", str, "interval:5m", _valid_schedule,
                  "\"interval:<n>s|m|h\" or \"cron:<minute hour day month weekday>\""),
        send_997=take(acks.get, "send_997", bool, False),
        expect_997=take(acks.get, "expect_997", bool, po_format == "x12"),
        sla=Sla(*(take(sla.get, k, float, None, lambda v: v > 0, "hours above 0")
                  for k in ("ack_hours", "poack_hours", "asn_hours", "change_hours")),
                delay_days=take(sla.get, "delay_days", float, None, lambda v: v >= 0, "days, 0 or more")),
        max_units_per_day=take(cap.get, "max_units_per_day", int, None, lambda v: v > 0))
    found.refuse()
    return Partner(id=pid, name=name, source=str(path), active=active, test_mode=test_mode,
                   po_format=po_format, x12=x12, xml=xml, transport=transport, outbound=outbound,
                   inbound=inbound, fields=dict(fields.data), **partner)


def _partner_id(root: Table, path: Path) -> str:
    pid = root.get("id", str, path.stem)
    if not _ID.match(pid):
        raise root.fail("id", f"{pid!r} is not a partner id: lower-case letters, digits, '-' and "
                              "'_', at most 40 (the file name is the id when 'id' is left out)")
    if pid != path.stem:
        raise root.fail("id", f"is {pid!r} but the file is named {path.name}: rename one so they match")
    return pid


def _table(root: Table, key: str, found: Problems, *allowed: str) -> Table:
    """A sub-table with only ``allowed`` keys (any, when none are named); an empty one, its
    problem recorded, when it is not a table."""
    t = found.take(root.table, key)
    if t is None:
        return Table(root.path, {}, key, root.error)
    if allowed:
        found.take(t.allow, *allowed)
    return t


def _profile(root: Table, key: str, read, found: Problems):
    """The [x12] or [xml] profile when the file has one; None when absent or broken."""
    if key not in root.data:
        return None
    t = found.take(root.table, key)
    return None if t is None else read(t, found)


def _documents(root: Table, found: Problems) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    docs = _table(root, "documents", found, "outbound", "inbound")
    return (found.take(_doc_list, docs, "outbound", _DOCS_OUT, ("850",)),
            found.take(_doc_list, docs, "inbound", _DOCS_IN, ("997", "855", "856")))


def _inline_secrets(t: Table) -> list[PartnerConfigError]:
    """Each key that looks like a secret but holds it: it must name where the secret lives."""
    found = []
    for key, value in t.data.items():
        if key == "secret_params" and t.where == "xml":
            continue  # its values are names of environment variables by definition
        if isinstance(value, dict):
            found += _inline_secrets(t.table(key))
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for n, item in enumerate(value):
                found += _inline_secrets(Table(t.path, item, f"{t._key(key)}[{n}]", t.error))
        elif any(w in key.lower() for w in _SECRET_WORDS) and not key.endswith(("_env", "_file")):
            found.append(t.fail(key, f"secrets are never written in partner files: use {key}_env = "
                                     "\"NAME_OF_ENVIRONMENT_VARIABLE\" (or a key file) instead"))
    return found


def _doc_list(t: Table, key: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    docs = t.strings(key, default)
    bad = [d for d in docs if d not in allowed]
    if bad:
        raise t.fail(key, f"unknown document type {', '.join(map(repr, bad))}; known: {', '.join(allowed)}")
    return docs


def _x12(t: Table, found: Problems) -> X12Profile | None:
    """The [x12] profile; None when it has a problem (each one recorded)."""
    found.take(t.allow, *_X12_KEYS)
    before, take = len(found), found.take
    qualifier = (lambda v: len(v) == 2 and v.isalnum(), "two letters or digits, e.g. ZZ, 01, 12")
    isa_id = (lambda v: 1 <= len(v) <= 15 and v.isprintable(), "1 to 15 characters")
    gs_id = (lambda v: 2 <= len(v) <= 15 and v.isprintable(), "2 to 15 characters")
    sender, receiver = take(t.get, "sender_id", str, ..., *isa_id), take(t.get, "receiver_id", str, ..., *isa_id)
    suffix = take(t.get, "segment_suffix", str, "\n", lambda v: v.lower() in _SUFFIX,
                  "\"\", \"\\n\" or \"\\r\\n\"")
    values = dict(
        version=take(t.get, "version", str, ..., lambda v: v in ("004010", "005010"),
                     "\"004010\" or \"005010\""),
        sender_qualifier=take(t.get, "sender_qualifier", str, "ZZ", *qualifier),
        sender_id=sender,
        receiver_qualifier=take(t.get, "receiver_qualifier", str, "ZZ", *qualifier),
        receiver_id=receiver,
        gs_sender_id=take(t.get, "gs_sender_id", str, sender, *gs_id),
        gs_receiver_id=take(t.get, "gs_receiver_id", str, receiver, *gs_id),
        element_separator=take(t.get, "element_separator", str, "*"),
        subelement_separator=take(t.get, "subelement_separator", str, ">"),
        segment_terminator=take(t.get, "segment_terminator", str, "~"),
        repetition_separator=take(t.get, "repetition_separator", str, "^"),
        segment_suffix=None if suffix is None else _SUFFIX[suffix.lower()],
        ack_requested=take(t.get, "ack_requested", bool, False),
        charset=take(t.get, "charset", str, "ascii", lambda v: v in ("ascii", "utf-8"),
                     "\"ascii\" or \"utf-8\""),
        mapping=take(t.text, "mapping", "x12/850-4010.toml"),
        change_mapping=take(t.get, "change_mapping", str, ""),
    )
    if len(found) > before:
        return None    # the writer's checks below need every value read
    profile = X12Profile(**values)
    # The writer's own rules: what it refuses to write is refused here, at load. A wrong
    # delimiter also makes ids holding that character unwritable: only the delimiter is said.
    from hub.edi.x12.writer import check_delimiters, check_envelope
    by_key: dict[str, list[str]] = {}
    for problem in check_delimiters(profile) or check_envelope(profile):
        by_key.setdefault(_key_named(problem, t.data) or "version", []).append(problem)
    for key, problems in by_key.items():
        found.add(t.fail(key, "; ".join(problems)))
    return profile if len(found) == before else None


def _key_named(problem: str, keys) -> str:
    """The first configuration key a problem sentence starts with or mentions."""
    return next((k for k in sorted(keys, key=len, reverse=True) if problem.startswith(k)), "") or \
        next((k for k in keys if k in problem), "")


def _xml(t: Table, found: Problems) -> XmlProfile | None:
    """The [xml] profile; None when it has a problem (each one recorded)."""
    before, take = len(found), found.take
    take(t.allow, "mapping", "params", "secret_params", "file_extension", "answers", "change_mapping")
    params, secrets = _table(t, "params", found), _table(t, "secret_params", found)
    for sub in (params, secrets):
        for key, value in sub.data.items():
            if not isinstance(value, str):
                found.add(sub.fail(key, "must be a string"))
    profile = dict(mapping=take(t.get, "mapping", str, ""),
                   file_extension=take(t.get, "file_extension", str, "xml", str.isalnum),
                   answers=take(t.strings, "answers", ()),
                   change_mapping=take(t.get, "change_mapping", str, ""))
    if len(found) > before:
        return None
    return XmlProfile(params=dict(params.data), secret_params=dict(secrets.data), **profile)


def _transport(root: Table, check: TransportCheck | None) -> TransportConfig:
    t = root.table("transport", required=True)
    kind = t.get("type", str, ..., lambda v: v in ("folder", "sftp", "as2"),
                 "must be \"folder\", \"sftp\" or \"as2\"")
    transport = TransportConfig(kind, dict(t.data))
    if check is not None:
        check(str(root.path), transport)
    return transport


def _valid_schedule(value: str) -> bool:
    kind, _, rest = value.partition(":")
    if kind == "interval":
        return bool(re.fullmatch(r"\d+(\.\d+)?[smh]", rest)) and float(rest[:-1]) > 0
    if kind != "cron" or len(rest.split()) != 5:
        return False
    from apscheduler.triggers.cron import CronTrigger
    try:
        CronTrigger.from_crontab(rest)
    except ValueError:
        return False
    return True


def load_catalog(path: Path, partners: dict[str, Partner], unloaded: set[str] = frozenset()) -> Catalog:
    """Read the catalog CSV; every row is checked and every bad one listed (the first
    MAX_LISTED problems and how many more), each at its line and column.

    ``unloaded`` names suppliers whose partner file exists but has errors of its own: their
    rows are checked like the others, without blaming the catalog for the partner file.
    """
    if not path.is_file():
        raise CatalogError(path, "", "file not found: the catalog lists which supplier sells each SKU")
    size = path.stat().st_size
    if size > MAX_CATALOG_BYTES:
        raise CatalogError(path, "", f"is {size:,} bytes; the catalog may have at most "
                                     f"{MAX_CATALOG_BYTES:,}: is it the right file?")
    try:
        return _read_catalog(path, partners, unloaded)
    except UnicodeDecodeError as exc:
        raise CatalogError(path, f"byte {exc.start}", "not UTF-8 text: save the catalog as UTF-8 "
                                                      "(in a spreadsheet: CSV UTF-8)") from None


def _read_catalog(path: Path, partners: dict[str, Partner], unloaded: set[str]) -> Catalog:
    entries, seen = [], set()
    found = Problems(path, CatalogError)
    more = 0              # problems past the first MAX_LISTED: counted, not listed
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED_COLUMNS if c not in header]
        if missing:    # rows are read by the header: without a good one they mean nothing
            raise CatalogError(path, "line 1", f"missing column(s) {', '.join(missing)}; columns "
                                               f"are {', '.join(CATALOG_COLUMNS)}")
        unknown = [c for c in header if c not in CATALOG_COLUMNS]
        if unknown:
            raise CatalogError(path, "line 1", f"unknown column {unknown[0]!r}")
        for row in reader:
            row_problems = Problems(path, CatalogError)
            entry = row_problems.take(_catalog_entry, path, reader.line_num, row, partners, unloaded,
                                      len(header))
            if entry is not None and (entry.sku, entry.supplier) in seen:
                row_problems.add(CatalogError(path, f"line {reader.line_num}", f"{entry.supplier} "
                                              f"already has a row for SKU {entry.sku}"))
            elif entry is not None:
                seen.add((entry.sku, entry.supplier))
                entries.append(entry)
            for problem in row_problems.found:
                if len(found) < MAX_LISTED:
                    found.add(problem)
                else:
                    more += 1
    if more:
        found.add(CatalogError(path, "", f"and {more:,} more problem(s) in later rows, not listed "
                                         f"(only the first {MAX_LISTED} are): fix these and check again"))
    found.refuse()
    return Catalog(entries)


def _catalog_entry(path: Path, line: int, row: dict, partners: dict[str, Partner],
                   unloaded: set[str] = frozenset(), columns: int = 0) -> CatalogEntry:
    """One row as an entry; a CatalogError naming each of its problems (line and column)."""
    found = Problems(path, CatalogError)

    def fail(col: str, problem: str) -> CatalogError:
        return CatalogError(path, f"line {line}, column {col}", problem)

    def raw(col: str, default: str | None = None) -> str:
        value = (row.get(col) or "").strip()
        if not value:
            if default is None:
                raise fail(col, "must not be empty")
            return default
        return value

    def text(col: str, default: str | None = None) -> str:
        value = raw(col, default)
        if value[:1] in _FORMULA_START:
            # a spreadsheet opening the file would run it: no SKU, item number or unit looks so
            raise fail(col, f"starts with {value[0]!r}, which a spreadsheet runs as a formula; "
                            f"got {value!r}: write the value without it")
        return value

    def whole(col: str, default: int | None) -> int | None:
        value = raw(col, "")
        if not value:
            return default
        if not (value.isascii() and value.isdigit()):
            raise fail(col, f"must be a whole number, got {value!r}")
        return int(value)

    def cost() -> Decimal:
        try:
            value = Decimal(raw("cost"))
            if not value.is_finite() or value < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise fail("cost", f"must be a price of 0 or more such as 12.50, got "
                               f"{row.get('cost')!r}") from None
        return value

    def active() -> bool:
        value = raw("active", "true").lower()
        if value not in ("true", "false", "yes", "no", "1", "0"):
            raise fail("active", f"must be true or false, got {value!r}")
        return value in ("true", "yes", "1")

    def uom() -> str:
        value = text("uom", "EA")
        if len(value) != 2:
            raise fail("uom", "a two-letter unit of measure code such as EA or CA")
        return value

    if row.get(None):    # csv puts cells beyond the header's under None
        found.add(CatalogError(path, f"line {line}, column {columns + 1}", f"{len(row[None])} "
                               f"cell(s) more than the header's {columns} columns: is a value "
                               "holding a comma (such as 12,50) not in quotes?"))
    supplier = found.take(text, "supplier")
    if supplier is not None and supplier not in partners and supplier not in unloaded:
        found.add(fail("supplier", f"no partner file partners/{supplier}.toml for supplier {supplier!r}"))
    values = {"sku": found.take(text, "sku"), "supplier": supplier,
              "supplier_item": found.take(text, "supplier_item"), "cost": found.take(cost),
              "lead_time_days": found.take(whole, "lead_time_days", 0),
              "priority": found.take(whole, "priority", 100), "min_qty": found.take(whole, "min_qty", 1),
              "max_qty": found.take(whole, "max_qty", None), "active": found.take(active),
              "uom": found.take(uom)}
    min_qty, max_qty = values["min_qty"], values["max_qty"]
    if max_qty is not None and min_qty is not None and max_qty < min_qty:
        found.add(fail("max_qty", f"{max_qty} is below min_qty {min_qty}"))
    found.refuse()
    return CatalogEntry(**values)
