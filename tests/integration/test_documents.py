"""Official documents generated from an inspection driven through the services: the notice, the
announcement, the feedback letter and the bulletin as PDF and Word, their numbers (文号), who may
download them, and 409 while their data does not exist yet.

Samples of each document (PDF, Word, page 1 as PNG when pdftoppm is installed) are saved to
test-artifacts/documents/.
"""
import io
import shutil
import subprocess
import threading
from datetime import date

import docx
import pypdf
import pytest
from sqlalchemy import select

from server.documents.numbering import chinese_date
from server.services import documents
from server.services.context import unit_of_work
from server.store import schema
from tests.conftest import ROOT
from tests.integration.test_inspection_lifecycle import Inspection, office_desk  # noqa: F401
from tests.integration.web_client import Api, Web

ARTIFACTS = ROOT / "test-artifacts" / "documents"


def pdf_text(data):
    """The PDF's text with line breaks and spaces removed (lines wrap anywhere in Chinese)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def docx_text(data):
    return "".join("".join(p.text.split()) for p in docx.Document(io.BytesIO(data)).paragraphs)


def fetch(client, instance_id, kind, fmt="pdf", status=200):
    answer = client.get(f"/instances/{instance_id}/documents/{kind}.{fmt}")
    assert answer.status_code == status, (kind, fmt, answer.status_code, answer.get_data()[:300])
    return answer


def both(client, instance_id, kind, name):
    """The document as PDF and Word text (both must say the same things); samples saved."""
    pdf = fetch(client, instance_id, kind, "pdf")
    word = fetch(client, instance_id, kind, "docx")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "filename*=UTF-8''" in pdf.headers["Content-Disposition"]
    save(name, pdf.data, word.data)
    return pdf_text(pdf.data), docx_text(word.data)


def save(name, pdf, word):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    (ARTIFACTS / f"{name}.docx").write_bytes(word)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile",
                        str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)], check=True)


@pytest.fixture
def api(app, office_desk):  # noqa: F811
    for username, role, org in (("caoxian", "target", "caoxian"), ("outsider", "team_member", None)):
        office_desk.add_user(username, role, org=org)
    return Api(app)


def test_each_document_is_generated_once_its_data_exists(office_desk, api):  # noqa: F811
    case = Inspection(office_desk)
    office = api.as_("office")
    assert "巡查组名单批准后" in fetch(office, case.id, "notice", status=409).get_data(as_text=True)
    case.do("office", "制定巡查工作方案")
    case.do("office", "拟定巡查组名单")
    case.do("leader", "审批巡查组名单")
    pdf, word = both(office, case.id, "notice", "notice-draft")
    for text in (pdf, word):
        assert "菏泽市安全生产委员会办公室" in text and "菏安委办函〔2025〕1号" in text
        assert "关于对单县开展安全生产巡查的告知书" in text and "单县人民政府：" in text
        assert "2025年9月8日至2025年9月26日对你县开展安全生产全面巡查" in text
        assert "组长：张明（市应急管理局）" in text and chinese_date_of("2025-06-02") in text
    fetch(api.as_("shanxian"), case.id, "notice", status=404)      # not sent to 单县 yet
    case.do("office", "发送巡查告知书", notice_contact="周丽 0530-5310001")
    pdf, word = both(api.as_("shanxian"), case.id, "notice", "notice")
    for text in (pdf, word):
        assert "菏安委办函〔2025〕1号" in text           # the same number as before sending
        assert "二〇二五年九月一日" in text and "周丽0530-5310001" in text
        assert "抄送：市安委会有关成员单位。" in text
    case.do("shanxian", "签收巡查告知书")
    case.do("office", "组织集中培训")
    announcement(case, api)
    feedback(case, api)
    bulletin(case, api)


def chinese_date_of(iso):
    return chinese_date(date.fromisoformat(iso))


def announcement(case, api):
    leader = api.as_("team_leader")
    assert "发布巡查公告后" in fetch(leader, case.id, "announcement", status=409).get_data(as_text=True)
    case.enter()
    pdf, word = both(leader, case.id, "announcement", "announcement")
    for text in (pdf, word):
        assert "菏安巡告〔2025〕1号" in text and "关于市安全生产巡查组进驻单县的公告" in text
        assert "举报电话：0530-5310000" in text and "举报邮箱：xuncha@heze.gov.cn" in text
        assert "菏泽市安全生产巡查组" in text and "二〇二五年九月八日" in text
    page = api.anonymous().get(f"/public/inspections/{case.id}").get_data(as_text=True)
    link = f"/public/inspections/{case.id}/announcement.pdf"
    assert link in page                                 # offered on the public page
    public = api.anonymous().get(link)
    assert public.status_code == 200 and "0530-5310000" in pdf_text(public.data)


def feedback(case, api):
    case.implement()
    case.report()
    leader = api.as_("team_leader")
    assert fetch(leader, case.id, "feedback_letter", status=409).status_code == 409
    case.do("team_leader", "印发反馈意见书", feedback_opinions="隐患排查治理不到位",
            rectification_requirements="建立隐患排查台账")
    pdf, _word = both(leader, case.id, "feedback_letter", "feedback-letter-issued")
    assert "自收到本意见书之日起计算" in pdf            # not received yet: no date to give
    case.do("shanxian", "签收反馈意见书", feedback_received_date="2025-10-31")
    pdf, word = both(api.as_("shanxian"), case.id, "feedback_letter", "feedback-letter")
    for text in (pdf, word):
        assert "菏安巡反〔2025〕1号" in text and "关于对单县安全生产巡查的反馈意见书" in text
        assert "隐患排查治理不到位" in text and "建立隐患排查台账" in text
        assert "2个月内（2025年12月31日前）将整改和查处情况报送市安委会办公室" in text
        assert "二〇二五年十二月三十日" in text       # the issue date of the letter (sample)
    fetch(api.as_("shanxian"), case.id, "announcement", status=404)   # not addressed to 单县
    fetch(api.as_("caoxian"), case.id, "feedback_letter", status=404)


def bulletin(case, api):
    case.do("shanxian", "报送整改情况", rectification_summary="已完成全部整改")
    case.do("office", "审核整改情况", verdict="accepted")
    case.do("office", "起草巡查结果", results_summary="单县安全生产责任落实总体较好",
            results_good_practices="推行企业安全生产网格化管理")
    office = api.as_("office")
    assert "审定后" in fetch(office, case.id, "bulletin", status=409).get_data(as_text=True)
    case.do("leader", "审定巡查结果")
    pdf, word = both(api.as_("leader"), case.id, "bulletin", "bulletin")
    for text in (pdf, word):
        assert "菏安委办〔2025〕1号" in text and "关于单县安全生产巡查结果的通报" in text
        assert "单县安全生产责任落实总体较好" in text and "推行企业安全生产网格化管理" in text
        assert "已完成全部整改" in text and "抄送：市委组织部，市纪委监委。" in text
    anonymous = api.anonymous()
    assert anonymous.get(f"/public/results/{case.id}/bulletin.pdf").status_code == 404
    case.do("office", "公布巡查结果")
    page = anonymous.get(f"/public/results/{case.id}").get_data(as_text=True)
    assert f"/public/results/{case.id}/bulletin.docx" in page
    public = anonymous.get(f"/public/results/{case.id}/bulletin.docx")
    assert public.status_code == 200 and "二〇二六年三月二十日" in docx_text(public.data)


def test_numbers_run_per_kind_and_year_and_stay_with_their_document(office_desk, api):  # noqa: F811
    first, second = Inspection(office_desk), Inspection(office_desk)
    for case in (first, second):
        case.do("office", "制定巡查工作方案")
        case.do("office", "拟定巡查组名单")
        case.do("leader", "审批巡查组名单")
    office = api.as_("office")
    assert "菏安委办函〔2025〕1号" in pdf_text(fetch(office, second.id, "notice").data)
    assert "菏安委办函〔2025〕2号" in docx_text(fetch(office, first.id, "notice", "docx").data)
    assert "菏安委办函〔2025〕1号" in pdf_text(fetch(office, second.id, "notice").data)
    with office_desk.services.engine.connect() as conn:
        audit = schema.audit_events
        issued = conn.execute(select(audit.c.instance_id, audit.c.detail).where(
            audit.c.action == "document.issued").order_by(audit.c.id)).all()
    assert [(r.instance_id, r.detail["number"]) for r in issued] == [
        (second.id, "菏安委办函〔2025〕1号"), (first.id, "菏安委办函〔2025〕2号")]


def test_concurrent_issuers_get_distinct_serials(office_desk):  # noqa: F811
    ids = [office_desk.start("office", "单县") for _ in range(4)]
    actor = office_desk.actor("office")
    barrier, numbers, errors = threading.Barrier(len(ids)), [], []

    def issue(instance_id):
        try:
            barrier.wait(timeout=10)
            with unit_of_work(office_desk.services) as uow:
                numbers.append(documents.issue_number(uow, actor, instance_id, "bulletin",
                                                      documents.DocumentSettings().prefixes)[0])
        except Exception as exc:          # reported below, with the numbers issued
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(numbers) == [f"菏安委办〔2025〕{n}号" for n in range(1, 5)]


def test_who_may_download_which_document(office_desk, api):  # noqa: F811
    case = Inspection(office_desk)
    case.prepare()
    case.enter()
    for username, kind, status in [
            ("office", "announcement", 200), ("leader", "notice", 200), ("director", "notice", 200),
            ("team_member1", "notice", 200), ("expert1", "announcement", 200),
            ("shanxian", "notice", 200), ("shanxian", "announcement", 404),
            ("caoxian", "notice", 404), ("outsider", "notice", 404),
            ("discipline", "announcement", 404), ("orgdept", "notice", 404),
            ("office", "report", 404), ("office", "feedback_letter", 409)]:
        fetch(api.as_(username), case.id, kind, status=status)
    fetch(api.as_("office"), "no-such-inspection", "notice", status=404)
    assert api.anonymous().get(f"/instances/{case.id}/documents/notice.pdf").status_code == 302
    assert api.anonymous().get(f"/public/results/{case.id}/bulletin.pdf").status_code == 404


def test_the_api_answers_documents_and_describes_them(office_desk, api):  # noqa: F811
    case = Inspection(office_desk)
    case.prepare()
    url = f"/api/instances/{case.id}/documents/notice"
    answer = api.as_("office").get(url + "?format=docx")
    assert answer.status_code == 200 and "菏安委办函〔2025〕1号" in docx_text(answer.data)
    assert api.as_("office").get(url).mimetype == "application/pdf"
    bad = api.as_("office").get(url + "?format=odt")
    assert bad.status_code == 422 and bad.get_json()["fields"] == {"format": "须为 pdf 或 docx"}
    assert api.as_("caoxian").get(url).get_json()["error"] == "not_found"
    late = api.as_("office").get(f"/api/instances/{case.id}/documents/bulletin")
    assert late.status_code == 409 and "审定后" in late.get_json()["message"]
    assert api.anonymous().get(url).status_code == 401
    paths = api.anonymous().get("/api/openapi.json").get_json()["paths"]
    assert "/api/instances/{instance_id}/documents/{kind}" in paths


def test_the_instance_page_links_the_documents_a_user_may_read(app, office_desk, api):  # noqa: F811
    case = Inspection(office_desk)
    case.prepare()
    page = Web(app, "office").get(f"/instances/{case.id}")
    assert f"/instances/{case.id}/documents/notice.pdf" in page
    assert f"/instances/{case.id}/documents/notice.docx" in page
    assert "巡查公告" in page and "尚未具备生成条件" in page
    liaison = Web(app, "shanxian").get(f"/instances/{case.id}")
    assert "/documents/notice.pdf" in liaison and "documents/bulletin" not in liaison
