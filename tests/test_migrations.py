"""The migrations and the models describe the same schema, on this run's backend: a fresh database migrated
to head is what the models declare (Alembic's autogenerate finds nothing to add), and every migration can be
undone and applied again."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import server.models  # noqa: F401  (every table on the metadata)
from server.db import sync_url
from server.migrate import alembic_config, upgrade
from server.models_base import metadata
from tests.services import backend, postgres_database, sqlite_database


@pytest.fixture
def fresh_database(tmp_path) -> Iterator[str]:
    if backend() == "postgres":
        with postgres_database() as url:
            yield url
    else:
        with sqlite_database(tmp_path) as url:
            yield url


def _differences(url: str) -> list:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            # The options server/migrations/env.py gives autogenerate when a migration is written.
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_a_database_migrated_to_head_has_the_schema_the_models_declare(fresh_database):
    upgrade(fresh_database)
    assert _differences(fresh_database) == []


def test_every_migration_can_be_undone_and_applied_again(fresh_database):
    upgrade(fresh_database)
    command.downgrade(alembic_config(fresh_database), "base")
    assert _tables(fresh_database) == {"alembic_version"}
    upgrade(fresh_database)
    assert _tables(fresh_database) == set(metadata.tables) | {"alembic_version"}
    assert _differences(fresh_database) == []


def test_the_check_sees_a_column_the_migrations_lack(fresh_database):
    """The comparison is not vacuous: a column dropped behind the models' back is reported."""
    upgrade(fresh_database)
    engine = create_engine(sync_url(fresh_database))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql('ALTER TABLE "unit" DROP COLUMN "population"')
    finally:
        engine.dispose()
    assert [(kind, column.name) for kind, _, _, column in _differences(fresh_database)] == [
        ("add_column", "population")
    ]
