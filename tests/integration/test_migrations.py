"""The migrations create exactly the tables of `server/store/schema.py`, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from server.store import db, schema


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
