"""Shared fixtures: instances on SQLite and PostgreSQL, a fixed clock, real servers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hub.bootstrap import bootstrap
from hub.config import load_settings
from hub.instance import create_instance
from tests.support.fakes import FakeClock

pytest_plugins = ["tests.support.postgres", "tests.support.sshd", "tests.support.as2"]

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _quiet_libraries():
    """pyx12 logs every validation problem at ERROR; werkzeug logs each request."""
    for name in ("pyx12", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at 2026-11-25 10:00 UTC until a test moves it."""
    return FakeClock()


@pytest.fixture
def demo_home(tmp_path: Path) -> Path:
    """A fresh demo instance folder (two suppliers, catalog, sample orders)."""
    home = tmp_path / "instance"
    create_instance(home, demo=True)
    return home


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """Each store test runs twice: on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def hub(demo_home: Path, clock: FakeClock):
    """The demo instance bootstrapped on SQLite with the fixed clock."""
    h = bootstrap(demo_home, clock=clock)
    yield h
    h.close()


@pytest.fixture
def store_hub(demo_home: Path, clock: FakeClock, db_url: str):
    """The demo instance on SQLite and on PostgreSQL (parametrized)."""
    settings = load_settings(demo_home, {"EDIHUB_DATABASE_URL": db_url})
    h = bootstrap(settings=settings, clock=clock)
    yield h
    h.close()
