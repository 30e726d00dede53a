"""Request logs: a plain line a person can read, or one JSON object per line for collectors."""
import json

import pytest

from server import logs
from tests.conftest import MINI, build_app


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_each_request_is_logged_with_method_path_status_and_time(database_url, tmp_path,
                                                                  capsys, log_format):
    app = build_app(database_url, MINI, tmp_path)
    app.config["LOG_FORMAT"] = log_format
    logs.configure(log_format)
    capsys.readouterr()
    app.test_client().get("/api/me")
    lines = [line for line in capsys.readouterr().err.splitlines() if "request" in line]
    assert len(lines) == 1
    if log_format == "json":
        entry = json.loads(lines[0])
        assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/me", 401)
        assert entry["message"].startswith("request GET /api/me 401 ") and entry["ms"] >= 0
    else:
        assert " INFO " in lines[0] and "request GET /api/me 401 " in lines[0]
        assert lines[0].endswith("ms")
