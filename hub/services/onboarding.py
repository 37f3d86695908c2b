"""Onboarding a supplier: preview its purchase order, test the connection, send a test
document, switch it to production.

Every step works on the partner and mapping files as they are (or, for the preview, as they
would be with the text being edited); nothing here needs a restart. The test document is a
sample purchase order in test mode (ISA15 = T), sent through the partner's real transport
and kept in the outbox as a document of its own, tied to no order.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hub.adapters.config_lines import set_top_level_key
from hub.adapters.config_trial import read_text
from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.partner import Catalog, Partner
from hub.domain.states import InterchangeState
from hub.edi.context import build_context
from hub.edi.document import ControlNumbers
from hub.errors import DeliveryError, DocumentError, HubError
from hub.services.audit import ActionRefused, audit
from hub.services.config_files import (Change, ConfigRefused, Problem, SaveResult, partner_of, save,
                                       sha256, trial)
from hub.services.fulfil import advance

TEST_LEASE = timedelta(minutes=5)   # a worker leaves the test document alone while it is sent
_FIXED_ITEMS = (("SAMPLE-1", "SUP-SAMPLE-1", Decimal("12.50"), "Sample item one"),
                ("SAMPLE-2", "SUP-SAMPLE-2", Decimal("7.25"), "Sample item two"))


@dataclass
class Preview:
    """A sample purchase order as the partner would get it, or what stops it being built."""

    partner_id: str
    doc_type: str = ""
    filename: str = ""
    payload: bytes = b""
    problems: list[Problem] = field(default_factory=list)
    sample: str = ""      # where the lines came from: the catalog or a fixed sample

    @property
    def text(self) -> str:
        """The document as text (bytes that are not UTF-8 shown as replacement characters)."""
        return self.payload.decode("utf-8", "replace")


@dataclass
class Outcome:
    """What a connection test or a test send found: ok, a sentence, and the details."""

    ok: bool
    message: str
    details: list[str] = field(default_factory=list)
    interchange_id: int | None = None


def sample_order(partner: Partner, catalog: Catalog | None, now: datetime,
                 po_number: str) -> tuple[Order, PurchaseOrder, str]:
    """A sample order and the partner's purchase order for it, held in memory only: up to
    two of the partner's active catalog rows, or a fixed two-line sample; and which it was."""
    rows = [e for e in (catalog.entries if catalog else []) if e.supplier == partner.id and e.active][:2]
    items = [(e.sku, e.supplier_item, e.cost, f"Sample of {e.sku}", e.uom,
              max(e.min_qty, 1) if e.max_qty is None else min(max(e.min_qty, 1), e.max_qty))
             for e in rows] or [(*item, "EA", n) for n, item in enumerate(_FIXED_ITEMS, start=1)]
    source = "the partner's catalog rows" if rows else "a fixed sample (the partner has no catalog rows yet)"
    lines = [OrderLine(line_id=str(n), sku=sku, quantity=qty, unit_price=(cost * Decimal("1.6")).quantize(
        Decimal("0.01")), description=text, id=n)
             for n, (sku, _, cost, text, _, qty) in enumerate(items, start=1)]
    order = Order(channel="sample", channel_order_id="SAMPLE-1", placed_at=now, currency="USD",
                  customer=Customer("C-SAMPLE", "Ada Example", "ada@example.com", "+1 555 0100", True),
                  ship_to=Address("Ada Example", "1 Sample Street", "Apt 2", "Springfield", "IL",
                                  "62701", "US"),
                  lines=lines)
    po_lines = [PoLine(line_number=n, order_line_id=n, sku=sku, supplier_item=item, description=text,
                       quantity=qty, unit_cost=cost, uom=uom)
                for n, (sku, item, cost, text, uom, qty) in enumerate(items, start=1)]
    po = PurchaseOrder(po_number=po_number, partner_id=partner.id, order_id=None, lines=po_lines,
                       created_at=now, test_mode=partner.test_mode)
    return order, po, source


def preview(hub, partner_id: str, changes: dict[str, str] | None = None) -> Preview:
    """The partner's purchase order for a sample order, rendered as its renderer would (with
    ``changes`` in place, when given: the text being edited, not yet saved)."""
    cfg, problems = trial(hub, changes or {})
    result = Preview(partner_id, problems=problems)
    partner, renderer = cfg.partners.get(partner_id), cfg.renderers.get(partner_id)
    if partner is None or renderer is None:
        if not problems:
            result.problems = [Problem(f"partners/{partner_id}.toml", None, "",
                                       f"there is no partner {partner_id!r} to preview")]
        return result
    now = hub.clock()
    order, po, result.sample = sample_order(partner, cfg.catalog, now, "PO0000001")
    try:
        body = renderer.prepare(build_context(po, order, partner, hub.settings.company))
        doc = renderer.finish(body, ControlNumbers(1, 1, 1), now)
    except DocumentError as exc:
        result.problems.append(Problem(f"partners/{partner_id}.toml", None, "", str(exc)))
        return result
    result.doc_type, result.filename, result.payload = doc.doc_type, doc.filename, doc.payload
    return result


def _saved_partner(hub, partner_id: str) -> tuple[Partner, Catalog | None]:
    """The partner as its file on disk says now, and the catalog; refused (in words) when the
    partner, its mapping or its transport settings do not load."""
    path = f"partners/{partner_id}.toml"
    if partner_of(path) is None:
        raise ActionRefused(f"{partner_id!r} is not a partner id")
    if not (hub.settings.home / path).is_file():
        raise ActionRefused(f"there is no partner file {path}: save it first")
    cfg = hub.load_configuration()
    source = (hub.settings.home / path).resolve()
    own = [e for e in cfg.errors if Path(e.path).resolve() == source]
    if own or partner_id not in cfg.renderers:
        own = own or [e for e in cfg.errors if e.path.startswith(str(hub.settings.mappings_dir))]
        raise ActionRefused(f"{path} has problems; fix them first: " + "; ".join(map(str, own)))
    return cfg.partners[partner_id], cfg.catalog


def connection_test(hub, partner_id: str, actor: str) -> Outcome:
    """Reach the partner's server the way sending does (SFTP: log in with the pinned host key
    and list its folders; AS2: post a small test message and read the MDN), bounded by the
    transport's timeouts; a failure is said in words. Audited."""
    partner, _ = _saved_partner(hub, partner_id)
    try:
        details = hub.probe(partner)
        outcome = Outcome(True, f"{partner_id}: the {partner.transport.type} connection works", details)
    except (DeliveryError, HubError) as exc:
        outcome = Outcome(False, f"{partner_id}: the {partner.transport.type} connection failed: {exc}")
    except Exception as exc:  # a library's surprise: still an answer in words, not a trace
        outcome = Outcome(False, f"{partner_id}: the {partner.transport.type} connection failed: "
                                 f"unexpected {type(exc).__name__}: {exc}")
    with hub.uow() as uow:
        audit(uow, hub.clock(), actor, "partner.test_connection", f"partner {partner_id}",
              after={"ok": outcome.ok, "details": outcome.details}, reason=outcome.message,
              partner_id=partner_id)
        uow.commit()
    return outcome


def last_test_document(hub, partner_id: str) -> int:
    """The id of the newest test document sent to the partner (0: none yet)."""
    with hub.uow(readonly=True) as uow:
        return uow.configs.last_test_document(partner_id)


def send_test_document(hub, partner_id: str, actor: str, after: int | None = None) -> Outcome:
    """Send a sample purchase order in test mode through the partner's real transport and keep
    it in the outbox as a test document (no order); ``after`` is the newest test document the
    person saw, so a form sent twice sends one document."""
    partner, catalog = _saved_partner(hub, partner_id)
    partner = dataclasses.replace(partner, test_mode=True)
    now = hub.clock()
    order, po, _ = sample_order(partner, catalog, now, f"TEST{now:%y%m%d%H%M%S}")
    try:
        renderer = hub.renderer(partner)
        body = renderer.prepare(build_context(po, order, partner, hub.settings.company))
    except HubError as exc:
        raise ActionRefused(f"the test document for {partner_id} cannot be built: {exc}") from None
    doc, item_id = _queue_test(hub, partner_id, renderer, body, actor, after, now)
    try:
        receipt, error = hub.send_once(partner, doc.filename, doc.payload, doc.content_type), None
    except DeliveryError as exc:
        receipt, error = None, str(exc)
    except Exception as exc:  # a library's surprise: recorded and said, not a trace
        receipt, error = None, f"unexpected {type(exc).__name__}: {exc}"
    with hub.uow() as uow:
        if receipt is not None:
            uow.outbox.mark_sent_many([(item_id, receipt)], hub.clock())
        else:
            uow.outbox.mark_failed(item_id, error, hub.clock())
        uow.commit()
    what = f"test {doc.doc_type} {doc.control_number} ({doc.filename})"
    if receipt is None:
        return Outcome(False, f"{what} to {partner_id} was not delivered: {error}", [], item_id)
    details = [f"{k}: {v}" for k, v in (receipt.get("detail") or {}).items()]
    return Outcome(True, f"{what} delivered to {partner_id} as {receipt.get('remote_name')}",
                   details, item_id)


def _queue_test(hub, partner_id: str, renderer, body, actor: str, after: int | None, now: datetime):
    """Number the test document and keep it in the outbox, held by this sender while it sends."""
    with hub.uow() as uow:
        uow.configs.lock()   # two clicks at once: the second sees the first's document
        last = uow.configs.last_test_document(partner_id)
        if after is not None and last != after:
            raise ActionRefused(f"a test document (#{last}) was sent to {partner_id} since this page "
                                "was shown: nothing more was sent. Look at it first; to send another, "
                                "use the form on the page as it is now")
        isa, gs, st = (advance(n) for n in uow.repo.lock_control_numbers(partner_id))
        doc = renderer.finish(body, ControlNumbers(isa, gs, st), now)
        x12 = doc.doc_type == "850"
        [item_id] = uow.repo.insert_interchanges([{
            "direction": "out", "partner_id": partner_id, "doc_type": doc.doc_type,
            "control_number": doc.control_number, "purchase_order_id": None,
            "group_control": str(gs) if x12 else None, "set_control": f"{st:04d}" if x12 else None,
            "filename": doc.filename, "content_type": doc.content_type, "payload": doc.payload,
            "sha256": hashlib.sha256(doc.payload).hexdigest(), "size": len(doc.payload),
            "state": InterchangeState.QUEUED.value, "created_at": now, "next_attempt_at": now,
            "attempts": 1, "lease_owner": f"console:{actor}"[:80], "lease_until": now + TEST_LEASE}])
        uow.repo.set_control_numbers(partner_id, isa, gs, st)
        audit(uow, now, actor, "partner.test_send", f"partner {partner_id}", interchange_id=item_id,
              partner_id=partner_id, after={"doc_type": doc.doc_type, "control_number": doc.control_number,
                                            "filename": doc.filename})
        uow.commit()
    return doc, item_id


def set_test_mode(hub, partner_id: str, test_mode: bool, actor: str, base: str | None,
                  note: str = "") -> SaveResult:
    """Switch a partner to production (``test_mode = false``) or back to test mode: a new
    version of its partner file, checked and saved like any change."""
    path = f"partners/{partner_id}.toml"
    if partner_of(path) is None:
        raise ActionRefused(f"{partner_id!r} is not a partner id")
    current = read_text(hub.settings.home / path)
    if current is None:
        raise ActionRefused(f"there is no partner file {path}")
    if base is not None and base != sha256(current):
        raise ActionRefused(f"{path} was changed since this page was shown: nothing was changed. "
                            "Look at the partner again, then switch")
    text = set_top_level_key(current, "test_mode", "true" if test_mode else "false")
    mode = "test mode" if test_mode else "production"
    if text == current:
        return SaveResult(f"{partner_id} is in {mode} already: nothing changed")
    try:
        return save(hub, [Change(path, text, base)], actor,
                    note.strip() or f"switched to {mode}", "partner.test_mode" if test_mode else "partner.production")
    except ConfigRefused as exc:
        raise ActionRefused(f"{partner_id} cannot switch to {mode}: " + "; ".join(map(str, exc.problems))) from None


def credentials(hub, partner: Partner) -> list[dict]:
    """The keys and certificates a partner's connection depends on: for AS2 each certificate
    and when it expires (read from its file now), for SFTP our key file; never a secret."""
    settings = partner.transport.settings
    if partner.transport.type == "sftp":
        return [{"what": "our private key (key_file)", "file": settings.get("key_file", "-"),
                 "not_after": None, "days_left": None, "problem": ""}]
    if partner.transport.type != "as2":
        return []
    try:
        certificates = hub.pool.get(partner.id).settings.certificates()
    except HubError as exc:
        return [{"what": "AS2 settings", "file": "", "not_after": None, "days_left": None,
                 "problem": str(exc)}]
    now = hub.clock()
    names = {"key_file": "our certificate (key_file)",
             "partner_cert_file": "the partner's certificate (partner_cert_file)"}
    return [{"what": names.get(c.role, c.role), "file": str(c.path), "not_after": c.not_after,
             "days_left": None if c.not_after is None else (c.not_after - now).days,
             "problem": c.problem} for c in certificates]
