"""The Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.adapters.db import make_engine, migrate
from hub.adapters.tables import metadata


def test_migrations_match_the_tables(db_url):
    engine = make_engine(db_url)
    migrate(engine)  # already at head for PostgreSQL's template copy; a no-op must be safe
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == [], "write a migration: the tables differ from what the migrations build"
