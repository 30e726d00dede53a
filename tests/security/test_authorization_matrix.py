"""The authorization matrix: every route of the app (API and pages) × every role, against the
world of conftest.py (单县 inspections in progress, one of 曹县). Allowed → 2xx/3xx/409/422,
refused → 401/403/404 (or, for pages, a redirect to the sign-in page or an error flash), never
500. A route missing from ROUTES fails the test, so no endpoint slips in unclassified.
Expected scoping follows design §9: out-of-scope reads are 404, a visible task of another role
is 403."""
import re

import pytest

from tests.integration.web_client import CSRF
from .conftest import PASSWORD, PLAYERS

pytestmark = pytest.mark.db
ROLES = set(PLAYERS)
ANYONE = ROLES
STAFF = ROLES - {"anonymous"}
SEE_ALL = {"office", "commission_leader", "commission_director", "reviewer", "admin",
           "process_owner"}
SHANXIAN = SEE_ALL | {"team_leader", "expert", "target_shanxian"}   # see the 单县 inspections
LEADER = {"team_leader"}                   # 审核巡查记录 of the roster's leader
LIAISON = {"target_shanxian"}              # 签收巡查告知书 of 单县
OFFICE, ADMIN, OWNER = {"office"}, {"admin"}, {"process_owner"}
OFFICE_ADMIN = {"office", "admin"}
DASHBOARD = {"office", "commission_leader", "commission_director", "reviewer", "admin"}
REVIEW = {"reviewer", "process_owner", "office", "admin"}
MIGRATION = {"process_owner", "admin"}
# Official documents: leadership, the roster, and the liaison for what is addressed to it.
DOCUMENTS = {"office", "commission_leader", "commission_director", "team_leader", "expert",
             "target_shanxian"}
# Not routes of ours: files served as they are (the app's CSS/JS, npm's bpmn-js).
ASSETS = {"static", "assets.static", "vendor.bpmn_js", "vendor.dmn_js",
          "instance_pages.static", "editor.static", "review.static"}
# Page actions that answer with a redirect and a flash message whatever happened.
FLASHING = {"inbox.claim", "inbox.unclaim", "inbox.reassign", "inbox.notifications_read"}


def probe(url, allowed, method="GET", json=None, form=None, missing=False, open_to_all=False):
    """One request; `missing`: the thing named does not exist, so allowed roles get 404 too
    and refused ones must be stopped before the lookup (401/403); `open_to_all`: no scoping at
    all (sign-in, the public's report form): any answer but a 5xx."""
    return {"url": url, "allowed": set(allowed), "method": method, "json": json, "form": form,
            "missing": missing, "open_to_all": open_to_all}


P = probe
ROUTES = {
    # Public and sign-in
    ("pages.index", "GET"): [P("/", ANYONE)],
    ("pages.login", "GET"): [P("/login", ANYONE)],
    ("pages.login", "POST"): [P("/login", ANYONE, "POST", form={"username": "x", "password": ""},
                                       open_to_all=True)],
    ("pages.logout", "POST"): [P("/logout", ANYONE, "POST", form={})],
    ("ops.health", "GET"): [P("/healthz", ANYONE)],
    ("ops.metrics", "GET"): [P("/metrics", ANYONE)],          # loopback only (the test client is)
    ("public.index", "GET"): [P("/public/", ANYONE)],
    ("public.inspection", "GET"): [P("/public/inspections/{onsite}", ANYONE)],
    ("public.inspection", "POST"): [P("/public/inspections/{onsite}", ANYONE, "POST", form={},
                                             open_to_all=True)],
    ("public.results", "GET"): [P("/public/results", ANYONE)],
    ("public.result", "GET"): [P("/public/results/{onsite}", set())],   # not yet published
    ("documents.public_announcement", "GET"): [P("/public/inspections/{onsite}/announcement.pdf",
                                                 ANYONE)],
    ("documents.public_bulletin", "GET"): [P("/public/results/{onsite}/bulletin.pdf", set())],
    ("api_openapi.openapi", "GET"): [P("/api/openapi.json", ANYONE)],
    ("api_session.log_in", "POST"): [P("/api/session", ANYONE, "POST", json={})],
    ("api_session.log_out", "DELETE"): [P("/api/session", STAFF, "DELETE")],
    ("api_session.me", "GET"): [P("/api/me", STAFF)],
    ("api_session.new_token", "POST"): [P("/api/me/token", STAFF, "POST")],
    ("api_session.change_password", "POST"): [P("/api/session/password", STAFF, "POST",
                                                 json={})],
    ("api_session.notifications", "GET"): [P("/api/notifications", STAFF)],
    ("api_session.processes", "GET"): [P("/api/processes", STAFF)],
    # Inspections
    ("api_instances.index", "GET"): [P("/api/instances", STAFF)],
    ("api_instances.start", "POST"): [P("/api/instances", OFFICE_ADMIN, "POST", json={})],
    ("api_instances.show", "GET"): [P("/api/instances/{onsite}", SHANXIAN),
                                    P("/api/instances/{caoxian}", SEE_ALL | {"team_leader",
                                      "expert", "target_caoxian"})],
    ("api_instances.change_state", "POST"): [P("/api/instances/{onsite}/resume", OFFICE_ADMIN,
                                               "POST")],
    ("api_instances.register_report", "POST"): [P("/api/instances/{onsite}/reports", OFFICE,
                                                  "POST", json={})],
    ("api_instances.correct", "POST"): [P("/api/instances/{onsite}/corrections", OFFICE, "POST",
                                          json={"changes": {"no_such_field": "2025-01-01"}})],
    ("api_attachments.index", "GET"): [P("/api/instances/{onsite}/attachments", SHANXIAN)],
    ("api_attachments.download", "GET"): [P("/api/attachments/{attachment}", SHANXIAN)],
    # Tasks
    ("api_tasks.inbox", "GET"): [P("/api/tasks", STAFF)],
    ("api_tasks.show", "GET"): [P("/api/tasks/{leader}", LEADER), P("/api/tasks/{target}", LIAISON)],
    ("api_tasks.claim", "POST"): [P("/api/tasks/{target}/claim", LIAISON, "POST")],
    ("api_tasks.unclaim", "POST"): [P("/api/tasks/{target}/unclaim", LIAISON, "POST")],
    ("api_tasks.reassign", "POST"): [P("/api/tasks/{leader}/reassign", OFFICE, "POST",
                                       json={"user": "nobody"})],
    ("api_tasks.complete", "POST"): [P("/api/tasks/{leader}/complete", LEADER, "POST",
                                       json={"data": {"fieldwork_end": "不是日期"}})],
    ("api_attachments.show_draft", "GET"): [P("/api/tasks/{leader}/draft", LEADER)],
    ("api_attachments.save_draft", "PUT"): [P("/api/tasks/{target}/draft", LIAISON, "PUT",
                                              json={"data": {}})],
    ("api_attachments.upload", "POST"): [P("/api/tasks/{leader}/attachments", LEADER, "POST",
                                           form={"file": "record.txt"})],
    # Calendar, clock, accounts
    ("api_admin.deadline", "GET"): [P("/api/calendar/deadline?start=2025-09-01&working_days=15",
                                      STAFF)],
    ("api_admin.load_year", "PUT"): [P("/api/admin/calendar/2027", ADMIN, "PUT", json={})],
    ("api_admin.read_clock", "GET"): [P("/api/admin/clock", STAFF)],
    ("api_admin.set_clock", "POST"): [P("/api/admin/clock", ADMIN, "POST", json={"now": "x"})],
    ("api_admin.list_users", "GET"): [P("/api/admin/users", OFFICE_ADMIN)],
    ("api_admin.create_user", "POST"): [P("/api/admin/users", OFFICE_ADMIN, "POST", json={})],
    ("api_admin.update_user", "PATCH"): [P("/api/admin/users/target_caoxian", OFFICE_ADMIN,
                                           "PATCH", json={"email": "不是邮箱"})],
    ("api_admin.reset_password", "POST"): [P("/api/admin/users/nobody/password-reset",
                                             OFFICE_ADMIN, "POST", missing=True)],
    ("api_admin.ledger_file", "GET"): [P("/api/ledger.xlsx", DASHBOARD)],
    # Process owners' editor and versions; reviewers' scenario runs; migration
    ("api_editor.list_drafts", "GET"): [P("/api/drafts", OWNER)],
    ("api_editor.create_draft", "POST"): [P("/api/drafts", OWNER, "POST", json={"name": ""})],
    ("api_editor.show_draft", "GET"): [P("/api/drafts/999", OWNER, missing=True)],
    ("api_editor.save_draft", "PUT"): [P("/api/drafts/999", OWNER, "PUT", json={}, missing=True)],
    ("api_editor.delete_draft", "DELETE"): [P("/api/drafts/999", OWNER, "DELETE", missing=True)],
    ("api_editor.validate_draft", "POST"): [P("/api/drafts/999/validate", OWNER, "POST",
                                              missing=True)],
    ("api_editor.gate", "POST"): [P("/api/drafts/999/gate", OWNER, "POST", missing=True)],
    ("api_editor.gate_run", "GET"): [P("/api/drafts/999/gate/999", OWNER, missing=True)],
    ("api_editor.deploy", "POST"): [P("/api/drafts/999/deploy", OWNER, "POST", json={},
                                      missing=True)],
    ("api_editor_forms.form_preview", "POST"): [P("/api/drafts/999/form-preview", OWNER, "POST",
                                                  json={"path": "forms/x.json", "text": "{}"},
                                                  missing=True)],
    ("api_editor.list_versions", "GET"): [P("/api/versions", OWNER)],
    ("api_editor.show_version", "GET"): [P("/api/versions/1", OWNER)],
    ("api_editor.diff", "GET"): [P("/api/versions/1/diff/1", OWNER)],
    ("api_editor.download", "GET"): [P("/api/versions/1/download", OWNER)],
    ("api_editor.activate", "POST"): [P("/api/versions/999/activate", OWNER, "POST",
                                        missing=True)],
    ("api_scenario_runs.index", "GET"): [P("/api/scenario-runs", REVIEW)],
    ("api_scenario_runs.start", "POST"): [P("/api/scenario-runs", REVIEW, "POST", json={})],
    ("api_scenario_runs.show", "GET"): [P("/api/scenario-runs/999", REVIEW, missing=True)],
    ("api_migration.preview", "GET"): [P("/api/versions/999/migration", MIGRATION,
                                         missing=True)],
    ("api_migration.migrate", "POST"): [P("/api/versions/999/migration", MIGRATION, "POST",
                                          json={}, missing=True)],
    # Staff pages
    ("inbox.index", "GET"): [P("/tasks", STAFF)],
    ("inbox.claim", "POST"): [P("/tasks/{target}/claim", LIAISON, "POST", form={})],
    ("inbox.unclaim", "POST"): [P("/tasks/{target}/unclaim", LIAISON, "POST", form={})],
    ("inbox.reassign", "POST"): [P("/tasks/{leader}/reassign", OFFICE, "POST",
                                   form={"user": "team_leader"})],
    ("inbox.notifications_read", "POST"): [P("/notifications/read", STAFF, "POST", form={})],
    ("task_pages.show", "GET"): [P("/tasks/{leader}", LEADER), P("/tasks/{target}", LIAISON)],
    ("task_pages.act", "POST"): [P("/tasks/{target}", LIAISON, "POST", form={"action": "draft"})],
    ("instance_pages.index", "GET"): [P("/instances", STAFF)],
    ("instance_pages.new", "GET"): [P("/instances/new", OFFICE_ADMIN)],
    ("instance_pages.new", "POST"): [P("/instances/new", OFFICE_ADMIN, "POST",
                                       form={"target": "火星县"})],
    ("instance_pages.show", "GET"): [P("/instances/{onsite}", SHANXIAN)],
    ("instance_pages.diagram", "GET"): [P("/instances/{onsite}/diagram/safety_inspection.bpmn",
                                          SHANXIAN)],
    ("instance_pages.change_state", "POST"): [P("/instances/{onsite}/resume", OFFICE_ADMIN,
                                                "POST", form={})],
    ("documents.download", "GET"): [P("/instances/{onsite}/documents/notice.pdf", DOCUMENTS)],
    ("api_documents.api_download", "GET"): [P("/api/instances/{onsite}/documents/notice",
                                              DOCUMENTS)],
    ("dashboard.index", "GET"): [P("/dashboard", DASHBOARD)],
    ("dashboard.ledger_file", "GET"): [P("/dashboard/ledger.xlsx", DASHBOARD)],
    ("account.index", "GET"): [P("/account", STAFF)],
    ("account.index", "POST"): [P("/account", STAFF, "POST", form={"email": "不是邮箱"})],
    ("account.password", "GET"): [P("/account/password", STAFF)],
    ("account.password", "POST"): [P("/account/password", STAFF, "POST", form={})],
    ("admin.index", "GET"): [P("/admin", OFFICE_ADMIN)],
    ("admin.users", "GET"): [P("/admin/users", OFFICE_ADMIN)],
    ("admin.new_user", "GET"): [P("/admin/users/new", OFFICE_ADMIN)],
    ("admin.new_user", "POST"): [P("/admin/users/new", OFFICE_ADMIN, "POST",
                                    form={"username": "", "roles": "target", "organisation": "shanxian"})],
    ("admin.edit_user", "GET"): [P("/admin/users/target_caoxian", OFFICE_ADMIN)],
    ("admin.edit_user", "POST"): [P("/admin/users/target_caoxian", OFFICE_ADMIN, "POST",
                                    form={"roles": "target", "organisation": "caoxian",
                                          "email": "不是邮箱"})],
    ("admin.reset_password", "POST"): [P("/admin/users/nobody/password-reset", OFFICE_ADMIN,
                                         "POST", form={}, missing=True)],
    ("admin.organisation_list", "GET"): [P("/admin/organisations", ADMIN)],
    ("admin.organisation_list", "POST"): [P("/admin/organisations", ADMIN, "POST", form={})],
    ("admin.rename_organisation", "POST"): [P("/admin/organisations/shanxian", ADMIN, "POST",
                                              form={"name": ""})],
    ("admin_system.calendar_page", "GET"): [P("/admin/calendar", ADMIN)],
    ("admin_system.calendar_page", "POST"): [P("/admin/calendar", ADMIN, "POST", form={})],
    ("admin_system.clock_page", "GET"): [P("/admin/clock", ADMIN)],
    ("admin_system.clock_page", "POST"): [P("/admin/clock", ADMIN, "POST", form={"now": "x"})],
    ("editor.index", "GET"): [P("/editor", OWNER)],
    ("editor.create_draft", "POST"): [P("/editor/drafts", OWNER, "POST", form={"name": ""})],
    ("editor.draft", "GET"): [P("/editor/drafts/999", OWNER, missing=True)],
    ("editor.delete_draft", "POST"): [P("/editor/drafts/999/delete", OWNER, "POST", form={},
                                        missing=True)],
    ("editor.deploy", "GET"): [P("/editor/drafts/999/deploy", OWNER, missing=True)],
    ("editor_files.table", "GET"): [P("/editor/drafts/999/tables/team_composition.dmn", OWNER,
                                      missing=True)],
    ("editor_files.form", "GET"): [P("/editor/drafts/999/forms/team_roster.json", OWNER,
                                     missing=True)],
    ("editor.version_list", "GET"): [P("/editor/versions", OWNER)],
    ("editor.activate", "POST"): [P("/editor/versions/999/activate", OWNER, "POST", form={},
                                    missing=True)],
    ("editor.diff", "GET"): [P("/editor/versions/diff?old=1&new=1", OWNER)],
    ("editor.version_file", "GET"): [P("/editor/versions/1/files/processes/safety_inspection.bpmn",
                                       OWNER)],
    ("review.index", "GET"): [P("/review", REVIEW)],
    ("review.clause_register", "GET"): [P("/review/register", REVIEW)],
    ("review.start", "POST"): [P("/review/runs", REVIEW, "POST", form={"version": "x"})],
    ("review.show", "GET"): [P("/review/runs/999", REVIEW, missing=True)],
    ("review.diagram", "GET"): [P("/review/runs/999/diagrams/x", REVIEW, missing=True)],
    ("review.history", "GET"): [P("/review/versions/1", REVIEW)],
    ("migration_pages.migrate", "GET"): [P("/versions/999/migration", MIGRATION, missing=True)],
    ("migration_pages.migrate", "POST"): [P("/versions/999/migration", MIGRATION, "POST",
                                            form={}, missing=True)],
}


def test_every_route_is_classified(world):
    routes = {(rule.endpoint, method) for rule in world.app.url_map.iter_rules()
              if rule.endpoint not in ASSETS
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    unclassified = sorted(routes - set(ROUTES))
    assert not unclassified, f"routes without a row in ROUTES: {unclassified}"
    assert not set(ROUTES) - routes, f"rows for routes that are gone: {set(ROUTES) - routes}"


class Players:
    """A signed-in session cookie and CSRF token per role, reused by fresh clients, so a
    request that signs out (or changes the session) does not affect the next one."""

    def __init__(self, app):
        self.app, self.sessions = app, {}
        for role, username in PLAYERS.items():
            client = app.test_client()
            token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
            if username:
                answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": token})
                assert answer.status_code == 302, (role, answer.status_code)
                token = CSRF.search(client.get("/tasks").get_data(as_text=True)).group(1)
            self.sessions[role] = (client.get_cookie("session").value, token)

    def client(self, role):
        client = self.app.test_client()
        cookie, token = self.sessions[role]
        client.set_cookie("session", cookie)
        return client, token


@pytest.fixture(scope="module")
def players(world):
    return Players(world.app)


def call(players, world, role, case):
    from io import BytesIO
    client, token = players.client(role)
    names = {**world.instances, "caoxian_task": world.tasks["caoxian"], "attachment": world.attachment,
             **{k: v for k, v in world.tasks.items() if k != "caoxian"}}
    url = case["url"].format(**names)
    kwargs = {}
    if case["json"] is not None:
        kwargs["json"] = case["json"]
    elif case["form"] is not None:
        form = dict(case["form"])
        if "file" in form:
            form["file"] = (BytesIO("记录".encode()), form["file"])
        elif not url.startswith("/api/"):
            form["csrf_token"] = token
        kwargs["data"] = form
    answer = client.open(url, method=case["method"], **kwargs)
    flashes = []
    if answer.status_code == 302:
        with client.session_transaction() as session:
            flashes = [category for category, _ in session.get("_flashes", [])]
    return answer, flashes


def refused(answer, flashes, endpoint):
    if answer.status_code in (401, 403, 404):
        return True
    if answer.status_code == 302 and "/login" in answer.headers.get("Location", "") \
            and not endpoint.startswith("pages."):
        return True
    return endpoint in FLASHING and "error" in flashes


def outcome(endpoint, case, role, answer, flashes):
    """None when the answer is what the matrix expects, else why not."""
    status = answer.status_code
    if status >= 500:
        return f"{status} server error"
    if case["open_to_all"]:
        return None
    if role in case["allowed"]:
        ok = not refused(answer, flashes, endpoint) and (200 <= status < 400 or status in (409, 422))
        if case["missing"] and status == 404:
            ok = True
        return None if ok else f"allowed but got {status} {flashes}"
    if not refused(answer, flashes, endpoint):
        return f"refused role got {status}"
    if case["missing"] and status == 404 and role != "anonymous":
        return "refused role reached the lookup (404 instead of 403)"
    return None


def test_every_route_with_every_role(world, players):
    problems = []
    for (endpoint, method), cases in ROUTES.items():
        for case in cases:
            assert case["method"] == method, (endpoint, method)
            for role in sorted(ROLES):
                answer, flashes = call(players, world, role, case)
                why = outcome(endpoint, case, role, answer, flashes)
                if why:
                    problems.append(f"{method} {case['url']} as {role}: {why}")
    assert not problems, "\n".join(problems)


# A reporter's identity (forms/report_triage.json read_roles: team_leader, office, R4.2.2).
IDENTITY = ("举报人韩梅梅", "13905301234")
SEES_IDENTITY = {"office", "team_leader"}


@pytest.mark.parametrize("url, readers", [
    ("/api/instances/{onsite}", SHANXIAN), ("/instances/{onsite}", SHANXIAN),
    ("/api/tasks/{triage}", LEADER), ("/tasks/{triage}", LEADER),
])
def test_only_the_read_roles_see_a_reporters_identity(world, players, url, readers):
    case = probe(url, readers)
    shown = {}
    for role in sorted(ROLES):
        answer, _ = call(players, world, role, case)
        assert (answer.status_code == 200) == (role in readers), (role, answer.status_code)
        text = answer.get_data(as_text=True)
        shown[role] = [value for value in IDENTITY if value in text]
    assert {role for role, values in shown.items() if values} == SEES_IDENTITY & readers
    if url.startswith("/api/instances"):       # the content itself is for every reader
        answer, _ = call(players, world, "expert", case)
        assert answer.get_json()["data"]["report_content"] == "夜间违规动火作业"
