"""The X12 860 renderer: a purchase order change (Purchase Order Change Request - Buyer
Initiated) built from a partner's 860 mapping, as the 850 is from its 850 mapping.

The machine is the 850's (hub.edi.x12.po850.X12Renderer): the same mapping engine, element
dictionary and envelope, with GS01 ``PC`` and ST01 ``860``, and the fields of
hub.edi.change (the order after the change plus ``change.*``, one line per purchase-order
line the change names). The shipped mappings write, per the 860's layout (BCH, CUR, REF,
PER, DTM, N1 loop, then a POC loop per line, CTT; bots-edi/bots-grammars
``x12/4010/860004010.py`` and ``x12/5010/860005010.py``):

* BCH01 ``01`` when every line of the purchase order is deleted and nothing has shipped
  (a cancellation), otherwise ``04`` (a change); BCH02 the purchase-order type as in the
  partner's 850; BCH03 our PO number; BCH05 the change's sequence number for this purchase
  order; BCH06 the PO date; BCH11 the date of the change.
* POC01 the PO line number, POC02 ``DI`` (delete item), ``QD``/``QI`` (quantity decrease or
  increase), ``CT`` (change of dates) or ``CA`` (changes to line items, for a new ship-to);
  POC03 the quantity ordered from now on and POC04 the quantity left to receive (both left
  out for a deleted line), POC05 the unit (the first component of C001).
* A new ship-to in N1*ST/N3/N4, a new requested delivery date in DTM*002.

Element references are in hub/edi/x12/elements.py; the golden 860s and what they were
checked against are in tests/fixtures/golden/README.md.
"""

from __future__ import annotations

from hub.edi.x12.po850 import PreparedX12, X12Renderer

CONTENT_TYPE = "application/edi-x12"

__all__ = ["ChangeRenderer", "PreparedX12"]


class ChangeRenderer(X12Renderer):
    """Renders purchase-order changes as X12 860 for one partner with its 860 mapping."""

    doc_type = "860"
    mapping_key = "change_mapping"
