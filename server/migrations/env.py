"""Alembic environment: Pantau's metadata, run with a connection handed in or one made from the URL."""

from alembic import context
from sqlalchemy import create_engine

import server.models  # noqa: F401  (registers every table on the metadata)
from server.db import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run_with(connection)
        connection.commit()
    engine.dispose()


def _run_with(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
