"""Read models: what the command line, the console and the API show, one module per area.

Every page and command reads through these functions (never its own SQL); they take a
connection and return plain dictionaries.
"""

from hub.views.incidents import incident_counts, incident_view, incidents_list, open_incidents
from hub.views.orders import (REFERENCE_KINDS, OrderMatch, find_orders, matched_orders, order_count,
                              order_view, orders_overview)
from hub.views.outbox import outbox_waiting

__all__ = ["REFERENCE_KINDS", "OrderMatch", "find_orders", "incident_counts", "incident_view",
           "incidents_list", "matched_orders", "open_incidents", "order_count", "order_view",
           "orders_overview", "outbox_waiting"]
