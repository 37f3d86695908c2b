"""Onboarding a supplier in a real browser, with forms only: partner file typed, checked (a
mistake shown at its line), previewed, saved; connection tested against the test sshd; a
test document sent; production."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def partner_file(sshd, remote_dirs) -> str:
    rel = {k: p.relative_to(sshd.root).as_posix() for k, p in remote_dirs.items()}
    return f'''id = "globex"
name = "Globex Industrial"
test_mode = true
po_format = "x12"

[x12]
version = "004010"
sender_id = "DEMORETAIL"
receiver_qualifier = "ZZ"
receiver_id = "GLOBEX"
mapping = "x12/850-4010.toml"

[transport]
type = "sftp"
host = "127.0.0.1"
port = {sshd.port}
username = "{sshd.user}"
key_file = "{sshd.client_key("ed25519")}"
host_keys = {json.dumps([sshd.host_key_line])}
outbox_dir = "{rel["outbox"]}"
inbox_dir = "{rel["inbox"]}"
connect_timeout = 5
timeout = 10
'''


def test_an_admin_onboards_an_sftp_supplier_up_to_production(page, console, shots, sshd, remote_dirs):
    hub, base = console
    sign_in(page, base, "ada")
    page.get_by_role("link", name="Partners").click()
    page.locator("#onboard").click()
    text = partner_file(sshd, remote_dirs)
    page.locator("#partner-id").fill("globex")
    page.locator("#partner-text").fill(text.replace('receiver_qualifier = "ZZ"', 'receiver_qualifier = "ZZZ"'))
    page.locator("#check").click()
    problem = page.locator("#partner-L9 .problem")
    assert "two letters or digits" in problem.inner_text()
    shots(page, "problem-at-its-line")
    page.locator("#partner-text").fill(text)
    page.locator("#preview").click()
    assert "ST*850*0001~" in page.locator("#preview-text").inner_text()
    shots(page, "preview")
    page.locator("#note").fill("onboarding Globex")
    page.locator("#save").click()
    page.wait_for_url(base + "/partners/globex#steps")
    assert "saved partners/globex.toml as version 1" in page.content()
    page.locator("#test-connection-button").click()
    page.wait_for_load_state()
    assert "globex: the sftp connection works" in page.content()
    page.locator("#send-test-button").click()
    page.wait_for_load_state()
    assert "delivered to globex" in page.content()
    [sent] = list(remote_dirs["outbox"].iterdir())
    assert sent.read_text().split("*")[15] == "T"
    shots(page, "tested")
    page.locator("#mode-note").fill("Globex confirmed the test documents")
    page.locator("#switch-mode-button").click()
    page.wait_for_load_state()
    assert page.locator("#mode").inner_text() == "production"
    assert not hub.context.partners["globex"].test_mode
    shots(page, "production")


def test_an_admin_adds_a_product_to_the_catalog_from_the_partners_page(page, console, shots):
    hub, base = console
    sign_in(page, base, "ada")
    page.get_by_role("link", name="Partners").click()
    page.get_by_role("link", name="initech").click()
    page.locator("#partner-catalog-link").click()
    assert "INI-L-300W" in page.locator("#catalog-rows").inner_text()
    text = page.locator("#catalog-text").input_value()
    page.locator("#catalog-text").fill(text + "STAPLER-HD,initech,=cmd|' /C calc'!A0,7.25,,,,,,\n"
                                              "STAPLER-HD,globex,GX-1,7.25,,,,,,\n")
    page.locator("#catalog-check").click()
    assert "starts with '=', which a spreadsheet runs as a formula" in page.locator("#catalog-L13 .problem").inner_text()
    assert "no partner file partners/globex.toml" in page.locator("#catalog-L14 .problem").inner_text()
    shots(page, "every-bad-row-at-its-line")
    page.locator("#catalog-text").fill(text + "STAPLER-HD,initech,INI-ST-9,7.25,2,10,1,100,true,EA\n")
    page.locator("#catalog-note").fill("initech sells staplers")
    page.locator("#catalog-save").click()
    page.wait_for_url(base + "/partners/catalog?supplier=initech")
    assert "saved partners/catalog.csv as version 2" in page.content()
    assert "INI-ST-9" in page.locator("#catalog-rows").inner_text()
    assert str(hub.context.catalog.entry("STAPLER-HD", "initech").cost) == "7.25"
    page.goto(base + "/partners/initech")
    assert "INI-ST-9" in page.locator("#partner-catalog").inner_text()
    shots(page, "partner-page-with-its-rows")
