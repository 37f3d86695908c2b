"""AS2 endpoints: ``POST /as2`` takes partners' messages, ``POST /as2/mdn`` their async MDNs.

No login: AS2 authenticates each message by its signature, checked against the partner's
certificate. When CSRF protection is added to the app (Flask-WTF's CSRFProtect), this
blueprint must be exempted (``csrf.exempt(web.as2.bp)``): partners' stations send no token.

Every request is archived as received (headers and body) before anything is decided, so even
a refused message is kept. What each outcome records is described in
:mod:`hub.services.as2_inbound` and :mod:`hub.services.as2_mdn`; docs/as2.md is the
operator's guide.

An asynchronous MDN is POSTed to the partner after our HTTP response has been sent (the
response's close callback), once everything is committed; tests and other servers may
replace when that happens with ``app.extensions[AFTER_RESPONSE]``, a callable given the
response and a job (no arguments) to run. We POST MDNs only for messages that claim a known
partner: an unknown sender's MDN is answered in the response instead, so nobody can make the
hub POST to an address of their choosing by posting a message.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request

from hub.services.as2_inbound import (As2Arrival, finish_message, is_processed,
                                      record_duplicate, record_failure, record_mdn_delivery,
                                      record_refusal, start_message)
from hub.services.as2_mdn import MdnOutcome, find_sent, record_async_mdn
from transports.as2 import As2Settings, SentMessage, verify_async_mdn
from transports.as2_mdn import as2_name_header, mime_bytes
from transports.as2_receiver import As2Receiver, InboundResult, post_async_mdn
from transports.errors import TransportConfigError, TransportError
from transports.http import redact_url

bp = Blueprint("as2", __name__)
log = logging.getLogger("edihub.as2")

# AS2 messages may carry large files; pyas2lib holds a message in memory to decrypt it.
MAX_MESSAGE_BYTES = 64 << 20
STATION = "edihub.as2_station"
AFTER_RESPONSE = "edihub.as2_after_response"


@dataclass(frozen=True)
class As2Station:
    """Our AS2 side, built from the partner files: the receiver and each partner's settings."""

    receiver: As2Receiver
    settings: dict[str, As2Settings]    # by partner id
    partner_ids: dict[str, str]         # partner_as2_id -> partner id


def build_station(hub) -> As2Station:
    """The receiver for every partner whose transport is AS2; our identities from their settings."""
    settings: dict[str, As2Settings] = {}
    for partner_id, partner in hub.context.partners.items():
        if partner.transport.type != "as2":
            continue
        try:
            settings[partner_id] = As2Settings.from_mapping(partner.transport.settings,
                                                            hub.settings.home)
        except TransportConfigError as exc:
            # The hub checked the file at start: the environment must have changed since.
            log.error("%s: AS2 settings cannot be loaded (%s): its messages are refused",
                      partner_id, exc)
    partners, ours, partner_ids = {}, {}, {}
    for partner_id, s in settings.items():
        # Two partner files with one partner_as2_id (or one our_as2_id with two keys) cannot
        # be told apart on the wire: the first partner file (by file name) wins.
        partners.setdefault(s.partner_as2_id, s)
        partner_ids.setdefault(s.partner_as2_id, partner_id)
        ours.setdefault(s.our_as2_id, s.identity)
    return As2Station(As2Receiver(ours, partners), settings, partner_ids)


def _hub():
    return current_app.extensions["edihub"]


def _station() -> As2Station:
    station = current_app.extensions.get(STATION)
    if station is None:   # built on first use; two requests building it at once is harmless
        station = current_app.extensions[STATION] = build_station(_hub())
    return station


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status, mimetype="text/plain")


@bp.post("/as2")
def receive_message():
    """Take one AS2 message: keep it, check it, hand its document on, answer with its MDN."""
    request.max_content_length = MAX_MESSAGE_BYTES
    # The raw body first: form parsing would consume a multipart/signed body.
    body = request.get_data(cache=False)
    try:
        return _receive(_hub(), _station(), request.headers, body)
    except Exception:   # ours, not the message's: no MDN, so the partner sends it again
        log.exception("an AS2 message could not be taken in")
        return _plain(500, "the message could not be processed now; send it again later")


def _receive(hub, station: As2Station, headers, body: bytes) -> Response:
    kept = _archive(hub, headers, body)
    result = station.receiver.receive(headers, body, functools.partial(_seen, hub, station))
    arrival = _arrival(station, result, kept, headers)
    if result.status == "error":
        row = record_refusal(hub.context, arrival)
        return _answer(hub, station, result, arrival, row)
    if result.status == "duplicate":
        row = record_duplicate(hub.context, arrival)
        return _answer(hub, station, result, arrival, row)
    row = start_message(hub.context, arrival)
    try:
        report = hub.receive_stream(io.BytesIO(result.payload), "as2", result.filename,
                                    arrival.partner_id, beside=arrival.archive_path)
    except Exception as exc:
        # The request is archived. Ours to fix, not the partner's: an error MDN would make
        # them resend by hand, while 500 without an MDN makes their station send it again,
        # and it is processed then (it was never marked processed).
        log.exception("%s: AS2 message %s could not be processed", arrival.partner_id,
                      arrival.message_id)
        record_failure(hub.context, row, arrival, exc)
        return _plain(500, "the message was received but could not be processed now; send "
                           "it again later")
    finish_message(hub.context, row, arrival, report)
    log.info("%s: AS2 message %s processed (%s)", arrival.partner_id, arrival.message_id,
             report.state)
    return _answer(hub, station, result, arrival, row)


def _archive(hub, headers, body: bytes) -> tuple[str, str, int]:
    path, sha, size = hub.archive.store_in(io.BytesIO(mime_bytes(headers, body)), hub.clock(), "as2")
    return hub.archive.relative(path), sha, size


def _seen(hub, station: As2Station, message_id: str, sender: str) -> bool:
    partner_id = station.partner_ids.get(sender)
    return partner_id is not None and is_processed(hub.context, partner_id, message_id)


def _arrival(station: As2Station, result: InboundResult, kept: tuple[str, str, int],
             headers) -> As2Arrival:
    status, _, body = result.mdn_response
    mdn = "async" if result.async_mdn else "sync" if status == 200 and body else "none"
    facts = {"recipient": result.our_as2_id, "signed": result.signed,
             "encrypted": result.encrypted, "compressed": result.compressed,
             "mic": result.mic, "mdn": mdn}
    if result.payload is not None:
        facts["payload_sha256"] = hashlib.sha256(result.payload).hexdigest()
    return As2Arrival(*kept, status=result.status, sender=result.partner_as2_id,
                      partner_id=station.partner_ids.get(result.partner_as2_id or ""),
                      message_id=result.message_id, disposition=result.disposition,
                      error=result.error, filename=result.filename,
                      content_type=headers.get("Content-Type", ""), facts=facts)


def _answer(hub, station: As2Station, result: InboundResult, arrival: As2Arrival,
            row: int) -> Response:
    status, headers, body = result.mdn_response
    if result.async_mdn is None:
        return Response(body, status, headers=headers)
    url, mdn_headers, mdn_body = result.async_mdn
    if arrival.partner_id is None:
        return Response(mdn_body, 200, headers=mdn_headers)
    response = Response(b"", 200)
    timeout = station.settings[arrival.partner_id].timeout
    job = functools.partial(_deliver_mdn, hub, arrival, row, url, mdn_headers, mdn_body, timeout)
    after = current_app.extensions.get(AFTER_RESPONSE)
    if after is not None:
        after(response, job)
    else:
        response.call_on_close(job)
    return response


def _deliver_mdn(hub, arrival: As2Arrival, row: int, url: str, headers: dict, body: bytes,
                 timeout: float) -> None:
    """POST an async MDN; how it went is recorded, and a failure is an Incident."""
    error = None
    try:
        post_async_mdn(url, headers, body, timeout)
    except TransportError as exc:
        error = str(exc)
    except Exception as exc:  # nothing may escape a close callback: record it instead
        log.exception("the MDN for AS2 message %s could not be sent", arrival.message_id)
        error = f"unexpected error: {type(exc).__name__}"
    try:
        record_mdn_delivery(hub.context, row, arrival, redact_url(str(url)), error)
    except Exception:
        log.exception("how the MDN for AS2 message %s went could not be recorded",
                      arrival.message_id)


@bp.post("/as2/mdn")
def receive_mdn():
    """Take an asynchronous MDN about a message we sent: verify it, record what it says."""
    request.max_content_length = MAX_MESSAGE_BYTES
    body = request.get_data(cache=False)
    try:
        return _receive_mdn(_hub(), _station(), request.headers, body)
    except Exception:   # e.g. the store is down: the partner's station sends the MDN again
        log.exception("an AS2 MDN could not be taken in")
        return _plain(500, "the MDN could not be recorded now; send it again later")


def _receive_mdn(hub, station: As2Station, headers, body: bytes) -> Response:
    archive_path, sha, _size = _archive(hub, headers, body)
    sender = as2_name_header(headers, "AS2-From")
    matched: list[dict] = []

    def find(message_id: str) -> SentMessage | None:
        sent = find_sent(hub.context, message_id)
        settings = station.settings.get(sent["partner_id"]) if sent else None
        # Only the partner we sent the message to may answer for it.
        if settings is None or (sender is not None and sender != settings.partner_as2_id):
            return None
        matched.append(sent)
        return SentMessage(message_id, settings, sent["detail"].get("mic"))

    result = verify_async_mdn(headers, body, find)
    if result.disposition == "no MDN":
        log.warning("a POST to /as2/mdn held no MDN; kept in the archive as %s", archive_path)
        return _plain(400, "not an AS2 MDN")
    outcome = MdnOutcome(result.message_id, result.status, result.disposition, result.detail(),
                         archive_path, sha, sender, result.error, result.trusted)
    done = record_async_mdn(hub.context, matched[0] if matched else None, outcome)
    log.info("MDN for AS2 message %s: %s (%s)", result.message_id, done, result.disposition)
    return _plain(200, "MDN received")
