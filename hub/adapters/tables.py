"""The store's tables (SQLAlchemy Core). Alembic migrations are written against this metadata."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint, func, text)
from sqlalchemy.types import DateTime, TypeDecorator


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # SQLite text from raw SQL paths
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


class DecimalText(TypeDecorator):
    """Exact decimals kept as text: no float rounding, no driver differences."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

orders = Table(
    "orders", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(40), nullable=False),
    Column("channel_order_id", String(80), nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer_id", String(80), nullable=False, index=True),
    Column("customer_name", String(120), nullable=False),
    Column("customer_email", String(254), nullable=False),
    Column("customer_phone", String(40), nullable=False),
    Column("prepaid", Boolean, nullable=False),
    Column("ship_name", String(120), nullable=False),
    Column("ship_address1", String(120), nullable=False),
    Column("ship_address2", String(120), nullable=False),
    Column("ship_city", String(80), nullable=False),
    Column("ship_state", String(40), nullable=False),
    Column("ship_postal_code", String(20), nullable=False),
    Column("ship_country", String(2), nullable=False),
    Column("state", String(20), nullable=False, index=True),
    Column("hold_reason", Text, nullable=False, server_default=""),
    Column("content_hash", String(64), nullable=False),
    Column("payload", Text, nullable=False),            # canonical JSON as received
    Column("updated_at", UtcDateTime, nullable=False),
    Column("requested_delivery", Date),                   # set by a change from the channel
    UniqueConstraint("channel", "channel_order_id"),
    # Finding an order by any id (hub.views.orders.find_orders) and the dashboard's orders per
    # day: each an index lookup, not a scan of every order.
    Index("ix_orders_channel_order_id", "channel_order_id"),
    Index("ix_orders_received_at", "received_at", "channel"),
)
# A customer's e-mail is matched whatever its case; a name by its beginning, whatever its case
# (PostgreSQL needs text_pattern_ops to serve LIKE 'prefix%' from an index in any locale).
Index("ix_orders_customer_email_lower", func.lower(orders.c.customer_email))
Index("ix_orders_customer_name_lower", func.lower(orders.c.customer_name).label("customer_name_lower"),
      postgresql_ops={"customer_name_lower": "text_pattern_ops"})

order_lines = Table(
    "order_lines", metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("line_id", String(40), nullable=False),
    Column("sku", String(80), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", DecimalText, nullable=False),
    Column("description", String(240), nullable=False),
    Column("candidates", Text, nullable=False, server_default=""),  # supplier ids, best first
    Column("cancelled", Integer, nullable=False, server_default="0"),  # units an operator cancelled
)

purchase_orders = Table(
    "purchase_orders", metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("po_number", String(22), nullable=False, unique=True),
    Column("partner_id", String(40), nullable=False, index=True),
    Column("state", String(20), nullable=False, index=True),
    Column("ack_status", String(24), nullable=False, server_default=""),
    Column("route_attempt", Integer, nullable=False, server_default="1"),
    Column("test_mode", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("acked_at", UtcDateTime),      # 997/999 received
    Column("poack_at", UtcDateTime),      # 855 received
    Column("shipped_at", UtcDateTime),    # first 856 received
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    # The sum of its lines' quantities, written with them: the day's units per supplier
    # (units_booked_since, asked by every intake batch) are then read from this index alone.
    Column("units", Integer, nullable=False, server_default="0"),
    Index("ix_purchase_orders_booked", "created_at", "partner_id", "state", "units"),
)

po_lines = Table(
    "po_lines", metadata,
    Column("id", Integer, primary_key=True),
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("order_line_id", ForeignKey("order_lines.id", ondelete="CASCADE"), index=True),
    Column("line_number", Integer, nullable=False),
    Column("sku", String(80), nullable=False),
    Column("supplier_item", String(48), nullable=False),
    Column("description", String(240), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_cost", DecimalText, nullable=False),
    Column("uom", String(2), nullable=False),
    Column("state", String(20), nullable=False),
    Column("qty_accepted", Integer, nullable=False, server_default="0"),
    Column("qty_rejected", Integer, nullable=False, server_default="0"),
    Column("qty_backordered", Integer, nullable=False, server_default="0"),
    Column("qty_shipped", Integer, nullable=False, server_default="0"),
    Column("promised_date", Date),
    UniqueConstraint("purchase_order_id", "line_number"),
)

_LIVE_CONTROL = "state NOT IN ('duplicate', 'rejected') AND control_number IS NOT NULL"

interchanges = Table(
    "interchanges", metadata,
    Column("id", Integer, primary_key=True),
    Column("direction", String(3), nullable=False),      # "out" or "in"
    Column("partner_id", String(40)),                     # None: not matched to a partner
    Column("channel", String(40)),                        # set for notifications to a channel
    Column("doc_type", String(16), nullable=False),      # 850, 855, 856, 997, 999, xml-po, ...
    Column("control_number", String(40)),                 # ISA13, or the document's own id
    Column("group_control", String(9)),                   # GS06 (a 997's AK102 points here)
    Column("set_control", String(9)),                     # ST02 (a 997's AK202 points here)
    Column("ack_status", String(24), nullable=False, server_default=""),  # from the partner's 997/999
    Column("ack_interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL")),
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="SET NULL"), index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(80), nullable=False, server_default="application/edi-x12"),
    Column("payload", LargeBinary),                       # outbound bytes (inbound: archive_path)
    Column("archive_path", String(400), nullable=False, server_default=""),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("lease_owner", String(80)),
    Column("lease_until", UtcDateTime),
    Column("receipt", Text, nullable=False, server_default=""),   # JSON from the transport
    Column("remote_name", String(400), nullable=False, server_default=""),
    Column("duplicate_of", ForeignKey("interchanges.id", ondelete="SET NULL")),
    Column("resend_of", ForeignKey("interchanges.id", ondelete="SET NULL")),   # an operator's resend
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),                       # sent, or applied
    Index("ix_interchanges_outbox", "state", "next_attempt_at"),
    # One live interchange per (partner, direction, control number). Duplicates are kept as
    # separate rows in state "duplicate", and refused envelopes (a misrouted file, an unknown
    # sender) in state "rejected": neither uses up the partner's number.
    Index("uq_interchanges_control", "partner_id", "direction", "doc_type", "control_number",
          unique=True,
          sqlite_where=text(_LIVE_CONTROL),
          postgresql_where=text(_LIVE_CONTROL)),
    # Finding an order by a control number of a document we sent (ISA13 or XML document id,
    # GS06, ST02), or by an AS2 Message-ID and the document that message carried.
    Index("ix_interchanges_control_number", "control_number"),
    Index("ix_interchanges_group_control", "group_control"),
    Index("ix_interchanges_set_control", "set_control"),
    Index("ix_interchanges_remote_name", "remote_name"),
    Index("ix_interchanges_archive_path", "archive_path"),
    # An order's page lists every copy received again of its documents (only those rows are in it).
    Index("ix_interchanges_duplicate_of", "duplicate_of", "state", sqlite_where=text("duplicate_of IS NOT NULL"),
          postgresql_where=text("duplicate_of IS NOT NULL")),
    # The dashboard: each partner's last document sent (and its waiting and failed ones), its
    # last document received, and documents per partner over the last days.
    Index("ix_interchanges_partner_state", "partner_id", "direction", "state", "done_at"),
    Index("ix_interchanges_partner_created", "partner_id", "direction", "created_at"),
    Index("ix_interchanges_created_at", "created_at", "partner_id", "direction", "state"),
)

transaction_sets = Table(
    "transaction_sets", metadata,
    # What a received interchange holds, set by set, and which purchase order each set is
    # about: an 855's, an 856's (one row per PO it ships), a 997's (one per PO acknowledged).
    # It makes a partner's own GS06/ST02 findable and links inbound documents to orders.
    Column("id", Integer, primary_key=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("set_id", String(24), nullable=False),         # 855, 856, 997, xml-confirmation, ...
    Column("group_control", String(9)),                   # GS06 (X12 only)
    Column("set_control", String(40)),                    # ST02, or an XML document's own id
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="SET NULL"), index=True),
    # A partner's GS06 and ST02 (or an XML answer's id) find the order.
    Index("ix_transaction_sets_group_control", "group_control"),
    Index("ix_transaction_sets_set_control", "set_control"),
)

shipments = Table(
    "shipments", metadata,
    Column("id", Integer, primary_key=True),
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL")),
    Column("shipment_id", String(40), nullable=False),    # BSN02, the supplier's shipment id
    Column("shipped_at", UtcDateTime),
    Column("expected_delivery", Date),
    Column("carrier", String(20), nullable=False, server_default=""),
    Column("service", String(40), nullable=False, server_default=""),
    Column("tracking_numbers", Text, nullable=False, server_default=""),   # comma separated
    Column("bill_of_lading", String(40), nullable=False, server_default=""),
    Column("pro_number", String(40), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("purchase_order_id", "shipment_id"),
    Index("ix_shipments_shipment_id", "shipment_id"),     # a supplier's shipment id finds the order
)

shipment_tracking = Table(
    "shipment_tracking", metadata,
    # Each tracking number of a shipment (shipments.tracking_numbers lists them, comma
    # separated): a number typed into the search finds its shipment by an index lookup.
    Column("id", Integer, primary_key=True),
    Column("shipment_id", ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tracking_number", Text, nullable=False, index=True),
)

shipment_lines = Table(
    "shipment_lines", metadata,
    Column("id", Integer, primary_key=True),
    Column("shipment_id", ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("po_line_id", ForeignKey("po_lines.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    Column("marks", Text, nullable=False, server_default=""),   # SSCC-18 labels, comma separated
)

line_acks = Table(
    "line_acks", metadata,
    Column("id", Integer, primary_key=True),
    Column("po_line_id", ForeignKey("po_lines.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL")),
    Column("code", String(3), nullable=False),            # ACK01
    Column("quantity", Integer),
    Column("date", Date),
    Column("at", UtcDateTime, nullable=False),
)

control_numbers = Table(
    "control_numbers", metadata,
    Column("partner_id", String(40), primary_key=True),
    Column("isa", Integer, nullable=False, server_default="0"),   # last ISA13 used
    Column("gs", Integer, nullable=False, server_default="0"),    # last GS06 used
    Column("st", Integer, nullable=False, server_default="0"),    # last ST02 used
)

leases = Table(
    "leases", metadata,
    Column("name", String(80), primary_key=True),        # e.g. "poll:acme"
    Column("owner", String(80), nullable=False),          # worker "host:pid"
    Column("until", UtcDateTime, nullable=False),
)

counters = Table(
    "counters", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(60), nullable=False, index=True),
    Column("state", String(12), nullable=False, index=True),
    Column("message", Text, nullable=False),
    Column("partner_id", String(40), index=True),
    Column("channel", String(40)),
    Column("order_id", ForeignKey("orders.id", ondelete="SET NULL"), index=True),
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="SET NULL"), index=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL"), index=True),
    Column("detail", Text, nullable=False, server_default="{}"),   # JSON: raw row, errors, ...
    Column("dedupe_key", String(200), nullable=False, server_default=""),
    Column("occurrences", Integer, nullable=False, server_default="1"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("resolved_by", String(80), nullable=False, server_default=""),
    Column("resolution", Text, nullable=False, server_default=""),
    Index("uq_incidents_open_dedupe", "dedupe_key", unique=True,
          sqlite_where=text("state = 'open' AND dedupe_key != ''"),
          postgresql_where=text("state = 'open' AND dedupe_key != ''")),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), index=True),
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL")),
    Column("kind", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("actor", String(80), nullable=False, server_default="hub"),
)

order_changes = Table(
    "order_changes", metadata,
    # A change or cancellation the channel (or an operator for the customer) asked for: the
    # change_id is its idempotency key within the order.
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("channel", String(40), nullable=False),
    Column("change_id", String(80), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("payload", Text, nullable=False),              # the change's canonical JSON
    Column("state", String(20), nullable=False, index=True),   # requested, sent, accepted, ...
    Column("source", String(20), nullable=False),          # api, file, console
    Column("actor", String(80), nullable=False, server_default=""),
    Column("result", Text, nullable=False, server_default="[]"),   # per line: JSON
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("order_id", "change_id"),
)

po_changes = Table(
    "po_changes", metadata,
    # A change as it applies to one purchase order: how its supplier hears of it (the unsent
    # document replaced, an 860, the supplier's XML, by hand) and what the supplier answered.
    Column("id", Integer, primary_key=True),
    Column("order_change_id", ForeignKey("order_changes.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("purchase_order_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("mode", String(12), nullable=False),            # replaced, 860, xml, manual, none
    Column("sequence", Integer, nullable=False, server_default="0"),   # BCH05; 0: no document
    Column("purpose", String(2), nullable=False, server_default=""),   # BCH01: 01 or 04
    Column("state", String(20), nullable=False, index=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL"), index=True),
    Column("lines", Text, nullable=False, server_default="[]"),    # per PO line: JSON
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),                        # the document was delivered
    Column("acked_at", UtcDateTime),                       # a 997/999 came for it
    Column("answered_at", UtcDateTime),                    # settled: accepted or refused
    Column("updated_at", UtcDateTime, nullable=False),
)

order_events = Table(
    "order_events", metadata,
    # What each order's channel is told (docs/webhooks.md): the feed of GET /api/v1/events and
    # the body of every notification. ``id`` is the feed's cursor, numbered at commit order
    # (hub/adapters/order_event_store.py); ``sequence`` counts 1, 2, 3... within one order.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("document", Text, nullable=False),             # the event's JSON, as sent
    UniqueConstraint("order_id", "sequence"),
    Index("ix_order_events_channel_id", "channel", "id"),
)

users = Table(
    "users", metadata,
    # People who use the console: a role each (viewer, operator, admin), a hashed password.
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(12), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime),                 # too many wrong passwords: wait until then
    Column("last_login_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    # Every operator action: who, when, what, on what, the state before and after, and why.
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),        # e.g. incident.ignore, order.edit
    Column("target", String(120), nullable=False),       # e.g. "incident #12", "order webshop/WS-1"
    Column("order_id", ForeignKey("orders.id", ondelete="SET NULL"), index=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="SET NULL"), index=True),
    Column("interchange_id", ForeignKey("interchanges.id", ondelete="SET NULL"), index=True),
    Column("partner_id", String(40), index=True),
    Column("before", Text, nullable=False, server_default="{}"),   # JSON
    Column("after", Text, nullable=False, server_default="{}"),    # JSON
    Column("reason", Text, nullable=False, server_default=""),
)

config_versions = Table(
    "config_versions", metadata,
    # Every version of a partner or mapping file saved through the console: history, diff, roll back.
    Column("id", Integer, primary_key=True),
    Column("path", String(200), nullable=False, index=True),   # relative to the instance, e.g. partners/acme.toml
    Column("content", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)

heartbeats = Table(
    "heartbeats", metadata,
    # What each worker last did and when: /healthz and the dashboard tell a stalled worker.
    Column("name", String(120), primary_key=True),       # "worker host:pid" or "poll:acme"
    Column("at", UtcDateTime, nullable=False),
    Column("ok", Boolean, nullable=False, server_default=text("true")),
    Column("detail", Text, nullable=False, server_default=""),
)
