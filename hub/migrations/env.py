"""Alembic environment: runs migrations on the engine handed over by hub.adapters.db."""

from alembic import context

from hub.adapters.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through `edihub db upgrade` (hub.adapters.db.migrate)")

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
