"""A whole inspection of 单县 walked through the pages, role by role, as people do it (issue #4):
the office starts it, everyone signs in in a browser of their own and works from the inbox
through the task forms, the 单县 liaison on a phone; the public sees the announcement while the
team is on site and the results once approved and published. No clock movement: the happy path
needs none (design §9). Screenshots: test-artifacts/role_walk/NN-<user>-<step>.png."""
import re

import pytest
from playwright.sync_api import expect

from server.services import users
from server.services.context import unit_of_work
from server.services.demo import demo_users
from tests.conftest import Desk

from .forms import TaskForm, named
from .people import PHONE, Person, Screens

TITLE = "安全生产巡查：单县"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
REPORT = PDF + b"% report of the inspection of shanxian\n"
C1 = "C1 贯彻落实党中央、国务院安全生产重要决策部署情况"
C5 = "C5 风险分级管控和隐患排查治理体系建设、打非治违和专项整治情况"
ROSTER = [("张明", "team_leader", "组长", "市应急管理局"), ("李华", "team_deputy", "副组长", "市住房城乡建设局"),
          ("王强", "team_member1", "组员", "市交通运输局"), ("赵敏", "team_member2", "组员", "市市场监管局"),
          ("刘洋", "team_member3", "组员", "市公安局"), ("陈静", "team_member4", "组员", "市自然资源和规划局"),
          ("孙伟", "expert1", "专家", "山东某安全技术服务公司")]


@pytest.fixture
def staff(live_app):
    """The demo's people (design §9: office, commission_leader, team_leader, target_shanxian …),
    password "secret"; today is Monday 1 September 2025."""
    services = live_app.extensions["xuncha"]
    with unit_of_work(services) as uow:
        for username, name, roles, org in demo_users():
            users.create_user(uow, username, "secret", list(roles), org, name)
    Desk(live_app).set_clock("2025-09-01T09:00:00+08:00")


@pytest.fixture
def walk(browser, live_server, console, staff, bpmn_assets):
    screens = Screens("role_walk")
    people = {}

    def person(username=None, viewport=None):
        key = username or "public"
        if key not in people:
            extra = {"viewport": viewport} if viewport else {}
            people[key] = Person(browser, live_server, console, screens, username, **extra)
            if username:
                people[key].log_in()
        return people[key]

    yield person
    for someone in people.values():
        someone.close()
    console.check()


def submit(person, form, task):
    """Submit the form: back in the inbox with a confirmation, the task no longer listed."""
    form.submit()
    expect(person.page.get_by_role("status")).to_contain_text(f"已提交：{task}")
    expect(person.inbox_row(task, TITLE, refresh=False)).to_have_count(0)


def has_next(person, task, due=None):
    """The next person finds the task in the inbox, with its last day when it has a deadline."""
    row = person.inbox_row(task, TITLE)
    expect(row).to_have_count(1)
    if due:
        expect(row.locator("time")).to_have_text(due)
        expect(row).to_contain_text(re.compile(r"剩 \d+ 个工作日"))
    else:
        expect(row.get_by_role("cell").nth(3)).to_have_text("—")
    return row


def do(person, task, fill, step):
    """Open `task` from the inbox, fill its form with `fill(form)`, screenshot, submit."""
    person.open_task(task, TITLE)
    form = TaskForm(person.page)
    fill(form)
    person.shot(step)
    submit(person, form, task)
    return form


def read_first(person, form, *texts):
    """On a phone, what a receipt signs for is shown open above the form."""
    shown = person.page.get_by_role("complementary", name="巡查已有信息").locator("dl").first
    for words in texts:
        expect(shown).to_contain_text(words)
    assert shown.bounding_box()["y"] + shown.bounding_box()["height"] <= \
        form.root.bounding_box()["y"]


def progress(office, instance_url, status, open_tasks):
    office.page.goto(instance_url)
    summary = office.page.locator("table.instance-summary")
    expect(summary).to_contain_text(status)
    tasks = office.page.get_by_role("region", name="待办任务")
    for name in open_tasks:
        expect(tasks.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(office.page.locator("#diagram-main[data-state=ready]")).to_be_attached()


def start(walk):
    """The office starts the inspection from the inspections list; its page shows progress."""
    office = walk("office")
    office.nav("巡查")
    office.page.get_by_role("link", name="发起巡查").click()
    office.page.get_by_label(re.compile("^巡查对象")).select_option(label="单县")
    office.shot("start")
    office.page.get_by_role("button", name="发起巡查").click()
    expect(office.page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(office.page.get_by_role("status")).to_contain_text("已发起巡查")
    instance_url = office.page.url
    progress(office, instance_url, "准备中", ["制定巡查工作方案"])
    office.shot("instance-started")
    return instance_url


def prepare(walk, console):
    """准备: work plan, roster, the leader's approval, the notice, its receipt, training."""
    office = walk("office")
    has_next(office, "制定巡查工作方案")

    def work_plan(form):
        form.choose("巡查类型", "全面巡查")
        form.tick("巡查内容", C1, C5)
        form.fill("计划进驻日期", "2025-09-08")
        form.fill("计划现场巡查结束日期", "2025-09-26")
        form.attach("巡查工作方案文件", "巡查工作方案.pdf", PDF)
    do(office, "制定巡查工作方案", work_plan, "work-plan")

    def roster(form):
        for number, (name, username, role, unit) in enumerate(ROSTER, 1):
            row = form.row("巡查组成员", 1) if number == 1 else form.add_row("巡查组成员")
            row.fill("姓名", name)
            row.fill("系统账号", username)
            row.select("组内职务", role)
            row.fill("所在单位", unit)
            row.check("已提交回避声明")
    do(office, "拟定巡查组名单", roster, "roster")

    leader = walk("commission_leader")
    has_next(leader, "审批巡查组名单")
    # Returning without a reason is refused, the message beside the field and in the summary.
    leader.open_task("审批巡查组名单", TITLE)
    # What is being approved is in view: the roster, a line a member.
    expect(leader.page.get_by_role("complementary", name="巡查已有信息")).to_contain_text(
        "姓名：张明；系统账号：team_leader；组内职务：组长；所在单位：市应急管理局")
    approval = TaskForm(leader.page)
    approval.choose("审批结论", "退回")
    console.allow(r"^commission_leader console\.error: .* status of 422")   # the refused form
    approval.submit()
    expect(leader.page.get_by_role("alert")).to_contain_text("退回理由：退回时须填写退回理由")
    expect(leader.page.get_by_label(named("退回理由"))).to_have_accessible_description(
        re.compile("退回时须填写退回理由"))
    decision = approval.root.get_by_role("group", name=named("审批结论"))
    expect(decision.get_by_label("退回")).to_be_checked()
    leader.shot("roster-approval-refused")
    approval.choose("审批结论", "同意")
    leader.shot("roster-approval")
    submit(leader, approval, "审批巡查组名单")

    has_next(office, "发送巡查告知书")

    def notice(form):
        form.fill("印发日期", "2025-09-01")
        form.fill("巡查内容", "全面巡查安全生产八个方面工作")
        form.lines("需提供的材料清单", ["安全生产工作总结", "隐患排查治理台账"])
        form.attach("告知书文件", "巡查告知书.pdf", PDF)
    do(office, "发送巡查告知书", notice, "notice")

    liaison = walk("target_shanxian", viewport=PHONE)
    has_next(liaison, "签收巡查告知书")
    assert liaison.too_wide() == []
    liaison.shot("inbox-on-phone")

    # Another county's liaison sees nothing of 单县's work and gets 404 for its task page.
    liaison.open_task("签收巡查告知书", TITLE)
    caoxian = walk("target_caoxian")
    expect(caoxian.inbox_row("签收巡查告知书", TITLE)).to_have_count(0)
    console.allow(r"^target_caoxian console\.error: Failed to load resource: .* 404")
    assert caoxian.page.goto(liaison.page.url).status == 404
    expect(caoxian.page.get_by_role("main")).not_to_contain_text("签收巡查告知书")
    caoxian.shot("404-for-shanxian-task")

    def receipt(form):
        assert liaison.too_wide() == []
        read_first(liaison, form, "全面巡查安全生产八个方面工作", "隐患排查治理台账")
        form.fill("签收日期", "2025-09-02")
        form.fill("签收人", "王芳")
        form.fill("签收人职务", "县应急管理局办公室主任")
        phone = form.root.get_by_label("联络人电话")          # the phone's number pad
        expect(phone).to_have_attribute("type", "tel")
        expect(phone).to_have_attribute("inputmode", "tel")
        phone.fill("0530-4620000")
    do(liaison, "签收巡查告知书", receipt, "notice-receipt")

    def training(form):
        form.fill("培训日期", "2025-09-04")
        form.lines("参训人员", [name for name, *_ in ROSTER])
        form.fill("培训内容", "巡查工作方案和工作纪律")
    has_next(office, "组织集中培训")
    do(office, "组织集中培训", training, "training")



def enter(walk):
    """进驻: the team leader publishes the announcement; the public sees it with hotline and
    mailbox."""
    team_leader = walk("team_leader")
    has_next(team_leader, "发布巡查公告")

    def announcement(form):
        form.fill("巡查内容", "市安全生产巡查组进驻单县开展全面巡查")
        form.fill("举报电话", "0530-5310000")
        form.fill("举报邮箱", "xuncha@heze.gov.cn")
        form.fill("进驻日期", "2025-09-08")
        form.select("公布方式", "现场张贴")
        form.tick("工作方式", "听取汇报", "受理举报")
    do(team_leader, "发布巡查公告", announcement, "announcement")

    public = walk()
    public.goto("/public/")
    public.page.get_by_role("link", name=TITLE).click()
    expect(public.page.get_by_role("heading", level=1)).to_contain_text("巡查公告")
    announced = public.page.get_by_role("region", name="公告内容")
    expect(announced).to_contain_text("0530-5310000")
    expect(announced.get_by_role("link", name="xuncha@heze.gov.cn")).to_be_visible()
    expect(announced).to_contain_text("进驻单县开展全面巡查")
    expect(public.page.get_by_role("button", name="提交举报")).to_be_visible()
    public.shot("announcement")



def implement(walk, instance_url):
    """实施: a team member records the work and findings; the leader closes the fieldwork."""
    office, team_leader = walk("office"), walk("team_leader")
    member = walk("team_member1")
    has_next(member, "登记巡查工作记录")

    def work_record(form):
        record = form.row("巡查工作记录", 1)
        record.select("工作方式", "听取汇报")
        record.fill("日期", "2025-09-08")
        record.fill("工作情况摘要", "听取县政府安全生产工作汇报")
        finding = form.add_row("发现的问题")
        finding.select("问题类别", C5)
        finding.select("严重程度", "一般")
        finding.fill("问题描述", "部分企业隐患排查台账不完整")
        finding.check("已向巡查对象指出")
        second = form.add_row("发现的问题")
        second.select("问题类别", C1)
        second.select("严重程度", "较重")
        second.fill("问题描述", "乡镇安全生产责任书未签订到位")
    do(member, "登记巡查工作记录", work_record, "work-record")

    has_next(team_leader, "审核巡查记录")

    def fieldwork(form):
        form.choose("审核结论", "现场巡查结束")
        form.fill("现场巡查结束日期", "2025-09-26")
    do(team_leader, "审核巡查记录", fieldwork, "fieldwork-review")
    progress(office, instance_url, "报告中", ["提交巡查工作报告"])
    office.shot("instance-reporting")



def report(walk, instance_url):
    """报告: the leader's report with its file (R3.3.4: 15 working days after 2025-09-26)."""
    office, leader, team_leader = walk("office"), walk("commission_leader"), walk("team_leader")
    has_next(team_leader, "提交巡查工作报告", due="2025-10-23")
    team_leader.open_task("提交巡查工作报告", TITLE)
    report = TaskForm(team_leader.page)
    for label, text in (("基本情况", "单县安全生产工作总体情况"), ("发现的主要问题", "隐患排查治理不到位"),
                        ("原因分析", "责任落实层层递减"), ("意见建议", "压实属地责任"),
                        ("巡查对象配合情况", "配合良好")):
        report.fill(label, text)
    report.attach("巡查工作报告", "单县巡查工作报告.pdf", REPORT)
    team_leader.page.get_by_role("button", name="保存草稿").click()
    expect(team_leader.page.get_by_role("status")).to_contain_text("草稿已保存")
    kept = team_leader.page.get_by_role("link", name="单县巡查工作报告.pdf")
    expect(kept).to_be_visible()
    expect(team_leader.page.get_by_label("基本情况")).to_have_value("单县安全生产工作总体情况")
    team_leader.shot("report-with-file")
    submit(team_leader, report, "提交巡查工作报告")

    # The office sees the report file listed with the inspection's data and downloads it.
    has_next(office, "汇总巡查报告")
    office.open_task("汇总巡查报告", TITLE)
    office.page.get_by_text("巡查已有信息").click()
    with office.page.expect_download() as download:
        office.page.get_by_role("link", name="单县巡查工作报告.pdf").click()
    saved = download.value
    assert saved.suggested_filename == "单县巡查工作报告.pdf"
    assert open(saved.path(), "rb").read() == REPORT
    consolidate = TaskForm(office.page)
    consolidate.fill("汇总情况", "巡查组报告已汇总")
    consolidate.fill("汇总日期", "2025-10-27")
    consolidate.attach("汇总报告", "汇总报告.pdf", PDF)
    office.shot("consolidate-with-report")
    submit(office, consolidate, "汇总巡查报告")

    has_next(leader, "审阅巡查报告")
    do(leader, "审阅巡查报告", lambda form: form.choose("审批结论", "同意"), "report-review")
    progress(office, instance_url, "反馈中", ["印发反馈意见书"])
    collected = office.page.get_by_role("region", name="已收集的信息")
    expect(collected.get_by_role("link", name="单县巡查工作报告.pdf")).to_be_visible()
    expect(collected).to_contain_text("现场巡查结束")          # the form's words, not 是



def feedback(walk):
    """反馈: the feedback letter; the liaison signs it and reports the rectification on a phone."""
    office, team_leader, liaison = walk("office"), walk("team_leader"), walk("target_shanxian")
    has_next(team_leader, "印发反馈意见书")

    def letter(form):
        form.fill("印发日期", "2025-10-30")
        form.fill("反馈意见", "隐患排查治理不到位，责任落实层层递减")
        form.fill("整改要求", "2个月内报送整改情况")
        form.attach("反馈意见书", "反馈意见书.pdf", PDF)
    do(team_leader, "印发反馈意见书", letter, "feedback-letter")

    has_next(liaison, "签收反馈意见书")

    def feedback_receipt(form):
        read_first(liaison, form, "隐患排查治理不到位，责任落实层层递减", "2个月内报送整改情况")
        form.fill("签收日期", "2025-10-31")
        form.fill("签收人", "王芳")
    do(liaison, "签收反馈意见书", feedback_receipt, "feedback-receipt")

    # R3.3.5b: the rectification is due two months after the letter was received.
    has_next(liaison, "报送整改情况", due="2025-12-31")

    def rectification(form):
        assert liaison.too_wide() == []
        item = form.row("整改事项", 1)
        item.fill("问题", "部分企业隐患排查台账不完整")
        item.fill("整改措施", "开展专项排查\n建立隐患排查台账")    # a long text, lines kept
        expect(item.root.get_by_label(named("整改措施"))).to_have_js_property("tagName", "TEXTAREA")
        item.select("整改状态", "已完成")
        second = form.add_row("整改事项")
        second.fill("问题", "乡镇安全生产责任书未签订到位")
        second.fill("整改措施", "逐级签订责任书")
        second.select("整改状态", "整改中")
        second.fill("未完成原因及计划", "年底前全部签订")
        form.attach("整改情况报告", "整改情况报告.pdf", PDF)
        assert liaison.too_wide() == []
    do(liaison, "报送整改情况", rectification, "rectification")

    has_next(office, "审核整改情况")
    do(office, "审核整改情况", lambda form: form.choose("审核结论", "通过"), "rectification-review")



def disclose(walk):
    """公开: results drafted, approved by the commission's leader, then published."""
    office, leader, public = walk("office"), walk("commission_leader"), walk()
    has_next(office, "起草巡查结果")

    def results(form):
        form.fill("巡查结果", "单县安全生产巡查结果")
        form.fill("拟向社会公布的内容", "单县巡查发现问题及整改情况")
    do(office, "起草巡查结果", results, "results-draft")

    has_next(leader, "审定巡查结果")
    do(leader, "审定巡查结果", lambda form: form.choose("审批结论", "同意"), "results-approval")

    public.goto("/public/results")
    expect(public.page.get_by_role("link", name=TITLE)).to_have_count(0)   # approved, not yet out

    has_next(office, "公布巡查结果")

    def publish(form):
        form.fill("公布日期", "2025-11-20")
        form.select("公布渠道", "政府网站")
        form.fill("网址", "https://www.heze.gov.cn/xuncha/2025-3")
        form.fill("公布内容摘要", "单县巡查发现问题12个，已整改10个")
    do(office, "公布巡查结果", publish, "results-publish")

    public.goto("/public/results")
    public.page.get_by_role("link", name=TITLE).click()
    expect(public.page.get_by_role("heading", level=1)).to_contain_text("巡查结果")
    expect(public.page.get_by_role("main")).to_contain_text("单县巡查发现问题12个，已整改10个")
    expect(public.page.get_by_role("link", name="heze.gov.cn/xuncha/2025-3")).to_be_visible()
    # The internal draft stays inside.
    expect(public.page.get_by_role("main")).not_to_contain_text("单县安全生产巡查结果")
    public.shot("results")



def close(walk, instance_url):
    """The office tells the organisation department, which signs; the office archives."""
    office = walk("office")
    has_next(office, "通报市委组织部")

    def org_notice(form):
        form.fill("通报文号", "菏安办函〔2025〕5号")
        form.fill("通报日期", "2025-11-20")
        form.attach("通报文件", "通报.pdf", PDF)
    do(office, "通报市委组织部", org_notice, "org-dept-notice")

    org_dept = walk("org_dept")
    has_next(org_dept, "签收巡查结果通报")

    def org_receipt(form):
        form.fill("签收日期", "2025-11-21")
        form.fill("签收人", "吴刚")
    do(org_dept, "签收巡查结果通报", org_receipt, "org-dept-receipt")

    has_next(office, "归档巡查资料")

    def archive(form):
        form.fill("移交日期", "2025-11-25")
        form.fill("档案号", "XC-2025-003")
        form.lines("归档资料目录", ["巡查工作方案", "巡查工作报告", "反馈意见书", "整改情况报告"])
        form.attach("归档文件", "归档目录.pdf", PDF)
    do(office, "归档巡查资料", archive, "archive")

    office.page.goto(instance_url)
    expect(office.page.locator("#instance-state")).to_have_text("已办结")
    expect(office.page.get_by_role("region", name="待办任务")).to_contain_text("当前没有待办任务")
    expect(office.page.locator("#timeline")).to_contain_text("办结任务“归档巡查资料”")
    expect(office.page.locator("#timeline")).not_to_contain_text(re.compile(r"[a-z]+\.[a-z_]+"))
    office.shot("instance-completed")


def test_an_inspection_of_shanxian_walked_through_the_pages(walk, console):
    instance_url = start(walk)
    prepare(walk, console)
    enter(walk)
    implement(walk, instance_url)
    report(walk, instance_url)
    feedback(walk)
    disclose(walk)
    close(walk, instance_url)
