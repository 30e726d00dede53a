"""The wording of each document, built from an inspection's facts.

`facts` is a plain dict the services gather (values already carry their Chinese labels):
  authority, team, number, issued_on (date of the first issue), target_name, target_kind,
  plan (work plan fields), members (roster rows), notice, announcement, feedback, results,
  published, rectification (the fields of those forms as submitted, or {}), findings (list),
  fieldwork_end (YYYY-MM-DD or None), rectification_due (date or None).
The sentences follow the regulation (菏泽市安全生产巡查工作制度, R3.3.1-R3.3.6).
"""
import re
from datetime import date

from .model import Block, OfficialDocument
from .numbering import plain_date

REGULATION = "《菏泽市安全生产巡查工作制度》"
METHODS = ("听取汇报、列席会议、调阅资料、调研座谈、个别谈话、暗查暗访、问卷调查、受理举报、现场抽查、"
           "延伸巡查")
HEADINGS = "一二三四五六七八九十"
CODE = re.compile(r"^C\d+\s+")          # content areas are labelled "C1 贯彻落实…"


def build(kind, facts):
    return BUILDERS[kind](facts)


# -- shared phrasing ---------------------------------------------------------------------------

def day(value):
    """A YYYY-MM-DD string (or a date) as a date; None when empty or malformed."""
    if isinstance(value, date) or not value:
        return value or None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def you(facts):
    """你县 / 你区 / 你单位: how a letter addresses the inspected organisation."""
    name = facts["target_name"]
    if facts.get("target_kind") == "county" and name[-1:] in ("县", "区"):
        return "你" + name[-1]
    return "你单位"


def addressee(facts):
    name = facts["target_name"]
    return f"{name}人民政府：" if facts.get("target_kind") == "county" else f"{name}："


def inspection_kind(facts):
    return facts.get("plan", {}).get("inspection_type") or "巡查"


def period(facts, end=None):
    """2025年9月8日至2025年9月26日 (planned dates unless the actual end is known)."""
    plan = facts.get("plan", {})
    start = day(facts.get("announcement", {}).get("entry_date")) or day(plan.get("planned_onsite_start"))
    finish = day(end) or day(plan.get("planned_onsite_end"))
    if start and finish:
        return f"{plain_date(start)}至{plain_date(finish)}"
    return plain_date(start or finish)


def paragraphs(text, style="body"):
    """User text as paragraphs (one per non-empty line)."""
    return [Block(line.strip(), style) for line in str(text or "").splitlines() if line.strip()]


def numbered(items):
    return [Block(f"{i}.{text}", "item") for i, text in enumerate(items, 1) if text]


def sections(*parts):
    """Numbered headings (一、二、…) over the (title, blocks) parts that have content."""
    blocks = []
    for title, body in (p for p in parts if p[1]):
        blocks.append(Block(f"{HEADINGS[len([b for b in blocks if b.style == 'heading'])]}、{title}",
                            "heading"))
        blocks.extend(body)
    return blocks


def areas(facts):
    return [CODE.sub("", a) for a in facts.get("plan", {}).get("content_areas") or []]


def team_line(members):
    """巡查组组长：张明（市应急管理局）；副组长：…；组员4名、专家1名。"""
    parts = []
    for role in ("组长", "副组长"):
        names = [f"{m.get('name')}（{m.get('home_unit')}）" for m in members if m.get("role") == role]
        if names:
            parts.append(f"{role}：{'、'.join(names)}")
    counts = [f"{label}{n}名" for label, n in (
        ("组员", sum(m.get("role") == "组员" for m in members)),
        ("专家", sum(m.get("role") == "专家" for m in members))) if n]
    if counts:
        parts.append("、".join(counts))
    return "巡查组" + "；".join(parts) + "。" if parts else ""


def document(kind, facts, title, blocks, **extra):
    return OfficialDocument(kind=kind, authority=facts["authority"], number=facts["number"],
                            title=title, blocks=blocks,
                            filename=f"{facts['target_name']}-{extra.pop('label')}", **extra)


# -- the four documents ------------------------------------------------------------------------

def notice(facts):
    """巡查告知书 (R3.3.1): the office tells the target in advance."""
    sent = facts.get("notice", {})
    you_ = you(facts)
    special = facts.get("plan", {}).get("special_sector")
    opening = (f"根据{REGULATION}和市安委会工作安排，市安全生产巡查组定于{period(facts)}对{you_}开展"
               f"安全生产{inspection_kind(facts)}" + (f"（{special}行业领域）" if special else "")
               + "。现将有关事项告知如下：")
    entry = day(sent.get("notice_entry_date"))
    blocks = [Block(opening)] + sections(
        ("巡查内容", paragraphs(sent.get("notice_content")) + numbered(areas(facts))),
        ("巡查组组成", [Block(team_line(facts.get("members") or []))]),
        ("巡查方式", [Block(f"巡查组将采取{METHODS}等方式开展工作"
                           + (f"，计划于{plain_date(entry)}进驻" if entry else "") + "。")]),
        ("需提供的材料", numbered(sent.get("notice_materials") or [])),
        ("有关要求", [Block(f"请{you_}自觉接受巡查，如实提供情况和有关文件材料，指定专人负责联络，"
                           "按规定做好配合和必要的后勤保障协助工作；不得隐瞒情况或提供虚假情况，"
                           "不得干扰、阻挠巡查工作。")]
         + ([Block(f"联系人及电话：{sent['notice_contact']}")] if sent.get("notice_contact") else [])))
    return document("notice", facts, f"关于对{facts['target_name']}开展安全生产巡查的告知书", blocks,
                    label="巡查告知书", addressee=addressee(facts), signature=facts["authority"],
                    dated=day(sent.get("notice_issue_date")) or facts["issued_on"],
                    copy_to="市安委会有关成员单位。", printed_by=facts["authority"])


def announcement(facts):
    """巡查公告 (R3.3.2): content, hotline and mailbox, published on entry."""
    notice_ = facts.get("announcement", {})
    methods = notice_.get("work_methods") or []
    reports = [Block(f"举报电话：{notice_.get('hotline')}", "item"),
               Block(f"举报邮箱：{notice_.get('mailbox')}", "item")]
    if notice_.get("report_hours"):
        reports.append(Block(f"受理时间：{notice_['report_hours']}", "item"))
    blocks = [Block(f"根据市安委会统一部署，菏泽市安全生产巡查组于{period(facts)}对"
                    f"{facts['target_name']}开展安全生产{inspection_kind(facts)}。"
                    "现将有关事项公告如下：")] + sections(
        ("巡查内容", paragraphs(notice_.get("announcement_content")) + numbered(areas(facts))),
        ("工作方式", [Block(f"巡查期间，巡查组将采取{'、'.join(methods) or METHODS}等方式开展工作。")]),
        ("举报受理", [Block(f"巡查组设立举报电话和举报邮箱，欢迎广大群众和职工反映"
                           f"{facts['target_name']}安全生产非法违法行为和问题。")] + reports
         + [Block("巡查组对举报人的信息严格保密。受理举报截止时间为现场巡查结束之日。")]))
    return document("announcement", facts,
                    f"关于市安全生产巡查组进驻{facts['target_name']}的公告", blocks,
                    label="巡查公告", signature=facts["team"],
                    dated=day(notice_.get("entry_date")) or facts["issued_on"])


def _finding(item):
    text = item.get("description") or ""
    severity = item.get("severity")
    return f"{text}（{severity}）" if severity else text


def feedback_letter(facts):
    """反馈意见书 (R3.3.5): findings, rectification requirements, the two-month deadline."""
    letter = facts.get("feedback", {})
    you_ = you(facts)
    findings = facts.get("findings") or []
    meeting = day(letter.get("feedback_meeting_date"))
    due = facts.get("rectification_due")
    opening = (f"根据市安委会工作安排，市安全生产巡查组于{period(facts, facts.get('fieldwork_end'))}"
               f"对{you_}开展了安全生产{inspection_kind(facts)}。"
               + (f"{plain_date(meeting)}，巡查组向{you_}反馈了巡查意见。" if meeting else "")
               + f"现将反馈意见印送{you_}，请认真研究，抓好整改落实。")
    deadline = (f"请{you_}收到本意见书后，认真整改落实发现的问题和隐患，并于2个月内"
                + (f"（{plain_date(due)}前）" if due else "（自收到本意见书之日起计算）")
                + "将整改和查处情况报送市安委会办公室。巡查发现问题和隐患逾期未整改或整改不力的，"
                  "将根据规定对有关负责人进行约谈。")
    blocks = [Block(opening)] + sections(
        ("发现的主要问题", paragraphs(letter.get("feedback_opinions"))
         + numbered([_finding(f) for f in findings])),
        ("整改意见建议", paragraphs(letter.get("rectification_requirements"))
         + numbered([f.get("recommendation") for f in findings])),
        ("整改要求", [Block(deadline)]))
    return document("feedback_letter", facts,
                    f"关于对{facts['target_name']}安全生产巡查的反馈意见书", blocks,
                    label="反馈意见书", addressee=addressee(facts), signature=facts["team"],
                    dated=day(letter.get("feedback_issue_date")) or facts["issued_on"],
                    copy_to="市安委会办公室。", printed_by=facts["authority"])


def bulletin(facts):
    """巡查结果通报 (R3.3.6): the approved results, good practices, rectification."""
    results = facts.get("results", {})
    rectified = facts.get("rectification", {})
    opening = (f"根据{REGULATION}和市安委会工作安排，市安全生产巡查组于"
               f"{period(facts, facts.get('fieldwork_end'))}对{facts['target_name']}开展了安全生产"
               f"{inspection_kind(facts)}。巡查结果已经市安委会领导同志审定，现将有关情况通报如下：")
    blocks = [Block(opening)] + sections(
        ("巡查结果", paragraphs(results.get("results_summary"))),
        ("值得推广的先进做法", paragraphs(results.get("results_good_practices"))),
        ("整改落实情况", paragraphs(rectified.get("rectification_summary"))),
        ("工作要求", [Block("各县区、各有关部门要以此为鉴，举一反三，深入排查治理本地区、本行业领域"
                           "安全生产问题隐患，切实落实安全生产责任，推动安全生产形势持续稳定向好。")]))
    published = day(facts.get("published", {}).get("published_date"))
    return document("bulletin", facts, f"关于{facts['target_name']}安全生产巡查结果的通报", blocks,
                    label="巡查结果通报", addressee="各县区安委会，市安委会各成员单位：",
                    signature=facts["authority"], dated=published or facts["issued_on"],
                    copy_to="市委组织部，市纪委监委。", printed_by=facts["authority"])


BUILDERS = {"notice": notice, "announcement": announcement, "feedback_letter": feedback_letter,
            "bulletin": bulletin}
