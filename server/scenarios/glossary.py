"""The closed vocabularies scenarios are written in: who acts, task names, stages, statuses,
organisations, dates. Each is a parse type of the step patterns, so two patterns cannot silently
overlap on free text, and a misspelt name is an undefined step rather than a wrong match.

Task names and stages come from the bundle under test (every user task's name, every stage
process's name), so a renamed task in a draft shows up as the scenarios that still use the old
name. Everything else is fixed by the regulation or by the demo data (design §9).
"""
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from ..engine.bundle import load_bundle
from ..engine.calendar import BEIJING
from ..services.samples import ROSTER
from ..services.seed import ORGANISATIONS
from ..services.versions import read_source_tree

# Role names as the regulation and the lanes write them, with the short forms people use.
ROLE_NAMES = {
    "市安委会办公室": "office", "市安委办": "office",
    "市安委会主要领导同志": "commission_director", "市安委会主要领导": "commission_director",
    "市安委会领导同志": "commission_leader", "市安委会领导": "commission_leader",
    "巡查组组长": "team_leader", "组长": "team_leader",
    "巡查组副组长": "team_deputy", "副组长": "team_deputy",
    "巡查组组员": "team_member", "组员": "team_member",
    "专家": "expert",
    "市纪委监委": "discipline",
    "市委组织部": "org_dept",
    "合规审查员": "reviewer",
    "流程管理员": "process_owner",
    "系统管理员": "admin",
}

# The demo user who acts for a role (design §9); a target liaison is target_<organisation>.
ROLE_USERS = {
    "office": "office", "commission_leader": "commission_leader",
    "commission_director": "commission_director", "team_leader": "team_leader",
    "team_deputy": "team_deputy", "team_member": "team_member1", "expert": "expert1",
    "discipline": "discipline", "org_dept": "org_dept", "reviewer": "reviewer",
    "process_owner": "process_owner", "admin": "admin",
}

ROSTER_POSTS = {"组长": "leader", "副组长": "deputy", "组员": "member", "专家": "expert"}
POST_ROLES = {"leader": "team_leader", "deputy": "team_deputy", "member": "team_member",
              "expert": "expert"}

# Members of the standard roster, by name (the demo team; services/samples.py).
PEOPLE = {m["name"]: (POST_ROLES[m["role"]], m["username"]) for m in ROSTER}

ORGANISATION_CODES = {name: code for code, name, _kind in ORGANISATIONS}
ORGANISATION_NAMES = {code: name for code, name, _kind in ORGANISATIONS}

STAGES = ("准备", "进驻", "实施", "报告", "反馈", "公开")
STATUSES = ("准备中", "进驻中", "实施中", "报告中", "反馈中", "整改中", "整改完成", "公开中", "已结束")
INSTANCE_STATES = {"进行中": "running", "已完成": "completed", "已撤销": "cancelled",
                   "已暂停": "suspended"}

# R4.2.3 recusal grounds -> the roster's flag for it.
RECUSAL_GROUNDS = {"任职回避": "kinship_conflict", "地域回避": "regional_conflict",
                   "公务回避": "official_conflict"}

# R3.3.2 channels of public reports.
REPORT_CHANNELS = {"举报电话": "phone", "举报邮箱": "mail", "来信": "letter", "来访": "visit"}

NOTICE_KINDS = {"到期提醒": "reminder", "逾期通知": "deadline"}

# R3.1: the two ways of inspection; R3.1b: who inspects beyond the city (registers.BODIES).
INSPECTION_TYPES = {"全面巡查": "full", "专项巡查": "special"}
EXTERNAL_BODIES = {"国务院安委会": "state_council", "省政府安委会": "province",
                   "国务院安全生产委员会": "state_council", "省政府安全生产委员会": "province"}

# Clause IDs of regulation/clauses.md with their short Chinese titles and categories (a–f).
CLAUSES = {
    "R0.1": ("印发通知（制度版本）", "d"),
    "R0.2": ("目的和依据", "f"),
    "R1.1": ("指导思想", "f"),
    "R1.2": ("巡查对象", "ed"),
    "R1.3": ("巡查原则", "f"),
    "R2.1": ("巡查组组成与名单审批", "caed"),
    "R2.2.1": ("人员条件：政治素质", "f"),
    "R2.2.2": ("人员条件：廉洁纪律", "f"),
    "R2.2.3": ("人员条件：业务能力", "f"),
    "R3.1a": ("巡查方式与两年全覆盖", "abe"),
    "R3.1b": ("全面巡查对象与排除", "e"),
    "R3.1c": ("专项巡查对象与排除", "ed"),
    "R3.2": ("巡查内容（八个方面）", "d"),
    "R3.3": ("巡查程序", "a"),
    "R3.3.1": ("巡查准备", "ab"),
    "R3.3.2": ("巡查进驻与受理举报", "ad"),
    "R3.3.3": ("巡查实施与资料归档", "ad"),
    "R3.3.4": ("巡查报告（15个工作日）", "ba"),
    "R3.3.5a": ("巡查反馈与问题处置", "aec"),
    "R3.3.5b": ("整改报送（2个月）与约谈", "be"),
    "R3.3.6": ("巡查公开", "a"),
    "R4.1.1": ("市安委会办公室负责具体实施", "c"),
    "R4.1.2": ("工作经费", "f"),
    "R4.1.3": ("后勤保障", "f"),
    "R4.2.1": ("巡查对象不得阻挠巡查", "ea"),
    "R4.2.2": ("巡查组保密纪律", "cf"),
    "R4.2.3": ("人员相对固定、请假与回避", "cea"),
    "R4.2.4": ("不干预、不代替监管", "f"),
    "R4.3": ("巡查成果运用", "aed"),
    "R5": ("施行日期与解释", "d"),
}
CLAUSE_TAG = re.compile(r"R\d+(?:\.\d+)*[a-z]?")


def is_clause_tag(tag):
    return bool(CLAUSE_TAG.fullmatch(tag))


@dataclass(frozen=True)
class Who:
    """Someone a step names: a role (acting as its demo user), a named team member, or the
    liaison of an organisation (`organisation` None: the inspected organisation's liaison)."""
    label: str
    role: str
    username: str | None = None
    organisation: str | None = None

    def user(self, inspected=None):
        if self.role == "target":
            return f"target_{self.organisation or inspected}"
        return self.username


def who(text):
    if text in ROLE_NAMES:
        role = ROLE_NAMES[text]
        return Who(text, role, ROLE_USERS[role])
    if text in PEOPLE:
        role, username = PEOPLE[text]
        return Who(text, role, username)
    if text in ("巡查对象联络人", "巡查对象"):
        return Who(text, "target")
    org = text.removesuffix("联络人")
    if org in ORGANISATION_CODES:
        return Who(text, "target", organisation=ORGANISATION_CODES[org])
    raise ValueError(f"未知的角色或人员：{text}")


def who_words():
    return [*ROLE_NAMES, *PEOPLE, "巡查对象联络人", *(f"{o}联络人" for o in ORGANISATION_CODES)]


# ---- dates and times, as authors write them: 2025年9月26日, 2025-09-26, … 00:00[:00]
DATE_PATTERN = r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}"
TIME_PATTERN = r"\d{1,2}:\d{2}(?::\d{2})?"
DATETIME_PATTERN = rf"(?:{DATE_PATTERN}) ?(?:{TIME_PATTERN})"


def parse_date(text):
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if len(numbers) != 3:
        raise ValueError(f"无效日期：{text}")
    return date(*numbers)


def parse_datetime(text):
    day = re.match(DATE_PATTERN, text).group(0)
    clock = [int(n) for n in re.findall(r"\d+", text[len(day):])] + [0]
    return datetime.combine(parse_date(day), time(clock[0], clock[1], clock[2]), tzinfo=BEIJING)


def show_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


class Vocabulary:
    """The names that depend on the bundle under test: task names and stages."""

    def __init__(self, bundle=None):
        self.bundle = bundle
        names = sorted({meta.name for meta in bundle.tasks.values()}) if bundle else []
        self.task_names = tuple(names)
        stages = {meta.stage for meta in bundle.tasks.values()} if bundle else set()
        self.stages = tuple(STAGES) + tuple(sorted(stages - set(STAGES)))

    @classmethod
    def from_source(cls, source_root):
        return cls(load_bundle(read_source_tree(Path(source_root))))


_current = {"vocabulary": None, "revision": 0}


def configure(source_root):
    """Use the task names and stages of the bundle at `source_root` (before patterns are used)."""
    _current["vocabulary"] = Vocabulary.from_source(source_root)
    _current["revision"] += 1
    return _current["vocabulary"]


@contextmanager
def using(source_root):
    """Within the block, the vocabulary of the bundle at `source_root`; then the one before."""
    before = _current["vocabulary"]
    configure(source_root)
    try:
        yield _current["vocabulary"]
    finally:
        _current["vocabulary"] = before
        _current["revision"] += 1


def vocabulary():
    if _current["vocabulary"] is None:
        from .. import PROJECT_ROOT
        configure(PROJECT_ROOT)
    return _current["vocabulary"]


def revision():
    vocabulary()
    return _current["revision"]


def one_of(words):
    """A regular expression matching exactly one of `words` (longest first, no groups)."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w) for w in ordered) or r"(?!x)x"


def parse_types():
    """The parse types of step patterns: {name: converter with a `.pattern`}."""
    key = revision()
    if _types.get("revision") != key:
        _types.update(revision=key, types=_build_types())
    return _types["types"]


_types = {}


def _build_types():
    from parse import with_pattern
    voc = vocabulary()

    def typed(pattern, convert):
        return with_pattern(pattern)(lambda text: convert(text))

    from .normalize import normalize

    def known(kind, words):
        # Step text is normalised before matching, so the words are too; the value is the word.
        by_form = {normalize(w): w for w in words}

        def convert(text):
            if text not in by_form:
                raise ValueError(f"未知的{kind}：{text}")
            return by_form[text]
        return typed(one_of(by_form), convert)

    return {
        "角色": typed(one_of(who_words()), who),
        "任务": known("任务", voc.task_names),
        "阶段": known("阶段", voc.stages),
        "状态": known("状态", STATUSES),
        "单位": typed(one_of(ORGANISATION_CODES), lambda t: ORGANISATION_CODES[t]),
        "回避情形": typed(one_of(RECUSAL_GROUNDS), lambda t: RECUSAL_GROUNDS[t]),
        "举报渠道": typed(one_of(REPORT_CHANNELS), lambda t: REPORT_CHANNELS[t]),
        "通知": typed(one_of(NOTICE_KINDS), lambda t: NOTICE_KINDS[t]),
        "组内职务": typed(one_of(ROSTER_POSTS), lambda t: ROSTER_POSTS[t]),
        "巡查方式": typed(one_of(INSPECTION_TYPES), lambda t: INSPECTION_TYPES[t]),
        "延伸巡查机关": typed(one_of(EXTERNAL_BODIES), lambda t: EXTERNAL_BODIES[t]),
        "条款": typed(CLAUSE_TAG.pattern, str),
        "日期": typed(DATE_PATTERN, parse_date),
        "时刻": typed(DATETIME_PATTERN, parse_datetime),
        "数": typed(r"\d+", int),
        "文本": typed(r'[^"]*', str),
    }
