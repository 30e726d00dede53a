"""One world for the security tests, built once per module: the real app with users of every
role (password "secret"), two 单县 inspections and one of 曹县, driven through the services:

- `onsite`: 单县 on site, a public report registered by the office (so a reporter's identity is
  in its data) and an attachment on the team leader's task 审核巡查记录;
- `notice`: 单县 waiting for the liaison to sign the notice (签收巡查告知书, target_shanxian);
- `caoxian`: 曹县 at the same step (target_caoxian's task).
"""
import os
from dataclasses import dataclass, field

import pytest

from server.services import attachments, demo, instances, tasks, users
from server.services.context import unit_of_work
from tests.conftest import ROOT, Desk, build_app, reset_postgres

PASSWORD = "secret"
REPORTER = {"report_channel": "phone", "report_anonymous": False, "reporter_name": "举报人韩梅梅",
            "reporter_contact": "13905301234", "report_subject": "某化工企业",
            "report_content": "夜间违规动火作业"}
NOTICE_SENT = demo.PREPARED[:4]
# Who acts in the matrix, by the user each role is played by.
PLAYERS = {
    "office": "office", "commission_leader": "commission_leader",
    "commission_director": "commission_director",
    "team_leader": "team_leader",           # on the roster of both 单县 inspections
    "team_member": "team_member9",          # a team member on no roster
    "expert": "expert1",                    # on the roster
    "target_shanxian": "target_shanxian", "target_caoxian": "target_caoxian",
    "discipline": "discipline", "org_dept": "org_dept", "process_owner": "process_owner",
    "reviewer": "reviewer", "admin": "admin", "anonymous": None,
}


@dataclass
class World:
    app: object
    instances: dict = field(default_factory=dict)     # onsite, notice, caoxian -> id
    tasks: dict = field(default_factory=dict)         # leader, triage, target, caoxian -> id
    attachment: str = ""

    @property
    def services(self):
        return self.app.extensions["xuncha"]


def module_database_url(tmp_path):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'security.sqlite'}"


def build_world(tmp_path):
    app = build_app(module_database_url(tmp_path), ROOT, tmp_path)
    services = app.extensions["xuncha"]
    with unit_of_work(services) as uow:
        for username, name, roles, org in demo.demo_users():
            users.create_user(uow, username, PASSWORD, list(roles), org, name)
        users.create_user(uow, "team_member9", PASSWORD, ["team_member"], None, "名单外组员")
    desk = Desk(app)
    desk.set_clock("2025-09-01T09:00:00+08:00")
    world = World(app)
    world.instances["onsite"] = demo.drive(services, "shanxian", demo.ON_SITE)
    world.instances["notice"] = demo.drive(services, "shanxian", NOTICE_SENT)
    world.instances["caoxian"] = demo.drive(services, "caoxian", NOTICE_SENT)
    office, leader = desk.actor("office"), desk.actor("team_leader")
    with unit_of_work(services) as uow:
        instances.receive_public_report(uow, office, world.instances["onsite"], REPORTER)
    world.tasks["leader"] = desk.task("team_leader", "审核巡查记录")["id"]
    world.tasks["triage"] = desk.task("team_leader", "处理群众举报")["id"]
    world.tasks["target"] = desk.task("target_shanxian", "签收巡查告知书")["id"]
    world.tasks["caoxian"] = desk.task("target_caoxian", "签收巡查告知书")["id"]
    with unit_of_work(services) as uow:
        world.attachment = attachments.store(
            uow, leader, world.tasks["leader"], "核查记录.txt",
            "现场核查记录".encode(), 1024 * 1024)["id"]
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("security"))
    yield world
    world.services.engine.dispose()


def open_tasks(world, instance_key):
    with unit_of_work(world.services) as uow:
        office = users.actor_for(uow, "office")
        _, rows = tasks.list_tasks(uow, office, limit=500)
    return [t for t in rows if t["instance_id"] == world.instances[instance_key]]
