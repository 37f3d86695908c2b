"""Order events reach the channel's real HTTP endpoint, signed, and are retried."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from hub.bootstrap import bootstrap
from tests.integration.test_inbound import receive, sent_po, x12
from transports.webhook import verify_signature

SECRET = "s" * 40


class Endpoint:
    """A channel's webhook receiver on loopback: answers with the statuses it is told to."""

    def __init__(self, statuses: list[int]):
        self.statuses, self.calls = statuses, []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/edihub"

    def app(self, environ, start_response):
        request = Request(environ)
        self.calls.append((dict(request.headers), request.get_data()))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)


@pytest.fixture
def endpoint():
    e = Endpoint([503, 200])
    yield e
    e.server.shutdown()


def test_signed_webhook_retried_after_a_503(demo_home, clock, endpoint, monkeypatch):
    monkeypatch.setenv("WEBSHOP_HOOK_SECRET", SECRET)
    cfg = demo_home / "edihub.toml"
    cfg.write_text(cfg.read_text().replace(
        'token_env = "EDIHUB_TOKEN_WEBSHOP"\n',
        f'token_env = "EDIHUB_TOKEN_WEBSHOP"\nwebhook_url = "{endpoint.url}"\n'
        'webhook_secret_env = "WEBSHOP_HOOK_SECRET"\n'))
    hub = bootstrap(demo_home, clock=clock)
    try:
        po = sent_po(hub)
        receive(hub, x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z7",
                                       "HL*2*1*O", f"PRF*{po['po_number']}", "HL*3*2*I", "LIN*1",
                                       "SN1**4*EA"], 1))
        first = hub.dispatcher("w").run_once()
        assert (first.sent, first.retrying) == (1, 1)       # our 997 went; the channel said 503
        clock.advance(minutes=5)
        assert hub.dispatcher("w").run_once().sent == 1     # retried with backoff: delivered
    finally:
        hub.close()
    assert len(endpoint.calls) == 2
    headers, body = endpoint.calls[1]
    assert endpoint.calls[0][1] == body                      # the same delivery, byte for byte
    assert headers["X-Edihub-Delivery"] == endpoint.calls[0][0]["X-Edihub-Delivery"]
    assert verify_signature(SECRET.encode(), headers["X-Edihub-Timestamp"], body,
                            headers["X-Edihub-Signature"], now=float(headers["X-Edihub-Timestamp"]))
    assert headers["X-Edihub-Event"] == "order.shipped"
    assert headers["X-Edihub-Delivery"] == "order.shipped-1.json"
    payload = json.loads(body)
    assert (payload["type"], payload["id"], payload["sequence"]) == ("order.shipped", 1, 1)
    assert payload["shipment"]["tracking_numbers"] == ["1Z7"]


def test_a_webhook_secret_that_is_not_set_stops_the_hub_at_start(demo_home, clock, monkeypatch):
    monkeypatch.delenv("WEBSHOP_HOOK_SECRET", raising=False)
    cfg = demo_home / "edihub.toml"
    cfg.write_text(cfg.read_text().replace(
        'token_env = "EDIHUB_TOKEN_WEBSHOP"\n', 'token_env = "EDIHUB_TOKEN_WEBSHOP"\n'
        'webhook_url = "http://127.0.0.1:9/x"\nwebhook_secret_env = "WEBSHOP_HOOK_SECRET"\n'))
    from hub.errors import ConfigError
    with pytest.raises(ConfigError, match="WEBSHOP_HOOK_SECRET"):
        bootstrap(demo_home, clock=clock)


def test_one_notification_per_event_and_target_in_the_event_shape(demo_home, clock, monkeypatch):
    from tests.support.schemas import assert_valid
    endpoint = Endpoint([])
    monkeypatch.setenv("WEBSHOP_HOOK_SECRET", SECRET)
    cfg = demo_home / "edihub.toml"
    cfg.write_text(cfg.read_text().replace(
        'token_env = "EDIHUB_TOKEN_WEBSHOP"\n',
        f'token_env = "EDIHUB_TOKEN_WEBSHOP"\nwebhook_url = "{endpoint.url}"\n'
        'webhook_secret_env = "WEBSHOP_HOOK_SECRET"\nnotify_folder = "var/notify/webshop"\n'))
    hub = bootstrap(demo_home, clock=clock)
    try:
        n = sent_po(hub)["po_number"]
        receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*3*EA",
                                       "ACK*IB*1*EA*068*20261210", "PO1*2*2*EA", "ACK*IA*2*EA"], 2))
        receive(hub, x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z7",
                                       "HL*2*1*O", f"PRF*{n}", "HL*3*2*I", "LIN*2", "SN1**2*EA"], 3))
        assert hub.dispatcher("w").run_once().sent == 6   # 2 events x (webhook, file) + our two 997s
        files = sorted(p.name for p in (demo_home / "var/notify/webshop").iterdir())
    finally:
        hub.close()
        endpoint.server.shutdown()
    assert files == ["order.backordered-1.json", "order.shipped-2.json"]
    calls = sorted(endpoint.calls, key=lambda c: c[0]["X-Edihub-Delivery"])
    assert [(h["X-Edihub-Event"], h["X-Edihub-Delivery"]) for h, _ in calls] == [
        ("order.backordered", "order.backordered-1.json"), ("order.shipped", "order.shipped-2.json")]
    for headers, body in calls:
        assert verify_signature(SECRET.encode(), headers["X-Edihub-Timestamp"], body,
                                headers["X-Edihub-Signature"], now=float(headers["X-Edihub-Timestamp"]))
        event = json.loads(body)
        assert_valid("event", event)
        assert (demo_home / "var/notify/webshop" / headers["X-Edihub-Delivery"]).read_bytes() == body
    back, shipped = (json.loads(b) for _, b in calls)
    assert (back["sequence"], back["lines"][0]["expected_ship_date"]) == (1, "2026-12-10")
    assert (shipped["sequence"], shipped["order_state"], shipped["shipment"]["tracking_numbers"]) == (
        2, "partially_shipped", ["1Z7"])
