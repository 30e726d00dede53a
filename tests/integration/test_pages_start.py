"""Starting an inspection from the pages (/instances/new): the office only, a target from the
R1.2 list, the CSRF token required, a missing or unknown target refused beside the field."""
import re

import pytest

from tests.browser.drive import staff_desk
from tests.integration.web_client import Web, text


@pytest.fixture
def desk(app):
    return staff_desk(app)


def test_the_office_starts_an_inspection_and_lands_on_its_page(app, desk):
    office = Web(app, "office")
    form = office.get("/instances/new")
    assert re.search(r'<option value="shanxian"\s*>单县</option>', form)
    assert re.search(r'<option value="yingji"\s*>市应急管理局</option>', form)
    answer = office.post("/instances/new", {"target": "shanxian"})
    instance_id = answer.headers["Location"].rsplit("/", 1)[1]
    shown = text(office.follow(answer))
    assert "已发起巡查" in shown and "安全生产巡查：单县" in shown
    assert desk.instance(instance_id)["data"]["target"] == "shanxian"
    assert [t["name"] for t in desk.inbox("office") if t["instance_id"] == instance_id] == \
        ["制定巡查工作方案"]
    assert 'href="/instances/new"' in office.get("/instances")


@pytest.mark.parametrize("target, message", [("", "此项为必填项"), ("nowhere", "未知的单位：nowhere")])
def test_a_missing_or_unknown_target_is_shown_beside_the_field(app, desk, target, message):
    office = Web(app, "office")
    page = office.post("/instances/new", {"target": target}, status=422).get_data(as_text=True)
    assert 'id="target-error"' in page and message in text(page)
    assert 'aria-invalid="true"' in page
    assert office.get("/instances").count("安全生产巡查：") == 0


def test_only_the_office_may_start_and_the_token_is_required(app, desk):
    for username in ("shanxian", "team_leader", "leader"):
        person = Web(app, username)
        person.get("/instances/new", status=403)
        person.post("/instances/new", {"target": "shanxian"}, status=403)
        assert 'href="/instances/new"' not in person.get("/instances")
    office = Web(app, "office")
    office.post("/instances/new", {"target": "shanxian"}, csrf=False, status=400)
    assert office.get("/instances").count("安全生产巡查：") == 0
