"""Instance settings: edihub.toml read with errors naming the file and key, environment
overrides, and the channel, review, routing and jobs tables."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import hub
from hub.config import (ChannelConfig, JobsConfig, Settings, default_database_url,
                        load_settings)
from hub.domain.review import ReviewRules
from hub.domain.routing import RoutingRules
from hub.errors import ConfigError

DEMO_TOML = Path(hub.__file__).parent / "demo" / "edihub.toml"


def settings_from(home: Path, text: str, environ: dict | None = None) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    (home / "edihub.toml").write_text(text, encoding="utf-8")
    return load_settings(home, environ or {})


def config_error(home: Path, text: str, environ: dict | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings_from(home, text, environ)
    return info.value


# -- the file --------------------------------------------------------------------------------

def test_missing_edihub_toml(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    err = info.value
    assert err.path == str(tmp_path.resolve() / "edihub.toml")
    assert str(err) == (f"{tmp_path.resolve() / 'edihub.toml'}: no edihub.toml here: run "
                        "`edihub init DIR` to create an instance, or pass --home / set EDIHUB_HOME")
    assert err.incident_code == "config.invalid"


def test_edihub_home_from_the_environment(tmp_path):
    (tmp_path / "edihub.toml").write_text('[hub]\npo_prefix = "ENV"\n')
    s = load_settings(None, {"EDIHUB_HOME": str(tmp_path)})
    assert (s.home, s.po_prefix) == (tmp_path.resolve(), "ENV")


def test_an_empty_file_gives_the_defaults(tmp_path):
    s = settings_from(tmp_path, "")
    home = tmp_path.resolve()
    assert s.home == home
    assert s.database_url == f"sqlite:///{home / 'var' / 'edihub.db'}"
    assert s.database_url == default_database_url(home)
    assert (s.po_prefix, s.company, s.channels) == ("PO", {}, {})
    assert s.review == ReviewRules()
    assert s.routing == RoutingRules()
    assert s.jobs == JobsConfig()
    assert s.api_max_body_bytes == 5 * 1024 * 1024
    assert s.secret_key_env == "EDIHUB_SECRET_KEY"
    assert (s.partners_dir, s.mappings_dir, s.archive_dir) == (
        home / "partners", home / "mappings", home / "var" / "archive")


def test_toml_syntax_error_names_file_and_line(tmp_path):
    err = config_error(tmp_path, '[hub]\npo_prefix = "DR"\npo_prefix = \n')
    assert err.path == str(tmp_path.resolve() / "edihub.toml")
    assert "not valid TOML" in str(err)
    assert "line 3" in str(err)


def test_file_that_is_not_utf8(tmp_path):
    (tmp_path / "edihub.toml").write_bytes('[company]\nname = "Café"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    assert "not UTF-8 text" in str(info.value)


def test_demo_file_loads(tmp_path):
    shutil.copy(DEMO_TOML, tmp_path / "edihub.toml")
    s = load_settings(tmp_path, {})
    assert s.po_prefix == "DR"
    assert s.company == {"name": "Demo Retail Inc.", "id": "DEMORETAIL",
                         "email": "orders@demo-retail.example"}
    assert sorted(s.channels) == ["marketplace", "phone", "webshop"]
    assert s.channels["webshop"].token_env == "EDIHUB_TOKEN_WEBSHOP"
    assert s.channels["marketplace"] == ChannelConfig(
        "marketplace", drop_folder=tmp_path.resolve() / "var" / "drop" / "marketplace",
        drop_format="csv")
    assert s.channels["phone"] == ChannelConfig("phone")
    assert (s.review.require_email, s.review.max_quantity_per_line) == (True, 50)
    assert s.review.hold_new_customer_unpaid_over == Decimal("500.00")
    assert s.routing == RoutingRules(("priority", "cost", "lead_time_days"), False)
    assert (s.jobs.dispatch_seconds, s.jobs.drop_folder_seconds) == (5.0, 10.0)


# -- unknown keys and types ------------------------------------------------------------------

def test_unknown_table_with_suggestion(tmp_path):
    err = config_error(tmp_path, "[hubb]\n")
    assert err.where == "hubb"
    assert err.problem == ("unknown key (did you mean 'hub'?); allowed: api, channels, company, "
                           "hub, jobs, review, routing")


def test_unknown_nested_key_names_its_table(tmp_path):
    err = config_error(tmp_path, "[review]\nmax_quantity = 5\n")
    assert str(err) == (f"{tmp_path.resolve() / 'edihub.toml'}: review.max_quantity: unknown key "
                        "(did you mean 'max_quantity_per_line'?); allowed: "
                        "hold_new_customer_unpaid_over, hold_unpaid_over, max_order_value, "
                        "max_quantity_per_line, require_email, require_phone, ship_to_countries")


def test_unknown_key_without_a_near_miss(tmp_path):
    err = config_error(tmp_path, "[jobs]\nzzz = 1\n")
    assert err.where == "jobs.zzz"
    assert err.problem.startswith("unknown key; allowed: dispatch_seconds,")


@pytest.mark.parametrize(("text", "where", "problem"), [
    ('[jobs]\ndispatch_seconds = "fast"\n', "jobs.dispatch_seconds",
     "must be a number, got 'fast'"),
    ("[jobs]\ndispatch_seconds = true\n", "jobs.dispatch_seconds", "must be a number, got True"),
    ("[jobs]\nmax_attempts = 2.5\n", "jobs.max_attempts", "must be a whole number, got 2.5"),
    ("[jobs]\nmax_attempts = 0\n", "jobs.max_attempts", "invalid value 0"),
    ("[jobs]\noverdue_seconds = -1\n", "jobs.overdue_seconds", "invalid value -1.0"),
    ('[review]\nrequire_email = "yes"\n', "review.require_email",
     "must be true or false, got 'yes'"),
    ("[review]\nmax_quantity_per_line = 0\n", "review.max_quantity_per_line",
     "a whole number above 0, got 0"),
    ("[review]\nmax_quantity_per_line = true\n", "review.max_quantity_per_line",
     "must be a whole number, got True"),
    ('[review]\nmax_order_value = "lots"\n', "review.max_order_value",
     "must be a decimal number such as \"19.99\", got 'lots'"),
    ("[review]\nhold_unpaid_over = false\n", "review.hold_unpaid_over",
     "must be a decimal number such as \"19.99\", got False"),
    ('[review]\nship_to_countries = "US"\n', "review.ship_to_countries",
     "must be a list, got 'US'"),
    ("[review]\nship_to_countries = [1]\n", "review.ship_to_countries",
     "must be a list of strings"),
    ('[routing]\norder_by = ["speed"]\n', "routing.order_by",
     "each key must be one of priority, cost, lead_time_days"),
    ("[routing]\norder_by = []\n", "routing.order_by",
     "each key must be one of priority, cost, lead_time_days"),
    ('[routing]\nprefer_single_supplier = "no"\n', "routing.prefer_single_supplier",
     "must be true or false, got 'no'"),
    ('[hub]\npo_prefix = "DR-1"\n', "hub.po_prefix", "letters and digits, at most 6, got 'DR-1'"),
    ('[hub]\npo_prefix = "ABCDEFG"\n', "hub.po_prefix", "letters and digits, at most 6, got 'ABCDEFG'"),
    ("[hub]\npo_prefix = 7\n", "hub.po_prefix", "must be a string, got 7"),
    ('[company]\nname = ""\n', "company.name", "must not be empty, got ''"),
    ("[api]\nmax_body_bytes = 0\n", "api.max_body_bytes", "invalid value 0"),
    ('hub = "x"\n', "hub", "must be a table"),
])
def test_type_errors_name_the_file_and_the_key(tmp_path, text, where, problem):
    err = config_error(tmp_path, text)
    assert (err.path, err.where, err.problem) == (str(tmp_path.resolve() / "edihub.toml"),
                                                  where, problem)
    assert str(err) == f"{err.path}: {where}: {problem}"


def test_a_decimal_limit_must_be_a_number(tmp_path):
    # NaN is no limit: every comparison with it raises, so review would crash on each order
    err = config_error(tmp_path, '[review]\nmax_order_value = "NaN"\n')
    assert err.where == "review.max_order_value"


# -- database --------------------------------------------------------------------------------

def test_database_url_from_the_file(tmp_path):
    s = settings_from(tmp_path, '[hub]\ndatabase_url = "postgresql+psycopg://h/edihub"\n')
    assert s.database_url == "postgresql+psycopg://h/edihub"


def test_environment_database_url_wins(tmp_path):
    s = settings_from(tmp_path, '[hub]\ndatabase_url = "postgresql+psycopg://h/file"\n',
                      {"EDIHUB_DATABASE_URL": "postgresql+psycopg://h/env"})
    assert s.database_url == "postgresql+psycopg://h/env"


def test_empty_environment_database_url_is_ignored(tmp_path):
    s = settings_from(tmp_path, "", {"EDIHUB_DATABASE_URL": ""})
    assert s.database_url == default_database_url(tmp_path.resolve())


# -- channels --------------------------------------------------------------------------------

def test_channels(tmp_path):
    s = settings_from(tmp_path, """
[channels.web-shop_2]
token_env = "TOKEN_WEB"
webhook_url = "https://shop.example/hooks/edihub"
webhook_secret_env = "HOOK_KEY"
notify_folder = "var/notify"

[channels.marketplace]
drop_folder = "/srv/drop"
drop_format = "jsonl"
""")
    home = tmp_path.resolve()
    assert s.channels == {
        "web-shop_2": ChannelConfig("web-shop_2", token_env="TOKEN_WEB",
                                    webhook_url="https://shop.example/hooks/edihub",
                                    webhook_secret_env="HOOK_KEY",
                                    notify_folder=home / "var" / "notify"),
        "marketplace": ChannelConfig("marketplace", drop_folder=Path("/srv/drop"),
                                     drop_format="jsonl"),
    }


@pytest.mark.parametrize(("text", "where", "problem"), [
    ('[channels."web shop"]\n', "channels.web shop",
     "channel names are letters, digits, '-' and '_', at most 40"),
    (f"[channels.{'c' * 41}]\n", f"channels.{'c' * 41}",
     "channel names are letters, digits, '-' and '_', at most 40"),
    ("[channels]\nweb = 1\n", "channels.web", "must be a table"),
    ('[channels.web]\nwebhook_url = "ftp://x"\n', "channels.web.webhook_url",
     "an http:// or https:// URL, got 'ftp://x'"),
    ('[channels.web]\ndrop_format = "xml"\n', "channels.web.drop_format",
     "one of auto, json, jsonl, csv, got 'xml'"),
    ('[channels.web]\ntoken = "x"\n', "channels.web.token",
     "unknown key (did you mean 'token_env'?); allowed: drop_folder, drop_format, "
     "notify_folder, token_env, webhook_secret_env, webhook_url"),
])
def test_channel_errors(tmp_path, text, where, problem):
    err = config_error(tmp_path, text)
    assert (err.where, err.problem) == (where, problem)


# -- review, routing, jobs -------------------------------------------------------------------

def test_review_values(tmp_path):
    s = settings_from(tmp_path, """
[review]
require_email = false
require_phone = true
max_quantity_per_line = 12
max_order_value = 2500
hold_new_customer_unpaid_over = "750.50"
hold_unpaid_over = 99.5
ship_to_countries = ["us", "Ca"]
""")
    assert s.review == ReviewRules(require_email=False, require_phone=True,
                                   max_quantity_per_line=12, max_order_value=Decimal("2500"),
                                   hold_new_customer_unpaid_over=Decimal("750.50"),
                                   hold_unpaid_over=Decimal("99.5"),
                                   ship_to_countries=("US", "CA"))


def test_routing_values(tmp_path):
    s = settings_from(tmp_path, '[routing]\norder_by = ["cost", "priority"]\n'
                                "prefer_single_supplier = true\n")
    assert s.routing == RoutingRules(order_by=("cost", "priority"), prefer_single_supplier=True)


def test_jobs_values_whole_numbers_become_seconds(tmp_path):
    s = settings_from(tmp_path, "[jobs]\ndispatch_seconds = 2\ndrop_folder_seconds = 0.5\n"
                                "overdue_seconds = 60\nmax_attempts = 3\nretry_base_seconds = 10\n")
    assert s.jobs == JobsConfig(2.0, 0.5, 60.0, 3, 10.0)
    assert type(s.jobs.dispatch_seconds) is float


def test_hub_and_api_values(tmp_path):
    s = settings_from(tmp_path, '[hub]\npo_prefix = "ACME1"\nsecret_key_env = "MY_KEY"\n'
                                "[api]\nmax_body_bytes = 1024\n")
    assert (s.po_prefix, s.secret_key_env, s.api_max_body_bytes) == ("ACME1", "MY_KEY", 1024)
