"""One HTTP POST and what can go wrong with it, shared by the HTTP-based transports.

:func:`post` makes one attempt and never follows a redirect: the caller judges the status.
Failures to reach the server or to read its answer become transport errors: transient when a
later attempt may work (timeout, refused or dropped connection, name not resolved), permanent
when someone must change something (an untrusted TLS certificate, a failed TLS handshake).
Messages name the server by :func:`redact_url`, never by the full URL, and never quote the body.
"""

from __future__ import annotations

import email.utils
import http.client
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from transports.errors import PermanentTransportError, TransientTransportError

MAX_BODY = 16 << 20          # bytes of an answer we keep at most, unless the caller says less
RETRY_AFTER_CAP = 86_400.0   # a Retry-After beyond one day is taken as one day
_CHUNK = 64 << 10


class RetryLaterError(TransientTransportError):
    """The server answered, but with a status that says: try again later (408, 425, 429, 5xx)."""

    def __init__(self, message: str, status: int, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class HttpRefusedError(PermanentTransportError):
    """The server answered with a status that retrying will not change (most 4xx, redirects)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A server's answer to one POST."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = field(repr=False)
    elapsed_s: float = 0.0       # from sending the request to reading the status line
    truncated: bool = False      # the body was longer than the cap: ``body`` is its beginning

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def excerpt(self, limit: int = 200) -> str:
        """The start of the body on one line, quoted, to help an operator; never all of it."""
        text = re.sub(r"[\x00-\x20\x7f]+", " ",
                      self.body[:limit * 4].decode("utf-8", "replace")).strip()
        if not text:
            return ""
        more = len(text) > limit or self.truncated or len(self.body) > limit * 4
        return ' ("' + text[:limit] + ("…" if more else "") + '")'


def redact_url(url: str) -> str:
    """``url`` fit for messages and logs: no user name or password, query and fragment hidden."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else ""
    return origin + parts.path + ("?…" if parts.query else "")


def unfold(value: str) -> str:
    """A header value on one line: a CR or LF would start a new header (or the body)."""
    return re.sub(r"[\r\n]+[ \t]*", " ", value)


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A verifying TLS context trusting ``ca_file`` (PEM) instead of the system's CAs if given."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After value asks us to wait (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,10}", value):
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None  # RFC 9110 dates are GMT; a zoneless one is not an HTTP date
    wait = when.timestamp() - (time.time() if now is None else now)
    return min(max(wait, 0.0), RETRY_AFTER_CAP)


def post(url: str, headers: Mapping[str, str], body: bytes, timeout: float,
         ca_file: Path | None = None, *, context: ssl.SSLContext | None = None,
         max_body: int = MAX_BODY) -> HttpAnswer:
    """POST ``body`` to ``url`` once; raise a transport error when no complete answer comes.

    ``timeout`` bounds the connection, each wait for the server, and reading the body. At most
    ``max_body`` bytes of the answer are read; the rest is left unread (``truncated``).
    """
    parts = urlsplit(url)
    shown = redact_url(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentTransportError(f"{shown} is not an http:// or https:// URL")
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=context or tls_context(ca_file))
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        started = time.monotonic()
        conn.request("POST", target, body=body,
                     headers={name: unfold(value) for name, value in headers.items()})
        sock = conn.sock   # getresponse() lets go of it when the server will close
        response = conn.getresponse()
        elapsed = time.monotonic() - started
        data, truncated = _read_body(response, sock, max_body, timeout)
        return HttpAnswer(response.status, response.reason, response.getheaders(), data,
                          elapsed, truncated)
    except (OSError, http.client.HTTPException) as exc:
        raise _failure(exc, shown, parts.hostname, timeout) from exc
    finally:
        conn.close()


def _read_body(response: http.client.HTTPResponse, sock: socket.socket | None, cap: int,
               timeout: float) -> tuple[bytes, bool]:
    # One deadline for the whole body: a server trickling a byte at a time must not hold a
    # worker for longer than ``timeout``.
    deadline = time.monotonic() + timeout
    chunks, size = [], 0
    while size < cap:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the answer's body was not complete in time")
        if sock is not None:
            sock.settimeout(remaining)
        chunk = response.read1(min(_CHUNK, cap - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size < cap and response.length:
        # read1 reports a connection closed before Content-Length bytes as a plain end.
        raise http.client.IncompleteRead(b"".join(chunks), response.length)
    return b"".join(chunks), size >= cap and not response.isclosed()


def _failure(exc: BaseException, shown: str, host: str, timeout: float) -> Exception:
    """The transport error a failed exchange with ``shown`` means."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentTransportError(
            f"the TLS certificate of {host} is not trusted ({exc.verify_message}): set "
            "tls_ca_file to the CA that issued it, or ask the server's owner to fix it")
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return TransientTransportError(f"{shown} closed the TLS connection unexpectedly")
    if isinstance(exc, ssl.SSLError):
        return PermanentTransportError(
            f"the TLS handshake with {host} failed ({exc.reason or exc}): check that the url's "
            "scheme (http or https) and port are right")
    if isinstance(exc, TimeoutError):
        return TransientTransportError(f"{shown} did not answer within {timeout:g} s")
    if isinstance(exc, ConnectionRefusedError):
        return TransientTransportError(f"{shown} refused the connection: the server is down, or "
                                       "the port in the url is wrong")
    if isinstance(exc, socket.gaierror):
        return TransientTransportError(f"cannot resolve the host name {host} ({exc.strerror}): "
                                       "check the url; if it is right, DNS is failing")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.IncompleteRead,
                        http.client.BadStatusLine)):
        return TransientTransportError(f"{shown} closed the connection before its answer was "
                                       f"complete ({type(exc).__name__}): the server may or may "
                                       "not have processed the request")
    return TransientTransportError(f"cannot reach {shown}: {type(exc).__name__}: {exc}")
