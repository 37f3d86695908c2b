"""Create an instance folder: edihub.toml, partners/, mappings/, var/ (and the demo's data)."""

from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

from hub.adapters.partner_files import CATALOG_COLUMNS
from hub.config import CONFIG_FILE
from hub.errors import ConfigError

_BLANK_CONFIG = """\
# edihub instance. Every key is documented in docs/configuration.md.

[hub]
# database_url = "postgresql+psycopg://edihub@localhost/edihub"   # default: SQLite in var/
po_prefix = "PO"

[company]                  # who we are on purchase orders
name = "Your Company"
id = "YOURID"

[channels.webshop]         # POST /api/v1/orders with the token in this environment variable
token_env = "EDIHUB_TOKEN_WEBSHOP"

[review]
require_email = true
max_quantity_per_line = 100
hold_new_customer_unpaid_over = "500.00"
"""

CATALOG_HEADER = ",".join(CATALOG_COLUMNS) + "\n"

_DEMO_FOLDERS = ("var/drop/marketplace", "var/suppliers/acme/to-supplier",
                 "var/suppliers/acme/from-supplier", "var/suppliers/initech/to-supplier",
                 "var/suppliers/initech/from-supplier")


def create_instance(home: Path, demo: bool = False, force: bool = False) -> list[Path]:
    """Create an instance in ``home``; return the files written. Refuses to overwrite unless forced."""
    home = home.resolve()
    config = home / CONFIG_FILE
    if config.exists() and not force:
        raise ConfigError(config, "", "an instance already exists here; use --force to overwrite "
                                      "its configuration files (the database is kept)")
    written = []
    for sub in ("partners", "mappings", "var/archive"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    written += _copy_tree(importlib.resources.files("mappings"), home / "mappings")
    written += _copy_tree(importlib.resources.files("partners") / "examples", home / "partners" / "examples")
    if demo:
        demo_data = importlib.resources.files("hub.demo")
        config.write_text(demo_data.joinpath("edihub.toml").read_text(encoding="utf-8"), encoding="utf-8")
        for name in ("acme.toml", "initech.toml", "catalog.csv"):
            written.append(_copy(importlib.resources.files("partners") / name, home / "partners" / name))
        for name in ("orders.jsonl", "marketplace.csv"):
            written.append(_copy(demo_data / name, home / "samples" / name))
        for sub in _DEMO_FOLDERS:
            (home / sub).mkdir(parents=True, exist_ok=True)
    else:
        config.write_text(_BLANK_CONFIG, encoding="utf-8")
        catalog = home / "partners" / "catalog.csv"
        if not catalog.exists():   # the columns, ready for the first supplier's rows
            catalog.write_text(CATALOG_HEADER, encoding="utf-8")
            written.append(catalog)
    written.append(config)
    return written


def _copy_tree(source, target: Path) -> list[Path]:
    written = []
    for item in source.iterdir():
        if item.name.startswith(("__", ".")):
            continue
        if item.is_dir():
            written += _copy_tree(item, target / item.name)
        else:
            written.append(_copy(item, target / item.name))
    return written


def _copy(source, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target
