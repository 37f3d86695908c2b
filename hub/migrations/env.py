"""Alembic environment: runs migrations on the engine (or connection) handed over by hub.adapters.db."""

from alembic import context

from hub.adapters.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through hub.adapters.db.migrate (edihub init, or any command)")


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    with engine.connect() as connection:
        _run(connection)
