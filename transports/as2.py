"""AS2 transport (pyas2lib): signed, encrypted documents over HTTP(S), with an MDN as receipt.

Settings come from a partner file's ``[transport]`` table with ``type = "as2"``. File paths
are relative to the folder given as ``base``. Defaults in brackets.

    url                 the partner's AS2 endpoint, http:// or https://, without credentials
    our_as2_id          our AS2 name, as the partner knows us
    partner_as2_id      the partner's AS2 name
    key_file            PEM file: our private key (RSA) followed by our certificate
    key_passphrase_env  NAME of the environment variable holding the key's passphrase; the
                        passphrase itself never goes in the file (``key_passphrase`` is refused)
    partner_cert_file   the partner's certificate, PEM or DER (a PEM file may carry its CA chain
                        after it): we encrypt to it and check the partner's signatures with it
    sign                sign what we send [true]
    encrypt             encrypt what we send [true]
    compress            compress before signing [false]
    digest_alg          sha256, sha384, sha512 or sha224 [sha256]
    enc_alg             aes_256_cbc, aes_192_cbc or aes_128_cbc [aes_256_cbc]
    allow_weak_crypto   also accept sha1 and md5, tripledes_192_cbc, rc2_128_cbc and rc4_128_cbc,
                        for a partner that supports nothing better [false]
    mdn_mode            "sync": the MDN answers the POST; "async": the partner POSTs it later
                        to mdn_url [sync]
    mdn_url             our MDN endpoint as the partner reaches it; required for async
    mdn_digest_alg      digest the partner signs its MDN with, or "none" to ask for an
                        unsigned MDN [sha256]
    timeout             seconds to wait for the partner's server [60]
    content_type        MIME type the payload travels as [application/octet-stream]; keep the
                        default: with any other type LF line endings arrive as CRLF
    require_signed      refuse inbound messages from this partner that are not signed [true]
    require_encrypted   refuse inbound messages from this partner that are not encrypted [true]
    tls_ca_file         CA certificates (PEM) to trust for an https url instead of the system's
    message_id_domain   right-hand side of our Message-IDs [our_as2_id, reduced to a host name]
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from transports import oscrypto_fix  # noqa: F401  (must run before pyas2lib imports oscrypto)
from pyas2lib import Mdn, Message, Organization, Partner  # noqa: E402
from pyas2lib.exceptions import AS2Exception, ImproperlyConfigured  # noqa: E402

from transports.base import OutboundFile, Receipt, RemoteFile, check_filename  # noqa: E402
from transports.errors import (PermanentTransportError, TransientTransportError,  # noqa: E402
                               TransportConfigError)

# pyas2lib logs whole decrypted documents at DEBUG; documents must never reach the logs.
if logging.getLogger("pyas2lib").level == logging.NOTSET:
    logging.getLogger("pyas2lib").setLevel(logging.INFO)

_KEYS = frozenset({
    "type", "url", "our_as2_id", "partner_as2_id", "key_file", "key_passphrase_env",
    "partner_cert_file", "sign", "encrypt", "compress", "digest_alg", "enc_alg",
    "allow_weak_crypto", "mdn_mode", "mdn_url", "mdn_digest_alg", "timeout", "content_type",
    "require_signed", "require_encrypted", "tls_ca_file", "message_id_domain"})
_DIGESTS, _WEAK_DIGESTS = ("sha256", "sha384", "sha512", "sha224"), ("sha1", "md5")
_CIPHERS = ("aes_256_cbc", "aes_192_cbc", "aes_128_cbc")
_WEAK_CIPHERS = ("tripledes_192_cbc", "rc2_128_cbc", "rc4_128_cbc")
# RFC 4130: an AS2 name is 1 to 128 printable ASCII characters; we refuse quotes and backslashes.
_AS2_NAME = re.compile(r'^[!#-\[\]-~](?:[ !#-\[\]-~]{0,126}[!#-\[\]-~])?$')
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MIME_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
_HOST_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
_PEM_KEY = re.compile(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.+?-----END \1PRIVATE KEY-----", re.S)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_MDN_TEXT = "The AS2 message was received and processed."


class CertificateFileError(ValueError):
    """A certificate file cannot be read or holds no certificate."""


class MdnRefusedError(PermanentTransportError):
    """The partner's MDN says the message was not processed, or the MDN cannot be trusted."""

    def __init__(self, message: str, disposition: str, message_id: str | None):
        super().__init__(message)
        self.disposition, self.message_id = disposition, message_id


def cert_not_after(path: Path) -> datetime:
    """When the first certificate in ``path`` to expire stops being valid, in UTC."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateFileError(f"cannot read certificate file {path}: {exc.strerror}") from exc
    certs = _certificates(data)
    if not certs:
        raise CertificateFileError(f"{path} holds no certificate (PEM or DER expected)")
    return min(cert.not_valid_after_utc for cert in certs)


def _certificates(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            return []
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return []


@dataclass(frozen=True, slots=True)
class As2Identity:
    """Our side of an AS2 relationship: our AS2 name and the key we sign and decrypt with."""

    as2_id: str
    key_pem: bytes = field(repr=False)                       # one key block + its certificate
    key_passphrase: str | None = field(default=None, repr=False)
    domain: str = "edihub"

    def organization(self, mdn_url: str | None = None) -> Organization:
        """This identity as a pyas2lib Organization."""
        try:
            return Organization(as2_name=self.as2_id, sign_key=self.key_pem,
                                sign_key_pass=self.key_passphrase, decrypt_key=self.key_pem,
                                decrypt_key_pass=self.key_passphrase, mdn_url=mdn_url,
                                domain=self.domain, mdn_confirm_text=_MDN_TEXT)
        except AS2Exception as exc:
            raise PermanentTransportError(
                f"our key for AS2 id {self.as2_id!r} cannot be loaded ({exc}): check key_file "
                "and key_passphrase_env in the partner file") from exc


@dataclass(frozen=True, slots=True)
class As2Settings:
    """How we exchange AS2 messages with one partner; see the module docstring for each key."""

    url: str
    our_as2_id: str
    partner_as2_id: str
    key_file: Path
    partner_cert_file: Path
    key_pem: bytes = field(repr=False)
    partner_cert_pem: bytes = field(repr=False)
    partner_ca_pem: bytes | None = field(default=None, repr=False)
    key_passphrase_env: str | None = None
    key_passphrase: str | None = field(default=None, repr=False)
    sign: bool = True
    encrypt: bool = True
    compress: bool = False
    digest_alg: str = "sha256"
    enc_alg: str = "aes_256_cbc"
    mdn_mode: str = "sync"
    mdn_url: str | None = None
    mdn_digest_alg: str | None = "sha256"
    timeout: float = 60.0
    content_type: str = "application/octet-stream"
    require_signed: bool = True
    require_encrypted: bool = True
    tls_ca_file: Path | None = None
    message_id_domain: str = "edihub"

    @classmethod
    def from_mapping(cls, m: dict, base: Path,
                     environ: Mapping[str, str] = os.environ) -> As2Settings:
        """Build and check settings from a partner file's [transport] table."""
        _check_keys(m)
        env, passphrase = _passphrase(m, environ)
        key_file = _file(m, "key_file", base, required=True)
        cert_file = _file(m, "partner_cert_file", base, required=True)
        cert_pem, ca_pem = _load_partner_cert(cert_file)
        our_id = _as2_name(m, "our_as2_id")
        return cls(
            url=_url(m, "url", required=True), our_as2_id=our_id,
            partner_as2_id=_as2_name(m, "partner_as2_id"), key_file=key_file,
            partner_cert_file=cert_file, key_pem=_load_key_bundle(key_file, passphrase),
            partner_cert_pem=cert_pem, partner_ca_pem=ca_pem, key_passphrase_env=env,
            key_passphrase=passphrase, tls_ca_file=_file(m, "tls_ca_file", base),
            message_id_domain=_domain(m, our_id), **_security(m), **_exchange(m))

    @property
    def identity(self) -> As2Identity:
        """Our AS2 name and key as used with this partner."""
        return As2Identity(self.our_as2_id, self.key_pem, self.key_passphrase,
                           self.message_id_domain)


def _check_keys(m: dict) -> None:
    if "key_passphrase" in m:
        raise TransportConfigError(
            "key_passphrase", "a passphrase must not be written in a partner file: put it in "
            "an environment variable and set key_passphrase_env to that variable's name")
    unknown = set(m) - _KEYS
    if unknown:
        raise TransportConfigError(sorted(unknown)[0], "unknown setting for an as2 transport; "
                                   f"known settings: {', '.join(sorted(_KEYS))}")
    if m.get("type", "as2") != "as2":
        raise TransportConfigError("type", 'must be "as2" for AS2 settings')


def _security(m: dict) -> dict:
    weak_ok = _flag(m, "allow_weak_crypto", False)
    mdn_digest = m.get("mdn_digest_alg", "sha256")
    return dict(
        sign=_flag(m, "sign", True), encrypt=_flag(m, "encrypt", True),
        compress=_flag(m, "compress", False),
        digest_alg=_algorithm(m, "digest_alg", "sha256", _DIGESTS, _WEAK_DIGESTS, weak_ok),
        enc_alg=_algorithm(m, "enc_alg", "aes_256_cbc", _CIPHERS, _WEAK_CIPHERS, weak_ok),
        mdn_digest_alg=None if mdn_digest == "none" else _algorithm(
            m, "mdn_digest_alg", "sha256", _DIGESTS, _WEAK_DIGESTS, weak_ok),
        require_signed=_flag(m, "require_signed", True),
        require_encrypted=_flag(m, "require_encrypted", True))


def _exchange(m: dict) -> dict:
    mode = m.get("mdn_mode", "sync")
    if mode not in ("sync", "async"):
        raise TransportConfigError("mdn_mode", 'must be "sync" or "async"')
    mdn_url = _url(m, "mdn_url", required=mode == "async")
    if mdn_url and mode == "sync":
        raise TransportConfigError("mdn_url", 'is only used with mdn_mode = "async": remove it '
                                   'or set mdn_mode = "async"')
    timeout = m.get("timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise TransportConfigError("timeout", "must be a number of seconds greater than 0")
    content_type = m.get("content_type", "application/octet-stream")
    if not isinstance(content_type, str) or not _MIME_TYPE.match(content_type):
        raise TransportConfigError("content_type", "must be a MIME type such as "
                                   "application/octet-stream, without parameters")
    return dict(mdn_mode=mode, mdn_url=mdn_url, timeout=float(timeout),
                content_type=content_type)


def _flag(m: dict, key: str, default: bool) -> bool:
    value = m.get(key, default)
    if not isinstance(value, bool):
        raise TransportConfigError(key, "must be true or false")
    return value


def _algorithm(m: dict, key: str, default: str, strong: tuple, weak: tuple,
               weak_ok: bool) -> str:
    value = m.get(key, default)
    if not isinstance(value, str) or value.lower() not in strong + weak:
        raise TransportConfigError(key, f"must be one of {', '.join(strong)}")
    value = value.lower()
    if value in weak and not weak_ok:
        raise TransportConfigError(key, f"{value} is too weak to protect documents: use one of "
                                   f"{', '.join(strong)}, or set allow_weak_crypto = true if the "
                                   "partner supports nothing better")
    return value


def _as2_name(m: dict, key: str) -> str:
    value = m.get(key)
    if not isinstance(value, str) or not _AS2_NAME.match(value):
        raise TransportConfigError(key, "required: an AS2 name of 1 to 128 printable ASCII "
                                   "characters, without quotes or backslashes")
    return value


def _url(m: dict, key: str, required: bool) -> str | None:
    value = m.get(key)
    if value is None and not required:
        return None
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is not None:
            parts.port  # noqa: B018  (a port out of range raises ValueError only when read)
    except ValueError as exc:
        raise TransportConfigError(key, f"is not a valid URL: {exc}") from exc
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportConfigError(key, "required: an http:// or https:// URL")
    if parts.username or parts.password:
        raise TransportConfigError(key, "must not contain a user name or password")
    return value


def _domain(m: dict, our_id: str) -> str:
    value = m.get("message_id_domain")
    if value is None:
        value = re.sub(r"[^a-z0-9.-]+", "-", our_id.lower())[:200].strip(".-") or "edihub"
    if not isinstance(value, str) or not _HOST_NAME.match(value):
        raise TransportConfigError("message_id_domain",
                                   "must be a host name such as as2.example.com")
    return value


def _passphrase(m: dict, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    name = m.get("key_passphrase_env")
    if name is None:
        return None, None
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise TransportConfigError("key_passphrase_env", "must be the name of an environment "
                                   "variable (letters, digits, underscores)")
    value = environ.get(name)
    if not value:
        raise TransportConfigError("key_passphrase_env", f"environment variable {name} is not "
                                   "set (or empty): set it to the passphrase of key_file")
    return name, value


def _file(m: dict, key: str, base: Path, required: bool = False) -> Path | None:
    value = m.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise TransportConfigError(key, "required: the path of a file")
    path = (Path(base) / value).resolve()
    if not path.is_file():
        raise TransportConfigError(key, f"{path} does not exist or is not a file")
    return path


def _read(path: Path, key: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TransportConfigError(key, f"cannot read {path}: {exc.strerror}") from exc


def _load_key_bundle(path: Path, passphrase: str | None) -> bytes:
    """Check the key opens and a certificate matches it; return just those two, as PEM."""
    data = _read(path, "key_file")
    blocks = [match.group(0) for match in _PEM_KEY.finditer(data)]
    if len(blocks) != 1:
        raise TransportConfigError("key_file", f"{path} must hold one PEM private key (found "
                                   f"{len(blocks)}) followed by our certificate")
    try:
        key = serialization.load_pem_private_key(
            blocks[0], passphrase.encode() if passphrase else None)
    except TypeError as exc:
        problem = ("is encrypted: name the environment variable holding its passphrase in "
                   "key_passphrase_env" if passphrase is None else
                   "is not encrypted: remove key_passphrase_env")
        raise TransportConfigError("key_passphrase_env", f"the key in {path} {problem}") from exc
    except ValueError as exc:
        key_name = "key_file" if passphrase is None else "key_passphrase_env"
        raise TransportConfigError(key_name, f"cannot open the key in {path}: wrong passphrase, "
                                   "or the key is damaged") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TransportConfigError("key_file", f"the key in {path} must be an RSA key for AS2")
    ours = _public_der(key.public_key())
    cert = next((c for c in _certificates(data) if _public_der(c.public_key()) == ours), None)
    if cert is None:
        raise TransportConfigError("key_file", f"{path} holds no certificate for its key: append "
                                   "our certificate (PEM) after the key")
    # pyas2lib pairs the key with the LAST certificate of a bundle, so hand it only the right one.
    return blocks[0] + b"\n" + cert.public_bytes(serialization.Encoding.PEM)


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_partner_cert(path: Path) -> tuple[bytes, bytes | None]:
    certs = _certificates(_read(path, "partner_cert_file"))
    if not certs:
        raise TransportConfigError("partner_cert_file",
                                   f"{path} holds no certificate (PEM or DER expected)")
    pem = [cert.public_bytes(serialization.Encoding.PEM) for cert in certs]
    return pem[0], b"".join(pem[1:]) or None


def partner_cert_problem(settings: As2Settings) -> str | None:
    """Why the partner's certificate cannot be used today (expired, not yet valid), or None."""
    # pyas2lib reports an expired certificate as "Partner Certificate Invalid: d".
    cert = x509.load_pem_x509_certificate(settings.partner_cert_pem)
    now = datetime.now(timezone.utc)
    if now > cert.not_valid_after_utc:
        return (f"the certificate of {settings.partner_as2_id} in {settings.partner_cert_file} "
                f"expired on {cert.not_valid_after_utc:%Y-%m-%d}: get the partner's current "
                "certificate and update partner_cert_file")
    if now < cert.not_valid_before_utc:
        return (f"the certificate of {settings.partner_as2_id} in {settings.partner_cert_file} "
                f"is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    return None


def as2_partner(settings: As2Settings, inbound: bool = False) -> Partner:
    """The partner as a pyas2lib Partner: for sending, or (``inbound``) for checking arrivals."""
    return Partner(
        as2_name=settings.partner_as2_id, verify_cert=settings.partner_cert_pem,
        verify_cert_ca=settings.partner_ca_pem, encrypt_cert=settings.partner_cert_pem,
        encrypt_cert_ca=settings.partner_ca_pem, compress=settings.compress,
        encrypt=settings.require_encrypted if inbound else settings.encrypt,
        sign=settings.require_signed if inbound else settings.sign,
        enc_alg=settings.enc_alg, digest_alg=settings.digest_alg,
        mdn_mode=settings.mdn_mode.upper(), mdn_digest_alg=settings.mdn_digest_alg,
        mdn_confirm_text=_MDN_TEXT)


# --- HTTP -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A partner server's answer to one POST."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = field(repr=False)


def mime_bytes(headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes) -> bytes:
    """HTTP headers and body joined into the one MIME message pyas2lib parses."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    lines = [f"{name}: {unfold(value)}\r\n".encode("latin-1", "replace")
             for name, value in items if _HEADER_NAME.match(name)]
    return b"".join(lines) + b"\r\n" + body


def unfold(value: str) -> str:
    """A header value on one line: a CR or LF would start a new header (or the body)."""
    return re.sub(r"[\r\n]+[ \t]*", " ", value)


def post(url: str, headers: Mapping[str, str], body: bytes, timeout: float,
         ca_file: Path | None = None) -> HttpAnswer:
    """POST ``body`` to ``url``; raise TransientTransportError when the server cannot be reached."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=context)
    elif parts.scheme == "http" and parts.hostname:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    else:
        raise PermanentTransportError(f"{url} is not an http:// or https:// URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers={k: unfold(v) for k, v in headers.items()})
        response = conn.getresponse()
        return HttpAnswer(response.status, response.reason, response.getheaders(), response.read())
    except ssl.SSLCertVerificationError as exc:
        raise PermanentTransportError(
            f"the TLS certificate of {parts.hostname} is not trusted ({exc.verify_message}): "
            "set tls_ca_file to the CA that issued it, or ask the partner to fix it") from exc
    except TimeoutError as exc:
        raise TransientTransportError(f"{url} did not answer within {timeout:g} s") from exc
    except ConnectionRefusedError as exc:
        raise TransientTransportError(f"{url} refused the connection: the partner's AS2 "
                                      "server is down, or the port in the url is wrong") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise TransientTransportError(f"cannot reach {url}: {exc!r}") from exc
    finally:
        conn.close()


def check_http_status(answer: HttpAnswer, url: str, what: str) -> None:
    """Raise what an HTTP status means: 5xx, 408 and 429 transient, other non-2xx permanent."""
    if 200 <= answer.status < 300:
        return
    text = f"{url} answered HTTP {answer.status} {answer.reason} to {what}"
    if answer.status >= 500 or answer.status in (408, 429):
        raise TransientTransportError(f"{text}: the partner's server has a problem; will retry")
    raise PermanentTransportError(f"{text}: check the url in the partner file, and that the "
                                  "partner has set us up")


class CallbackGuard:
    """Keeps an exception raised in our callbacks, which pyas2lib would swallow, to re-raise it."""

    def __init__(self):
        self.error: BaseException | None = None

    def wrap(self, fn: Callable) -> Callable:
        """``fn`` whose exceptions are remembered before pyas2lib sees them."""
        def call(*args):
            try:
                return fn(*args)
            except Exception as exc:
                self.error = exc
                raise
        return call

    def reraise(self) -> None:
        """Raise the remembered exception, if any: a failing lookup is ours, not the message's."""
        if self.error is not None:
            raise self.error


# --- MDN ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SentMessage:
    """What checking an MDN needs to know of the message it answers: id, partner, our MIC."""

    message_id: str
    settings: As2Settings
    mic: str | None = None      # Receipt.detail["mic"] of the send; None if it was not signed


@dataclass(frozen=True, slots=True)
class MdnResult:
    """What an MDN says about a message we sent, once its signature and MIC were checked."""

    message_id: str | None       # the message the MDN answers
    status: str                  # "processed", "duplicate" or "error"
    disposition: str             # the partner's words, e.g. "processed/Error: decryption-failed"
    mic: str | None = None       # the MIC the partner computed
    signed: bool = False         # the MDN was signed, and the signature verified
    mdn_message_id: str | None = None
    error: str | None = None     # what is wrong and what to do; None when delivered
    transient: bool = False      # worth sending again later

    @property
    def already_present(self) -> bool:
        """The partner had the message already: an earlier send landed."""
        return self.status == "duplicate"

    def raise_for_error(self) -> None:
        """Raise the transport error this MDN means, if it means one."""
        if self.error is None:
            return
        if self.transient:
            raise TransientTransportError(self.error)
        raise MdnRefusedError(self.error, self.disposition, self.message_id)

    def detail(self) -> dict:
        """The facts a Receipt keeps."""
        return {"message_id": self.message_id, "mdn_status": self.status,
                "mdn_detail": self.disposition, "mic": self.mic, "mdn_signed": self.signed,
                "mdn_message_id": self.mdn_message_id}


_ADVICE = {
    "decryption-failed": "they cannot decrypt it: partner_cert_file is not their current "
                         "certificate, or the message was damaged on the way",
    "authentication-failed": "our signature does not verify for them: send them our current "
                             "certificate (the one in key_file)",
    "integrity-check-failed": "the content changed on the way or was signed wrongly",
    "insufficient-message-security": "they require signing and encryption: set sign and "
                                     "encrypt to true",
    "unknown-trading-partner": "they do not know us by our_as2_id, or not themselves by "
                               "partner_as2_id: compare both with the partner",
    "decompression-failed": "they cannot decompress it: set compress = false",
    "unexpected-processing-error": "the message was damaged on the way, or certificates or "
                                   "settings differ between us",
}


def verify_async_mdn(headers: Mapping[str, str], body: bytes,
                     find_message: Callable[[str], SentMessage | None]) -> MdnResult:
    """Check an MDN a partner POSTed to our MDN endpoint.

    ``find_message(original_message_id)`` returns what we sent (see :class:`SentMessage`), or
    None. The result never raises for what the MDN says; call ``raise_for_error()`` for that.
    """
    return read_mdn(mime_bytes(headers, body), find_message)


def read_mdn(raw: bytes, find_message: Callable[[str], SentMessage | None]) -> MdnResult:
    """Verify an MDN (headers + body) with pyas2lib and judge what it says."""
    guard, found = CallbackGuard(), []

    def original(message_id, _recipient):
        sent = find_message(message_id)
        if sent is not None:
            found.append(sent)
            return _stub_message(sent)
        return None

    mdn = Mdn()
    status, detail = mdn.parse(raw, guard.wrap(original))
    guard.reraise()
    if detail == "mdn-not-found":
        return MdnResult(None, "error", "no MDN", transient=True, error=(
            "the partner's answer holds no MDN, so delivery is not confirmed; will send again"))
    if not found:
        return MdnResult(mdn.orig_message_id, "error", "unknown message", error=(
            f"an MDN arrived for message {mdn.orig_message_id!r}, which is not a message we "
            "sent (or one we no longer know); it confirms nothing"))
    if status == "failed/Failure" and detail and detail.startswith(("Failed to parse", "Expected")):
        return MdnResult(found[0].message_id, "error", "MDN not verified", error=(
            f"the MDN from {found[0].settings.partner_as2_id} cannot be trusted ({detail}): "
            "partner_cert_file is not the certificate they sign with, or the MDN was altered"))
    return _judge(mdn, found[0])


def _stub_message(sent: SentMessage) -> Message:
    # Mdn.parse reads only these of the original message: the partner profile and our MIC.
    stub = Message()
    stub.message_id, stub.receiver = sent.message_id, as2_partner(sent.settings)
    stub.mic = sent.mic.encode() if sent.mic else None
    return stub


def _judge(mdn: Mdn, sent: SentMessage) -> MdnResult:
    fields = _report_fields(mdn.payload)
    disposition = fields.get("disposition", "").split(";")[-1].strip()
    kind, _, modifier = (part.strip().lower() for part in disposition.partition(":"))
    mic = fields.get("received-content-mic", "").split(",")[0].strip() or None
    common = dict(message_id=sent.message_id, disposition=disposition, mic=mic,
                  signed=mdn.digest_alg is not None, mdn_message_id=mdn.message_id)
    partner = sent.settings.partner_as2_id
    if kind in ("processed", "processed/warning"):
        if sent.mic and mic != sent.mic and modifier != "duplicate-document":
            return MdnResult(status="error", **common, error=(
                f"the MDN from {partner} confirms MIC {mic!r}, but we sent {sent.mic!r}: the "
                "message was altered on the way; do not count it as delivered"))
        return MdnResult(status="duplicate" if modifier == "duplicate-document" else "processed",
                         **common)
    advice = _ADVICE.get(modifier, "check certificates and settings with the partner")
    return MdnResult(status="error", **common, error=(
        f"{partner} refused message {sent.message_id} ({disposition or 'no disposition'}): "
        f"{advice}"))


def _report_fields(payload) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in payload.walk() if payload is not None else ():
        if part.get_content_type() == "message/disposition-notification":
            for block in part.get_payload():
                fields.update((k.lower(), str(v)) for k, v in block.items())
    return fields


# --- transport ------------------------------------------------------------------------------

class As2Transport:
    """Sends documents to one partner over AS2; the partner's documents arrive at the hub's /as2.

    The payload travels as ``settings.content_type``: the partner file decides, not
    ``OutboundFile.content_type``. An async send's Receipt holds the ``message_id`` and ``mic``
    that :func:`verify_async_mdn` needs later, as a :class:`SentMessage`.
    """

    name = "as2"

    def __init__(self, settings: As2Settings):
        self.settings = settings

    def send(self, file: OutboundFile) -> Receipt:
        """Sign, encrypt and POST one document; check the sync MDN, or note an async one is due."""
        try:
            name = check_filename(file.filename)
        except ValueError as exc:
            raise PermanentTransportError(f"{exc}: the document needs a plain file name") from exc
        message = self._build(name, file.payload)
        mic = message.mic.decode() if message.mic else None
        answer = post(self.settings.url, message.headers, message.content,
                      self.settings.timeout, self.settings.tls_ca_file)
        check_http_status(answer, self.settings.url, f"AS2 message {message.message_id}")
        now = datetime.now(timezone.utc)
        if self.settings.mdn_mode == "async":
            return Receipt(self.name, name, now, detail={
                "message_id": message.message_id, "mdn_pending": True, "mic": mic})
        sent = SentMessage(message.message_id, self.settings, mic)
        result = read_mdn(mime_bytes(answer.headers, answer.body),
                          lambda mid: sent if mid == sent.message_id else None)
        result.raise_for_error()
        return Receipt(self.name, name, now, already_present=result.already_present,
                       detail={**result.detail(), "mic": mic})

    def _build(self, name: str, payload: bytes) -> Message:
        s = self.settings
        message = Message(sender=s.identity.organization(s.mdn_url), receiver=as2_partner(s))
        try:
            message.build(payload, filename=name, content_type=s.content_type,
                          subject=f"EDI document {name}", disposition_notification_to=s.our_as2_id)
        except (AS2Exception, ImproperlyConfigured, ValueError) as exc:
            raise PermanentTransportError(partner_cert_problem(s) or (
                f"cannot build the AS2 message for {s.partner_as2_id} ({exc}): check "
                "partner_cert_file and key_file")) from exc
        return message

    def list_inbox(self) -> list[RemoteFile]:
        """Nothing to list: AS2 partners push their documents to us."""
        return []

    def fetch(self, name: str, sink: BinaryIO) -> int:
        """Refused: AS2 documents cannot be fetched."""
        raise PermanentTransportError(self._push_only())

    def done(self, name: str) -> None:
        """Refused: AS2 documents cannot be fetched, so there is nothing to archive."""
        raise PermanentTransportError(self._push_only())

    def _push_only(self) -> str:
        return (f"AS2 is push-only: documents from {self.settings.partner_as2_id} arrive at the "
                "hub's /as2 endpoint and cannot be fetched or archived here")

    def close(self) -> None:
        """Nothing to release: each send uses its own connection."""
