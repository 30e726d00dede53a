"""The inspection ledger (台账) as Excel: one row per inspection with its dates, driven through
the real services; the county coverage on a second sheet; only the office and those above see it."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from tests.browser.drive import Inspection, staff_desk
from tests.integration.web_client import Api, Web

HEADERS = ["文号", "巡查对象", "类型", "状态", "当前阶段", "进驻日期", "实地结束", "报告期限",
           "报告提交日期", "反馈收到日期", "整改期限", "整改报告日期", "是否约谈", "是否公开"]


@pytest.fixture
def staff(app):
    return staff_desk(app)


def open_book(answer):
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(answer.get_data()))


def as_day(value):
    return value.date() if isinstance(value, datetime) else value


def test_one_row_per_inspection_with_its_dates(app, staff):
    done = Inspection(staff).prepare().enter().implement()
    staff.set_clock("2025-10-20T10:00:00+08:00")
    done.report()
    staff.set_clock("2025-11-03T10:00:00+08:00")
    done.feedback()
    Inspection(staff, "曹县")
    book = open_book(Web(app, "office").client.get("/dashboard/ledger.xlsx"))
    sheet = book["巡查台账"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 20
    first, second = ([as_day(c.value) for c in row] for row in sheet.iter_rows(min_row=2))
    assert sheet.max_row == 3
    assert first == [None, "单县", "全面巡查", "公开中", "公开",
                     date(2025, 9, 8), date(2025, 9, 26), date(2025, 10, 23),
                     date(2025, 10, 20), date(2025, 10, 31), date(2025, 12, 31), date(2025, 11, 3),
                     "否", "否"]
    assert sheet["F2"].number_format == "yyyy-mm-dd" and sheet["F2"].is_date
    assert second == [None, "曹县", None, "准备中", "准备", None, None, None, None, None, None,
                      None, "否", "否"]


def test_issued_document_numbers_come_first(app, staff):
    from server.services.context import unit_of_work
    from server.store import schema
    inspection = Inspection(staff)
    services = app.extensions["xuncha"]
    with unit_of_work(services) as uow:
        uow.conn.execute(schema.issued_documents.insert(), [
            {"instance_id": inspection.id, "kind": "feedback_letter", "year": 2025, "serial": 7,
             "number": "菏安巡反〔2025〕7号", "issued_at": uow.now, "issued_by": "office"},
            {"instance_id": inspection.id, "kind": "notice", "year": 2025, "serial": 4,
             "number": "菏安巡〔2025〕4号", "issued_at": uow.now, "issued_by": "office"}])
    book = open_book(Api(app).as_("office").get("/api/ledger.xlsx"))
    assert book["巡查台账"]["A2"].value == "菏安巡〔2025〕4号；菏安巡反〔2025〕7号"


def test_the_second_sheet_shows_the_county_coverage(app, staff):
    book = open_book(Api(app).as_("leader").get("/api/ledger.xlsx"))
    assert book.sheetnames == ["巡查台账", "两年全覆盖2024—2025年"]
    sheet = book["两年全覆盖2024—2025年"]
    assert [c.value for c in sheet[1]] == ["县区", "状态", "依据日期", "依据"]
    counties = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(counties) == 9 and counties["单县"] == "尚未巡查"


@pytest.mark.parametrize("username", ["office", "leader", "director", "admin"])
def test_the_office_and_those_above_may_download(app, staff, username):
    open_book(Api(app).as_(username).get("/api/ledger.xlsx"))


def test_a_liaison_and_strangers_may_not(app, staff):
    assert Api(app).as_("shanxian").get("/api/ledger.xlsx").status_code == 403
    Web(app, "shanxian").get("/dashboard/ledger.xlsx", status=403)
    assert app.test_client().get("/api/ledger.xlsx").status_code == 401
