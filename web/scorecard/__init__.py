"""The supplier scorecard: which suppliers answer fast, take what is ordered and ship on time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, flash, render_template, request

from hub.views import scorecard as views
from web.charts import horizontal
from web.console import hub, role_required

bp = Blueprint("scorecard", __name__, template_folder="templates", url_prefix="/scorecard")
PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30


@bp.get("/")
@role_required("viewer")
def index():
    """The figures of every supplier for a period, as a table and charts."""
    since, now, days, given = _period()
    cards = _cards(since, now)
    return render_template("scorecard/index.html", cards=cards, since=since, now=now, days=days,
                           periods=PERIODS, given=given, charts=_charts(cards),
                           duration=views.duration, percent=views.percent)


@bp.get("/export.csv")
@role_required("viewer")
def export():
    """The same figures as a CSV file, one row per supplier."""
    since, now, _, _ = _period()
    body = views.csv_text(_cards(since, now), since, now)
    name = f"edihub-scorecard-{since:%Y%m%d}-{now:%Y%m%d}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _period() -> tuple[datetime, datetime, int, str]:
    """From the query: ``since`` (a date) if given and valid, else the last ``days`` days."""
    now = hub().clock()
    days = request.args.get("days", DEFAULT_DAYS, type=int)
    days = days if days in PERIODS else DEFAULT_DAYS
    given = request.args.get("since", "").strip()
    if given:
        try:
            day = date.fromisoformat(given)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc), now, days, given
        except ValueError:
            flash(f"{given!r} is not a date such as 2026-11-01: showing the last {days} days.", "error")
    return now - timedelta(days=days), now, days, ""


def _cards(since: datetime, now: datetime) -> list[dict]:
    h = hub()
    with h.uow(readonly=True) as uow:
        return views.scorecard(uow.conn, since, now, sorted(h.context.partners), h.context.catalog)


def _charts(cards: list[dict]) -> dict:
    """A bar per supplier for each rate, and for the median 855 latency."""
    def share(key: str, part, whole) -> list:
        return [(c["partner"], c[key], f"{views.percent(c[key])} ({part(c)}/{whole(c)})") for c in cards]

    slowest = max((c["ack855"]["median"] or 0 for c in cards), default=0)
    return {
        "fill": horizontal(share("fill_rate", lambda c: c["units"]["shipped"], lambda c: c["units"]["ordered"]), 1.0),
        "on_time": horizontal(share("on_time_rate", lambda c: c["on_time"]["on_time"],
                                    lambda c: c["on_time"]["judged"]), 1.0),
        "accepted": horizontal(share("acceptance_rate", lambda c: c["units"]["accepted"],
                                     lambda c: c["units"]["answered"]), 1.0),
        "ack855": horizontal([(c["partner"], c["ack855"]["median"],
                               f"{views.duration(c['ack855']['median'])} (n={c['ack855']['n']})") for c in cards],
                             slowest),
    }
