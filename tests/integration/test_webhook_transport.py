"""Webhook transport against a real HTTP(S) server on loopback playing the sales channel."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from transports.base import OutboundFile
from transports.errors import PermanentTransportError, TransientTransportError
from transports.http import HttpRefusedError, RetryLaterError
from transports.webhook import WebhookSettings, WebhookTransport, verify_signature

SECRET = "whsec-3f9a1c7e5b2d4f608a1b3c5d7e9f0a2b"
AUTH = "Bearer chan-token-4471"
ENVIRON = {"SHOP_HOOK_SECRET": SECRET, "SHOP_HOOK_AUTH": AUTH}
NOW = 1_795_000_000  # a fixed clock: 2026-11-18
PAYLOAD = json.dumps({
    "event": "shipment.recorded", "channel_order_id": "WS-10001", "carrier": "UPS",
    "tracking_numbers": ["1Z999AA10123456784"], "ship_date": "2026-11-18",
    "expected_delivery": "2026-11-21", "lines": [{"line_id": "1", "quantity": 1}],
}, ensure_ascii=False).encode() + "  é\n".encode()   # odd bytes: the body must arrive as is
FILE = OutboundFile("shipment-SH000042.json", PAYLOAD, "application/json")


# --- the channel's endpoint ----------------------------------------------------------------

@dataclass
class Seen:
    """One request the channel received."""

    path: str
    headers: dict[str, str]
    body: bytes


Action = Callable[[BaseHTTPRequestHandler], None]


def reply(status: int, body: bytes = b"", **headers: str) -> Action:
    """A scripted, well-formed answer."""
    def act(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return act


def raw(data: bytes) -> Action:
    """Write ``data`` as the whole answer, then close the connection."""
    def act(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(data)
        handler.close_connection = True
    return act


class Channel:
    """Answers POSTs from a script (200 when it runs out) and records what arrived."""

    def __init__(self):
        self.script: list[Action] = []
        self.seen: list[Seen] = []
        self.errors = 0                    # handler exceptions (client gone), not printed
        self.release = threading.Event()   # set at teardown: frees a handler that stalls

    def handler(self) -> type[BaseHTTPRequestHandler]:
        channel = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                channel.seen.append(Seen(self.path, dict(self.headers.items()), body))
                (channel.script.pop(0) if channel.script else reply(200, b'{"ok":true}'))(self)

            def log_message(self, *args):
                pass  # the test output stays clean

        return Handler

    def stall(self) -> Action:
        """Send the status line and headers, then nothing until teardown."""
        def act(handler: BaseHTTPRequestHandler) -> None:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
            self.release.wait(30)
            handler.close_connection = True
        return act


class QuietServer(ThreadingHTTPServer):
    """A loopback HTTP server that keeps the errors of its handlers instead of printing them."""

    daemon_threads = True

    def __init__(self, channel: Channel):
        super().__init__(("127.0.0.1", 0), channel.handler())
        self.channel = channel

    def handle_error(self, request, client_address):
        # e.g. the client hung up on a long answer: expected in several tests
        self.channel.errors += 1


@contextmanager
def serve(channel: Channel, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Run the channel on a loopback port in a thread; yield its base URL."""
    server = QuietServer(channel)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        channel.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def channel() -> Channel:
    return Channel()


@pytest.fixture
def base_url(channel: Channel) -> Iterator[str]:
    with serve(channel) as url:
        yield url


def transport(url: str, **changes) -> WebhookTransport:
    """A webhook transport with a fixed clock, for the channel at ``url``."""
    m = {"type": "webhook", "url": url, "secret_env": "SHOP_HOOK_SECRET", "timeout": 5}
    m.update(changes)
    return WebhookTransport(WebhookSettings.from_mapping(m, ENVIRON), clock=lambda: NOW)


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        yield s.getsockname()[1]


# --- delivered -------------------------------------------------------------------------------

def test_a_notification_arrives_signed_with_the_exact_body(channel, base_url):
    t = transport(f"{base_url}/hooks/edihub?shop=eu", headers={"X-Shop-Id": "eu-1"},
                  authorization_env="SHOP_HOOK_AUTH")
    receipt = t.send(FILE)
    [seen] = channel.seen
    assert seen.path == "/hooks/edihub?shop=eu" and seen.body == PAYLOAD
    h = seen.headers
    assert (h["Content-Type"], h["X-Edihub-Event"], h["X-Edihub-Delivery"]) == (
        "application/json", "shipment.recorded", "shipment-SH000042.json")
    assert h["X-Edihub-Timestamp"] == str(NOW)
    assert (h["X-Shop-Id"], h["Authorization"]) == ("eu-1", AUTH)
    assert verify_signature(SECRET.encode(), h["X-Edihub-Timestamp"], seen.body,
                            h["X-Edihub-Signature"], now=NOW + 3)
    assert (receipt.transport, receipt.remote_name, receipt.already_present) == (
        "webhook", "shipment-SH000042.json", False)
    assert receipt.detail["status"] == 200 and receipt.detail["response_ms"] >= 0
    assert receipt.detail["url"] == f"{base_url}/hooks/edihub?…"   # the query is not recorded
    assert receipt.delivered_at == datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc)


def test_a_signature_made_for_another_body_does_not_verify_on_the_receiving_side(channel,
                                                                                base_url):
    transport(base_url).send(FILE)
    h = channel.seen[0].headers
    assert not verify_signature(SECRET.encode(), h["X-Edihub-Timestamp"], PAYLOAD + b" ",
                                h["X-Edihub-Signature"], now=NOW)
    assert not verify_signature(b"x" * 32, h["X-Edihub-Timestamp"], PAYLOAD,
                                h["X-Edihub-Signature"], now=NOW)
    assert not verify_signature(SECRET.encode(), h["X-Edihub-Timestamp"], PAYLOAD,
                                h["X-Edihub-Signature"], now=NOW + 301)


def test_a_server_error_is_transient_and_the_next_send_delivers_the_same_notification(
        channel, base_url):
    channel.script = [reply(500, b"<html>Internal Server Error</html>")]
    t = transport(base_url)
    with pytest.raises(RetryLaterError, match="HTTP 500") as caught:
        t.send(FILE)
    assert caught.value.status == 500 and caught.value.retry_after is None
    receipt = t.send(FILE)
    first, second = channel.seen
    assert receipt.detail["status"] == 200 and not receipt.already_present
    assert first.body == second.body == PAYLOAD
    assert first.headers["X-Edihub-Delivery"] == second.headers["X-Edihub-Delivery"]


def test_409_means_the_channel_already_has_it(channel, base_url):
    channel.script = [reply(409, b'{"error":"duplicate delivery"}')]
    receipt = transport(base_url).send(FILE)
    assert receipt.already_present and receipt.detail["status"] == 409


@pytest.mark.parametrize("status", [202, 204])
def test_any_2xx_is_delivered(channel, base_url, status):
    channel.script = [reply(status)]
    receipt = transport(base_url).send(FILE)
    assert receipt.detail["status"] == status and not receipt.already_present


# --- the channel asks us to come back --------------------------------------------------------

def test_429_with_retry_after_is_transient_and_says_how_long(channel, base_url):
    channel.script = [reply(429, b"slow down", Retry_After="120")]
    with pytest.raises(RetryLaterError, match="wait 120 s") as caught:
        transport(base_url).send(FILE)
    assert (caught.value.status, caught.value.retry_after) == (429, 120.0)


def test_503_with_an_http_date_retry_after(channel, base_url):
    when = datetime.datetime.fromtimestamp(NOW + 90, datetime.timezone.utc)
    channel.script = [reply(503, Retry_After=when.strftime("%a, %d %b %Y %H:%M:%S GMT"))]
    with pytest.raises(RetryLaterError) as caught:
        transport(base_url).send(FILE)
    assert (caught.value.status, caught.value.retry_after) == (503, 90.0)


@pytest.mark.parametrize("status", [408, 425, 502, 504])
def test_other_retryable_statuses_are_transient(channel, base_url, status):
    channel.script = [reply(status)]
    with pytest.raises(TransientTransportError, match=f"HTTP {status}"):
        transport(base_url).send(FILE)


# --- the channel refuses ---------------------------------------------------------------------

def test_401_is_permanent_and_points_at_the_secret(channel, base_url):
    channel.script = [reply(401, b'{"error":"bad signature"}')]
    with pytest.raises(HttpRefusedError, match="secret_env") as caught:
        transport(base_url, authorization_env="SHOP_HOOK_AUTH").send(FILE)
    message = str(caught.value)
    assert not isinstance(caught.value, TransientTransportError) and caught.value.status == 401
    assert "bad signature" in message   # the start of the answer helps the operator
    assert SECRET not in message and AUTH not in message and "WS-10001" not in message


@pytest.mark.parametrize(("status", "hint"), [(400, "docs/webhooks.md"), (403, "secret_env"),
                                              (404, "check the url"), (410, "new url"),
                                              (422, "raw body"), (418, "check the url")])
def test_other_4xx_are_permanent_with_advice(channel, base_url, status, hint):
    channel.script = [reply(status)]
    with pytest.raises(PermanentTransportError, match=f"HTTP {status}") as caught:
        transport(base_url).send(FILE)
    assert hint in str(caught.value)


def test_a_long_error_page_is_quoted_only_in_part(channel, base_url):
    channel.script = [reply(400, b"E" * 100_000)]
    with pytest.raises(PermanentTransportError) as caught:
        transport(base_url).send(FILE)
    assert "E" * 200 + "…" in str(caught.value) and "E" * 201 not in str(caught.value)


def test_a_redirect_is_not_followed_and_is_permanent(channel, base_url):
    channel.script = [reply(302, Location=f"{base_url}/moved?token=abc")]
    with pytest.raises(HttpRefusedError, match="redirects to") as caught:
        transport(f"{base_url}/hooks").send(FILE)
    assert f"{base_url}/moved?…" in str(caught.value) and "abc" not in str(caught.value)
    assert [s.path for s in channel.seen] == ["/hooks"]


# --- the channel cannot be reached -----------------------------------------------------------

def test_connection_refused_is_transient():
    with pytest.raises(TransientTransportError, match="refused the connection"):
        transport(f"http://127.0.0.1:{closed_port()}/hooks").send(FILE)


def test_a_server_that_never_answers_times_out_transiently():
    with silent_port() as port:
        with pytest.raises(TransientTransportError, match="did not answer within 0.3 s"):
            transport(f"http://127.0.0.1:{port}/hooks", timeout=0.3).send(FILE)


def test_a_server_that_stalls_after_the_status_line_times_out_transiently(channel, base_url):
    channel.script = [channel.stall()]
    with pytest.raises(TransientTransportError, match="did not answer within 0.3 s"):
        transport(base_url, timeout=0.3).send(FILE)


@pytest.mark.parametrize("answer", [
    b"",                                                          # closed without a word
    b"HTTP/1.1 2",                                                # cut in the status line
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\"",     # cut in the body
], ids=["nothing", "status-line", "body"])
def test_a_server_that_closes_mid_response_is_transient(channel, base_url, answer):
    channel.script = [raw(answer)]
    with pytest.raises(TransientTransportError, match="closed the connection") as caught:
        transport(base_url).send(FILE)
    assert "may or may not" in str(caught.value) and len(channel.seen) == 1


def test_a_host_name_that_does_not_resolve_is_transient(monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(TransientTransportError, match="cannot resolve the host name shop.test"):
        transport("https://shop.test/hooks").send(FILE)


# --- https -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tls:
    """A self-signed certificate for 127.0.0.1 on disk, and a server context using it."""

    cert_file: Path
    server: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> Tls:
    folder = tmp_path_factory.mktemp("webhook-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return Tls(folder / "cert.pem", server)


def test_https_with_the_channels_ca_in_tls_ca_file(channel, tls):
    with serve(channel, tls.server) as url:
        receipt = transport(f"{url}/hooks", tls_ca_file=str(tls.cert_file)).send(FILE)
    assert receipt.detail["status"] == 200 and channel.seen[0].body == PAYLOAD


def test_https_with_an_untrusted_certificate_is_permanent(channel, tls):
    with serve(channel, tls.server) as url:
        with pytest.raises(PermanentTransportError, match="not trusted") as caught:
            transport(f"{url}/hooks").send(FILE)
    assert "tls_ca_file" in str(caught.value)
    assert not isinstance(caught.value, TransientTransportError) and channel.seen == []


def test_https_to_a_plain_http_server_is_permanent(channel, base_url):
    # The plain server reads the ClientHello as a request line (it always holds a 0x0a byte:
    # the supported_groups extension) and answers 400 in clear text, which TLS cannot read.
    with pytest.raises(PermanentTransportError, match="TLS handshake"):
        transport(base_url.replace("http://", "https://")).send(FILE)
