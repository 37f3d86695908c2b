"""AS2 over real HTTP on loopback, with pyas2lib as the partner's station, both ways."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Request, Response

from tests.support.as2 import (OUR_ID, PARTNER_ID, X12_LF, PartnerStation, Recorder,
                               closed_port, flip_bit, http_post, our_settings, serve, silent_port)
from transports.as2 import As2Transport, MdnRefusedError, SentMessage, verify_async_mdn
from transports.as2_receiver import As2Receiver, InboundResult, post_async_mdn
from transports.base import OutboundFile
from transports.errors import PermanentTransportError, TransientTransportError

DOCUMENT = OutboundFile("PO-1001.x12", X12_LF)


@pytest.fixture
def station(as2_certs):
    """The partner's AS2 station, fresh for each test."""
    return PartnerStation(as2_certs)


@pytest.fixture
def station_url(station):
    with serve(station) as base:
        yield f"{base}/as2"


def send(as2_certs, url, document=DOCUMENT, **overrides):
    transport = As2Transport(our_settings(as2_certs, url, **overrides))
    try:
        return transport.send(document)
    finally:
        transport.close()


# --- outbound: our As2Transport -> the partner's station ------------------------------------------

def test_a_document_arrives_byte_for_byte_and_the_sync_mdn_is_verified(as2_certs, station,
                                                                         station_url):
    receipt = send(as2_certs, station_url)
    status, exc, message = station.received[-1]
    assert (status, exc) == ("processed", None)
    assert station.payloads() == [X12_LF]                   # LF line endings survived
    assert message.signed and message.encrypted and not message.compressed
    assert message.payload.get_filename() == "PO-1001.x12"
    assert (receipt.transport, receipt.remote_name, receipt.already_present) == (
        "as2", "PO-1001.x12", False)
    assert receipt.detail["message_id"] == message.message_id
    assert receipt.detail["mdn_status"] == "processed" and receipt.detail["mdn_signed"] is True
    assert receipt.detail["mic"] == message.mic.decode()


def test_a_compressed_document_arrives_byte_for_byte(as2_certs, station, station_url):
    send(as2_certs, station_url, compress=True)
    assert station.received[-1][2].compressed and station.payloads() == [X12_LF]


def test_an_unsigned_mdn_can_be_asked_for(as2_certs, station, station_url):
    receipt = send(as2_certs, station_url, mdn_digest_alg="none")
    assert receipt.detail["mdn_status"] == "processed" and receipt.detail["mdn_signed"] is False


def test_an_async_mdn_is_pending_then_verified(as2_certs, station, station_url):
    mdn_endpoint = Recorder()
    with serve(mdn_endpoint) as mdn_base:
        settings = our_settings(as2_certs, station_url, mdn_mode="async",
                                mdn_url=f"{mdn_base}/as2/mdn")
        receipt = As2Transport(settings).send(DOCUMENT)
        assert receipt.detail["mdn_pending"] is True and "mdn_status" not in receipt.detail
        assert station.deliver_async_mdns() == [200]
    headers, body = mdn_endpoint.posts[-1]
    sent = {receipt.detail["message_id"]: SentMessage(receipt.detail["message_id"], settings,
                                                      receipt.detail["mic"])}
    result = verify_async_mdn(headers, body, sent.get)
    assert (result.status, result.message_id, result.signed) == (
        "processed", receipt.detail["message_id"], True)
    assert result.mic == receipt.detail["mic"] and result.error is None
    assert station.payloads() == [X12_LF]


def test_an_async_mdn_for_a_message_we_do_not_know_is_an_error(as2_certs, station, station_url):
    mdn_endpoint = Recorder()
    with serve(mdn_endpoint) as mdn_base:
        send(as2_certs, station_url, mdn_mode="async", mdn_url=f"{mdn_base}/mdn")
        station.deliver_async_mdns()
    result = verify_async_mdn(*mdn_endpoint.posts[-1], lambda message_id: None)
    assert result.status == "error" and "not a message we sent" in result.error
    with pytest.raises(PermanentTransportError):
        result.raise_for_error()


def test_an_async_mdn_signed_by_a_stranger_is_not_trusted(as2_certs, station, station_url):
    station.mdn_signer = as2_certs.stranger
    mdn_endpoint = Recorder()
    with serve(mdn_endpoint) as mdn_base:
        settings = our_settings(as2_certs, station_url, mdn_mode="async",
                                mdn_url=f"{mdn_base}/mdn")
        receipt = As2Transport(settings).send(DOCUMENT)
        station.deliver_async_mdns()
    sent = SentMessage(receipt.detail["message_id"], settings, receipt.detail["mic"])
    result = verify_async_mdn(*mdn_endpoint.posts[-1], lambda message_id: sent)
    assert result.status == "error" and "cannot be trusted" in result.error


def test_a_message_altered_on_the_way_gets_an_error_mdn_and_a_permanent_error(
        as2_certs, station, station_url):
    station.tamper = True
    with pytest.raises(MdnRefusedError) as caught:
        send(as2_certs, station_url)
    assert station.received[-1][0] == "processed/Error" and station.payloads() == []
    assert caught.value.disposition.startswith("processed/Error")
    assert isinstance(caught.value, PermanentTransportError)


def test_encrypting_to_the_wrong_certificate_gives_decryption_failed(as2_certs, station,
                                                                     station_url, tmp_path):
    with pytest.raises(MdnRefusedError) as caught:
        send(as2_certs, station_url, partner_cert_file=str(as2_certs.stranger.cert_file),
             mdn_digest_alg="none")     # unsigned MDN: else its signature fails first
    assert caught.value.disposition == "processed/Error: decryption-failed"
    assert "partner_cert_file" in str(caught.value) and station.payloads() == []


def test_encrypting_to_the_wrong_certificate_fails_even_with_a_signed_mdn(as2_certs, station,
                                                                          station_url):
    with pytest.raises(MdnRefusedError, match="cannot be trusted"):
        send(as2_certs, station_url, partner_cert_file=str(as2_certs.stranger.cert_file))


def test_a_partner_without_our_current_certificate_answers_authentication_failed(
        as2_certs, station, station_url):
    station.knows_us_by = as2_certs.stranger
    with pytest.raises(MdnRefusedError) as caught:
        send(as2_certs, station_url)
    assert caught.value.disposition == "processed/Error: authentication-failed"
    assert "key_file" in str(caught.value)


def test_an_mdn_signed_with_a_key_we_do_not_know_is_refused(as2_certs, station, station_url):
    station.mdn_signer = as2_certs.stranger
    with pytest.raises(MdnRefusedError, match="partner_cert_file is not the certificate"):
        send(as2_certs, station_url)


def test_an_mdn_confirming_another_mic_is_refused(as2_certs, station, station_url):
    station.wrong_mic = True
    with pytest.raises(MdnRefusedError, match="altered on the way") as caught:
        send(as2_certs, station_url)
    assert caught.value.message_id == station.received[-1][2].message_id


def test_unsigned_sending_to_a_partner_that_requires_signatures_is_refused(as2_certs, station,
                                                                           station_url):
    with pytest.raises(MdnRefusedError) as caught:
        send(as2_certs, station_url, sign=False)
    assert caught.value.disposition == "processed/Error: insufficient-message-security"
    assert "sign and encrypt" in str(caught.value)


def test_a_duplicate_document_warning_counts_as_delivered_already(as2_certs, station,
                                                                  station_url):
    station.duplicates = True
    receipt = send(as2_certs, station_url)
    assert receipt.already_present is True
    assert receipt.detail["mdn_status"] == "duplicate"
    assert receipt.detail["mdn_detail"] == "processed/Warning: duplicate-document"


def test_an_expired_partner_certificate_is_a_permanent_error(as2_certs, station, station_url):
    with pytest.raises(PermanentTransportError, match="expired"):
        send(as2_certs, station_url, partner_cert_file=str(as2_certs.expired.cert_file))
    assert station.received == []


def test_an_unreachable_server_is_transient(as2_certs):
    with pytest.raises(TransientTransportError, match="refused the connection"):
        send(as2_certs, f"http://127.0.0.1:{closed_port()}/as2")


def test_a_server_that_does_not_answer_is_transient(as2_certs):
    with silent_port() as port:
        with pytest.raises(TransientTransportError, match="did not answer within 0.3 s"):
            send(as2_certs, f"http://127.0.0.1:{port}/as2", timeout=0.3)


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_transient(as2_certs, station, station_url, status):
    station.http_status = status
    with pytest.raises(TransientTransportError, match=f"HTTP {status}"):
        send(as2_certs, station_url)


def test_a_wrong_path_is_permanent(as2_certs, station, station_url):
    station.http_status = 404
    with pytest.raises(PermanentTransportError, match="HTTP 404") as caught:
        send(as2_certs, station_url)
    assert not isinstance(caught.value, TransientTransportError)


def test_an_answer_without_mdn_is_transient(as2_certs, station, station_url):
    station.no_mdn = True
    with pytest.raises(TransientTransportError, match="holds no MDN"):
        send(as2_certs, station_url)
    assert station.payloads() == [X12_LF]


def test_https_with_the_partners_ca_works(as2_certs, station):
    with serve(station, tls=as2_certs) as base:
        receipt = send(as2_certs, f"{base}/as2", tls_ca_file=str(as2_certs.tls_cert_file))
    assert receipt.detail["mdn_status"] == "processed" and station.payloads() == [X12_LF]


def test_https_with_an_untrusted_certificate_is_permanent(as2_certs, station):
    with serve(station, tls=as2_certs) as base:
        with pytest.raises(PermanentTransportError, match="tls_ca_file"):
            send(as2_certs, f"{base}/as2")
    assert station.received == []


# --- inbound: the partner's pyas2lib client -> a WSGI app around As2Receiver ----------------------

class HubEndpoint:
    """What the hub's POST /as2 does, in miniature: raw body first, then the receiver."""

    def __init__(self, receiver: As2Receiver):
        self.receiver = receiver
        self.results: list[InboundResult] = []
        self.stored: list[tuple[str, bytes]] = []      # documents handed on
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        result = self.receiver.receive(request.headers, body,
                                       lambda mid, pid: (mid, pid) in self.seen)
        self.results.append(result)
        if result.status == "processed":
            self.seen.add((result.message_id, result.partner_as2_id))
            self.stored.append((result.filename, result.payload))
        status, headers, answer = result.mdn_response
        return Response(answer, status, headers=headers)(environ, start_response)


@pytest.fixture
def hub(as2_certs):
    settings = our_settings(as2_certs)
    return HubEndpoint(As2Receiver({OUR_ID: settings.identity}, {PARTNER_ID: settings}))


@pytest.fixture
def hub_url(hub):
    with serve(hub) as base:
        yield f"{base}/as2"


def post_message(url, message, tamper=False):
    body = flip_bit(message.content) if tamper else message.content
    return http_post(url, message.headers, body)


def test_a_partner_document_arrives_byte_for_byte_with_a_verified_sync_mdn(
        station, hub, hub_url):
    message = station.build(X12_LF, compress=True)
    status, headers, body = post_message(hub_url, message)
    result = hub.results[-1]
    assert status == 200 and result.status == "processed" and result.error is None
    assert result.payload == X12_LF and hub.stored == [("ASN-856.x12", X12_LF)]
    assert (result.signed, result.encrypted, result.compressed) == (True, True, True)
    assert (result.message_id, result.partner_as2_id, result.our_as2_id) == (
        message.message_id, PARTNER_ID, OUR_ID)
    assert result.mic == message.mic.decode() and result.async_mdn is None
    assert station.read_mdn(message, headers, body) == ("processed", None)
    assert b"received and processed" in body


def test_an_async_mdn_is_handed_back_and_posted_to_the_partner(station, hub, hub_url):
    partner_mdn_endpoint = Recorder()
    with serve(partner_mdn_endpoint) as partner_base:
        message = station.build(X12_LF, mdn_url=f"{partner_base}/mdn")
        status, _, body = post_message(hub_url, message)
        result = hub.results[-1]
        assert (status, body, result.status) == (200, b"", "processed")
        url, headers, mdn = result.async_mdn
        assert url == f"{partner_base}/mdn"
        assert post_async_mdn(url, headers, mdn, timeout=10) == 200
    posted_headers, posted_body = partner_mdn_endpoint.posts[-1]
    assert station.read_mdn(message, posted_headers, posted_body) == ("processed", None)


def test_an_async_mdn_to_an_unreachable_partner_is_transient(station, hub, hub_url):
    message = station.build(X12_LF, mdn_url=f"http://127.0.0.1:{closed_port()}/mdn")
    post_message(hub_url, message)
    with pytest.raises(TransientTransportError):
        post_async_mdn(*hub.results[-1].async_mdn, timeout=5)


def test_a_message_altered_on_the_way_is_refused_with_an_error_mdn(station, hub, hub_url):
    message = station.build(X12_LF)
    _, headers, body = post_message(hub_url, message, tamper=True)
    result = hub.results[-1]
    assert result.status == "error" and result.payload is None and hub.stored == []
    mdn_status, mdn_detail = station.read_mdn(message, headers, body)
    assert mdn_status == "processed/Error" and result.disposition == f"{mdn_status}: {mdn_detail}"
    assert "resend" in result.error or "decrypt" in result.error


def test_a_signature_by_an_unknown_key_is_refused(station, hub, hub_url, as2_certs):
    message = station.build(X12_LF, signer=as2_certs.stranger)
    _, headers, body = post_message(hub_url, message)
    result = hub.results[-1]
    assert (result.status, result.disposition) == (
        "error", "processed/Error: authentication-failed")
    assert "partner_cert_file" in result.error and hub.stored == []
    assert station.read_mdn(message, headers, body) == ("processed/Error", "authentication-failed")


def test_a_message_encrypted_to_another_certificate_is_refused(station, hub, hub_url, as2_certs):
    message = station.build(X12_LF, encrypt_to=as2_certs.stranger)
    post_message(hub_url, message)
    result = hub.results[-1]
    assert (result.status, result.disposition) == ("error", "processed/Error: decryption-failed")
    assert "our current certificate" in result.error and hub.stored == []


def test_an_unsigned_message_is_refused_when_signatures_are_required(station, hub, hub_url):
    message = station.build(X12_LF, sign=False)
    _, headers, body = post_message(hub_url, message)
    result = hub.results[-1]
    assert result.status == "error" and "require_signed" in result.error and hub.stored == []
    assert station.read_mdn(message, headers, body) == (
        "processed/Error", "insufficient-message-security")


def test_an_unencrypted_message_is_refused_when_encryption_is_required(station, hub, hub_url):
    post_message(hub_url, station.build(X12_LF, encrypt=False))
    result = hub.results[-1]
    assert result.status == "error" and "require_encrypted" in result.error
    assert result.disposition == "processed/Error: insufficient-message-security"


def test_an_unsigned_unencrypted_message_is_taken_when_the_partner_file_allows(
        as2_certs, station):
    settings = our_settings(as2_certs, require_signed=False, require_encrypted=False)
    hub = HubEndpoint(As2Receiver({OUR_ID: settings.identity}, {PARTNER_ID: settings}))
    with serve(hub) as base:
        post_message(f"{base}/as2", station.build(X12_LF, sign=False, encrypt=False))
    result = hub.results[-1]
    assert result.status == "processed" and result.payload == X12_LF
    assert (result.signed, result.encrypted) == (False, False)


def test_an_expired_partner_certificate_on_file_is_named(as2_certs, station):
    settings = our_settings(as2_certs, partner_cert_file=str(as2_certs.expired.cert_file))
    hub = HubEndpoint(As2Receiver({OUR_ID: settings.identity}, {PARTNER_ID: settings}))
    with serve(hub) as base:
        post_message(f"{base}/as2", station.build(X12_LF))
    result = hub.results[-1]
    assert result.status == "error" and hub.stored == []
    assert f"{as2_certs.expired.not_after:%Y-%m-%d}" in result.error and "expired" in result.error


def test_a_repeated_message_id_is_a_duplicate_and_not_handed_on_twice(station, hub, hub_url):
    message = station.build(X12_LF)
    post_message(hub_url, message)
    _, headers, body = post_message(hub_url, message)
    assert [r.status for r in hub.results] == ["processed", "duplicate"]
    assert hub.results[-1].payload is None and hub.stored == [("ASN-856.x12", X12_LF)]
    assert station.read_mdn(message, headers, body) == ("processed/Warning", "duplicate-document")


def test_an_unknown_partner_gets_an_error_mdn_and_the_operator_a_clear_error(station, hub,
                                                                           hub_url):
    message = station.build(X12_LF, sender="NOBODY")
    post_message(hub_url, message)
    result = hub.results[-1]
    assert (result.status, result.partner_as2_id) == ("error", "NOBODY")
    assert "partner_as2_id = 'NOBODY'" in result.error
    assert result.disposition == "processed/Error: unknown-trading-partner"
    assert b"unknown-trading-partner" in result.mdn_response[2]


def test_a_message_for_an_as2_id_that_is_not_ours_is_refused(station, hub, hub_url):
    post_message(hub_url, station.build(X12_LF, to="SOMEONE-ELSE"))
    result = hub.results[-1]
    assert result.status == "error" and "'SOMEONE-ELSE', which is not ours" in result.error
    assert result.disposition == "processed/Error: unknown-trading-partner"


def test_a_partner_writing_to_another_of_our_ids_is_refused(as2_certs, station):
    settings = our_settings(as2_certs)
    second = our_settings(as2_certs, our_as2_id="EDIHUB-EU")
    hub = HubEndpoint(As2Receiver({OUR_ID: settings.identity, "EDIHUB-EU": second.identity},
                                  {PARTNER_ID: settings}))
    with serve(hub) as base:
        post_message(f"{base}/as2", station.build(X12_LF, to="EDIHUB-EU"))
    assert hub.results[-1].status == "error" and "set up to send to our AS2 id 'EDIHUB'" in (
        hub.results[-1].error)


@pytest.mark.parametrize("name", ["../../etc/passwd", ".hidden", "smime.p7m", None])
def test_an_unsafe_or_missing_file_name_is_replaced(station, hub, hub_url, name):
    post_message(hub_url, station.build(X12_LF, filename=name))
    result = hub.results[-1]
    assert result.status == "processed" and result.filename.startswith("as2-")
    assert result.filename.endswith(".dat") and "/" not in result.filename


def test_a_failing_duplicate_check_propagates_instead_of_an_error_mdn(as2_certs, station):
    settings = our_settings(as2_certs)
    receiver = As2Receiver({OUR_ID: settings.identity}, {PARTNER_ID: settings})
    message = station.build(X12_LF)

    def database_down(message_id, partner_id):
        raise ConnectionError("database unavailable")

    with pytest.raises(ConnectionError, match="database unavailable"):
        receiver.receive(message.headers, message.content, database_down)
