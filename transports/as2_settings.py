"""AS2 settings: one partner's ``[transport]`` table (``type = "as2"``), checked and loaded.

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

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from transports import oscrypto_fix  # noqa: F401  (must run before pyas2lib imports oscrypto)
from pyas2lib import Organization, Partner  # noqa: E402
from pyas2lib.exceptions import AS2Exception  # noqa: E402

from transports.as2_certs import (CertificateOnFile, certificate_on_file,  # noqa: E402
                                  load_key_bundle, load_partner_cert)
from transports.errors import PermanentTransportError, TransportConfigError  # noqa: E402

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
MDN_TEXT = "The AS2 message was received and processed."


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
                                domain=self.domain, mdn_confirm_text=MDN_TEXT)
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
        cert_pem, ca_pem = load_partner_cert(cert_file)
        our_id = _as2_name(m, "our_as2_id")
        return cls(
            url=_url(m, "url", required=True), our_as2_id=our_id,
            partner_as2_id=_as2_name(m, "partner_as2_id"), key_file=key_file,
            partner_cert_file=cert_file, key_pem=load_key_bundle(key_file, passphrase),
            partner_cert_pem=cert_pem, partner_ca_pem=ca_pem, key_passphrase_env=env,
            key_passphrase=passphrase, tls_ca_file=_file(m, "tls_ca_file", base),
            message_id_domain=_domain(m, our_id), **_security(m), **_exchange(m))

    @property
    def identity(self) -> As2Identity:
        """Our AS2 name and key as used with this partner."""
        return As2Identity(self.our_as2_id, self.key_pem, self.key_passphrase,
                           self.message_id_domain)

    def certificates(self) -> list[CertificateOnFile]:
        """Our certificate and the partner's, with their expiry as the files say now."""
        # Read again on each call: a renewed file is seen without reloading the settings.
        return [certificate_on_file("key_file", self.key_file),
                certificate_on_file("partner_cert_file", self.partner_cert_file)]


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
        mdn_confirm_text=MDN_TEXT)

