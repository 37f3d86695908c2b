"""Inbound AS2: what the hub's ``POST /as2`` endpoint does with a request, and the MDN to answer.

The endpoint reads the raw body first (``request.get_data()``, before anything touches
``request.form``: a ``multipart/signed`` body would be consumed by form parsing), then calls
:meth:`As2Receiver.receive` with the request headers and that body, answers with
``result.mdn_response``, and, for an asynchronous MDN, later calls :func:`post_async_mdn` with
``result.async_mdn``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from transports.as2 import check_http_status
from transports.as2_certs import partner_cert_problem
from transports.as2_mdn import CallbackGuard, mime_bytes
from transports.as2_settings import As2Identity, As2Settings, as2_partner
from transports.base import check_filename
from transports.errors import PermanentTransportError
from transports.http import post, unfold

from pyas2lib import Message
from pyas2lib.exceptions import (AS2Exception, DecompressionError, DecryptionError,
                                 DuplicateDocument, InsufficientSecurityError, IntegrityError,
                                 PartnerNotFound)
from pyas2lib.utils import unquote_as2name

T = TypeVar("T")
Lookup = Mapping[str, T] | Callable[[str], T | None]
HttpReply = tuple[int, dict[str, str], bytes]

# The names pyas2lib gives its own wrappers: never the document's name.
_WRAPPER_NAME = re.compile(r"^smime\.p7[msz]$", re.I)
_REQUIRED_HEADERS = ("AS2-From", "AS2-To", "Message-ID")


@dataclass(frozen=True, slots=True)
class InboundResult:
    """What came of one inbound AS2 request, and what to answer."""

    status: str                        # "processed", "error" or "duplicate"
    message_id: str | None
    partner_as2_id: str | None
    our_as2_id: str | None
    mdn_response: HttpReply = field(repr=False)   # answer the HTTP request with this
    async_mdn: tuple[str, dict[str, str], bytes] | None = field(default=None, repr=False)
    payload: bytes | None = field(default=None, repr=False)      # only when processed
    filename: str | None = None        # the partner's name when safe, else a generated one
    signed: bool = False
    encrypted: bool = False
    compressed: bool = False
    mic: str | None = None
    disposition: str = ""              # as reported in the MDN
    error: str | None = None           # what is wrong and what to do


class As2Receiver:
    """Decrypts and verifies AS2 messages to our AS2 ids from known partners; builds the MDN."""

    def __init__(self, our_orgs: Lookup[As2Identity], partners: Lookup[As2Settings]):
        self._our = _as_function(our_orgs)
        self._partners = _as_function(partners)

    def receive(self, headers: Mapping[str, str], body: bytes,
                is_duplicate: Callable[[str, str], bool]) -> InboundResult:
        """Take one POST /as2 request; ``is_duplicate(message_id, partner_as2_id)`` spots resends.

        Exceptions raised by the lookups or by ``is_duplicate`` propagate: they are our fault,
        so the endpoint should answer 5xx and let the partner retry, not send an error MDN.
        """
        missing = [name for name in _REQUIRED_HEADERS if not _header(headers, name)]
        if missing:
            return _not_as2(missing)
        pairing = _Pairing(self._our, self._partners)
        guard = CallbackGuard()
        message = Message()
        status, (exc, _), mdn = message.parse(
            mime_bytes(headers, body), find_org_partner_cb=guard.wrap(pairing.find),
            find_message_cb=guard.wrap(is_duplicate))
        guard.reraise()
        reply, async_mdn = _mdn_answer(mdn)
        common = dict(
            message_id=message.message_id, mdn_response=reply, async_mdn=async_mdn,
            partner_as2_id=unquote_as2name(_header(headers, "AS2-From")),
            our_as2_id=unquote_as2name(_header(headers, "AS2-To")), signed=message.signed,
            encrypted=message.encrypted, compressed=message.compressed,
            mic=message.mic.decode() if message.mic else None)
        if status == "processed":
            return InboundResult("processed", payload=_payload(message), disposition=status,
                                 filename=_filename(message), **common)
        # pyas2lib's MDN says unexpected-processing-error for exceptions that are not its own.
        modifier = getattr(exc, "disposition_modifier", "unexpected-processing-error")
        disposition = f"{status}: {modifier}".rstrip(": ")
        if isinstance(exc, DuplicateDocument):
            return InboundResult("duplicate", disposition=disposition, **common)
        return InboundResult("error", disposition=disposition,
                             error=_explain(exc, message, pairing), **common)


def _as_function(lookup: Lookup) -> Callable:
    return lookup.get if isinstance(lookup, Mapping) else lookup


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


class _Pairing:
    """Finds our identity and the partner for a message, remembering why when it cannot."""

    def __init__(self, our: Callable, partners: Callable):
        self._our, self._partners = our, partners
        self.partner_id: str | None = None
        self.settings: As2Settings | None = None
        self.problem: str | None = None

    def find(self, our_id: str, partner_id: str):
        """pyas2lib's find_org_partner_cb: (Organization, Partner), or Nones to refuse."""
        self.partner_id = partner_id
        identity, self.settings = self._our(our_id), self._partners(partner_id)
        # Refuse with (None, None): an MDN signed for an unknown partner would crash pyas2lib.
        if identity is None:
            self.problem = (f"the message is addressed to AS2 id {our_id!r}, which is not ours: "
                            "the partner has a wrong AS2 id for us (ours are the our_as2_id of "
                            "the partner files)")
            return None, None
        if self.settings is None:
            self.problem = (f"no partner file has partner_as2_id = {partner_id!r}: onboard this "
                            "partner, or correct its AS2 id")
            return None, None
        if self.settings.our_as2_id != identity.as2_id:
            self.problem = (f"partner {partner_id!r} is set up to send to our AS2 id "
                            f"{self.settings.our_as2_id!r}, but this message is addressed to "
                            f"{our_id!r}: correct our_as2_id in its partner file, or tell the "
                            "partner")
            return None, None
        return identity.organization(), as2_partner(self.settings, inbound=True)


def _not_as2(missing: list[str]) -> InboundResult:
    text = f"not an AS2 message: header {', '.join(missing)} missing"
    return InboundResult("error", None, None, None, error=text, disposition="",
                         mdn_response=(400, {"Content-Type": "text/plain"}, text.encode()))


def _mdn_answer(mdn) -> tuple[HttpReply, tuple[str, dict[str, str], bytes] | None]:
    empty: HttpReply = (200, {}, b"")
    if mdn is None:
        return empty, None        # the partner asked for no MDN
    headers = {name: unfold(value) for name, value in mdn.headers.items()}
    if mdn.mdn_mode == "ASYNC":
        return empty, (mdn.mdn_url, headers, mdn.content)
    return (200, headers, mdn.content), None


def _payload(message: Message) -> bytes:
    content = message.content
    return content.encode() if isinstance(content, str) else content


def _filename(message: Message) -> str:
    """The partner's file name if it is safe; otherwise one made from the Message-ID."""
    name = message.payload.get_filename() if message.payload is not None else None
    if name and not _WRAPPER_NAME.match(name):
        try:
            return check_filename(name)
        except ValueError:
            pass    # a path or odd characters: never used as a local name
    digest = hashlib.sha256((message.message_id or "").encode()).hexdigest()[:24]
    return f"as2-{digest}.dat"


def _explain(exc: BaseException | None, message: Message, pairing: _Pairing) -> str:
    """What went wrong with an inbound message, for an operator."""
    partner, settings = pairing.partner_id, pairing.settings
    if isinstance(exc, PartnerNotFound):
        return pairing.problem or f"unknown AS2 partner or receiver ({exc})"
    if isinstance(exc, InsufficientSecurityError):
        if settings.require_encrypted and not message.encrypted:
            return (f"partner {partner!r} sent an unencrypted message, but its partner file "
                    "requires encryption: ask the partner to encrypt to our certificate, or set "
                    "require_encrypted = false")
        return (f"partner {partner!r} sent an unsigned message, but its partner file requires "
                "signatures: ask the partner to sign, or set require_signed = false")
    if isinstance(exc, DecryptionError):
        return (f"cannot decrypt the message from {partner!r}: it was not encrypted to our "
                "certificate (the one in key_file), or it was damaged on the way; send the "
                "partner our current certificate")
    if isinstance(exc, IntegrityError):
        return (f"the signature on the message from {partner!r} does not verify with "
                "partner_cert_file: the partner signs with a certificate we do not have, or the "
                "message was altered on the way")
    if isinstance(exc, DecompressionError):
        return f"cannot decompress the message from {partner!r}: ask the partner to resend it"
    if isinstance(exc, AS2Exception) and exc.disposition_modifier == "invalid-certificate":
        return partner_cert_problem(settings) or (
            f"partner_cert_file for {partner!r} is not a valid certificate: get the partner's "
            "current certificate")
    # Other messages may quote the document's bytes: name the kind of failure only.
    return (f"the message from {partner!r} could not be processed ({type(exc).__name__}): it "
            "was probably damaged on the way; the partner was told so and should resend it")


def post_async_mdn(url: str, headers: Mapping[str, str], body: bytes,
                   timeout: float = 30.0) -> int:
    """POST an asynchronous MDN to the URL the partner asked for; return the HTTP status."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise PermanentTransportError(f"the partner asked for its MDN at {url!r}, which is not "
                                      "an http:// or https:// URL; the MDN cannot be sent")
    answer = post(url, headers, body, timeout)
    check_http_status(answer, url, "our MDN")
    return answer.status
