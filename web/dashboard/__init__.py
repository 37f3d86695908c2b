"""The dashboard: how the business stands at a glance."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template

from hub.views import dashboard as views
from web.charts import grouped, stacked
from web.console import hub, role_required

bp = Blueprint("dashboard", __name__, template_folder="templates")
DAYS = 14


@bp.get("/")
@role_required("viewer")
def index():
    """Orders by state, open Incidents by kind and age, partner health, two charts."""
    h = hub()
    now = h.clock()
    since = (now - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with h.uow(readonly=True) as uow:
        states = views.orders_by_state(uow.conn)
        incidents = views.incidents_by_kind_and_age(uow.conn, now)
        health = views.partner_health(uow.conn, sorted(h.context.partners))
        per_day = views.orders_per_day(uow.conn, since)
        documents = views.documents_per_partner(uow.conn, since)
    days = [f"{since + timedelta(days=k):%Y-%m-%d}" for k in range(DAYS)]
    channels: dict[str, dict[str, int]] = {}
    for day, counts in per_day.items():
        for channel, n in counts.items():
            channels.setdefault(channel, {})[day] = n
    orders_chart = stacked(days, channels)
    docs_chart = grouped([d["partner"] for d in documents], ["in", "out"],
                         {(d["partner"], k): d[k] for d in documents for k in ("in", "out")})
    return render_template("dashboard/index.html", states=states, incidents=incidents, health=health,
                           orders_chart=orders_chart, docs_chart=docs_chart, days=DAYS,
                           partners=h.context.partners, ages=[a for a, _ in views.AGES])
