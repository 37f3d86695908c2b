"""The hub's AS2 endpoints over real HTTP on loopback, with pyas2lib as the supplier's station.

The hub's Flask app and the station each run in a werkzeug server; the station sends its
855 to ``/as2`` and its async MDNs to ``/as2/mdn``, and the hub's dispatcher sends the 850.
"""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from hub.adapters import tables as t
from hub.bootstrap import Hub, bootstrap
from hub.services.intake import Submission, accept
from hub.views import find_orders
from tests.integration.test_intake import order
from tests.support.as2 import (PARTNER_ID, PASSPHRASE, PASSPHRASE_ENV, PartnerStation,
                               Recorder, closed_port, flip_bit, http_post, serve)
from tests.support.as2_hub import SKU, SUPPLIER, LateApp, poack_855, write_as2_partner
from web import as2 as web_as2
from web import create_app


@dataclass
class Instance:
    """A hub with one AS2 supplier, its web app served, and the supplier's station."""

    hub: Hub
    app: Flask
    base: str                   # the hub's URL
    station: PartnerStation

    def post(self, message, body: bytes | None = None) -> tuple[int, dict, bytes]:
        """POST a message from the station to the hub's /as2, as its pyas2lib client would."""
        return http_post(f"{self.base}/as2", message.headers,
                         message.content if body is None else body)


@pytest.fixture
def make_instance(demo_home, clock, as2_certs, monkeypatch):
    """Build instances whose AS2 partner file takes ``transport`` overrides ({hub}: our URL)."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    stack = ExitStack()

    def make(**transport) -> Instance:
        station = PartnerStation(as2_certs)
        station_base = stack.enter_context(serve(station))
        late = LateApp()
        base = stack.enter_context(serve(late))
        transport = {k: v.format(hub=base) if isinstance(v, str) else v
                     for k, v in transport.items()}
        write_as2_partner(demo_home, as2_certs, f"{station_base}/as2", **transport)
        hub = bootstrap(demo_home, clock=clock)
        stack.callback(hub.close)
        app = create_app(hub, environ={"EDIHUB_SECRET_KEY": "s" * 32})
        late.app = app
        return Instance(hub, app, base, station)

    yield make
    stack.close()


@pytest.fixture
def inst(make_instance) -> Instance:
    """An instance whose supplier answers our 850s with a sync MDN."""
    return make_instance()


def sent_po(inst: Instance, number: str = "WS-AS2-1") -> dict:
    """Take in an order for the AS2 supplier's SKU and dispatch its 850; return the PO row."""
    o = order(channel_order_id=number)
    o["lines"] = [{"line_id": "1", "sku": SKU, "quantity": 3, "unit_price": "30.00"}]
    accept(inst.hub.context, [Submission("test", o)])
    inst.hub.dispatcher("w").run_once()
    p = t.purchase_orders
    with inst.hub.uow(readonly=True) as uow:
        return dict(uow.conn.execute(select(p).where(p.c.partner_id == SUPPLIER)
                                     .order_by(p.c.id.desc())).mappings().first())


def po_lines(inst: Instance, number: str) -> tuple:
    with inst.hub.uow(readonly=True) as uow:
        po = uow.repo.find_purchase_order(number)
    return po.state.value, [(ln.state.value, ln.qty_accepted) for ln in po.lines]


def interchanges(inst: Instance, direction: str, doc_type: str) -> list[dict]:
    i = t.interchanges
    with inst.hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(i).where(i.c.direction == direction,
                                                i.c.doc_type == doc_type).order_by(i.c.id))
        return [{**r, "receipt": json.loads(r["receipt"] or "{}")} for r in rows.mappings()]


def incidents(inst: Instance, code: str, state: str = "open") -> list[dict]:
    i = t.incidents
    with inst.hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(i).where(i.c.code == code, i.c.state == state)
                                .order_by(i.c.id))
        return [{**r, "detail": json.loads(r["detail"])} for r in rows.mappings()]


def archived(inst: Instance, relative: str) -> bytes:
    return inst.hub.archive.path_of(relative).read_bytes()


def line_acks(inst: Instance) -> int:
    with inst.hub.uow(readonly=True) as uow:
        return uow.conn.scalar(select(func.count()).select_from(t.line_acks))


class MdnInbox(Recorder):
    """The partner's MDN endpoint: keeps each POST and signals its arrival."""

    def __init__(self):
        super().__init__()
        self.arrived = threading.Event()

    def __call__(self, environ, start_response):
        try:
            return super().__call__(environ, start_response)
        finally:
            self.arrived.set()


class AfterResponse:
    """Stands in for 'after the response was sent': keeps the jobs until the test runs them."""

    def __init__(self):
        self.jobs = []

    def __call__(self, response, job) -> None:
        self.jobs.append(job)

    def run(self) -> int:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job()
        return len(jobs)


# --- inbound: the supplier's documents -----------------------------------------------------------

def test_a_signed_encrypted_855_is_applied_and_answered_with_a_verified_sync_mdn(inst):
    po = sent_po(inst)
    assert po["state"] == "sent"
    message = inst.station.build(poack_855(po["po_number"], 501), filename="855-501.x12")
    status, headers, body = inst.post(message)
    assert status == 200
    assert inst.station.read_mdn(message, headers, body) == ("processed", None)
    assert po_lines(inst, po["po_number"]) == ("accepted", [("accepted", 3)])
    [row] = interchanges(inst, "in", "as2")
    assert (row["state"], row["partner_id"], row["remote_name"]) == (
        "processed", SUPPLIER, f"as2:{message.message_id}")
    receipt = row["receipt"]
    assert (receipt["signed"], receipt["encrypted"], receipt["mdn"]) == (True, True, "sync")
    assert receipt["documents"]["applied"] == 1 and receipt["filename"] == "855-501.x12"
    assert message.content in archived(inst, row["archive_path"])    # the request as received
    [x12] = interchanges(inst, "in", "X12")
    assert (x12["control_number"], x12["remote_name"], x12["state"]) == (
        "000000501", "855-501.x12", "processed")
    # The raw message and the document it carried lie side by side, named for what they are.
    assert row["archive_path"].endswith(".as2")
    assert x12["archive_path"] == row["archive_path"].removesuffix(".as2") + ".payload.edi"
    assert archived(inst, x12["archive_path"]).startswith(b"ISA*")


def test_the_message_id_finds_the_order_the_document_it_carried_was_about(inst):
    po = sent_po(inst)
    message = inst.station.build(poack_855(po["po_number"], 503), filename="855-503.x12")
    assert inst.post(message)[0] == 200
    with inst.hub.uow(readonly=True) as uow:
        for ref in (message.message_id, message.message_id.strip("<>"), f"control:{message.message_id}"):
            assert [(m.order_id, m.kind, m.partner) for m in find_orders(uow.conn, ref)] == [
                (po["order_id"], f"AS2 Message-ID of the 855 received from {SUPPLIER}", SUPPLIER)], ref
        assert find_orders(uow.conn, "<no-such-message@example.com>") == []


def test_an_async_mdn_is_posted_to_the_partner_after_the_response(inst):
    po = sent_po(inst)
    inbox = MdnInbox()
    with serve(inbox) as partner_base:
        message = inst.station.build(poack_855(po["po_number"], 502),
                                     mdn_url=f"{partner_base}/mdn")
        status, _, body = inst.post(message)
        assert (status, body) == (200, b"")
        assert inbox.arrived.wait(10)
    headers, mdn = inbox.posts[-1]
    assert inst.station.read_mdn(message, headers, mdn) == ("processed", None)
    assert po_lines(inst, po["po_number"])[0] == "accepted"


def test_an_async_mdn_that_cannot_be_delivered_is_an_incident(inst):
    after = inst.app.extensions[web_as2.AFTER_RESPONSE] = AfterResponse()
    po = sent_po(inst)
    message = inst.station.build(poack_855(po["po_number"], 503),
                                 mdn_url=f"http://127.0.0.1:{closed_port()}/mdn")
    assert inst.post(message)[0] == 200
    assert after.run() == 1
    [incident] = incidents(inst, "as2.mdn_undelivered")
    assert message.message_id in incident["message"] and "refused the connection" in (
        incident["message"])
    [row] = interchanges(inst, "in", "as2")
    assert (row["state"], row["receipt"]["mdn_delivered"]) == ("processed", False)


def test_an_async_mdn_for_an_unknown_sender_is_never_posted_anywhere(inst):
    after = inst.app.extensions[web_as2.AFTER_RESPONSE] = AfterResponse()
    inbox = MdnInbox()
    with serve(inbox) as partner_base:
        message = inst.station.build(b"ISA~", sender="NOBODY", mdn_url=f"{partner_base}/mdn")
        status, _, body = inst.post(message)
    assert status == 200 and b"unknown-trading-partner" in body    # answered in the response
    assert after.jobs == [] and inbox.posts == []


@pytest.mark.parametrize("build, tamper, modifier, reason", [
    ({}, True, None, None),
    ({"signer": "stranger"}, False, "authentication-failed", "partner_cert_file"),
    ({"sign": False}, False, "insufficient-message-security", "require_signed"),
    ({"encrypt": False}, False, "insufficient-message-security", "require_encrypted"),
    ({"sender": "NOBODY"}, False, "unknown-trading-partner", "partner_as2_id = 'NOBODY'"),
], ids=["tampered", "wrong-certificate", "unsigned", "unencrypted", "unknown-partner"])
def test_a_refused_message_gets_an_error_mdn_an_incident_and_is_kept(
        inst, as2_certs, build, tamper, modifier, reason):
    po = sent_po(inst)
    if "signer" in build:
        build = {**build, "signer": getattr(as2_certs, build["signer"])}
    message = inst.station.build(poack_855(po["po_number"], 504), **build)
    body = flip_bit(message.content) if tamper else message.content
    status, headers, mdn = inst.post(message, body)
    assert status == 200 and b"processed/Error" in mdn
    sender = build.get("sender", PARTNER_ID)
    if sender == PARTNER_ID:      # our MDN is signed for a known partner: it verifies
        mdn_status, detail = inst.station.read_mdn(message, headers, mdn)
        assert mdn_status == "processed/Error" and detail == (modifier or detail)
    else:
        assert modifier.encode() in mdn
    assert po_lines(inst, po["po_number"])[0] == "sent"                 # nothing applied
    assert interchanges(inst, "in", "X12") == []
    [row] = interchanges(inst, "in", "as2")
    assert row["state"] == "rejected" and body in archived(inst, row["archive_path"])
    [incident] = incidents(inst, "as2.refused")
    assert f"from {sender!r}" in incident["message"] and incident["interchange_id"] == row["id"]
    assert row["archive_path"] in incident["message"]
    assert reason is None or reason in incident["message"]
    assert incident["detail"]["sender"] == sender


def test_a_request_that_is_not_as2_is_answered_400_and_kept(inst):
    status, _, body = http_post(f"{inst.base}/as2", {"Content-Type": "text/plain"}, b"hello")
    assert status == 400 and b"not an AS2 message" in body
    [incident] = incidents(inst, "as2.refused")
    assert "AS2-From" in incident["message"]
    assert archived(inst, incident["detail"]["archive_path"]).endswith(b"\r\n\r\nhello")


def test_a_repeated_message_id_gets_a_duplicate_mdn_and_is_not_applied_twice(inst):
    po = sent_po(inst)
    message = inst.station.build(poack_855(po["po_number"], 505))
    inst.post(message)
    status, headers, body = inst.post(message)
    assert status == 200
    assert inst.station.read_mdn(message, headers, body) == (
        "processed/Warning", "duplicate-document")
    assert line_acks(inst) == 1 and len(interchanges(inst, "in", "X12")) == 1
    first, again = interchanges(inst, "in", "as2")
    assert (first["state"], again["state"], again["duplicate_of"]) == (
        "processed", "duplicate", first["id"])


def test_a_processing_failure_answers_500_and_the_resent_message_is_processed(
        inst, monkeypatch):
    po = sent_po(inst)
    message = inst.station.build(poack_855(po["po_number"], 506))

    def store_down(*args, **kwargs):
        raise ConnectionError("store unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(inst.hub, "receive_stream", store_down)
        status, _, body = inst.post(message)
    assert status == 500 and b"send it again later" in body
    [incident] = incidents(inst, "as2.processing_failed")
    assert "ConnectionError" in incident["message"]
    status, headers, body = inst.post(message)         # the partner's station retries
    assert inst.station.read_mdn(message, headers, body) == ("processed", None)
    assert po_lines(inst, po["po_number"])[0] == "accepted"
    assert incidents(inst, "as2.processing_failed") == []
    assert [r["state"] for r in interchanges(inst, "in", "as2")] == ["rejected", "processed"]


# --- outbound: our 850 to the supplier's station --------------------------------------------------

def test_the_dispatcher_sends_an_850_over_as2_and_records_the_verified_mdn(inst):
    po = sent_po(inst)
    status, exc, message = inst.station.received[-1]
    assert (status, exc) == ("processed", None)
    assert f"BEG*00*DS*{po['po_number']}".encode() in message.content
    [out] = interchanges(inst, "out", "850")
    detail = out["receipt"]["detail"]
    assert out["state"] == "sent" and detail["message_id"] == message.message_id
    assert (detail["mdn_status"], detail["mdn_signed"]) == ("processed", True)
    assert detail["mic"] == message.mic.decode()


def test_an_async_mdn_for_our_850_is_verified_and_recorded(make_instance):
    inst = make_instance(mdn_mode="async", mdn_url="{hub}/as2/mdn")
    po = sent_po(inst)
    [out] = interchanges(inst, "out", "850")
    assert out["receipt"]["detail"]["mdn_pending"] is True
    assert inst.station.deliver_async_mdns() == [200]
    [out] = interchanges(inst, "out", "850")
    detail = out["receipt"]["detail"]
    assert (out["state"], detail["mdn_status"], detail["mdn_pending"]) == (
        "sent", "processed", False)
    assert detail["mdn_signed"] is True and detail["mdn_mic"] == detail["mic"]
    assert archived(inst, detail["mdn_archive_path"])
    with inst.hub.uow(readonly=True) as uow:
        kinds = list(uow.conn.scalars(select(t.events.c.kind).where(
            t.events.c.purchase_order_id == po["id"])))
    assert "as2.mdn_received" in kinds


def test_an_async_error_mdn_fails_the_interchange_and_files_an_incident(make_instance):
    inst = make_instance(mdn_mode="async", mdn_url="{hub}/as2/mdn")
    inst.station.tamper = True
    po = sent_po(inst)
    assert inst.station.deliver_async_mdns() == [200]
    [out] = interchanges(inst, "out", "850")
    assert out["state"] == "failed" and out["receipt"]["detail"]["mdn_status"] == "error"
    [incident] = incidents(inst, "as2.mdn_refused")
    assert incident["purchase_order_id"] == po["id"] and "retry it" in incident["message"]


def test_an_async_mdn_signed_by_a_stranger_changes_nothing_but_is_an_incident(
        make_instance, as2_certs):
    inst = make_instance(mdn_mode="async", mdn_url="{hub}/as2/mdn")
    inst.station.mdn_signer = as2_certs.stranger
    sent_po(inst)
    assert inst.station.deliver_async_mdns() == [200]
    [out] = interchanges(inst, "out", "850")
    assert out["state"] == "sent" and out["receipt"]["detail"]["mdn_pending"] is True
    [incident] = incidents(inst, "as2.mdn_untrusted")
    assert "cannot be trusted" in incident["message"]


def test_an_async_mdn_for_a_message_we_never_sent_is_an_incident(make_instance):
    inst = make_instance(mdn_mode="async", mdn_url="{hub}/as2/mdn")
    sent_po(inst)
    [(url, headers, body)] = inst.station.pending_mdns
    i = t.interchanges
    with inst.hub.uow() as uow:      # the record of the send is gone (e.g. restored backup)
        uow.conn.execute(i.update().values(receipt="{}"))
        uow.commit()
    assert http_post(url, headers, body)[0] == 200
    [incident] = incidents(inst, "as2.mdn_unmatched")
    assert "matches no message we sent" in incident["message"]
