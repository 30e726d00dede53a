"""Security headers on pages, API answers and static files."""
import re
from pathlib import Path

from tests.integration.web_client import Web

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "web" / "templates"


def test_every_answer_forbids_foreign_scripts_framing_and_sniffing(mini_app, mini_desk):
    web = Web(mini_app, "office")
    for url in ("/tasks", "/api/me", "/ui/app.css", "/login"):
        answer = web.client.get(url)
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_script_the_policy_would_block():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+=\"", text), path
