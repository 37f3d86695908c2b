"""Webhook transport: a signed HTTP POST of one notification to a sales channel.

Settings (a mapping, e.g. a ``[transport]`` table with ``type = "webhook"``); defaults in
brackets. docs/webhooks.md is the receiving side's reference.

    url                 the channel's endpoint, http:// or https://, without user or password
    secret_env          NAME of the environment variable holding the HMAC key (at least 32
                        bytes); the key itself never goes in the file (``secret`` is refused)
    timeout             seconds to wait for the channel's server [10]
    headers             table of extra static headers, e.g. {"X-Shop-Id" = "eu-1"}; none may
                        carry a credential: Authorization comes only from authorization_env
    authorization_env   NAME of the environment variable holding the whole Authorization
                        header value, e.g. "Bearer 9f2c..." [none]
    tls_ca_file         CA certificates (PEM) to trust for an https url instead of the system's

Each ``send()`` is one attempt: the hub's outbox retries what is transient.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from transports.base import OutboundFile, Receipt, RemoteFile, check_filename
from transports.errors import PermanentTransportError, TransportConfigError
from transports.http import (HttpAnswer, HttpRefusedError, RetryLaterError, post, redact_url,
                             retry_after_seconds, tls_context)

MIN_SECRET_BYTES = 32
MAX_ANSWER = 4096           # bytes of the channel's answer we read: enough for an error message
SCHEME = "v1"
# File name prefix -> event: the hub names each notification "<type>-<event id>.json"
# ("shipment-<id>.json" before order events existed: such files may still wait in an outbox).
EVENTS = {"shipment": "shipment.recorded",
          **{t: t for t in ("order.accepted", "order.backordered", "order.delayed",
                            "order.rejected", "order.cancelled", "order.shipped")}}

_KEYS = frozenset({"type", "url", "secret_env", "timeout", "headers", "authorization_env",
                   "tls_ca_file"})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RESERVED = frozenset({"authorization", "proxy-authorization", "cookie", "content-type",
                       "content-length", "transfer-encoding", "connection", "host"})
# Header names that usually carry a credential: such a value belongs in the environment.
_SECRETIVE = re.compile(r"auth|token|secret|passw|api-?key|signature|cookie", re.I)
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_TRANSIENT = frozenset({408, 425, 429})
_ADVICE = {
    400: "the channel could not read the notification: compare its parser with docs/webhooks.md",
    401: "the channel does not accept our credentials: check that secret_env (and "
         "authorization_env, if used) hold the values the channel expects",
    403: "the channel refuses us: check that secret_env (and authorization_env, if used) hold "
         "the values the channel expects, and that it allows our address",
    404: "nothing at this address: check the url",
    405: "the address does not take POST: check the url",
    410: "the channel removed this endpoint: ask it for the new url",
    413: "the notification is too large for the channel's server",
    415: "the channel does not take application/json at this url: check the url",
    422: "the channel refused the content or the signature: check secret_env, and that the "
         "channel verifies the signature over the raw body (docs/webhooks.md)",
}


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Where and how notifications for one channel are POSTed; see the module docstring."""

    url: str
    secret_env: str
    secret: bytes = field(repr=False)
    timeout: float = 10.0
    headers: tuple[tuple[str, str], ...] = ()
    authorization_env: str | None = None
    authorization: str | None = field(default=None, repr=False)
    tls_ca_file: Path | None = None

    @classmethod
    def from_mapping(cls, m: dict, environ: Mapping[str, str] = os.environ, *,
                     base: Path | None = None) -> WebhookSettings:
        """Build and check settings; a relative ``tls_ca_file`` is resolved against ``base``."""
        _check_keys(m)
        secret_env = _env_name(m, "secret_env", required=True)
        auth_env = _env_name(m, "authorization_env", required=False)
        return cls(url=_url(m), secret_env=secret_env, secret=_secret(secret_env, environ),
                   timeout=_timeout(m), headers=_headers(m), authorization_env=auth_env,
                   authorization=_authorization(auth_env, environ),
                   tls_ca_file=_ca_file(m, base))


def _check_keys(m: dict) -> None:
    if "secret" in m:
        raise TransportConfigError("secret", "a secret must not be written in the file: put it "
                                   "in an environment variable and name that in secret_env")
    if "authorization" in m:
        raise TransportConfigError("authorization", "a credential must not be written in the "
                                   "file: name an environment variable in authorization_env")
    unknown = set(m) - _KEYS
    if unknown:
        raise TransportConfigError(sorted(unknown)[0], "unknown setting for a webhook transport; "
                                   f"known settings: {', '.join(sorted(_KEYS))}")
    if m.get("type", "webhook") != "webhook":
        raise TransportConfigError("type", 'must be "webhook" for webhook settings')


def _url(m: dict) -> str:
    value = m.get("url")
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is not None:
            parts.port  # noqa: B018  (a port out of range raises ValueError only when read)
    except ValueError as exc:
        raise TransportConfigError("url", f"is not a valid URL: {exc}") from exc
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportConfigError("url", "required: an http:// or https:// URL")
    if "@" in parts.netloc:
        raise TransportConfigError("url", "must not contain a user name or password: use "
                                   "authorization_env for credentials")
    if parts.fragment or re.search(r"[\s\x00-\x1f\x7f]", value):
        raise TransportConfigError("url", "must not contain a #fragment, spaces or control "
                                   "characters")
    return value


def _env_name(m: dict, key: str, required: bool) -> str | None:
    name = m.get(key)
    if name is None and not required:
        return None
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise TransportConfigError(key, "required: the name of an environment variable "
                                   "(letters, digits, underscores)")
    return name


def _secret(name: str, environ: Mapping[str, str]) -> bytes:
    value = environ.get(name)
    if not value:
        raise TransportConfigError("secret_env", f"environment variable {name} is not set (or "
                                   "empty): set it to the channel's webhook signing secret")
    if value != value.strip():
        raise TransportConfigError("secret_env", f"environment variable {name} starts or ends "
                                   "with white space: remove it (the key is used byte for byte)")
    secret = value.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise TransportConfigError("secret_env", f"environment variable {name} is shorter than "
                                   f"{MIN_SECRET_BYTES} bytes: generate a longer secret, e.g. "
                                   "python -c 'import secrets; print(secrets.token_hex(32))'")
    return secret


def _authorization(name: str | None, environ: Mapping[str, str]) -> str | None:
    if name is None:
        return None
    value = environ.get(name)
    if not value:
        raise TransportConfigError("authorization_env", f"environment variable {name} is not set "
                                   "(or empty): set it to the whole Authorization header value")
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise TransportConfigError("authorization_env", f"environment variable {name} contains "
                                   "a line break or control character")
    return value


def _timeout(m: dict) -> float:
    value = m.get("timeout", 10)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 300:
        raise TransportConfigError("timeout", "must be a number of seconds, above 0 and at most "
                                   "300")
    return float(value)


def _headers(m: dict) -> tuple[tuple[str, str], ...]:
    table = m.get("headers", {})
    if not isinstance(table, dict):
        raise TransportConfigError("headers", 'must be a table of header names and values, e.g. '
                                   '{"X-Shop-Id" = "eu-1"}')
    pairs = []
    for name, value in table.items():
        pairs.append((name, _header_value(name, value)))
    return tuple(pairs)


def _header_value(name: object, value: object) -> str:
    key = f"headers.{name}"
    if not isinstance(name, str) or not _HEADER_NAME.match(name):
        raise TransportConfigError(key, "is not a valid HTTP header name")
    lower = name.lower()
    if lower in ("authorization", "proxy-authorization"):
        raise TransportConfigError(key, "a credential must not be written in the file: name "
                                   "an environment variable in authorization_env")
    if lower in _RESERVED or lower.startswith("x-edihub-"):
        raise TransportConfigError(key, "is set by the webhook transport itself")
    if _SECRETIVE.search(lower):
        raise TransportConfigError(key, "looks like it carries a credential, which must not be "
                                   "written in the file; only Authorization can come from the "
                                   "environment (authorization_env)")
    if not isinstance(value, str) or re.search(r"[\x00-\x1f\x7f]", value):
        raise TransportConfigError(key, "must be text on one line")
    return value


def _ca_file(m: dict, base: Path | None) -> Path | None:
    value = m.get("tls_ca_file")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TransportConfigError("tls_ca_file", "must be the path of a PEM file")
    path = (Path(base or ".") / value).resolve()
    if not path.is_file():
        raise TransportConfigError("tls_ca_file", f"{path} does not exist or is not a file")
    try:
        tls_context(path)
    except (ssl.SSLError, OSError) as exc:
        raise TransportConfigError("tls_ca_file", f"{path} holds no usable CA certificate "
                                   "(PEM expected)") from exc
    return path


# --- signing ----------------------------------------------------------------------------------

def signature_header(secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-Edihub-Signature value: ``v1=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>``."""
    return f"{SCHEME}={_digest(secret, timestamp, body)}"


def _digest(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, timestamp: str, body: bytes, header: str,
                     tolerance_s: int = 300, now: float | None = None) -> bool:
    """True if ``header`` signs ``timestamp`` and ``body`` with ``secret``, within the window."""
    if not isinstance(timestamp, str) or not _TIMESTAMP.match(timestamp):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_s:
        return False  # too old (a replay) or too far ahead
    expected = _digest(secret, timestamp, body).encode("ascii")
    # The header may list several signatures ("v1=...,v1=..."); unknown schemes are ignored.
    offered = [value.strip().encode("utf-8") for scheme, _, value in
               (part.strip().partition("=") for part in (header or "").split(","))
               if scheme == SCHEME]
    # A list, not a generator: every candidate is compared, matching or not.
    return any([hmac.compare_digest(expected, candidate) for candidate in offered])


def event_for(filename: str) -> str:
    """The X-Edihub-Event a notification file stands for, from its name: order.shipped-7.json -> ..."""
    kind = filename.partition("-")[0]
    if "-" not in filename or kind not in EVENTS:
        raise PermanentTransportError(
            f"{filename}: no webhook event for this file name; webhook notifications are named "
            f"<kind>-<id>.json with kind one of: {', '.join(sorted(EVENTS))}")
    return EVENTS[kind]


# --- transport --------------------------------------------------------------------------------

class WebhookTransport:
    """POSTs each notification, signed, to one channel's endpoint: one attempt per send()."""

    name = "webhook"

    def __init__(self, settings: WebhookSettings, clock: Callable[[], float] = time.time):
        self.settings, self._clock = settings, clock
        self._context = tls_context(settings.tls_ca_file) if settings.url.startswith(
            "https:") else None

    def send(self, file: OutboundFile) -> Receipt:
        """POST the payload with signature headers; classify the answer or the failure."""
        try:
            delivery = check_filename(file.filename)
        except ValueError as exc:
            raise PermanentTransportError(f"{exc}: a notification needs a plain file name") from exc
        event = event_for(delivery)
        timestamp = str(int(self._clock()))
        answer = post(self.settings.url, self._headers(file, delivery, event, timestamp),
                      file.payload, self.settings.timeout, context=self._context,
                      max_body=MAX_ANSWER)
        return self._judge(answer, delivery, event)

    def _headers(self, file: OutboundFile, delivery: str, event: str,
                 timestamp: str) -> dict[str, str]:
        headers = dict(self.settings.headers)
        if self.settings.authorization:
            headers["Authorization"] = self.settings.authorization
        headers.update({
            "Content-Type": file.content_type, "User-Agent": "edihub-webhook/1",
            "X-Edihub-Event": event, "X-Edihub-Delivery": delivery,
            "X-Edihub-Timestamp": timestamp,
            "X-Edihub-Signature": signature_header(self.settings.secret, timestamp, file.payload)})
        return headers

    def _judge(self, answer: HttpAnswer, delivery: str, event: str) -> Receipt:
        shown = redact_url(self.settings.url)
        status = answer.status
        if 200 <= status < 300 or status == 409:
            # 409: the channel already has this X-Edihub-Delivery; an earlier send landed.
            return Receipt(self.name, delivery, datetime.fromtimestamp(self._clock(), timezone.utc),
                           already_present=status == 409, detail={
                               "status": status, "response_ms": round(answer.elapsed_s * 1000, 1),
                               "event": event, "url": shown})
        said = f"{shown} answered HTTP {status} {answer.reason}".rstrip() + answer.excerpt()
        if status in _TRANSIENT or 500 <= status < 600:
            wait = retry_after_seconds(answer.header("Retry-After"), self._clock())
            when = f"; it asks us to wait {wait:g} s" if wait is not None else ""
            raise RetryLaterError(f"{said}: the channel cannot take it now{when}",
                                  status, wait)
        if 300 <= status < 400:
            where = answer.header("Location")
            raise HttpRefusedError(
                f"{said}: it redirects to {redact_url(where) if where else 'nowhere'}, and "
                "webhooks are not redirected: if the endpoint moved, set url to its new address",
                status)
        advice = _ADVICE.get(status, "check the url and secret_env with the channel")
        raise HttpRefusedError(f"{said}: {advice}", status)

    def list_inbox(self) -> list[RemoteFile]:
        """Nothing to list: webhooks only send."""
        return []

    def fetch(self, name: str, sink: BinaryIO) -> int:
        """Refused: webhooks only send."""
        raise PermanentTransportError(self._send_only())

    def done(self, name: str) -> None:
        """Refused: webhooks only send, so there is nothing to archive."""
        raise PermanentTransportError(self._send_only())

    def _send_only(self) -> str:
        return (f"the webhook to {redact_url(self.settings.url)} only sends notifications: "
                "there is nothing to fetch or archive")

    def close(self) -> None:
        """Nothing to release: each send uses its own connection."""
