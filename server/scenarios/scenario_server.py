"""A server for running the scenarios over HTTP: the product app, reset to a fresh database on
request. `python -m server.scenarios.scenario_server --source DIR [--port N]`

At start it builds a template SQLite database from the procedure in DIR (`init` with the fake
clock at the in-process driver's `CLOCK_START`, and the demo users of design §9 with password
`demo`), then serves on loopback and prints `listening on URL` once it accepts requests. Every
request goes to an app made by `create_app` (fake clock) on a copy of the template, except:

- `POST /_scenario/reset`: a new app on a new copy (the previous one and its file are dropped);
- `GET /_scenario/executed/{instance id}`: the flow nodes and sequence flows that instance ran,
  `{"processes": {id: {"nodes": [...], "flows": [...]}}}` (what coverage.py collects in-process);
- `POST /_scenario/office/{name}` with a JSON body: a call of `office_calls.py` (registers, the
  annual plan, coverage and its warning, leave requests: services the JSON API does not offer),
  as the office; `{"result": ...}`, or the API's error shape with 422 when the service refuses.

Versions are immutable and every copy holds the same version 1, so the parsed bundle is kept
across resets, as one long-running server keeps it. No timer worker runs: with the fake clock,
`POST /api/admin/clock` fires what became due before it answers.
"""
import argparse
import json
import logging
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .. import create_app
from ..services import users
from ..services.context import Services, unit_of_work
from ..services.errors import ServiceError
from ..services.demo import PASSWORD, demo_users
from ..services.setup import init_database
from ..services.state import get_instance_row, load
from ..services.versions import read_source_tree
from ..store.db import make_engine
from . import office_calls
from .coverage import Diagrams, as_json, executed
from .engine_driver import CLOCK_START, PASSWORD_METHOD


def build_template(source_root, path):
    services = Services(make_engine(f"sqlite:///{path}"), clock_mode="fake",
                        password_method=PASSWORD_METHOD)
    init_database(services, source_root, fake_start=CLOCK_START)
    with unit_of_work(services) as uow:
        for username, name, roles, org in demo_users():
            users.create_user(uow, username, PASSWORD, list(roles), org, name)
    services.engine.dispose()       # closing the last connection checkpoints the WAL


class ScenarioServer:
    """The WSGI application: the current app, and the two /_scenario/ endpoints."""

    def __init__(self, source_root, folder):
        self.source_root = Path(source_root)
        self.folder = Path(folder)
        self.template = self.folder / "template.sqlite"
        build_template(self.source_root, self.template)
        self.diagrams = Diagrams(read_source_tree(self.source_root))
        self.secret = secrets.token_hex(16)
        self.bundles = {}
        self.count = 0
        self.lock = threading.Lock()
        self.app = None
        self.reset()

    def reset(self):
        with self.lock:
            self.count += 1
            path = self.folder / f"scenario-{self.count}.sqlite"
            shutil.copyfile(self.template, path)
            app = create_app({"DATABASE_URL": f"sqlite:///{path}", "CLOCK": "fake",
                              "SECRET_KEY": self.secret, "SOURCE_ROOT": self.source_root,
                              "PASSWORD_METHOD": PASSWORD_METHOD})
            app.extensions["xuncha"].bundles = self.bundles
            previous, self.app = self.app, app
        if previous is not None:
            previous.extensions["xuncha"].engine.dispose()
            Path(previous.config["DATABASE_URL"].removeprefix("sqlite:///")).unlink(missing_ok=True)

    def executed(self, instance_id):
        services = self.app.extensions["xuncha"]
        with unit_of_work(services) as uow:
            loaded = load(uow, get_instance_row(uow, instance_id))
            return as_json(executed(loaded.workflow, self.diagrams))

    def office(self, name, body):
        services = self.app.extensions["xuncha"]
        try:
            with unit_of_work(services) as uow:
                actor = users.actor_for(uow, office_calls.ACTOR)
                return {"result": office_calls.call(name, uow, actor, body)}, 200
        except ServiceError as exc:
            return {"error": exc.code, "message": exc.message, "fields": exc.fields}, 422

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_scenario/"):
            return self.app(environ, start_response)
        request = Request(environ)
        if path == "/_scenario/reset" and request.method == "POST":
            self.reset()
            body, status = {"ok": True, "scenario": self.count}, 200
        elif path.startswith("/_scenario/executed/") and request.method == "GET":
            body, status = self.executed(path.rsplit("/", 1)[1]), 200
        elif (path.startswith("/_scenario/office/") and request.method == "POST"
              and path.rsplit("/", 1)[1] in office_calls.CALLS):
            body, status = self.office(path.rsplit("/", 1)[1], request.get_json(force=True) or {})
        else:
            body, status = {"error": "not_found"}, 404
        return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")(
            environ, start_response)


def main(argv=None):
    parser = argparse.ArgumentParser(description="巡查场景服务器（HTTP 驱动用）")
    parser.add_argument("--source", required=True, help="directory with processes/ and forms/")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="xuncha-scenario-server-")
    # Terminated by the session that started it: unwind, so the databases are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)     # no line per request
    try:
        application = ScenarioServer(args.source, folder)
        server = make_server("127.0.0.1", args.port, application, threaded=True)
        print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
        server.serve_forever()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
