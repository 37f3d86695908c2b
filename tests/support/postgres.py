"""A real PostgreSQL server for the tests, started with initdb/pg_ctl as the postgres user.

One server per test session; each test that asks for ``pg_url`` gets a fresh database
cloned from a template that already has the hub's schema (CREATE DATABASE ... TEMPLATE
takes a few tens of milliseconds), so tests never see each other's rows.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

TEMPLATE = "edihub_template"


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    root = Path("/usr/lib/postgresql")
    versions = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)) \
        if root.is_dir() else []
    return versions[-1] / "bin" if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throw-away PostgreSQL cluster on a free loopback port."""

    def __init__(self):
        binary = pg_bin()
        if binary is None:
            raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs it) "
                               "or apt-get install postgresql")
        pwd.getpwnam("postgres")
        self.bin = binary
        # Not pytest's tmp_path: /tmp/pytest-of-root is 0700 and postgres must reach its data dir.
        self.dir = Path(tempfile.mkdtemp(prefix="edihub-pg-"))
        self.dir.chmod(0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = _free_port()
        self._names = itertools.count(1)

    def _as_postgres(self, *argv: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        """initdb and start the server (fsync off: the data is thrown away)."""
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                          "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                          str(self.dir / "server.log"), "-w", "-t", "30", "-o",
                          f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                          "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                          "start")

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                              "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        """Run one statement in autocommit mode (CREATE/DROP DATABASE)."""
        import psycopg
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(statement)

    def make_template(self) -> None:
        """A database with the hub's schema, to clone for each test."""
        from hub.adapters.db import make_engine, migrate
        self.sql(f"CREATE DATABASE {TEMPLATE}")
        engine = make_engine(self.url(TEMPLATE))
        migrate(engine)
        engine.dispose()

    def fresh_database(self) -> str:
        """A new database cloned from the template; returns its URL."""
        name = f"t{os.getpid()}_{next(self._names)}_{int(time.time() * 1000) % 100000}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test session."""
    try:
        server = PostgresServer()
    except (RuntimeError, KeyError) as exc:
        pytest.fail(f"cannot start PostgreSQL: {exc}")
    server.start()
    try:
        server.make_template()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """The URL of a fresh PostgreSQL database with the hub's schema."""
    return pg_server.fresh_database()
