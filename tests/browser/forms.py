"""Page objects for the staff pages, used as a person uses them: fields found by their labels,
choices by their visible text, buttons by their names (no CSS ids of the form builder)."""
import re

from playwright.sync_api import expect


def named(text):
    """A field's accessible name: its title, with "（必填）" when the field is required."""
    return re.compile(rf"^{re.escape(text)}\s*\*?\s*(（必填）)?$")


class TaskForm:
    """The task page's form (server/web/templates/task/_fields.html), or one row of a group."""

    def __init__(self, page, root=None):
        self.page = page
        self.root = root if root is not None else page.locator("form.task-form")

    def fill(self, label, value):
        """A text, long text, date, e-mail, URL or number field."""
        self.root.get_by_label(named(label)).fill(str(value))

    def lines(self, label, items):
        """A list typed one item a line."""
        self.fill(label, "\n".join(items))

    def select(self, label, option):
        self.root.get_by_label(named(label)).select_option(label=option)

    def check(self, label):
        self.root.get_by_role("checkbox", name=named(label)).check()

    def choose(self, group, option):
        """One option of a radio group."""
        self.root.get_by_role("group", name=named(group)).get_by_label(option, exact=True).check()

    def tick(self, group, *options):
        """Options of a multiple choice."""
        box = self.root.get_by_role("group", name=named(group))
        for option in options:
            box.get_by_label(option, exact=True).check()

    def attach(self, label, name, content, mime="application/pdf"):
        self.root.get_by_label(re.compile(rf"^上传文件\s*：{re.escape(label)}$")).set_input_files(
            {"name": name, "mimeType": mime, "buffer": content})

    def row(self, group, number):
        """Row `number` (from 1) of a repeating group, as a form of its own."""
        found = self.root.get_by_role("group", name=f"{group} 第 {number} 项", exact=True)
        expect(found).to_be_visible()
        return TaskForm(self.page, found)

    def add_row(self, group):
        box = self.root.get_by_role("group", name=named(group))
        count = box.locator(".group-rows > .group-row").count()
        box.get_by_role("button", name=re.compile(rf"^增加一行\s*：{re.escape(group)}$")).click()
        return self.row(group, count + 1)

    def submit(self):
        self.page.get_by_role("button", name="提交", exact=True).click()
