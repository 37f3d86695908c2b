"""The scorecard page and its CSV export, signed in to the console (Flask test client)."""

from __future__ import annotations

import csv
import io

import pytest

from hub.services.users import add_user
from tests.integration.test_scorecard import build
from web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def console(hub):
    """A client signed in as a viewer, on the scorecard story of test_scorecard."""
    build(hub)
    add_user(hub.context, "vic", "viewer", PASSWORD)
    app = create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "x" * 32},
                     test_config={"WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    assert client.post("/login", data={"name": "vic", "password": PASSWORD}).status_code == 302
    return client


def test_the_page_shows_each_rate_with_its_counts(console):
    page = console.get("/scorecard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026-10-26 12:00 UTC" in html and "2026-11-25 12:00 UTC" in html     # the last 30 days
    assert '54.5% <span class="muted">(12/22)</span>' in html                      # acme: units accepted
    assert '25.0% <span class="muted">(6/24)</span>' in html                       # acme: fill rate
    assert '33.3% <span class="muted">(1/3; 1 not yet due)</span>' in html          # acme: on time
    assert "<td>R2</td><td>Item Rejected, Invalid Item Product Number</td>" in html
    assert html.count("<svg") == 4 and "<script" not in html
    assert '<a class="button secondary" href="/scorecard/export.csv?days=30">' in html


def test_a_shorter_period_and_a_date_that_is_not_one(console):
    html = console.get("/scorecard/?days=7").get_data(as_text=True)
    assert "2026-11-18 12:00 UTC" in html
    html = console.get("/scorecard/?since=2026-11-21").get_data(as_text=True)
    assert "2026-11-21 00:00 UTC" in html and "No line was refused in this period." in html
    html = console.get("/scorecard/?since=yesterday&days=90").get_data(as_text=True)
    assert "&#39;yesterday&#39; is not a date such as 2026-11-01: showing the last 90 days." in html
    assert "2026-08-27 12:00 UTC" in html


def test_csv_export_is_an_attachment_with_one_row_per_supplier(console):
    resp = console.get("/scorecard/export.csv?since=2026-11-01")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="edihub-scorecard-20261101-20261125.csv"'
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["partner"], r["pos_sent"], r["fill_rate"], r["late"]) for r in rows] == [
        ("acme", "5", "0.2500", "2"), ("initech", "1", "0.0000", "1")]


def test_the_scorecard_needs_a_signed_in_user(hub):
    client = create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "x" * 32}).test_client()
    for path in ("/scorecard/", "/scorecard/export.csv"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
