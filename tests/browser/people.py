"""People using the site in browsers of their own: one Playwright context each (own cookies),
their console watched, numbered screenshots of every step of a walk."""
import re
import shutil

from playwright.sync_api import expect

from .conftest import ARTIFACTS

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class Screens:
    """Screenshots of one walk, numbered in order: test-artifacts/<folder>/NN-<step>.png."""

    def __init__(self, folder):
        self.folder = ARTIFACTS / folder
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def take(self, page, step):
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


class Person:
    """Someone at a browser: `username` None is the public (no login)."""

    def __init__(self, browser, server, console, screens, username=None, viewport=LAPTOP):
        self.server, self.screens, self.username = server, screens, username
        self.context = browser.new_context(locale="zh-CN", viewport=viewport,
                                           is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        who = username or "public"
        self.page.on("console", lambda message: console.errors.append(
            f"{who} console.{message.type}: {message.text} ({message.location.get('url', '')})")
            if message.type == "error" else None)
        self.page.on("pageerror", lambda error: console.errors.append(f"{who} uncaught: {error}"))

    def shot(self, step):
        self.screens.take(self.page, f"{self.username or 'public'}-{step}")

    def goto(self, path):
        return self.page.goto(self.server.url + path)

    def log_in(self):
        self.goto("/login")
        self.page.get_by_label("用户名").fill(self.username)
        self.page.get_by_label("密码").fill("secret")
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_role("button", name="退出登录")).to_be_visible()
        return self

    def nav(self, name):
        self.page.get_by_role("navigation", name="主导航").get_by_role(
            "link", name=re.compile(rf"^{name}")).click()

    def inbox_row(self, task, inspection, refresh=True):
        """The inbox row of `task` of the inspection titled `inspection` (`refresh`: open the
        inbox from the header first, as someone coming back to it does)."""
        if refresh or not self.page.url.endswith("/tasks"):
            self.nav("待办")
        expect(self.page.get_by_role("heading", name="我的待办")).to_be_visible()
        link = self.page.get_by_role("link", name=task, exact=True)
        return self.page.locator("tbody tr").filter(has=link).filter(has_text=inspection)

    def open_task(self, task, inspection):
        row = self.inbox_row(task, inspection, refresh=False)
        expect(row).to_have_count(1)
        row.get_by_role("link", name=task, exact=True).click()
        expect(self.page.get_by_role("heading", level=1, name=task)).to_be_visible()

    def too_wide(self):
        """Elements reaching past the window's right edge (sideways scrolling on a phone)."""
        # On a phone the browser widens the layout to fit what overflows: compare with the
        # screen's own width, not window.innerWidth.
        return self.page.evaluate("""width => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                      (e.className && typeof e.className === "string" ? "." + e.className : ""))""",
            self.page.viewport_size["width"])

    def close(self):
        self.context.close()
