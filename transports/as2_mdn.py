"""AS2 MDNs: reading and verifying a partner's MDN about a message we sent.

A synchronous MDN answers the POST (:class:`~transports.as2.As2Transport` reads it); an
asynchronous one is POSTed later to our ``mdn_url``, where the hub's endpoint hands it to
:func:`verify_async_mdn`. Also the MIME helpers both directions share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from transports import oscrypto_fix  # noqa: F401  (must run before pyas2lib imports oscrypto)
from pyas2lib import Mdn, Message  # noqa: E402
from pyas2lib.utils import unquote_as2name  # noqa: E402

from transports.as2_settings import As2Settings, as2_partner  # noqa: E402
from transports.errors import PermanentTransportError, TransientTransportError  # noqa: E402
from transports.http import unfold  # noqa: E402

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def mime_bytes(headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes) -> bytes:
    """HTTP headers and body joined into the one MIME message pyas2lib parses."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    lines = [f"{name}: {unfold(value)}\r\n".encode("latin-1", "replace")
             for name, value in items if _HEADER_NAME.match(name)]
    return b"".join(lines) + b"\r\n" + body


def as2_name_header(headers: Mapping[str, str], name: str) -> str | None:
    """The AS2 name in header ``name`` (AS2-From, AS2-To), unquoted; None when absent."""
    value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return unquote_as2name(value) if value else None


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



class MdnRefusedError(PermanentTransportError):
    """The partner's MDN says the message was not processed, or the MDN cannot be trusted."""

    def __init__(self, message: str, disposition: str, message_id: str | None):
        super().__init__(message)
        self.disposition, self.message_id = disposition, message_id


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
    # False when this is not the partner's verified word about the message: no MDN, an MDN
    # for a message we do not know, or one whose signature does not verify.
    trusted: bool = True

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
        return MdnResult(None, "error", "no MDN", transient=True, trusted=False, error=(
            "the partner's answer holds no MDN, so delivery is not confirmed; will send again"))
    if not found:
        return MdnResult(mdn.orig_message_id, "error", "unknown message", trusted=False, error=(
            f"an MDN arrived for message {mdn.orig_message_id!r}, which is not a message we "
            "sent (or one we no longer know); it confirms nothing"))
    if status == "failed/Failure" and detail and detail.startswith(("Failed to parse", "Expected")):
        partner = found[0].settings.partner_as2_id
        return MdnResult(found[0].message_id, "error", "MDN not verified", trusted=False, error=(
            f"the MDN from {partner} cannot be trusted ({detail}): partner_cert_file is not "
            "the certificate they sign with, or the MDN was altered"))
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

