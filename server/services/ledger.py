"""The inspection ledger (台账): one row per inspection of the city, with its document number,
stage, the dates of each step and its deadlines, as an Excel workbook; a second sheet shows the
two-year coverage of the counties (R3.1a).

The dates come from where the procedure keeps them: the inspection's data (forms), the task
projection (deadlines and when tasks were done), inspection_history (entry, end of fieldwork)
and issued_documents (文号).
"""
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ..engine.calendar import BEIJING, last_day
from ..store import schema
from . import access, coverage, dashboard, instances

I, T, H, D = (schema.instances, schema.human_tasks, schema.inspection_history,
              schema.issued_documents)
FILE_NAME = "inspection-ledger.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEES_LEDGER = dashboard.SEES_DASHBOARD
TYPES = {"full": "全面巡查", "special": "专项巡查"}
STATES = {"running": "进行中", "suspended": "已暂停", "completed": "已办结", "cancelled": "已撤销"}
DOCUMENT_ORDER = ("notice", "announcement", "feedback_letter", "bulletin")
REPORT, RECTIFICATION = "提交巡查工作报告", "报送整改情况"
INTERVIEW, PUBLISH = "组织约谈", "公布巡查结果"
# (header, width in characters, is a date)
COLUMNS = [("文号", 24, False), ("巡查对象", 16, False), ("类型", 10, False), ("状态", 10, False),
           ("当前阶段", 9, False), ("进驻日期", 12, True), ("实地结束", 12, True),
           ("报告期限", 12, True), ("报告提交日期", 13, True), ("反馈收到日期", 13, True),
           ("整改期限", 12, True), ("整改报告日期", 13, True), ("是否约谈", 9, False),
           ("是否公开", 9, False)]
COVERAGE_COLUMNS = [("县区", 12, False), ("状态", 10, False), ("依据日期", 12, False),
                    ("依据", 40, False)]


def rows(uow, actor):
    """The ledger's rows, oldest inspection first."""
    access.require_role(actor, *SEES_LEDGER)
    found = uow.conn.execute(select(I.c.id, I.c.state, I.c.title).where(
        I.c.process_id == dashboard.MAIN_PROCESS).order_by(I.c.created_at, I.c.id)).all()
    ids = [row.id for row in found]
    stages, tasks = dashboard.current_stages(uow, ids), _tasks(uow, ids)
    history, numbers = _history(uow, ids), _numbers(uow, ids)
    return [_row(row, instances.get_instance(uow, actor, row.id)["data"], stages.get(row.id),
                 tasks.get(row.id, {}), history.get(row.id), numbers.get(row.id))
            for row in found]


def _row(row, data, stage, tasks, history, numbers):
    report, rectification = tasks.get(REPORT, {}), tasks.get(RECTIFICATION, {})
    return [
        numbers or "",
        data.get("target_name") or row.title,
        TYPES.get(data.get("inspection_type"), ""),
        data.get("inspection_status") if row.state == "running" and data.get(
            "inspection_status") else STATES.get(row.state, row.state),
        stage or (dashboard.DONE_STAGE if row.state == "completed" else ""),
        (history and history.onsite_start) or _day(data.get("entry_date")),
        (history and history.fieldwork_end) or _day(data.get("fieldwork_end")),
        report.get("due"), report.get("done"),
        _day(data.get("feedback_received_date")),
        rectification.get("due"), rectification.get("done"),
        "是" if INTERVIEW in tasks else "否",
        "是" if tasks.get(PUBLISH, {}).get("done") else "否",
    ]


def _tasks(uow, ids):
    """Per instance and task name: the first deadline, when it was last done."""
    found = {}
    query = (select(T.c.instance_id, T.c.name, T.c.due_at, T.c.completed_at)
             .where(T.c.instance_id.in_(ids), T.c.state != "cancelled",
                    T.c.name.in_((REPORT, RECTIFICATION, INTERVIEW, PUBLISH)))
             .order_by(T.c.created_at))
    for instance_id, name, due_at, completed_at in uow.conn.execute(query):
        entry = found.setdefault(instance_id, {}).setdefault(name, {})
        if due_at is not None and "due" not in entry:
            entry["due"] = last_day(due_at)
        if completed_at is not None:
            entry["done"] = completed_at.astimezone(BEIJING).date()
    return found


def _history(uow, ids):
    return {row.instance_id: row for row in uow.conn.execute(
        select(H.c.instance_id, H.c.onsite_start, H.c.fieldwork_end).where(
            H.c.instance_id.in_(ids)))}


def _numbers(uow, ids):
    found = {}
    for instance_id, kind, number in uow.conn.execute(
            select(D.c.instance_id, D.c.kind, D.c.number).where(D.c.instance_id.in_(ids))):
        found.setdefault(instance_id, []).append((_rank(kind), number))
    return {key: "；".join(number for _rank, number in sorted(value))
            for key, value in found.items()}


def _rank(kind):
    return DOCUMENT_ORDER.index(kind) if kind in DOCUMENT_ORDER else len(DOCUMENT_ORDER)


def _day(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def coverage_rows(uow):
    cycle = coverage.current_cycle(uow)
    return cycle.label, [[c["name"], "已覆盖" if c["covered"] else "尚未巡查",
                          (c["by"] or {}).get("date", ""), (c["by"] or {}).get("basis", "")]
                         for c in coverage.county_coverage(uow, cycle)]


def workbook(uow, actor):
    """The ledger as .xlsx bytes in a file-like object."""
    ledger_rows = rows(uow, actor)
    cycle, counties = coverage_rows(uow)
    book = Workbook()
    _sheet(book.active, "巡查台账", COLUMNS, ledger_rows)
    _sheet(book.create_sheet(), f"两年全覆盖{cycle}", COVERAGE_COLUMNS, counties)
    book.properties.title = "菏泽市安全生产巡查台账"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _sheet(sheet, title, columns, values):
    sheet.title = title[:31]                             # Excel's limit on sheet names
    sheet.append([header for header, _width, _is_date in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8F1FB")
        cell.alignment = Alignment(vertical="center")
    for row in values:
        sheet.append(row)
    for index, (_header, width, is_date) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if is_date:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
