"""AS2 messages in the store: inbound ones by Message-ID, outbound ones by the id in their receipt.

An inbound AS2 message is one interchange row of doc_type ``"as2"``, direction ``"in"``: the
raw request (headers and body, as received) is in the archive, ``remote_name`` holds
``"as2:<Message-ID>"`` and ``receipt`` (JSON) what the message was: signed, encrypted, MIC,
disposition, how its MDN went. The documents it carried get rows of their own when the hub
receives the payload. The Message-ID is kept out of ``control_number`` on purpose: that
column holds ISA13 for X12 rows, and the two must never be compared with each other.

An outbound message's Message-ID is in its receipt, as the AS2 transport reported it
(``receipt["detail"]["message_id"]``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from hub.adapters import tables as t
from hub.domain.states import InterchangeState

DOC_TYPE = "as2"
_KEY_PREFIX = "as2:"
_REMOTE_NAME_WIDTH = 400


def message_key(message_id: str) -> str:
    """What ``remote_name`` holds for an inbound AS2 message (a hash when the id is too long)."""
    key = _KEY_PREFIX + message_id
    if len(key) > _REMOTE_NAME_WIDTH:
        key = _KEY_PREFIX + "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()
    return key


class As2Store:
    """Reads and writes AS2 message records on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def processed_message(self, partner_id: str, message_id: str) -> int | None:
        """Id of the partner's inbound AS2 message with this Message-ID, if it was processed."""
        i = t.interchanges
        return self.conn.scalar(select(i.c.id).where(
            i.c.direction == "in", i.c.doc_type == DOC_TYPE, i.c.partner_id == partner_id,
            i.c.remote_name == message_key(message_id),
            i.c.state == InterchangeState.PROCESSED.value).order_by(i.c.id).limit(1))

    def add_message(self, **row) -> int:
        """Insert one inbound AS2 message row; return its id."""
        row.update(direction="in", doc_type=DOC_TYPE)
        row["receipt"] = json.dumps(row.get("receipt", {}), default=str, ensure_ascii=False)
        return self.conn.execute(insert(t.interchanges).returning(t.interchanges.c.id),
                                 row).scalar_one()

    def settle_message(self, row_id: int, state: InterchangeState, now: datetime,
                       facts: dict | None = None, error: str = "") -> None:
        """Set an inbound AS2 message's final state, adding ``facts`` to its receipt."""
        values = {"state": state.value, "done_at": now, "last_error": error[:4000]}
        if facts:
            values["receipt"] = self._merged(row_id, facts, nested=False)
        self.conn.execute(update(t.interchanges).where(t.interchanges.c.id == row_id)
                          .values(**values))

    def add_facts(self, row_id: int, facts: dict) -> None:
        """Add ``facts`` to an inbound AS2 message's receipt (how its async MDN went)."""
        self.conn.execute(update(t.interchanges).where(t.interchanges.c.id == row_id)
                          .values(receipt=self._merged(row_id, facts, nested=False)))

    def sent_message(self, message_id: str) -> dict | None:
        """The outbound interchange whose receipt holds this AS2 Message-ID, or None."""
        i = t.interchanges
        # The receipt is JSON text: narrow by substring (escaped for LIKE), then check exactly.
        fragment = '"message_id": ' + json.dumps(message_id)
        rows = self.conn.execute(select(
            i.c.id, i.c.partner_id, i.c.doc_type, i.c.control_number, i.c.filename,
            i.c.purchase_order_id, i.c.state, i.c.receipt)
            .where(i.c.direction == "out", i.c.receipt.contains(fragment, autoescape=True))
            .order_by(i.c.id.desc())).mappings()
        for row in rows:
            receipt = _load(row["receipt"])
            detail = _detail(receipt)
            if detail.get("message_id") == message_id:
                return {**row, "receipt": receipt, "detail": detail}
        return None

    def record_mdn(self, interchange_id: int, facts: dict) -> None:
        """Add what an asynchronous MDN said to the receipt of the interchange it answers."""
        self.conn.execute(update(t.interchanges).where(t.interchanges.c.id == interchange_id)
                          .values(receipt=self._merged(interchange_id, facts, nested=True)))

    def mark_refused(self, interchange_id: int, error: str, now: datetime) -> bool:
        """Mark a sent interchange failed: the partner's MDN says it was not processed."""
        i = t.interchanges
        res = self.conn.execute(update(i).where(
            i.c.id == interchange_id, i.c.state == InterchangeState.SENT.value).values(
            state=InterchangeState.FAILED.value, last_error=error[:4000], done_at=now))
        return res.rowcount == 1

    def _merged(self, row_id: int, facts: dict, nested: bool) -> str:
        receipt = _load(self.conn.scalar(select(t.interchanges.c.receipt)
                                         .where(t.interchanges.c.id == row_id)))
        (_detail(receipt) if nested else receipt).update(facts)
        return json.dumps(receipt, default=str, ensure_ascii=False)


def _load(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _detail(receipt: dict) -> dict:
    """The transport's own facts: under "detail" in a stored Receipt, else the receipt itself."""
    detail = receipt.get("detail")
    return detail if isinstance(detail, dict) else receipt
