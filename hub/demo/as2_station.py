"""The demo supplier Initech's AS2 station: pyas2lib on both sides of the conversation.

As a server (a WSGI app), it takes the hub's signed, encrypted purchase orders, answers each
with a signed synchronous MDN and drops the document into the supplier's "to-supplier"
folder. As a client, it sends what the supplier leaves in "from-supplier" to the hub's
``/as2`` endpoint, signed and encrypted, checks the hub's MDN, and moves the file to "sent".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.wrappers import Request, Response

from hub.demo.keys import As2Party
from transports import oscrypto_fix  # noqa: F401  (must run before pyas2lib imports oscrypto)
from pyas2lib import Mdn, Message, Organization, Partner  # noqa: E402

from transports.as2_mdn import mime_bytes  # noqa: E402
from transports.errors import TransportError  # noqa: E402
from transports.http import post  # noqa: E402

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
TIMEOUT = 10.0


@dataclass
class StationLog:
    """What went through the station during this run."""

    received: list[str] = field(default_factory=list)     # documents the hub sent
    sent: list[str] = field(default_factory=list)         # Message-IDs the hub confirmed
    problems: list[str] = field(default_factory=list)


class SupplierAs2Station:
    """A supplier's AS2 station working on the supplier's folders."""

    def __init__(self, station: As2Party, hub: As2Party, inbox: Path, outbox: Path, sent: Path):
        self.inbox, self.outbox, self.sent = inbox, outbox, sent
        self.hub_url: str | None = None          # the hub's /as2, once it is served
        self.log = StationLog()
        self._seen: set[str] = set()
        self._org = Organization(as2_name=station.as2_id, sign_key=station.key_file.read_bytes(),
                                 decrypt_key=station.key_file.read_bytes(),
                                 domain=f"{station.as2_id.lower()}.demo")
        hub_cert = hub.cert_file.read_bytes()
        self._hub = Partner(as2_name=hub.as2_id, verify_cert=hub_cert, encrypt_cert=hub_cert,
                            sign=True, encrypt=True, digest_alg="sha256", enc_alg="aes_256_cbc",
                            mdn_mode="SYNC", mdn_digest_alg="sha256")

    # -- the hub's documents in -----------------------------------------------------------

    def __call__(self, environ, start_response):
        """WSGI: take one AS2 message from the hub; answer with its MDN."""
        request = Request(environ)
        body = request.get_data(cache=False)
        message = Message()
        status, (exc, _), mdn = message.parse(
            mime_bytes(request.headers, body),
            find_org_cb=lambda as2_id: self._org if as2_id == self._org.as2_name else None,
            find_partner_cb=lambda as2_id: self._hub if as2_id == self._hub.as2_name else None,
            find_message_cb=lambda message_id, _partner: message_id in self._seen)
        if status == "processed":
            self._seen.add(message.message_id)
            self.log.received.append(self._drop(message))
        elif exc is not None:
            self.log.problems.append(f"a message from the hub was refused: {status} ({exc})")
        if mdn is None:
            return Response(b"", 200)(environ, start_response)
        return Response(mdn.content, 200, headers=dict(mdn.headers))(environ, start_response)

    def _drop(self, message: Message) -> str:
        name = message.payload.get_filename() if message.payload is not None else None
        if not name or not _SAFE_NAME.match(name) or name.startswith("smime."):
            name = "as2-" + hashlib.sha256(message.message_id.encode()).hexdigest()[:16] + ".dat"
        content = message.content
        temp = self.inbox / f".{name}.part"
        temp.write_bytes(content.encode() if isinstance(content, str) else content)
        temp.replace(self.inbox / name)       # the supplier never sees half a file
        return name

    # -- the supplier's documents out -----------------------------------------------------

    def send_outbox(self) -> list[str]:
        """Send every file the supplier left for the hub; return the Message-IDs confirmed."""
        confirmed = []
        files = sorted(p for p in self.outbox.iterdir()
                       if p.is_file() and not p.name.startswith("."))
        for path in files:
            message_id = self._send(path)
            if message_id is not None:
                self.sent.mkdir(parents=True, exist_ok=True)
                path.replace(self.sent / path.name)
                confirmed.append(message_id)
        self.log.sent += confirmed
        return confirmed

    def _send(self, path: Path) -> str | None:
        """POST one file to the hub; its Message-ID if the hub's MDN says it was processed."""
        message = Message(sender=self._org, receiver=self._hub)
        message.build(path.read_bytes(), filename=path.name,
                      content_type="application/octet-stream")
        try:
            answer = post(f"{self.hub_url}/as2", message.headers, message.content, TIMEOUT)
        except TransportError as exc:
            self.log.problems.append(f"{path.name}: not sent to the hub ({exc}); kept for "
                                     "the next turn")
            return None
        status, detail = Mdn().parse(
            mime_bytes(answer.headers, answer.body),
            find_message_cb=lambda mid, _r: message if mid == message.message_id else None)
        if answer.status != 200 or not status or "error" in status.lower():
            self.log.problems.append(f"{path.name}: the hub answered HTTP {answer.status}, MDN "
                                     f"{status or 'none'} {detail or ''}; kept for the next turn")
            return None
        return message.message_id
