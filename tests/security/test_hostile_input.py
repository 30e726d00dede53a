"""Hostile input over HTTP: every answer is a 4xx in the API's error shape, never a 500, and
nothing is half-written (issue 7 item 3). Diagram and sandbox attacks at load time are covered
by tests/unit/test_bundle.py and test_sandbox.py; no HTTP endpoint takes diagrams yet."""
import pytest
from sqlalchemy import func, select

from server.store import schema
from tests.integration.web_client import Api, Web

pytestmark = pytest.mark.db
DEEP = 100_000


@pytest.fixture(scope="module")
def api(world):
    return Api(world.app)


def snapshot(world):
    """What a refused request must leave as it was."""
    with world.services.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table)).scalar()
                     for table in (schema.instances, schema.human_tasks, schema.audit_events,
                                   schema.attachments, schema.task_drafts)) + (
            conn.execute(select(func.sum(schema.instances.c.revision))).scalar(),)


def assert_refused(answer, status, field=None):
    body = answer.get_json()
    assert answer.status_code == status, (answer.status_code, body)
    assert set(body) == {"error", "message", "fields"}, body
    assert isinstance(body["message"], str) and body["message"]
    if field:
        assert field in body["fields"], body


def post_raw(client, url, data, content_type="application/json", method="post"):
    return getattr(client, method)(url, data=data, content_type=content_type)


def test_a_body_over_the_configured_limit_is_413_before_it_is_read(world, api):
    before = snapshot(world)
    huge = '{"data": {"target": "单县", "note": "' + "x" * (world.app.config[
        "REQUEST_MAX_BYTES"] + 1) + '"}}'
    answer = post_raw(api.as_("office"), "/api/instances", huge)
    assert_refused(answer, 413, "body")
    assert "1 MB" in answer.get_json()["fields"]["body"]
    assert snapshot(world) == before


def test_a_huge_string_under_the_limit_is_kept_whole_or_refused_whole(world, api):
    leader = api.as_("team_leader")
    text = "核查" * 100_000          # 1.2 MB as \u escapes would be over the limit: send UTF-8
    url = f"/api/tasks/{world.tasks['triage']}/draft"
    body = '{"data": {"triage_result": "' + text + '"}}'
    saved = post_raw(leader, url, body.encode(), method="put")
    assert saved.status_code == 200, saved.get_json()
    assert leader.get(url).get_json()["data"]["triage_result"] == text
    before = snapshot(world)
    answer = leader.post(f"/api/tasks/{world.tasks['leader']}/complete",
                         json={"data": {"fieldwork_end": "x" * 200_000}})
    assert_refused(answer, 422, "fieldwork_end")
    assert snapshot(world) == before


@pytest.mark.parametrize("body", [
    "[" * DEEP + "]" * DEEP,                                   # deeper than json can parse
    '{"data": ' * DEEP + "{}" + "}" * DEEP,
    '{"data": {"target": "单县", "x": ' + "[" * 200 + "]" * 200 + "}}",   # parses, too deep
])
def test_deeply_nested_json_is_refused(world, api, body):
    before = snapshot(world)
    assert_refused(post_raw(api.as_("office"), "/api/instances", body), 422, "body")
    assert_refused(post_raw(api.as_("team_leader"), f"/api/tasks/{world.tasks['leader']}/draft",
                            body, method="put"), 422, "body")
    assert snapshot(world) == before


@pytest.mark.parametrize("data, content_type", [
    (b'{"data": {"target": "\xff\xfe\xfa"}}', "application/json"),          # invalid UTF-8
    (b'{"data": {"target": "\xe5\x8d"}}', "application/json; charset=utf-8"),  # cut in a char
    (b'{"data": {"target": "\\ud800"}}', "application/json"),               # lone surrogate
    ('{"data": {"target": "单县"}}', "text/plain"),
    ('{"data": {"target": "单县"}}', "application/x-www-form-urlencoded"),
    ("<data><target>单县</target></data>", "application/xml"),
    ('{"data": {"target": "单县"}', "application/json"),                       # truncated
    ("[1, 2]", "application/json"),
    ('"单县"', "application/json"),
    ("NaN", "application/json"),
])
def test_bodies_that_are_not_a_json_object_are_refused(world, api, data, content_type):
    before = snapshot(world)
    answer = post_raw(api.as_("office"), "/api/instances", data, content_type)
    assert answer.status_code in (413, 422) and answer.status_code != 500
    assert_refused(answer, 422)
    assert snapshot(world) == before


def test_a_nul_character_in_any_text_is_refused_before_it_reaches_the_database(world, api):
    """PostgreSQL refuses NUL in text columns: it must be a 422, never a 500 or half a write."""
    users_before = _count(world, schema.users)
    answer = api.as_("admin").post("/api/admin/users", json={
        "username": "nul\u0000user", "display_name": "空\u0000字符", "roles": ["office"],
        "password": "secret-password"})
    assert_refused(answer, 422, "body")
    assert _count(world, schema.users) == users_before
    before = snapshot(world)
    draft = api.as_("team_leader").put(f"/api/tasks/{world.tasks['leader']}/draft",
                                       json={"data": {"summary": "a\u0000b"}})
    assert_refused(draft, 422, "body")
    assert snapshot(world) == before


def _count(world, table):
    with world.services.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("query, fields", [
    ("limit=-5", {"limit"}), ("offset=-1", {"offset"}), ("limit=0", {"limit"}),
    ("limit=501", {"limit"}), ("limit=99999999999999999999999", {"limit"}),
    ("offset=99999999999999999999999", {"offset"}), ("limit=1e3", {"limit", "offset"}),
    ("limit=" + "9" * 5000, {"limit", "offset"}),
])
@pytest.mark.parametrize("path", ["/api/tasks", "/api/instances"])
def test_paging_out_of_range_is_422(api, path, query, fields):
    answer = api.as_("office").get(f"{path}?{query}")
    assert_refused(answer, 422)
    assert fields <= set(answer.get_json()["fields"])


@pytest.mark.parametrize("query, field", [
    ("start=2025-01-01&working_days=99999999999", "working_days"),
    ("start=2025-01-01&working_days=-99999999999", "working_days"),
    ("start=2025-01-01&months=99999999999", "months"),
    ("start=9999-12-31&months=1", "months"),
    ("start=0001-01-01&working_days=-1", "working_days"),
    ("start=2025-01-01&working_days=1.5", "working_days"),
    ("start=../../etc/passwd&working_days=1", "start"),
])
def test_deadline_arithmetic_out_of_range_is_422(api, query, field):
    answer = api.as_("office").get(f"/api/calendar/deadline?{query}")
    assert_refused(answer, 422, field)


@pytest.mark.parametrize("filename", [
    "../../../../etc/passwd.txt", "..\\..\\windows\\win.ini.txt", "/etc/passwd.txt",
    "a/../../b.txt", "\x00evil.txt", "CON.txt", "..", ".txt", "名" * 400 + ".txt",
])
def test_attachment_names_cannot_leave_the_store(world, api, filename):
    """A name is a label kept in the database, never a path: the download names a plain file."""
    leader = api.as_("team_leader")
    answer = leader.post(f"/api/tasks/{world.tasks['leader']}/attachments",
                         data={"file": (_bytes(b"evidence"), filename)},
                         content_type="multipart/form-data")
    assert answer.status_code in (201, 422), answer.get_json()
    if answer.status_code == 422:
        assert_refused(answer, 422, "file")
        return
    stored = answer.get_json()
    assert "/" not in stored["filename"] and "\\" not in stored["filename"]
    download = leader.get(f"/api/attachments/{stored['id']}")
    assert download.status_code == 200 and download.data == b"evidence"
    disposition = download.headers["Content-Disposition"]
    assert "/" not in disposition and "\\" not in disposition


@pytest.mark.parametrize("name, content", [
    ("bomb.xml.txt", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                     b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><a>&lol2;</a>'),
    ("diagram.bpmn", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     b'<definitions>&x;</definitions>'),
    ("fake.pdf", b"<html><script>alert(1)</script></html>"),
    ("empty.txt", b""),
    ("binary.txt", bytes(range(256))),
])
def test_uploads_are_stored_as_inert_files_or_refused(world, api, name, content):
    """No upload is parsed as XML (entities never expand); wrong types and contents are 422."""
    leader = api.as_("team_leader")
    before = snapshot(world)
    answer = leader.post(f"/api/tasks/{world.tasks['leader']}/attachments",
                         data={"file": (_bytes(content), name)}, content_type="multipart/form-data")
    if answer.status_code == 201:
        download = leader.get(f"/api/attachments/{answer.get_json()['id']}")
        assert download.data == content          # stored as given, nothing expanded
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in download.headers["Content-Disposition"]
    else:
        assert_refused(answer, 422, "file")
        assert snapshot(world) == before


def test_an_upload_over_the_limit_is_refused_and_nothing_is_stored(world, api):
    world.app.config["UPLOAD_MAX_BYTES"] = 64 * 1024
    try:
        before = snapshot(world)
        answer = api.as_("team_leader").post(
            f"/api/tasks/{world.tasks['leader']}/attachments",
            data={"file": (_bytes(b"x" * (2 * 1024 * 1024)), "big.txt")},
            content_type="multipart/form-data")
        assert answer.status_code in (413, 422)
        assert_refused(answer, answer.status_code)
        assert snapshot(world) == before
    finally:
        world.app.config["UPLOAD_MAX_BYTES"] = 20 * 1024 * 1024


def test_an_upload_within_the_file_limit_is_not_cut_by_the_json_limit(world, api):
    """File endpoints take more than a JSON body may: a 2 MB evidence file is fine."""
    answer = api.as_("team_leader").post(
        f"/api/tasks/{world.tasks['leader']}/attachments",
        data={"file": (_bytes(b"x" * (2 * 1024 * 1024)), "record.txt")},
        content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()


@pytest.mark.parametrize("method, url", [
    ("post", "/api/instances"), ("put", "/api/tasks/{leader}/draft"),
    ("post", "/api/tasks/{leader}/complete"), ("post", "/api/session"),
])
def test_an_unknown_or_missing_content_type_is_422_in_the_error_shape(world, api, method, url):
    client = api.as_("team_leader")
    answer = getattr(client, method)(url.format(**world.tasks), data="x=1",
                                     headers={"Content-Type": "application/octet-stream"})
    assert_refused(answer, 422, "body")


def test_the_api_answers_unknown_routes_and_methods_in_the_error_shape(api):
    assert_refused(api.as_("office").get("/api/no/such/thing"), 404)
    assert_refused(api.as_("office").delete("/api/tasks"), 405)
    assert_refused(api.anonymous().get("/api/tasks"), 401)


def _bytes(content):
    from io import BytesIO
    return BytesIO(content)


def test_a_text_attachment_is_served_with_one_charset(world, api):
    """werkzeug used to append a second charset to the stored type (found by schemathesis)."""
    answer = api.as_("team_leader").get(f"/api/attachments/{world.attachment}")
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_nul_character_in_a_page_form_is_refused(world):
    """The same for page forms (e.g. the administrator's new-user form): 422, nothing written."""
    web = Web(world.app, "admin")
    users_before = _count(world, schema.users)
    answer = web.post("/admin/users/new", {"username": "nul\x00user", "display_name": "空",
                                           "roles": "office"}, status=422)
    assert "表单含有无效字符" in answer.get_data(as_text=True)
    assert _count(world, schema.users) == users_before
