"""Instance settings: ``edihub.toml`` in the instance home, with environment overrides.

An instance folder holds ``edihub.toml``, ``partners/``, ``mappings/`` and ``var/`` (the
SQLite database, the document archive, drop folders). ``EDIHUB_HOME`` or ``--home`` picks
it; ``EDIHUB_DATABASE_URL`` points the store at PostgreSQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hub.adapters.toml_table import Table, load_toml
from hub.domain.review import ReviewRules
from hub.domain.routing import RANK_KEYS, RoutingRules
from hub.errors import ConfigError

CONFIG_FILE = "edihub.toml"
_ORDER_FORMATS = ("auto", "json", "jsonl", "csv")


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """A sales channel: how it reaches us and how we answer it."""

    name: str
    token_env: str = ""              # env variable holding the API bearer token for this channel
    drop_folder: Path | None = None  # marketplace export files land here
    drop_format: str = "auto"
    webhook_url: str = ""            # order events go here (docs/webhooks.md)
    webhook_secret_env: str = ""     # env variable holding the HMAC key for webhooks
    notify_folder: Path | None = None  # order events as files


@dataclass(frozen=True, slots=True)
class JobsConfig:
    """How often the worker's periodic jobs run, in seconds."""

    dispatch_seconds: float = 5.0
    drop_folder_seconds: float = 10.0
    overdue_seconds: float = 300.0
    max_attempts: int = 8            # delivery attempts before a document is marked failed
    retry_base_seconds: float = 30.0  # first retry delay; doubles each attempt, with jitter


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything an instance is configured with."""

    home: Path
    database_url: str
    company: dict[str, str]
    po_prefix: str = "PO"
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    review: ReviewRules = ReviewRules()
    routing: RoutingRules = RoutingRules()
    jobs: JobsConfig = JobsConfig()
    api_max_body_bytes: int = 5 * 1024 * 1024
    secret_key_env: str = "EDIHUB_SECRET_KEY"

    @property
    def partners_dir(self) -> Path:
        """Partner files and the catalog."""
        return self.home / "partners"

    @property
    def mappings_dir(self) -> Path:
        """Mapping files."""
        return self.home / "mappings"

    @property
    def var_dir(self) -> Path:
        """Database, archive, drop folders."""
        return self.home / "var"

    @property
    def archive_dir(self) -> Path:
        """Every document in and out, by direction and date."""
        return self.var_dir / "archive"


def default_database_url(home: Path) -> str:
    """The embedded default store: a SQLite file under var/."""
    return f"sqlite:///{(home / 'var' / 'edihub.db').resolve()}"


def load_settings(home: Path | str | None = None, environ: dict | None = None) -> Settings:
    """Read ``edihub.toml`` from the instance home and apply environment overrides."""
    env = os.environ if environ is None else environ
    home = Path(home or env.get("EDIHUB_HOME") or ".").resolve()
    path = home / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(path, "", "no edihub.toml here: run `edihub init DIR` to create an "
                                    "instance, or pass --home / set EDIHUB_HOME")
    root = Table(path, load_toml(path))
    root.allow("hub", "company", "channels", "review", "routing", "jobs", "api")
    hub = root.table("hub")
    hub.allow("database_url", "po_prefix", "secret_key_env")
    db_url = env.get("EDIHUB_DATABASE_URL") or hub.get("database_url", str, "") \
        or default_database_url(home)
    company = root.table("company")
    company.allow("name", "id", "email", "phone")
    api = root.table("api")
    api.allow("max_body_bytes")
    return Settings(
        home=home,
        database_url=db_url,
        company={k: company.text(k) for k in company.data},
        po_prefix=hub.get("po_prefix", str, "PO", lambda v: v.isalnum() and len(v) <= 6,
                          "letters and digits, at most 6"),
        channels=_channels(root.table("channels"), home),
        review=_review(root.table("review")),
        routing=_routing(root.table("routing")),
        jobs=_jobs(root.table("jobs")),
        api_max_body_bytes=api.get("max_body_bytes", int, 5 * 1024 * 1024, lambda v: v > 0),
        secret_key_env=hub.get("secret_key_env", str, "EDIHUB_SECRET_KEY"),
    )


def _channels(t: Table, home: Path) -> dict[str, ChannelConfig]:
    out = {}
    for name in t.data:
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 40:
            raise t.fail(name, "channel names are letters, digits, '-' and '_', at most 40")
        c = t.table(name)
        c.allow("token_env", "drop_folder", "drop_format", "webhook_url", "webhook_secret_env",
                "notify_folder")
        drop = c.get("drop_folder", str, "")
        notify = c.get("notify_folder", str, "")
        out[name] = ChannelConfig(
            name=name,
            token_env=c.get("token_env", str, ""),
            drop_folder=(home / drop).resolve() if drop else None,
            drop_format=c.get("drop_format", str, "auto", lambda v: v in _ORDER_FORMATS,
                              f"one of {', '.join(_ORDER_FORMATS)}"),
            webhook_url=c.get("webhook_url", str, "", lambda v: v.startswith(("http://", "https://")),
                              "an http:// or https:// URL"),
            webhook_secret_env=c.get("webhook_secret_env", str, ""),
            notify_folder=(home / notify).resolve() if notify else None,
        )
    return out


def _review(t: Table) -> ReviewRules:
    t.allow("require_email", "require_phone", "max_quantity_per_line", "max_order_value",
            "hold_new_customer_unpaid_over", "hold_unpaid_over", "ship_to_countries")
    d = ReviewRules()
    return ReviewRules(
        require_email=t.get("require_email", bool, d.require_email),
        require_phone=t.get("require_phone", bool, d.require_phone),
        max_quantity_per_line=t.get("max_quantity_per_line", int, d.max_quantity_per_line,
                                    lambda v: v > 0, "a whole number above 0"),
        max_order_value=t.decimal("max_order_value", d.max_order_value),
        hold_new_customer_unpaid_over=t.decimal("hold_new_customer_unpaid_over",
                                                d.hold_new_customer_unpaid_over),
        hold_unpaid_over=t.decimal("hold_unpaid_over", d.hold_unpaid_over),
        ship_to_countries=tuple(c.upper() for c in t.strings("ship_to_countries", ())),
    )


def _routing(t: Table) -> RoutingRules:
    t.allow("order_by", "prefer_single_supplier")
    order_by = t.strings("order_by", RANK_KEYS)
    bad = [k for k in order_by if k not in RANK_KEYS]
    if bad or not order_by:
        raise t.fail("order_by", f"each key must be one of {', '.join(RANK_KEYS)}")
    return RoutingRules(order_by=order_by,
                        prefer_single_supplier=t.get("prefer_single_supplier", bool, False))


def _jobs(t: Table) -> JobsConfig:
    t.allow("dispatch_seconds", "drop_folder_seconds", "overdue_seconds", "max_attempts",
            "retry_base_seconds")
    d = JobsConfig()
    positive = (lambda v: v > 0)
    return JobsConfig(
        dispatch_seconds=t.get("dispatch_seconds", float, d.dispatch_seconds, positive),
        drop_folder_seconds=t.get("drop_folder_seconds", float, d.drop_folder_seconds, positive),
        overdue_seconds=t.get("overdue_seconds", float, d.overdue_seconds, positive),
        max_attempts=t.get("max_attempts", int, d.max_attempts, positive),
        retry_base_seconds=t.get("retry_base_seconds", float, d.retry_base_seconds, positive),
    )
