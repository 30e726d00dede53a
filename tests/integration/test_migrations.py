"""The migrations create exactly the tables of `server/store/schema.py`, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from server.store import db, schema
from server.store.db import normalise_url


def test_migrations_create_exactly_the_declared_schema(database_url):
    engine = create_engine(database_url)
    db.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = [d for d in compare_metadata(context, schema.metadata)
                       if not _is_alembic_bookkeeping(d)]
    engine.dispose()
    assert differences == []


def _is_alembic_bookkeeping(difference):
    return difference[0] == "remove_table" and difference[1].name == "alembic_version"


def test_postgresql_compresses_the_workflow_state_with_lz4(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only (SQLite does not compress); runs in CI's pass with "
                    "DATABASE_URL=postgresql://…")
    engine = create_engine(normalise_url(database_url))
    db.upgrade(engine)
    with engine.connect() as connection:
        compression = connection.execute(text(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'instances'::regclass AND attname = 'workflow_state'")).scalar()
    engine.dispose()
    assert compression == "l"           # lz4 (pglz would be "p", the default "")
