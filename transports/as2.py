"""AS2 transport (pyas2lib): signed, encrypted documents over HTTP(S), with an MDN as receipt.

The settings (a partner file's ``[transport]`` table with ``type = "as2"``) are described and
checked in :mod:`transports.as2_settings`; key and certificate files are read by
:mod:`transports.as2_certs`; MDNs are verified by :mod:`transports.as2_mdn`; what the
partner sends us arrives at the hub's ``/as2`` endpoint (:mod:`transports.as2_receiver`).
This module re-exports the names callers use, so ``from transports.as2 import ...`` works.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import BinaryIO

from transports import oscrypto_fix  # noqa: F401  (must run before pyas2lib imports oscrypto)
from pyas2lib import Message  # noqa: E402
from pyas2lib.exceptions import AS2Exception, ImproperlyConfigured  # noqa: E402

from transports.as2_certs import (CertificateFileError, CertificateOnFile,  # noqa: E402
                                  cert_not_after, partner_cert_problem)
from transports.as2_mdn import (CallbackGuard, MdnRefusedError, MdnResult,  # noqa: E402
                                SentMessage, mime_bytes, read_mdn, verify_async_mdn)
from transports.as2_settings import As2Identity, As2Settings, as2_partner  # noqa: E402
from transports.base import OutboundFile, Receipt, RemoteFile, check_filename  # noqa: E402
from transports.errors import PermanentTransportError, TransientTransportError  # noqa: E402
from transports.http import HttpAnswer, post, redact_url, unfold  # noqa: E402

__all__ = [
    "As2Identity", "As2Settings", "As2Transport", "CallbackGuard", "CertificateFileError",
    "CertificateOnFile", "HttpAnswer", "MdnRefusedError", "MdnResult", "SentMessage",
    "as2_partner", "cert_not_after", "check_http_status", "mime_bytes", "partner_cert_problem",
    "post", "read_mdn", "unfold", "verify_async_mdn",
]


def check_http_status(answer: HttpAnswer, url: str, what: str) -> None:
    """Raise what an HTTP status means: 5xx, 408 and 429 transient, other non-2xx permanent."""
    if 200 <= answer.status < 300:
        return
    text = f"{redact_url(url)} answered HTTP {answer.status} {answer.reason} to {what}"
    if answer.status >= 500 or answer.status in (408, 429):
        raise TransientTransportError(f"{text}: the partner's server has a problem")
    raise PermanentTransportError(f"{text}: check the url in the partner file, and that the "
                                  "partner has set us up")


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

    def probe(self) -> list[str]:
        """Post a small test message (a text file named edihub-connection-test-<time>.txt) and
        read the MDN that answers it (an async MDN arrives later at mdn_url)."""
        name = f"edihub-connection-test-{datetime.now(timezone.utc):%Y%m%d%H%M%S}.txt"
        receipt = self.send(OutboundFile(name, b"edihub AS2 connection test: please ignore.\n",
                                         "text/plain"))
        d = receipt.detail
        found = [f"posted AS2 message {d.get('message_id')} ({name}) to "
                 f"{redact_url(self.settings.url)} as {self.settings.our_as2_id} for "
                 f"{self.settings.partner_as2_id}: HTTP 2xx"]
        if d.get("mdn_pending"):
            found.append(f"the MDN is asynchronous: the partner posts it to {self.settings.mdn_url}")
        else:
            signed = "signed and verified" if d.get("mdn_signed") else "unsigned"
            found.append(f"MDN received ({signed}): {d.get('mdn_detail') or d.get('mdn_status')}")
        return found

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
