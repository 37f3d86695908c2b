"""The console through Flask's test client: sign-in, roles on every view, CSRF on every form,
escaping of what partners and customers send, and the actions doing what the services do."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.errors import ConfigError
from hub.services.intake import Submission, accept
from hub.services.users import add_user
from tests.integration.test_intake import order
from web import CSP, create_app

PASSWORD = "correct horse battery staple"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def app(hub):
    for name, role in (("vic", "viewer"), ("ola", "operator"), ("ada", "admin")):
        add_user(hub.context, name, role, PASSWORD)
    return create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "s" * 32, "EDIHUB_COOKIE_SECURE": "0"})


def csrf(client, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def signed_in(app, name: str):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": name,
                                           "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def orders(hub):
    """An order held for review (on hold), one needing attention (an unknown SKU, a hostile
    name), and one routed and queued."""
    held = order(channel_order_id="HELD", customer={**order()["customer"], "id": "NEW", "prepaid": False},
                 lines=[{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 4, "unit_price": "300.00"}])
    odd = order(channel_order_id="ODD", ship_to={**order()["ship_to"], "name": XSS},
                lines=[{"line_id": "1", "sku": "NO-SUCH", "quantity": 1, "unit_price": "1.00"}])
    fine = order(channel_order_id="FINE")
    return {r.channel_order_id: r.order_id for r in accept(hub.context, [Submission("t", o) for o in (held, odd, fine)])}


READ = ["/", "/orders/", "/orders/?q=FIN", "/orders/{FINE}", "/incidents/", "/incidents/1", "/documents/1"]
ACT = [("/orders/{ODD}/cancel", {"reason": "test"}), ("/orders/{HELD}/release", {"reason": "paid"}),
       ("/incidents/1/ignore", {"reason": "test"}), ("/incidents/1/retry", {}),
       ("/orders/{FINE}/lines/1/cancel", {"reason": "x"}), ("/documents/1/retry", {}),
       ("/incidents/bulk", {"action": "ignore", "reason": "x", "incident": "1"})]


def audited(hub) -> list[tuple[str, str]]:
    """(actor, action) of every audit entry but the users made for the test."""
    with hub.uow(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(select(t.audit_log.c.actor, t.audit_log.c.action)
                                                  .where(t.audit_log.c.action != "user.add")
                                                  .order_by(t.audit_log.c.id))]


def fill(path: str, ids: dict) -> str:
    return path.format(**ids)


def test_every_console_page_needs_a_signed_in_user(app, orders):
    client = app.test_client()
    for path in READ + ["/orders/new", f"/orders/{orders['ODD']}/edit"]:
        response = client.get(fill(path, orders))
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path, data in ACT:
        assert client.post(fill(path, orders), data=data).status_code in (302, 400), path
    assert client.get("/healthz").status_code == 200                     # no sign-in for these
    assert client.get("/api/v1/orders/webshop/FINE").status_code == 401  # bearer tokens, not sessions


def test_a_viewer_reads_everything_and_can_do_nothing(app, orders, hub):
    client = signed_in(app, "vic")
    for path in READ:
        assert client.get(fill(path, orders)).status_code == 200, path
    for path in ("/orders/new", f"/orders/{orders['ODD']}/edit"):
        assert client.get(path).status_code == 403, path
    token = csrf(client, "/")
    for path, data in ACT:
        assert client.post(fill(path, orders), data={**data, "csrf_token": token}).status_code == 403, path
    assert audited(hub) == []     # nothing was done


def test_an_operator_acts_through_the_services_and_each_action_is_audited(app, orders, hub):
    client = signed_in(app, "ola")
    token = csrf(client, f"/orders/{orders['ODD']}")
    done = client.post(f"/orders/{orders['ODD']}/cancel", data={"csrf_token": token, "reason": "customer left"},
                       follow_redirects=True)
    assert done.status_code == 200 and "cancelled" in done.get_data(as_text=True)
    refused = client.post(f"/orders/{orders['ODD']}/cancel", data={"csrf_token": token, "reason": "again"},
                          follow_redirects=True)
    assert "is cancelled already" in refused.get_data(as_text=True)          # said, nothing changed
    released = client.post(f"/orders/{orders['HELD']}/release", data={"csrf_token": token, "reason": "paid"},
                           follow_redirects=True)
    assert "Released" in released.get_data(as_text=True)
    with hub.uow(readonly=True) as uow:
        states = dict(uow.conn.execute(select(t.orders.c.channel_order_id, t.orders.c.state)).all())
    assert audited(hub) == [("ola", "order.cancel"), ("ola", "order.release")]
    assert states["ODD"] == "cancelled" and states["HELD"] == "processing"


def test_a_form_without_its_csrf_token_changes_nothing(app, orders, hub):
    client = signed_in(app, "ola")
    for path, data in ACT:
        response = client.post(fill(path, orders), data=data, follow_redirects=True)
        assert "nothing was done" in response.get_data(as_text=True), path
    assert audited(hub) == []
    with hub.uow(readonly=True) as uow:
        assert uow.conn.scalar(select(t.orders.c.state).where(t.orders.c.channel_order_id == "ODD")) == \
            "needs_attention"


def test_what_partners_and_customers_send_is_shown_as_text(app, orders):
    client = signed_in(app, "vic")
    page = client.get(f"/orders/{orders['ODD']}").get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    search = client.get("/orders/?q=" + XSS).get_data(as_text=True)
    assert XSS not in search and "&lt;script&gt;" in search


def test_sign_in_refuses_wrong_passwords_then_locks_the_account(app):
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": "ola", "password": "nope"})
        assert wrong.status_code == 401 and "wrong user name or password" in wrong.get_data(as_text=True)
    locked = client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": "ola", "password": PASSWORD})
    assert locked.status_code == 401 and "locked until" in locked.get_data(as_text=True)
    unknown = client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": "nobody", "password": "x"})
    assert "wrong user name or password" in unknown.get_data(as_text=True)   # the same words


def test_sign_in_goes_back_only_to_a_page_of_this_site(app):
    client = app.test_client()
    for target, expected in (("/incidents/", "/incidents/"), ("https://evil.example/", "/"), ("//evil.example/", "/")):
        response = client.post(f"/login?next={target}", data={"csrf_token": csrf(client, "/login"),
                                                               "name": "vic", "password": PASSWORD})
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf(client, "/")})


def test_signing_out_ends_the_session(app):
    client = signed_in(app, "vic")
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert client.get("/").status_code == 302


def test_pages_load_nothing_from_elsewhere_and_cookies_stay_from_scripts(app):
    client = app.test_client()
    page = client.get("/login")
    assert page.headers["Content-Security-Policy"] == CSP
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "<script" not in html
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_console_refuses_to_start_without_a_secret_key_outside_the_demo(hub):
    with pytest.raises(ConfigError, match="set EDIHUB_SECRET_KEY"):
        create_app(hub=hub, environ={})
    assert create_app(hub=hub, environ={}, demo=True).config["SECRET_KEY"]


def test_secure_cookies_by_default(hub):
    app = create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "s" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_a_phone_order_goes_through_intake_and_mistakes_stay_on_the_form(app, hub):
    client = signed_in(app, "ola")
    blank = client.get("/orders/new").get_data(as_text=True)
    number = re.search(r'name="order_id" type="hidden" value="(PH-[0-9A-F]{10})"', blank)[1]
    form = {"csrf_token": csrf(client, "/orders/new"), "order_id": number, "customer_id": "P1", "customer_name": "Pat Doe",
            "email": "pat@example.com", "phone": "555 0101", "prepaid": "y", "ship_name": "Pat Doe",
            "address1": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701",
            "country": "US", "currency": "USD", "lines-0-sku": "CHAIR-ERGO-BLK", "lines-0-quantity": "1",
            "lines-0-unit_price": "219.00"}
    wrong = client.post("/orders/new", data={**form, "email": "not-an-email", "lines-0-quantity": "0"})
    assert wrong.status_code == 422
    with hub.uow(readonly=True) as uow:
        assert uow.conn.scalar(select(t.orders.c.id)) is None and uow.conn.scalar(select(t.incidents.c.id)) is None
    taken = client.post("/orders/new", data=form)
    assert taken.status_code == 302
    page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert f"phone/{number}" in page and "processing" in page
    again = client.post("/orders/new", data=form)                      # sent twice: still one order
    assert again.headers["Location"] == taken.headers["Location"]
    with hub.uow(readonly=True) as uow:
        assert len(uow.conn.execute(select(t.orders.c.id)).all()) == 1


def test_an_order_is_edited_from_its_page(app, orders, hub):
    client = signed_in(app, "ola")
    token = csrf(client, f"/orders/{orders['ODD']}/edit")
    form = {"csrf_token": token, "reason": "SKU typo", "lines-0-sku": "CHAIR-ERGO-BLK", "lines-0-quantity": "1",
            "lines-0-description": "", "ship_to__name": "Jo Smith", "ship_to__address1": "1 Main St",
            "ship_to__city": "Austin", "ship_to__state": "TX", "ship_to__postal_code": "78701",
            "ship_to__country": "US", "customer__name": "Ann Lee", "customer__email": "ann@example.com",
            "customer__phone": "555 0100"}
    response = client.post(f"/orders/{orders['ODD']}/edit", data=form)
    assert response.status_code == 302
    with hub.uow(readonly=True) as uow:
        row = uow.conn.execute(select(t.orders.c.state, t.orders.c.ship_name)
                               .where(t.orders.c.id == orders["ODD"])).first()
    assert tuple(row) == ("processing", "Jo Smith")


def test_search_answers_in_one_hop_when_unique(app, orders):
    client = signed_in(app, "vic")
    assert client.get("/orders/?q=FINE").headers["Location"].endswith(f"/orders/{orders['FINE']}")
    assert "No order matches" in client.get("/orders/?q=nothing-like-it").get_data(as_text=True)


def test_search_lists_each_order_a_reference_names_with_what_matched(app, orders):
    page = signed_in(app, "vic").get("/orders/?q=ann").get_data(as_text=True)    # Ann Lee ordered all three
    assert "“ann” matches 3 orders" in page
    rows = re.findall(r'<tr><td><a href="/orders/(\d+)">([^<]+)</a></td>.*?<td>([^<]*)</td></tr>', page, re.S)
    assert rows == [(str(orders[n]), f"webshop/{n}", "customer name") for n in ("FINE", "ODD", "HELD")]  # newest first


def test_a_document_is_downloaded_never_rendered(app, orders):
    client = signed_in(app, "vic")
    raw = client.get("/documents/1/raw")
    assert raw.status_code == 200 and raw.headers["Content-Type"] == "application/octet-stream"
    assert raw.headers["Content-Disposition"].startswith("attachment")
    assert raw.data.startswith(b"ISA*")
    assert client.get("/documents/999").status_code == 404
