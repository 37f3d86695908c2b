"""AS2 test support: certificates made once per session, loopback HTTP servers, and pyas2lib
acting as the partner's AS2 station (server for what we send, client for what the partner sends).

Import the fixtures into a test module: ``from tests.support.as2 import as2_certs``.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from transports import oscrypto_fix  # noqa: F401  (before pyas2lib)
from transports.as2 import As2Settings
from pyas2lib import Mdn, Message, Organization, Partner  # noqa: E402

OUR_ID = "EDIHUB"
PARTNER_ID = "SUPPLIER"
PASSPHRASE = "correct horse battery"
PASSPHRASE_ENV = "EDIHUB_TEST_AS2_PASSPHRASE"
ENVIRON = {PASSPHRASE_ENV: PASSPHRASE}

# An 850 as many partners write it: one segment per line, LF line endings.
X12_LF = (b"ISA*00*          *00*          *ZZ*EDIHUB         *ZZ*SUPPLIER       *260101*1200*U*"
          b"00401*000000101*0*T*>~\nGS*PO*EDIHUB*SUPPLIER*20260101*1200*101*X*004010~\n"
          b"ST*850*0001~\nBEG*00*DS*PO-1001**20260101~\nPO1*1*2*EA*9.99**VP*SKU-1~\n"
          b"CTT*1~\nSE*5*0001~\nGE*1*101~\nIEA*1*000000101~\n")


@dataclass(frozen=True)
class Party:
    """One AS2 party's key and certificate, in memory and on disk."""

    name: str
    bundle: bytes          # encrypted private key + certificate, PEM
    cert: bytes            # certificate, PEM
    bundle_file: Path
    cert_file: Path
    not_after: datetime.datetime


def _certificate(key, cn: str, not_after: datetime.datetime, san=None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(min(now, not_after) - datetime.timedelta(days=2))
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=san is not None, path_length=None),
                              critical=True))
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_encipherment=True, content_commitment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
    return builder.sign(key, hashes.SHA256())


def make_party(name: str, folder: Path, days: int = 365) -> Party:
    """A self-signed RSA-2048 party; ``days`` < 0 makes an expired certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    not_after = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
                 + datetime.timedelta(days=days))
    cert = _certificate(key, name, not_after).public_bytes(serialization.Encoding.PEM)
    bundle = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.BestAvailableEncryption(PASSPHRASE.encode())) + cert
    stem = name.lower()
    (folder / f"{stem}-bundle.pem").write_bytes(bundle)
    (folder / f"{stem}-cert.pem").write_bytes(cert)
    return Party(name, bundle, cert, folder / f"{stem}-bundle.pem", folder / f"{stem}-cert.pem",
                 not_after)


@dataclass(frozen=True)
class As2Certs:
    """Everything the AS2 tests sign, encrypt and serve TLS with."""

    folder: Path
    ours: Party
    partner: Party
    stranger: Party        # nobody's certificate on file: a wrong key
    expired: Party
    tls_cert_file: Path    # loopback HTTPS server (127.0.0.1), also the CA to trust
    tls_key_file: Path


@pytest.fixture(scope="session")
def as2_certs(tmp_path_factory) -> As2Certs:
    """One set of certificates for the whole session: RSA key generation is the slow part."""
    folder = tmp_path_factory.mktemp("as2-certs")
    tls_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tls_cert = _certificate(tls_key, "127.0.0.1", datetime.datetime.now(datetime.timezone.utc)
                            + datetime.timedelta(days=30),
                            san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    (folder / "tls-cert.pem").write_bytes(tls_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "tls-key.pem").write_bytes(tls_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return As2Certs(folder, make_party(OUR_ID, folder), make_party(PARTNER_ID, folder),
                    make_party("STRANGER", folder), make_party("EXPIRED", folder, days=-3),
                    folder / "tls-cert.pem", folder / "tls-key.pem")


def transport_table(certs: As2Certs, url: str, /, **overrides) -> dict:
    """A partner file's [transport] table for the test partner; paths relative to certs.folder."""
    table = {"type": "as2", "url": url, "our_as2_id": OUR_ID, "partner_as2_id": PARTNER_ID,
             "key_file": certs.ours.bundle_file.name, "key_passphrase_env": PASSPHRASE_ENV,
             "partner_cert_file": certs.partner.cert_file.name, "timeout": 10}
    table.update(overrides)
    return {k: v for k, v in table.items() if v is not None}


def our_settings(certs: As2Certs, url: str = "http://127.0.0.1:9/as2", **overrides) -> As2Settings:
    """Our settings for the test partner, as the hub would load them."""
    return As2Settings.from_mapping(transport_table(certs, url, **overrides), certs.folder,
                                    ENVIRON)


# --- loopback servers --------------------------------------------------------------------------

@contextmanager
def serve(app, tls: As2Certs | None = None) -> Iterator[str]:
    """Run a WSGI app on a free loopback port in a thread; yield its base URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no request log in test output
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.tls_cert_file, tls.tls_key_file)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"{'https' if context else 'http'}://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections but never answers: for timeouts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """WSGI app that keeps every POST (headers, body) and answers 200: an MDN endpoint."""

    def __init__(self):
        self.posts: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.posts.append((dict(request.headers.items()), request.get_data()))
        return Response(b"", 200)(environ, start_response)


def http_post(url: str, headers: dict, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """POST like an AS2 client; return status, headers, body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", parts.path or "/", body=body,
                     headers={k: " ".join(v.split()) for k, v in headers.items()})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def flip_bit(body: bytes) -> bytes:
    """The body with one bit changed in its middle, as a fault on the way would."""
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]


# --- the partner's AS2 station (pyas2lib) -------------------------------------------------------

class PartnerStation:
    """pyas2lib as the partner: a WSGI AS2 server for what we send, and a client for its own."""

    def __init__(self, certs: As2Certs):
        self.certs = certs
        self.received: list[tuple[str, Exception | None, Message]] = []
        self.pending_mdns: list[tuple[str, dict, bytes]] = []
        self.http_status: int | None = None      # answer this status instead of processing
        self.tamper = False                      # flip a bit of what arrives before parsing
        self.no_mdn = False                      # answer 200 with an empty body
        self.duplicates = False                  # treat every Message-ID as already seen
        self.wrong_mic = False                   # confirm a MIC that is not ours
        self.mdn_signer = certs.partner          # whose key signs the MDNs
        self.knows_us_by = certs.ours            # the certificate it has on file for us

    def payloads(self) -> list[bytes]:
        """What arrived and was processed."""
        return [msg.content for status, _, msg in self.received if status == "processed"]

    def _organization(self) -> Organization:
        return Organization(as2_name=PARTNER_ID, sign_key=self.mdn_signer.bundle,
                            sign_key_pass=PASSPHRASE, decrypt_key=self.certs.partner.bundle,
                            decrypt_key_pass=PASSPHRASE, domain="supplier.test")

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        if self.http_status is not None:
            return Response(b"busy", self.http_status)(environ, start_response)
        if self.tamper:
            body = flip_bit(body)
        raw = b"".join(f"{k}: {v}\r\n".encode() for k, v in request.headers.items()) + b"\r\n"
        message = Message()
        status, (exc, _), mdn = message.parse(
            raw + body, find_org_cb=lambda to: self._organization() if to == PARTNER_ID else None,
            find_partner_cb=lambda frm: Partner(
                as2_name=OUR_ID, verify_cert=self.knows_us_by.cert, sign=True,
                encrypt=True) if frm == OUR_ID else None,
            find_message_cb=lambda mid, pid: self.duplicates)
        self.received.append((status, exc, message))
        if self.wrong_mic and mdn is not None:
            message.mic = b"d3JvbmcgbWlj"
            mdn = Mdn(mdn_mode=mdn.mdn_mode, mdn_url=mdn.mdn_url)
            mdn.build(message=message, status=status)
        if self.no_mdn or mdn is None:
            return Response(b"", 200)(environ, start_response)
        if mdn.mdn_mode == "ASYNC":
            self.pending_mdns.append((mdn.mdn_url, mdn.headers, mdn.content))
            return Response(b"", 200)(environ, start_response)
        return Response(mdn.content, 200, headers=mdn.headers)(environ, start_response)

    def deliver_async_mdns(self) -> list[int]:
        """POST the MDNs that are due to the URLs we asked for."""
        due, self.pending_mdns = self.pending_mdns, []
        return [http_post(url, headers, body)[0] for url, headers, body in due]

    # The partner as a client, sending its documents to us.
    def build(self, payload: bytes, *, filename: str | None = "ASN-856.x12", sign: bool = True,
              encrypt: bool = True, compress: bool = False, signer: Party | None = None,
              encrypt_to: Party | None = None, mdn_url: str | None = None,
              to: str = OUR_ID, sender: str = PARTNER_ID, message_id: str | None = None) -> Message:
        """A message from the partner (or whoever ``sender`` says) to us."""
        signer = signer or self.certs.partner
        org = Organization(as2_name=sender, sign_key=signer.bundle, sign_key_pass=PASSPHRASE,
                           mdn_url=mdn_url, domain="supplier.test")
        us = Partner(as2_name=to, verify_cert=self.certs.ours.cert,
                     encrypt_cert=(encrypt_to or self.certs.ours).cert, sign=sign,
                     encrypt=encrypt, compress=compress, enc_alg="aes_256_cbc",
                     mdn_mode="ASYNC" if mdn_url else "SYNC", mdn_digest_alg="sha256")
        message = Message(sender=org, receiver=us)
        message.build(payload, filename=filename, content_type="application/octet-stream",
                      message_id=message_id)
        return message

    def read_mdn(self, message: Message, headers: dict, body: bytes) -> tuple[str, str | None]:
        """Verify an MDN from us as the partner's pyas2lib would: (status, detail)."""
        raw = b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n" + body
        return Mdn().parse(raw, find_message_cb=lambda mid, rcpt: (
            message if mid == message.message_id else None))
