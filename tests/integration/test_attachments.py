"""Attachments and drafts over the API (design §8): upload with type and size limits and a
sha256, list, download with the stored content type, 404 out of scope; file fields accept only
the inspection's own attachments; drafts are kept without validation."""
import hashlib
import io
import uuid

import pytest

from tests.integration.test_pages_task import PDF, Case, staff  # noqa: F401 (fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
DOCX = b"PK\x03\x04" + b"word/document.xml" + b"\0" * 32


def client(app, username):
    found = app.test_client()
    assert found.post("/api/session", json={"username": username, "password": "secret"}
                      ).status_code == 200
    return found


def upload(api, task_id, content, filename):
    return api.post(f"/api/tasks/{task_id}/attachments", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(content), filename)})


@pytest.fixture
def mini_task(mini_desk):
    """The office's open task on an inspection of 单县 (mini process)."""
    instance_id = mini_desk.start("office", "单县", process="mini")
    return mini_desk.task("office", "确认巡查结束", instance_id)


def test_upload_list_and_download(mini_app, mini_task):
    office = client(mini_app, "office")
    answer = upload(office, mini_task["id"], PDF, "巡查 报告.pdf")
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["filename"] == "巡查 报告.pdf" and body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    uuid.UUID(body["id"])
    listing = office.get(f"/api/instances/{mini_task['instance_id']}/attachments").get_json()
    assert [a["id"] for a in listing["attachments"]] == [body["id"]]
    assert listing["attachments"][0]["uploaded_by"] == "office"
    download = office.get(f"/api/attachments/{body['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert download.headers["ETag"].strip('"') == body["sha256"]
    # The type served is the one its extension allows, whatever the client declared.
    png = office.post(f"/api/tasks/{mini_task['id']}/attachments",
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(PNG), "photo.PNG", "text/html")}).get_json()
    assert office.get(f"/api/attachments/{png['id']}").mimetype == "image/png"
    docx = upload(office, mini_task["id"], DOCX, "方案.docx").get_json()
    assert office.get(f"/api/attachments/{docx['id']}").mimetype.endswith("wordprocessingml.document")
    text = upload(office, mini_task["id"], "说明".encode(), "说明.txt").get_json()
    assert office.get(f"/api/attachments/{text['id']}").mimetype == "text/plain"


@pytest.mark.parametrize("content, filename, message", [
    (b"MZ\x90\x00", "tool.exe", "仅允许上传 pdf、doc、docx、xls、xlsx、jpg、png、txt、zip 文件"),
    (b"<html><script>alert(1)</script>", "page.html", "仅允许上传"),
    (b"<html>not a pdf</html>", "report.pdf", "文件内容不是有效的 pdf 文件"),
    (b"GIF89a", "photo.jpg", "文件内容不是有效的 jpg 文件"),
    (b"\xff\xfe\0\0binary", "notes.txt", "txt 文件须为 UTF-8 文本"),
    (b"", "empty.pdf", "文件内容为空"),
    (PDF, "noextension", "仅允许上传"),
])
def test_types_are_refused_with_a_field_message(mini_app, mini_task, content, filename, message):
    answer = upload(client(mini_app, "office"), mini_task["id"], content, filename)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "invalid" and message in body["fields"]["file"]


def test_the_size_limit_comes_from_the_configuration(mini_app, mini_task):
    assert mini_app.config["UPLOAD_MAX_BYTES"] == 20 * 1024 * 1024
    mini_app.config["UPLOAD_MAX_BYTES"] = 1024
    office = client(mini_app, "office")
    assert upload(office, mini_task["id"], PDF + b"\0" * (1024 - len(PDF)), "ok.pdf"
                  ).status_code == 201
    answer = upload(office, mini_task["id"], PDF + b"\0" * 1024, "big.pdf")
    assert answer.status_code == 422 and answer.get_json()["fields"] == {"file": "文件不能超过 1 KB"}
    huge = upload(office, mini_task["id"], PDF + b"\0" * (3 * 1024 * 1024), "huge.pdf")
    assert huge.status_code == 422 and "1 KB" in huge.get_json()["fields"]["file"]
    missing = office.post(f"/api/tasks/{mini_task['id']}/attachments", data={})
    assert missing.status_code == 422 and "file" in missing.get_json()["fields"]


def test_out_of_scope_readers_get_404(mini_app, mini_desk, mini_task):
    stored = upload(client(mini_app, "office"), mini_task["id"], PDF, "r.pdf").get_json()
    url = f"/api/attachments/{stored['id']}"
    assert client(mini_app, "caoxian").get(url).status_code == 404      # another county
    assert client(mini_app, "shanxian").get(url).status_code == 200     # the inspected county
    assert client(mini_app, "leader").get(url).status_code == 404       # not on the roster
    assert mini_app.test_client().get(url).status_code == 401
    assert client(mini_app, "office").get(f"/api/attachments/{uuid.uuid4()}").status_code == 404
    assert client(mini_app, "caoxian").get(
        f"/api/instances/{mini_task['instance_id']}/attachments").status_code == 404


def test_only_who_may_work_on_an_open_task_uploads(mini_app, mini_desk, mini_task):
    assert upload(client(mini_app, "caoxian"), mini_task["id"], PDF, "r.pdf").status_code == 404
    assert upload(client(mini_app, "shanxian"), mini_task["id"], PDF, "r.pdf").status_code == 403
    assert upload(client(mini_app, "office"), "nope", PDF, "r.pdf").status_code == 404
    mini_desk.complete("office", "确认巡查结束", {"fieldwork_end": "2025-09-26"})
    assert upload(client(mini_app, "office"), mini_task["id"], PDF, "r.pdf").status_code == 409


def test_drafts_over_the_api(mini_app, mini_desk, mini_task):
    office = client(mini_app, "office")
    url = f"/api/tasks/{mini_task['id']}/draft"
    assert office.get(url).get_json()["data"] is None
    saved = office.put(url, json={"data": {"fieldwork_end": "not a date", "nope": 1}})
    assert saved.status_code == 200
    assert saved.get_json()["data"] == {"fieldwork_end": "not a date"}   # kept unvalidated
    assert saved.get_json()["saved_at"].endswith("+08:00")
    assert office.get(url).get_json()["data"] == {"fieldwork_end": "not a date"}
    assert office.put(url, data="x", content_type="text/plain").status_code == 422
    assert office.put(url, json={"data": []}).status_code == 422
    assert client(mini_app, "caoxian").put(url, json={"data": {}}).status_code == 404
    assert client(mini_app, "caoxian").get(url).status_code == 404
    mini_desk.add_user("office2", "office")
    office.post(f"/api/tasks/{mini_task['id']}/claim")
    assert client(mini_app, "office2").put(url, json={"data": {}}).status_code == 409


def test_file_fields_take_only_the_inspections_own_attachments(app, staff):
    here = Case(staff).to_report()
    there = Case(staff).to_report()
    leader = client(app, "team_leader")
    task_here = here.task("team_leader", "提交巡查工作报告")
    task_there = there.task("team_leader", "提交巡查工作报告")
    own = upload(leader, task_here["id"], PDF, "report.pdf").get_json()["id"]
    foreign = upload(leader, task_there["id"], PDF, "other.pdf").get_json()["id"]
    report = {"report_situation": "情况", "report_problems": "问题", "report_causes": "原因",
              "report_recommendations": "建议", "report_cooperation": "配合"}
    url = f"/api/tasks/{task_here['id']}/complete"
    for ids in ([foreign], [own, str(uuid.uuid4())]):
        answer = leader.post(url, json={"data": dict(report, report_file=ids)})
        assert answer.status_code == 422
        assert answer.get_json()["fields"] == {"report_file": "附件不存在或不属于本次巡查"}
    assert leader.post(url, json={"data": dict(report, report_file=[own])}).status_code == 200
    assert staff.instance(here.id)["data"]["report_file"] == [own]
