"""Explicit state machines for orders, purchase orders, their lines, interchanges and changes.

Each machine is a table ``{state: {allowed next states}}``; :func:`check` is the only way a
state changes, so an illegal move always raises :class:`IllegalTransitionError` instead of
silently corrupting an order.
"""

from __future__ import annotations

from enum import StrEnum

from hub.errors import IllegalTransitionError


class OrderState(StrEnum):
    """Where a customer's order stands, derived from its purchase orders once routed."""

    RECEIVED = "received"
    ON_HOLD = "on_hold"                  # review's risk rules hold it until an operator releases it
    NEEDS_ATTENTION = "needs_attention"  # incomplete, unroutable or undeliverable: an Incident says why
    PROCESSING = "processing"            # purchase orders are with suppliers
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class PoState(StrEnum):
    """A supplier's purchase order: business status driven by documents in and out."""

    NEEDS_ATTENTION = "needs_attention"  # the document could not be built; an Incident says why
    QUEUED = "queued"                    # document committed to the outbox
    SENT = "sent"                        # transport confirmed delivery
    ACKNOWLEDGED = "acknowledged"        # 997/999 accepted the transaction set
    ACCEPTED = "accepted"                # 855: supplier takes (some of) the lines
    REJECTED = "rejected"                # 855 or 997 rejected the whole PO
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    FAILED = "failed"                    # delivery failed for good; an Incident says why
    CANCELLED = "cancelled"


class LineState(StrEnum):
    """One purchase-order line at its supplier."""

    OPEN = "open"
    ACCEPTED = "accepted"
    CHANGED = "changed"                  # accepted with a different quantity, price or date
    BACKORDERED = "backordered"
    REJECTED = "rejected"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    REROUTED = "rerouted"                # rejected here, sent on to the next supplier
    CANCELLED = "cancelled"


class InterchangeState(StrEnum):
    """One transmission in or out."""

    QUEUED = "queued"        # outbound, waiting for the dispatcher
    SENT = "sent"            # outbound, delivered (a Receipt is stored)
    FAILED = "failed"        # outbound, gave up after retries or a permanent error
    RECEIVED = "received"    # inbound, raw bytes stored, not yet applied
    PROCESSED = "processed"  # inbound, applied
    DUPLICATE = "duplicate"  # inbound, seen before: recorded, not applied
    REJECTED = "rejected"    # inbound, could not be read or applied; an Incident says why
    CANCELLED = "cancelled"  # outbound, withdrawn by an operator before it left (or replaced)


class ChangeState(StrEnum):
    """A change from the channel as it reaches one purchase order (and, summed up, the order)."""

    REQUESTED = "requested"              # the order's: some supplier is not told yet
    QUEUED = "queued"                    # the change document waits in the outbox
    FAILED = "failed"                    # its delivery failed; an Incident says why
    MANUAL = "manual"                    # no change document for this supplier: a person tells it
    SENT = "sent"                        # delivered: waiting for the supplier's answer
    APPLIED = "applied"                  # the document had not left: it was replaced
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"  # some lines accepted, some refused
    REFUSED = "refused"                  # by the supplier, or by the hub for shipped units
    REJECTED = "rejected"                # the supplier's 997/999 rejected the change document


class IncidentState(StrEnum):
    """An exceptions-queue entry."""

    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


_S = OrderState
ORDER_TRANSITIONS: dict[StrEnum, frozenset[StrEnum]] = {
    _S.RECEIVED: frozenset({_S.ON_HOLD, _S.NEEDS_ATTENTION, _S.PROCESSING, _S.CANCELLED}),
    _S.ON_HOLD: frozenset({_S.NEEDS_ATTENTION, _S.PROCESSING, _S.CANCELLED}),
    _S.NEEDS_ATTENTION: frozenset({_S.ON_HOLD, _S.PROCESSING, _S.CANCELLED}),
    _S.PROCESSING: frozenset({_S.NEEDS_ATTENTION, _S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.CANCELLED}),
    _S.PARTIALLY_SHIPPED: frozenset({_S.NEEDS_ATTENTION, _S.SHIPPED, _S.PROCESSING}),
    _S.SHIPPED: frozenset(),
    _S.CANCELLED: frozenset(),
}

_P = PoState
PO_TRANSITIONS: dict[StrEnum, frozenset[StrEnum]] = {
    _P.NEEDS_ATTENTION: frozenset({_P.QUEUED, _P.CANCELLED}),
    # An answer proves delivery even if our record of sending it was lost (a worker crash).
    _P.QUEUED: frozenset({_P.SENT, _P.FAILED, _P.CANCELLED, _P.ACKNOWLEDGED, _P.ACCEPTED,
                          _P.REJECTED, _P.PARTIALLY_SHIPPED, _P.SHIPPED}),
    # Answers can overtake each other: an 855 or 856 may arrive before the 997.
    # FAILED: an asynchronous MDN, arriving after the send, says the partner could not read it.
    _P.SENT: frozenset({_P.ACKNOWLEDGED, _P.ACCEPTED, _P.REJECTED, _P.PARTIALLY_SHIPPED,
                        _P.SHIPPED, _P.QUEUED, _P.CANCELLED, _P.FAILED}),
    _P.ACKNOWLEDGED: frozenset({_P.ACCEPTED, _P.REJECTED, _P.PARTIALLY_SHIPPED, _P.SHIPPED,
                                _P.CANCELLED}),
    _P.ACCEPTED: frozenset({_P.PARTIALLY_SHIPPED, _P.SHIPPED, _P.REJECTED, _P.CANCELLED}),
    _P.PARTIALLY_SHIPPED: frozenset({_P.SHIPPED}),
    _P.REJECTED: frozenset({_P.ACCEPTED}),  # a corrected 855 may follow a rejection
    _P.FAILED: frozenset({_P.QUEUED, _P.CANCELLED}),  # an operator retries or gives up
    _P.SHIPPED: frozenset(),
    _P.CANCELLED: frozenset(),
}

_L = LineState
LINE_TRANSITIONS: dict[StrEnum, frozenset[StrEnum]] = {
    _L.OPEN: frozenset({_L.ACCEPTED, _L.CHANGED, _L.BACKORDERED, _L.REJECTED,
                        _L.PARTIALLY_SHIPPED, _L.SHIPPED, _L.CANCELLED}),
    _L.ACCEPTED: frozenset({_L.CHANGED, _L.BACKORDERED, _L.REJECTED, _L.PARTIALLY_SHIPPED,
                            _L.SHIPPED, _L.CANCELLED}),
    _L.CHANGED: frozenset({_L.ACCEPTED, _L.BACKORDERED, _L.REJECTED, _L.PARTIALLY_SHIPPED,
                           _L.SHIPPED, _L.CANCELLED}),
    _L.BACKORDERED: frozenset({_L.ACCEPTED, _L.CHANGED, _L.REJECTED, _L.PARTIALLY_SHIPPED,
                               _L.SHIPPED, _L.CANCELLED}),
    _L.REJECTED: frozenset({_L.REROUTED, _L.ACCEPTED, _L.CHANGED, _L.CANCELLED}),
    _L.PARTIALLY_SHIPPED: frozenset({_L.SHIPPED}),
    _L.SHIPPED: frozenset(),
    _L.REROUTED: frozenset(),
    _L.CANCELLED: frozenset(),
}

_I = InterchangeState
INTERCHANGE_TRANSITIONS: dict[StrEnum, frozenset[StrEnum]] = {
    _I.QUEUED: frozenset({_I.SENT, _I.FAILED, _I.CANCELLED}),
    _I.FAILED: frozenset({_I.QUEUED, _I.CANCELLED}),
    _I.CANCELLED: frozenset(),
    _I.SENT: frozenset(),
    _I.RECEIVED: frozenset({_I.PROCESSED, _I.DUPLICATE, _I.REJECTED}),
    _I.REJECTED: frozenset({_I.RECEIVED}),  # an operator fixes the cause and reprocesses
    _I.PROCESSED: frozenset(),
    _I.DUPLICATE: frozenset(),
}


_C = ChangeState
_ANSWERS = frozenset({_C.ACCEPTED, _C.PARTLY_ACCEPTED, _C.REFUSED, _C.REJECTED})
CHANGE_TRANSITIONS: dict[StrEnum, frozenset[StrEnum]] = {
    # An answer can overtake the record of delivery, as with purchase orders.
    _C.QUEUED: frozenset({_C.SENT, _C.FAILED}) | _ANSWERS,
    _C.FAILED: frozenset({_C.SENT}) | _ANSWERS,      # an operator retried it, and it went
    _C.SENT: _ANSWERS,
    _C.MANUAL: _ANSWERS - {_C.REJECTED},
    _C.APPLIED: frozenset(), _C.ACCEPTED: frozenset(), _C.PARTLY_ACCEPTED: frozenset(),
    _C.REFUSED: frozenset(), _C.REJECTED: frozenset(), _C.REQUESTED: frozenset(),
}


def check(table: dict[StrEnum, frozenset[StrEnum]], kind: str, ref: object,
          current: StrEnum, wanted: StrEnum) -> StrEnum:
    """Return ``wanted`` if the table allows ``current -> wanted``; raise otherwise."""
    if wanted != current and wanted not in table[current]:
        raise IllegalTransitionError(kind, str(ref), str(current), str(wanted))
    return wanted
