"""The console in a real browser: headless Chromium (the system's /usr/bin/chromium, installed
by the test setup) driven by Playwright, against the web app served on loopback by a thread.

Each test gets a fresh demo instance whose supplier Acme is reached over SFTP on the test
sshd, a signed-in page, and ``shot(name)``, which saves a full-page screenshot under
``test-artifacts/<test name>/`` for a person to look at.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from hub.bootstrap import bootstrap
from hub.services.users import add_user
from tests.integration.test_sftp_hub import sftp_partner
from web import create_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery staple"
LAUNCH = dict(executable_path=CHROMIUM, headless=True,
              args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (Playwright's own download is never used).

    Not per session: while Playwright's synchronous API is open, an asyncio loop runs in the
    main thread, and tests after these ones start event loops of their own (the demo's
    embedded SFTP server)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs chromium",
                    pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(**LAUNCH)
        yield chromium
        chromium.close()


@pytest.fixture
def console(demo_home, clock, sshd, remote_dirs):
    """A demo instance with Acme on the test sshd, its web app served on loopback, and users
    of each role. Yields (hub, base URL)."""
    sftp_partner(demo_home, sshd, remote_dirs)
    hub = bootstrap(demo_home, clock=clock)
    for name, role in (("vic", "viewer"), ("ola", "operator"), ("ada", "admin")):
        add_user(hub.context, name, role, PASSWORD)
    app = create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "e2e" * 12, "EDIHUB_COOKIE_SECURE": "0"})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        hub.close()


@pytest.fixture
def shots(request):
    """``shot(page, name)``: a full-page screenshot in test-artifacts/<test>/NN-name.png."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    taken = []

    def shot(page, name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path
    return shot


@pytest.fixture
def page(browser, console):
    """A fresh browser page (its own cookies), at the sign-in page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base: str, name: str = "ola") -> None:
    """Sign in through the form, with the keyboard only."""
    page.goto(base + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
