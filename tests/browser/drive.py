"""Drive inspections through the services with the sample data, as people would (shared by the
browser tests and the page integration tests). Users' password is "secret"."""
import copy

from server.services.samples import ROSTER, SAMPLES
from tests.conftest import Desk

# username, role, organisation
STAFF = [("office", "office", None), ("leader", "commission_leader", None),
         ("director", "commission_director", None), ("shanxian", "target", "shanxian"),
         ("caoxian", "target", "caoxian"), ("discipline", "discipline", None),
         ("orgdept", "org_dept", None), ("admin", "admin", None)]
TEAM_ROLES = {"leader": "team_leader", "deputy": "team_deputy", "expert": "expert"}


def staff_desk(app, clock="2025-06-02T09:00:00+08:00"):
    """A Desk with the office, the commission, two county liaisons and the sample roster."""
    desk = Desk(app)
    for username, role, org in STAFF:
        desk.add_user(username, role, org=org)
    for member in ROSTER:
        desk.add_user(member["username"], TEAM_ROLES.get(member["role"], "team_member"))
    desk.set_clock(clock)
    return desk


class Inspection:
    """One inspection of 单县, moved on stage by stage with the sample form data."""

    def __init__(self, desk, target="单县"):
        self.desk = desk
        self.id = desk.start("office", target)

    def do(self, username, name, **values):
        task = self.desk.task(username, name, self.id)
        data = copy.deepcopy(SAMPLES[task["form"]]) | values
        self.desk.complete(username, name, data, self.id)
        return task

    def prepare(self):
        self.do("office", "制定巡查工作方案")
        self.do("office", "拟定巡查组名单")
        self.do("leader", "审批巡查组名单")
        self.do("office", "发送巡查告知书")
        self.do("shanxian", "签收巡查告知书")
        self.do("office", "组织集中培训")
        return self

    def enter(self):
        """Publish the announcement: the hotline opens (R3.3.2)."""
        self.do("team_leader", "发布巡查公告")
        return self

    def implement(self):
        self.do("team_member1", "登记巡查工作记录")
        self.do("team_leader", "审核巡查记录", fieldwork_done=True, fieldwork_end="2025-09-26")
        return self

    def report(self):
        self.do("team_leader", "提交巡查工作报告")
        self.do("office", "汇总巡查报告")
        self.do("leader", "审阅巡查报告")
        return self

    def feedback(self):
        self.do("team_leader", "印发反馈意见书")
        self.do("shanxian", "签收反馈意见书", feedback_received_date="2025-10-31")
        self.do("shanxian", "报送整改情况")
        self.do("office", "审核整改情况", verdict="accepted")
        return self

    def to_disclosure(self):
        return self.prepare().enter().implement().report().feedback()

    def draft_results(self):
        self.do("office", "起草巡查结果")
        return self

    def approve_results(self):
        self.do("leader", "审定巡查结果")
        return self

    def publish_results(self, **values):
        self.do("office", "公布巡查结果", **values)
        return self
