"""The console's Partners area through the Flask test client: who may read, who may change,
the onboarding walk from a new partner file to a test document and production, versions."""

from __future__ import annotations

import io
import re

import pytest

from hub.services.config_files import history
from hub.services.users import add_user
from tests.integration.test_console import PASSWORD, signed_in
from web import create_app

NEWCO = '''id = "newco"
name = "New Co <Ltd>"
test_mode = true
po_format = "x12"

[x12]
version = "004010"
sender_id = "DEMORETAIL"
receiver_id = "NEWCO"
mapping = "x12/850-4010.toml"

[transport]
type = "folder"
path = "var/suppliers/newco/to-supplier"
inbox = "var/suppliers/newco/from-supplier"
'''


ROLES = {"vera": "viewer", "otto": "operator", "ada": "admin"}


@pytest.fixture
def app(hub):
    return create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "k" * 40, "EDIHUB_COOKIE_SECURE": "0"})


def login(app, name: str):
    """A client signed in as ``name`` (made now, with the role ROLES gives it)."""
    add_user(app.extensions["edihub"].context, name, ROLES[name], PASSWORD)
    return signed_in(app, name)


def token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def form_of(client, url: str) -> str:
    """A CSRF token from a page the user may see."""
    return token(client.get(url).get_data(as_text=True))


def flashes(client) -> str:
    return client.get("/partners/").get_data(as_text=True)


def test_a_viewer_reads_every_partner_but_changes_nothing(app, hub):
    client = login(app, "vera")
    index = client.get("/partners/").get_data(as_text=True)
    assert 'href="/partners/acme"' in index and 'href="/partners/initech"' in index
    assert "ZZ/DEMORETAIL → ZZ/ACMESUPPLY" in index and 'id="onboard"' not in index
    page = client.get("/partners/acme")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "V-10442" in html and "interval:1m" in html
    assert 'id="send-test-button"' not in html and 'id="test-connection-button"' not in html
    csrf = token(html)
    for url in ("/partners/new", "/partners/acme/edit", "/partners/mapping?path=mappings/x12/850-4010.toml"):
        assert client.get(url).status_code == 403
    for url in ("/partners/new", "/partners/acme/test-connection", "/partners/acme/test-send",
                "/partners/acme/mode/production", "/partners/versions/1/rollback"):
        assert client.post(url, data={"csrf_token": csrf, "action": "save",
                                      "partner_text": NEWCO}).status_code == 403, url
    assert client.get("/partners/history?path=partners/acme.toml").status_code == 200
    assert client.get("/partners/acme/preview").status_code == 200
    assert not (hub.settings.home / "partners/newco.toml").exists()


def test_an_operator_tests_a_connection_but_may_not_change_files(app, hub):
    client = login(app, "otto")
    csrf = form_of(client, "/partners/acme")
    done = client.post("/partners/acme/test-connection", data={"csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"].endswith("/partners/acme#steps")
    assert "acme: the folder connection works" in flashes(client)
    assert client.post("/partners/new", data={"csrf_token": csrf, "action": "save", "partner_id": "newco",
                                              "partner_text": NEWCO}).status_code == 403
    assert client.post("/partners/acme/mode/production", data={"csrf_token": csrf}).status_code == 403
    assert not (hub.settings.home / "partners/newco.toml").exists()


def test_an_admin_onboards_a_supplier_with_forms_only(app, hub):
    client = login(app, "ada")
    page = client.get("/partners/new").get_data(as_text=True)
    for element in ('id="partner-id"', 'id="partner-text"', 'id="partner-upload"', 'id="mapping-path"',
                    'id="mapping-text"', 'id="note"', 'id="check"', 'id="preview"', 'id="save"'):
        assert element in page, element
    csrf = token(page)
    # Check: a broken file, its problem shown at its line.
    broken = NEWCO.replace('receiver_id = "NEWCO"', 'receiver_id = ""')
    checked = client.post("/partners/new", data={"csrf_token": csrf, "action": "check", "partner_id": "newco",
                                                  "partner_text": broken})
    html = checked.get_data(as_text=True)
    assert checked.status_code == 422
    assert re.search(r'<li id="partner-L9" class="bad">receiver_id = &#34;&#34;<span class="problem" '
                     r'role="alert">line 9 \(x12.receiver_id\): 1 to 15 characters', html), html
    assert not (hub.settings.home / "partners/newco.toml").exists()
    # Preview: the 850 a sample order makes, not saved.
    shown = client.post("/partners/new", data={"csrf_token": csrf, "action": "preview", "partner_id": "newco",
                                                "partner_text": NEWCO})
    assert shown.status_code == 200
    assert "ST*850*0001~" in shown.get_data(as_text=True) and "SAMPLE-1" in shown.get_data(as_text=True)
    assert not (hub.settings.home / "partners/newco.toml").exists()
    # Save: written, versioned, served at once (this web process reloads after the save).
    (hub.settings.home / "var/suppliers/newco/to-supplier").mkdir(parents=True)
    (hub.settings.home / "var/suppliers/newco/from-supplier").mkdir(parents=True)
    saved = client.post("/partners/new", data={"csrf_token": csrf, "action": "save", "partner_id": "newco",
                                                "partner_text": NEWCO.replace("\n", "\r\n"), "note": "onboarding"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/partners/newco#steps")
    assert (hub.settings.home / "partners/newco.toml").read_text() == NEWCO          # LF, as typed
    assert "newco" in hub.context.partners
    twice = client.post("/partners/new", data={"csrf_token": csrf, "action": "save", "partner_id": "newco",
                                                "partner_text": NEWCO, "note": "onboarding"})
    assert twice.status_code == 302          # the same form sent again: nothing more is saved
    detail = client.get("/partners/newco").get_data(as_text=True)
    assert "saved partners/newco.toml as version 1" in detail
    assert "nothing to save: partners/newco.toml already hold(s) exactly this text" in detail
    assert [v["number"] for v in history(hub, "partners/newco.toml")] == [1]
    other = client.post("/partners/new", data={"csrf_token": csrf, "action": "save", "partner_id": "newco",
                                                "partner_text": NEWCO.replace("New Co", "Other")})
    assert other.status_code == 422 and "there is a partner &#39;newco&#39; already" in other.get_data(as_text=True)
    assert "New Co &lt;Ltd&gt;" in detail and "New Co <Ltd>" not in detail
    # Test the connection, send a test document, switch to production.
    client.post("/partners/newco/test-connection", data={"csrf_token": csrf})
    detail = client.get("/partners/newco").get_data(as_text=True)
    assert "newco: the folder connection works" in detail
    last = re.search(r'<form class="inline" id="send-test".*?name="base" type="hidden" value="(\d+)"', detail,
                     re.S)[1]
    client.post("/partners/newco/test-send", data={"csrf_token": csrf, "base": last})
    detail = client.get("/partners/newco").get_data(as_text=True)
    assert "test 850 000000001 (newco_850_000000001.edi) delivered to newco" in detail
    assert (hub.settings.home / "var/suppliers/newco/to-supplier/newco_850_000000001.edi").is_file()
    document = client.get("/documents/1").get_data(as_text=True)          # tied to no order
    assert "newco_850_000000001.edi" in document and "= Test Data" in document, document[-3000:]
    again = client.post("/partners/newco/test-send", data={"csrf_token": csrf, "base": last})
    assert again.status_code == 302
    assert "a test document (#1) was sent to newco since this page was shown" in flashes(client)
    base = re.search(r'id="switch-mode".*?name="base" type="hidden" value="([0-9a-f]{64})"', detail, re.S)[1]
    client.post("/partners/newco/mode/production", data={"csrf_token": csrf, "base": base, "note": "go"})
    detail = client.get("/partners/newco").get_data(as_text=True)
    assert '<span class="state sent" id="mode">production</span>' in detail
    assert "test_mode = false" in (hub.settings.home / "partners/newco.toml").read_text()
    assert not hub.context.partners["newco"].test_mode


def test_a_form_without_its_csrf_token_changes_nothing(app, hub):
    client = login(app, "ada")
    response = client.post("/partners/new", data={"action": "save", "partner_id": "newco",
                                                   "partner_text": NEWCO})
    assert response.status_code == 302
    assert "That form had expired or was not ours" in flashes(client)
    assert not (hub.settings.home / "partners/newco.toml").exists()
    assert client.post("/partners/acme/mode/production", data={}).status_code == 302
    assert "test_mode = true" in (hub.settings.home / "partners/acme.toml").read_text()


def upload(client, data: dict):
    response = client.post("/partners/new", content_type="multipart/form-data", data=data)
    response.request.environ["wsgi.input"].close()   # the test client keeps a big body in a temp file
    return response


def test_uploads_are_used_and_too_large_ones_refused(app, hub):
    client = login(app, "ada")
    csrf = form_of(client, "/partners/new")
    uploaded = client.post("/partners/new", content_type="multipart/form-data", data={
        "csrf_token": csrf, "action": "check", "partner_id": "newco", "partner_text": "",
        "partner_upload": (io.BytesIO(NEWCO.encode()), "newco.toml")})
    assert uploaded.status_code == 200 and "No problems" in uploaded.get_data(as_text=True)
    assert "receiver_id = &#34;NEWCO&#34;" in uploaded.get_data(as_text=True)     # shown in the text area
    big = upload(client, {
        "csrf_token": csrf, "action": "save", "partner_id": "newco",
        "partner_upload": (io.BytesIO(b"#" * (1 << 20) + NEWCO.encode()), "newco.toml")})
    assert big.status_code == 422 and "a partner or mapping file may have at most 1,048,576" in \
        big.get_data(as_text=True)
    huge = upload(client, {
        "csrf_token": csrf, "action": "save", "partner_id": "newco",
        "partner_upload": (io.BytesIO(b"#" * (6 << 20)), "newco.toml")})     # above the app's limit
    assert huge.status_code == 413 and "That upload is too large" in huge.get_data(as_text=True)
    assert not (hub.settings.home / "partners/newco.toml").exists()


def test_a_mapping_path_reaching_outside_is_refused(app, hub):
    client = login(app, "ada")
    csrf = form_of(client, "/partners/mapping")
    response = client.post("/partners/mapping", data={"csrf_token": csrf, "action": "save",
                                                       "mapping_path": "mappings/../partners/acme.toml",
                                                       "mapping_text": 'id = "acme"\n'})
    assert response.status_code == 422
    assert "without &#39;..&#39;" in response.get_data(as_text=True)
    assert 'id = "acme"\n' != (hub.settings.home / "partners/acme.toml").read_text()


def test_history_diff_and_roll_back_in_the_console(app, hub):
    client = login(app, "ada")
    edit = client.get("/partners/acme/edit").get_data(as_text=True)
    csrf = token(edit)
    base = re.search(r'id="partner-base" name="partner_base" type="hidden" value="([0-9a-f]+)"', edit)[1]
    text = (hub.settings.home / "partners/acme.toml").read_text()
    changed = text.replace('vendor_number = "V-10442"', 'vendor_number = "V-2" # <script>x</script>')
    response = client.post("/partners/acme/edit", data={"csrf_token": csrf, "action": "save",
                                                         "partner_text": changed, "partner_base": base})
    assert response.status_code == 302
    history = client.get("/partners/history?path=partners/acme.toml").get_data(as_text=True)
    assert 'id="version-1"' in history and 'id="version-2"' in history
    ids = [int(i) for i in re.findall(r'href="/partners/versions/(\d+)"', history)]
    diff = client.get(f"/partners/diff?a={min(ids)}&b={max(ids)}").get_data(as_text=True)
    assert ('<tr class="add"><td>+vendor_number = &#34;V-2&#34; # &lt;script&gt;x&lt;/script&gt;   # our '
            'vendor number at Acme (REF*IA)</td></tr>') in diff
    assert "<script>" not in diff
    # Another admin saved meanwhile; this page's roll back then changes nothing.
    rb_base = re.search(r'name="base" type="hidden" value="([0-9a-f]{64})"', history)[1]
    (hub.settings.home / "partners/acme.toml").write_text(changed.replace("V-2", "V-3"))
    client.post(f"/partners/versions/{min(ids)}/rollback", data={"csrf_token": csrf, "base": rb_base})
    assert "since you opened it: nothing was saved" in flashes(client)
    assert "V-3" in (hub.settings.home / "partners/acme.toml").read_text()
    # From a fresh page it works: version 1 is back, as a new version.
    history = client.get("/partners/history?path=partners/acme.toml").get_data(as_text=True)
    rb_base = re.search(r'name="base" type="hidden" value="([0-9a-f]{64})"', history)[1]
    client.post(f"/partners/versions/{min(ids)}/rollback", data={"csrf_token": csrf, "base": rb_base})
    assert (hub.settings.home / "partners/acme.toml").read_text() == text


def test_secrets_are_shown_by_the_name_of_their_variable_only(app, hub, monkeypatch):
    monkeypatch.setenv("ACME_SFTP_PASSWORD", "the-real-password-value")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN2xbKy0wFbuFiXAD1ujRsZWa3N39RaVuuWxlL+Lug5G"
    acme = hub.settings.home / "partners/acme.toml"
    acme.write_text(re.sub(r"\[transport\].*?\n\n", '[transport]\ntype = "sftp"\nhost = "sftp.example"\n'
                           'username = "us"\npassword_env = "ACME_SFTP_PASSWORD"\n'
                           f'host_keys = ["{key}"]\noutbox_dir = "/in"\n\n', acme.read_text(), flags=re.S))
    assert hub.reload() == []
    html = login(app, "vera").get("/partners/acme").get_data(as_text=True)
    assert "environment variable <code>ACME_SFTP_PASSWORD</code>" in html
    assert "the-real-password-value" not in html
    assert "SHA256:" in html and "AAAAC3NzaC1lZDI1NTE5" not in html


def test_the_console_takes_files_changed_elsewhere(app, hub, monkeypatch):
    import web.partners
    client = login(app, "vera")
    assert "Acme Supply Co." in client.get("/partners/").get_data(as_text=True)
    acme = hub.settings.home / "partners/acme.toml"
    acme.write_text(acme.read_text().replace("Acme Supply Co.", "Acme Renamed"))
    monkeypatch.setattr(web.partners, "RELOAD_CHECK_SECONDS", 0.0)
    assert "Acme Renamed" in client.get("/partners/").get_data(as_text=True)
    acme.write_text("id = \n")                           # broken: the console keeps what it had
    assert "Acme Renamed" in client.get("/partners/").get_data(as_text=True)


def test_check_shows_every_problem_of_a_partner_file_at_its_line_escaped(app, hub):
    client = login(app, "ada")
    csrf = form_of(client, "/partners/new")
    broken = (NEWCO.replace('version = "004010"', 'version = "4010"')
              .replace('test_mode = true', 'test_mode = true\n"<b>colour</b>" = "red"') +
              '\n[schedule]\npoll = "<i>hourly</i>"\n')
    checked = client.post("/partners/new", data={"csrf_token": csrf, "action": "check", "partner_id": "newco",
                                                  "partner_text": broken})
    html = checked.get_data(as_text=True)
    assert checked.status_code == 422
    assert "3 problem(s), listed at their lines below: nothing was saved." in html
    shown = re.findall(r'<span class="problem" role="alert">line (\d+) \(([^)]*)\): ', html)
    assert shown == [("4", "&lt;b&gt;colour&lt;/b&gt;"), ("8", "x12.version"), ("19", "schedule.poll")], shown
    assert "got &#39;&lt;i&gt;hourly&lt;/i&gt;&#39;" in html
    assert "<b>colour</b>" not in html and "<i>hourly</i>" not in html
    assert not (hub.settings.home / "partners/newco.toml").exists()


@pytest.mark.parametrize(("data", "said"), [
    ("[x]\n" + "[x." + ".".join(["y"] * 50) + "]\n", "nested deeper than 8 levels of tables and lists"),
    ("deep = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deep to read"),
    ('id = "newco"\nid = "newco"\n', "a key is written twice in the same table: keep one of them"),
])
def test_a_hostile_partner_file_gets_one_clear_problem(app, hub, data, said):
    client = login(app, "ada")
    csrf = form_of(client, "/partners/new")
    checked = client.post("/partners/new", data={"csrf_token": csrf, "action": "check", "partner_id": "newco",
                                                  "partner_text": data})
    assert checked.status_code == 422
    assert said in checked.get_data(as_text=True)
    assert "1 problem(s)" in checked.get_data(as_text=True)


# -- the catalog ---------------------------------------------------------------------------------

STAPLER = "STAPLER-HD,initech,INI-ST-9,7.25,2,10,1,100,true,EA\n"


def catalog_text(hub) -> str:
    return (hub.settings.home / "partners/catalog.csv").read_text()


def test_the_catalog_is_reached_from_the_partners_pages_and_only_an_admin_may_change_it(app, hub):
    before = catalog_text(hub)
    for name in ("vera", "otto"):
        client = login(app, name)
        index = client.get("/partners/").get_data(as_text=True)
        assert '<a href="/partners/catalog">Catalog</a>' in index and 'id="edit-catalog"' not in index
        acme = client.get("/partners/acme").get_data(as_text=True)
        assert '<tr><td>DESK-OAK-120</td><td>AC-77120</td><td class="num">212.00</td>' in acme
        assert "INI-D120-OAK" not in acme                              # initech's row, not acme's
        assert 'href="/partners/catalog?supplier=acme">Catalog</a>' in acme
        page = client.get("/partners/catalog?supplier=initech")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "INI-L-300W" in html and "AC-77120" not in html
        assert 'id="catalog-text"' not in html
        csrf = token(html)
        refused = client.post("/partners/catalog", data={"csrf_token": csrf, "action": "save",
                                                         "text": before + STAPLER})
        assert refused.status_code == 403
    assert catalog_text(hub) == before
    client = login(app, "ada")
    assert 'id="edit-catalog"' in client.get("/partners/").get_data(as_text=True)
    page = client.get("/partners/catalog").get_data(as_text=True)
    base = re.search(r'id="catalog-base" name="base" type="hidden" value="([0-9a-f]{64})"', page)[1]
    saved = client.post("/partners/catalog", data={"csrf_token": token(page), "action": "save", "base": base,
                                                   "text": (before + STAPLER).replace("\n", "\r\n"),
                                                   "note": "initech sells staplers"})
    assert saved.status_code == 302
    assert catalog_text(hub) == before + STAPLER                       # LF, as typed
    assert hub.context.catalog.entry("STAPLER-HD", "initech").supplier_item == "INI-ST-9"    # served now
    html = client.get("/partners/catalog?supplier=initech").get_data(as_text=True)
    assert "saved partners/catalog.csv as version 2" in html and "INI-ST-9" in html
    history = client.get("/partners/history?path=partners/catalog.csv").get_data(as_text=True)
    assert 'id="version-2"' in history and "initech sells staplers" in history
    assert 'href="/partners/catalog#h-edit">edit</a>' in history


def test_a_broken_catalog_shows_every_bad_row_at_its_line_escaped_and_saves_nothing(app, hub):
    before = catalog_text(hub)
    client = login(app, "ada")
    csrf = form_of(client, "/partners/catalog")
    broken = before + ("STAPLER-HD,globex,GX-1,1.00,,,,,,\n"
                       "LAMP-LED-WHT,acme,<b>AC-8</b>,cheap,,,,,,\n"
                       "PEN,acme,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,,,,,,\n")
    for action in ("check", "save"):
        response = client.post("/partners/catalog", data={"csrf_token": csrf, "action": action, "text": broken})
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        shown = re.findall(r'<li id="catalog-L(\d+)" class="bad" value="\d+">.*?<span class="problem" '
                           r'role="alert">line \d+ \(([^)]*)\): ([^<]*)</span>', html)
        assert shown == [
            ("13", "column supplier", "no partner file partners/globex.toml for supplier &#39;globex&#39;"),
            ("14", "column cost", "must be a price of 0 or more such as 12.50, got &#39;cheap&#39;"),
            ("15", "column supplier_item", "starts with &#39;=&#39;, which a spreadsheet runs as a formula; "
             "got &#39;=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)&#39;: write the value without it")], html
        assert "&lt;b&gt;AC-8&lt;/b&gt;" in html and "<b>AC-8</b>" not in html
        assert 'id="catalog-L2"' not in html                          # only the bad rows are listed
    assert catalog_text(hub) == before and history(hub, "partners/catalog.csv") == []


def test_catalog_uploads_are_read_and_non_utf8_or_too_large_ones_refused(app, hub):
    before = catalog_text(hub)
    client = login(app, "ada")
    csrf = form_of(client, "/partners/catalog")

    def send(data: bytes, action: str = "check"):
        response = client.post("/partners/catalog", content_type="multipart/form-data", data={
            "csrf_token": csrf, "action": action, "text": "", "upload": (io.BytesIO(data), "catalog.csv")})
        response.request.environ["wsgi.input"].close()
        return response.status_code, response.get_data(as_text=True)

    status, html = send((before + STAPLER).encode())
    assert status == 200 and "No problems" in html and "INI-ST-9" in html      # shown in the text area
    status, html = send((before + "CRÈME,acme,AC-1,1\n").encode("latin-1"), "save")
    assert status == 422 and "the catalog &#39;catalog.csv&#39; is not UTF-8 text" in html
    status, html = send(before.encode() + b"#" * (4 << 20), "save")
    assert status == 422 and "the catalog may have at most 4,194,304" in html
    assert catalog_text(hub) == before
