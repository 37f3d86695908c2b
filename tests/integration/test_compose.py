"""docker-compose.yml agrees with the hub: services, commands, ports, environment, files.

No Docker engine runs here, so the file is checked against the code it starts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hub.adapters.partner_files import load_partner
from hub.cli import main
from hub.config import load_settings
from web import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env(service: dict) -> dict:
    return {k: re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", str(v)) for k, v in service["environment"].items()}


def test_the_services_are_there_and_healthy(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "init", "web", "worker", "sftp"}
    for name in ("postgres", "web", "sftp"):
        assert services[name]["healthcheck"]["test"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                                "init": {"condition": "service_completed_successfully"}}
    assert services["init"]["depends_on"]["sftp"] == {"condition": "service_healthy"}


def test_commands_are_edihub_commands(compose):
    web, worker = compose["services"]["web"]["command"], compose["services"]["worker"]["command"]
    assert web[:2] == ["edihub", "serve"] and worker == ["edihub", "run"]
    serve = main.commands["serve"]
    options = {o for p in serve.params for o in p.opts}
    assert {"--host", "--port"} <= options
    port = web[web.index("--port") + 1]
    assert compose["services"]["web"]["ports"] == [f"{port}:{port}"]
    init = "\n".join(compose["services"]["init"]["command"])
    assert "edihub init /srv/edihub --demo" in init and "edihub partners keyscan sftp --port 22" in init
    assert {"init", "partners"} <= set(main.commands) and "keyscan" in main.commands["partners"].commands


def test_environment_matches_the_configuration(compose, demo_home, hub):
    web = env(compose["services"]["web"])
    assert web == env(compose["services"]["worker"])
    db = env(compose["services"]["postgres"])
    url = web["EDIHUB_DATABASE_URL"]
    assert url == f"postgresql+psycopg://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@postgres:5432/{db['POSTGRES_DB']}"
    assert compose["services"]["init"]["environment"]["EDIHUB_DATABASE_URL"] == \
        compose["services"]["web"]["environment"]["EDIHUB_DATABASE_URL"]
    settings = load_settings(demo_home)
    assert settings.channels["webshop"].token_env in web          # the demo's API token
    assert settings.secret_key_env in web
    assert "instance:" + web["EDIHUB_HOME"] in compose["services"]["web"]["volumes"]
    healthcheck = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    path = re.search(r"127\.0\.0\.1:\d+(/\w+)", healthcheck).group(1)
    app = create_app(hub=hub, environ={settings.secret_key_env: "k" * 32})
    assert path in {r.rule for r in app.url_map.iter_rules()}


def test_the_sftp_supplier_matches_its_partner_file(compose, tmp_path):
    template = (ROOT / "deploy/compose/acme.toml").read_text()
    init = "\n".join(compose["services"]["init"]["command"])
    assert "/app/deploy/compose/acme.toml" in init and "COPY deploy ./deploy" in (ROOT / "Dockerfile").read_text()
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN2xbKy0wFbuFiXAD1ujRsZWa3N39RaVuuWxlL+Lug5G"
    (tmp_path / "acme.toml").write_text(template.replace("@HOST_KEY@", key))
    partner = load_partner(tmp_path / "acme.toml")
    t = partner.transport.settings
    assert (t["type"], t["host"], t["port"]) == ("sftp", "sftp", 22)
    # atmoz/sftp's user spec: name:password:uid:gid:dir,dir,...
    spec = re.fullmatch(r"(\w+):\$\{(\w+):-[^}]*\}:\d+:\d+:(.+)", compose["services"]["sftp"]["command"][0])
    user, password_var, dirs = spec.groups()
    assert t["username"] == user and t["password_env"] == password_var
    assert password_var in env(compose["services"]["web"])
    assert set(dirs.split(",")) == {t["outbox_dir"], t["inbox_dir"], t["archive_dir"]}
    from transports.sftp import SftpSettings
    settings = SftpSettings.from_mapping(t, tmp_path, {t["password_env"]: "x"})
    assert settings.host == "sftp"
