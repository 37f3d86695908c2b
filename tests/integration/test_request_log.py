"""The web app's request log: one line per request, as an operator reads it in production."""

from __future__ import annotations

import logging

from tests.integration.test_api import TOKEN, app, auth, client  # noqa: F401 (fixtures)
from tests.integration.test_intake import order


def test_one_line_per_request_with_status_duration_and_channel(client, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="edihub.access")
    client.post("/api/v1/orders?token=secret-in-a-query", json=order(), headers=auth())
    client.get("/api/v1/orders/webshop/WS-1")                  # no token: 401, no channel
    first, second = [r.getMessage() for r in caplog.records if r.name == "edihub.access"]
    assert first.startswith("127.0.0.1 POST /api/v1/orders 201 ")
    assert first.endswith("ms channel=webshop")
    assert "secret-in-a-query" not in first                  # query strings are never logged
    assert second.startswith("127.0.0.1 GET /api/v1/orders/webshop/WS-1 401 ") and "channel" not in second
    assert "\x1b[" not in first + second                       # no terminal colour codes
