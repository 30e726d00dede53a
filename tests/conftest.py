"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when DATABASE_URL is
set), the app built on it, and a `desk` helper that acts as named users through the services."""
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server import create_app
from server.services import clock, instances, tasks, users
from server.services.context import unit_of_work
from server.services.setup import init_database
from server.store.db import normalise_url

# Every state written in tests is checked against one written without the kept JSON of
# finished tasks (server.engine.serialization); child processes inherit the setting.
os.environ.setdefault("XUNCHA_VERIFY_STATE", "1")
ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
REQUIRE_ALL = os.environ.get("XUNCHA_REQUIRE_ALL") == "1"
CLOCK_START = datetime.fromisoformat("2025-01-01T09:00:00+08:00")


def pytest_collection_modifyitems(config, items):
    # Every test that builds an app touches the database: mark it, so CI can rerun them on PostgreSQL.
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def reset_postgres(url):
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


def build_app(database_url, source_root, tmp_path, clock_mode="fake"):
    database_url = _from_template(database_url, source_root)
    app = create_app({"DATABASE_URL": database_url, "CLOCK": clock_mode, "SECRET_KEY": "test",
                      "SOURCE_ROOT": source_root, "TESTING": True,
                      "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    app.instance_path = str(tmp_path / "instance")
    init_database(app.extensions["xuncha"], source_root, fake_start=CLOCK_START)
    return app


_TEMPLATES = {}


def _from_template(database_url, source_root):
    """SQLite: copy a database migrated once per session instead of migrating per test."""
    if not database_url.startswith("sqlite:///"):
        return database_url
    target = Path(database_url.removeprefix("sqlite:///"))
    if source_root not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="xuncha-template-"))
        template = folder / "template.sqlite"
        services = create_app({"DATABASE_URL": f"sqlite:///{template}", "CLOCK": "fake",
                               "SECRET_KEY": "t", "SOURCE_ROOT": source_root}
                              ).extensions["xuncha"]
        init_database(services, source_root, fake_start=CLOCK_START)
        services.engine.dispose()      # closing the last connection checkpoints the WAL
        _TEMPLATES[source_root] = template
    shutil.copyfile(_TEMPLATES[source_root], target)
    return database_url


@pytest.fixture
def app(database_url, tmp_path):
    app = build_app(database_url, ROOT, tmp_path)
    yield app
    app.extensions["xuncha"].engine.dispose()


@pytest.fixture
def mini_app(database_url, tmp_path):
    app = build_app(database_url, MINI, tmp_path)
    yield app
    app.extensions["xuncha"].engine.dispose()


class Desk:
    """Acts as named users through the services, the way the web app and CLI do."""

    def __init__(self, app):
        self.services = app.extensions["xuncha"]

    def add_user(self, username, *roles, org=None):
        with unit_of_work(self.services) as uow:
            users.create_user(uow, username, "secret", list(roles), org)

    def actor(self, username):
        with unit_of_work(self.services) as uow:
            return users.actor_for(uow, username)

    def start(self, username="office", target="单县", process="safety_inspection"):
        actor = self.actor(username)
        with unit_of_work(self.services) as uow:
            return instances.start_instance(uow, actor, process, {"target": target})

    def inbox(self, username, **filters):
        actor = self.actor(username)
        with unit_of_work(self.services) as uow:
            return tasks.list_tasks(uow, actor, limit=500, **filters)[1]

    def task(self, username, name, instance_id=None):
        """The one open task called `name` in the user's inbox."""
        found = [t for t in self.inbox(username) if t["name"] == name
                 and (instance_id is None or t["instance_id"] == instance_id)]
        assert len(found) == 1, f"{username} has {len(found)} open tasks called {name}: " \
                                f"{[t['name'] for t in self.inbox(username)]}"
        return found[0]

    def complete(self, username, name, data=None, instance_id=None):
        task = self.task(username, name, instance_id)
        actor = self.actor(username)
        with unit_of_work(self.services) as uow:
            tasks.complete_task(uow, actor, task["id"], data or {})
        return task

    def instance(self, instance_id, username="office"):
        actor = self.actor(username)
        with unit_of_work(self.services) as uow:
            return instances.get_instance(uow, actor, instance_id)

    def set_clock(self, when, username="admin"):
        now = datetime.fromisoformat(when)
        return clock.set_clock(self.services, self.actor(username), now)


@pytest.fixture
def desk(app):
    return _desk_with_users(app)


@pytest.fixture
def mini_desk(mini_app):
    return _desk_with_users(mini_app)


def _desk_with_users(app):
    desk = Desk(app)
    desk.add_user("office", "office")
    desk.add_user("admin", "admin")
    desk.add_user("leader", "team_leader")
    desk.add_user("shanxian", "target", org="shanxian")
    desk.add_user("caoxian", "target", org="caoxian")
    desk.set_clock("2025-09-01T09:00:00+08:00")
    return desk
