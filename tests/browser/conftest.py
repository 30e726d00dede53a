"""Browser tests: Playwright (PyPI) driving Debian's Chromium against a live server.

- The server is werkzeug in a thread on a free loopback port, serving an app built like
  tests/conftest.py builds one (a fresh SQLite database from the migrated template, fake clock).
  Browser tests always use SQLite: they test pages, not the database.
- Chromium is /usr/bin/chromium (`apt-get update && apt-get install -y chromium`); Playwright's
  own browser download is never used. bpmn-js comes from node_modules (`npm ci`).
- Every page's console is watched: any console error or uncaught exception fails the test
  (a test may allow an expected one, e.g. the 429 of a refused report).
- A screenshot of every page is saved to test-artifacts/ (gitignored) when the test ends.
- With XUNCHA_REQUIRE_ALL=1 (CI) a missing browser, Playwright or npm asset fails the test;
  otherwise the test is skipped with the command that installs what is missing.
"""
import os
import re
from pathlib import Path

import pytest

from tests.live_server import LiveServer
from tests.conftest import REQUIRE_ALL, ROOT, build_app

from .drive import staff_desk

CHROMIUM = Path(os.environ.get("XUNCHA_CHROMIUM", "/usr/bin/chromium"))   # Debian's package
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
BPMN_JS = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-navigated-viewer.production.min.js"
ARTIFACTS = ROOT / "test-artifacts"


def missing(what, command):
    message = f"{what} is missing; install it with: {command}"
    if REQUIRE_ALL:
        pytest.fail(f"{message} (XUNCHA_REQUIRE_ALL=1 turns this skip into a failure)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", ".venv/bin/pip install -e '.[test]'  (or: make install)")
    if not CHROMIUM.exists():
        missing(f"Chromium ({CHROMIUM})", "apt-get update && apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def bpmn_assets():
    if not BPMN_JS.exists():
        missing(f"bpmn-js ({BPMN_JS.relative_to(ROOT)})", "npm ci  (or: make install)")


@pytest.fixture
def live_app(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'browser.sqlite'}", ROOT, tmp_path)
    yield app
    app.extensions["xuncha"].engine.dispose()


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def desk(live_app):
    return staff_desk(live_app)


class Console:
    """Console errors and uncaught exceptions of one page; `allow` takes expected ones."""

    def __init__(self):
        self.errors = []
        self.allowed = []

    def allow(self, pattern):
        self.allowed.append(re.compile(pattern))

    def unexpected(self):
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]

    def check(self):
        found = self.unexpected()
        assert not found, "console errors:\n" + "\n".join(found)


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def page(browser, console, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("console", lambda message: console.errors.append(
        f"console.{message.type}: {message.text} ({message.location.get('url', '')})")
        if message.type == "error" else None)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    console.check()


def log_in(page, server, username, password="secret"):
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
