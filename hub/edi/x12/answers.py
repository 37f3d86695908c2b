"""Suppliers' X12 answers: one 997, 999, 855, 856 or 865 transaction set in, one document out.

``parse_transaction`` is the only entry point the services need. It never raises for bad
content: what cannot be used comes back as :class:`DocumentProblem` entries. The document is
None when the set cannot be applied at all (no PO number, unreadable quantities, a broken HL
tree, no AK1...); otherwise the problems list what was left out or doubtful (an unreadable
date, a segment out of place), and the document can be applied while the problems go to the
exceptions queue.

A 997/999 whose ``sets`` is empty answers the whole group by its AK901 ``group_status``.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.domain.documents import DocumentProblem, ParsedDocument
from hub.edi.x12.fa997 import parse_functional_ack
from hub.edi.x12.asn856 import parse_ship_notice
from hub.edi.x12.envelope import Transaction
from hub.edi.x12.poack855 import parse_po_ack
from hub.edi.x12.pochangeack865 import parse_change_ack

PARSERS: dict[str, Callable[[Transaction], ParsedDocument]] = {
    "997": parse_functional_ack,
    "999": parse_functional_ack,
    "855": parse_po_ack,
    "856": parse_ship_notice,
    "865": parse_change_ack,
}


def parse_transaction(tx: Transaction) -> ParsedDocument:
    """The document one answer transaction set holds, or the problems that prevent it."""
    parser = PARSERS.get(tx.set_id)
    if parser is not None:
        return parser(tx)
    return ParsedDocument(tx.set_id, None, [DocumentProblem(
        "document.unexpected_type",
        f"transaction set {tx.set_id!r} (ST02 {tx.control}, segment {tx.number}) is not an "
        f"answer the hub reads from suppliers (997, 999, 855, 856 or 865): check what the partner "
        "sends and whether it belongs to another partner", tx.number)])
