"""What a scenario driver hands to steps: refusals, tasks, inspections and notices, free of
transport ids (see driver.py)."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..engine.calendar import BEIJING


class Refusal(Exception):
    """The procedure refused: `code` (invalid, forbidden, not_found, conflict, engine_error),
    the message, and field errors {field name or path: message}."""

    def __init__(self, code, message, fields=None, form=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.form = form            # the JSON Schema of the form the refused data was for

    def __str__(self):
        detail = "；".join(f"{k or '表单'}：{v}" for k, v in self.fields.items())
        return f"{self.message}（{detail}）" if detail else self.message

    def as_tuple(self):
        return (self.code, self.message, self.fields, self.form)


@dataclass(frozen=True)
class Task:
    """An open task as someone's inbox shows it."""
    name: str
    stage: str
    role: str
    organisation: str | None
    form: str
    due_at: datetime | None
    provisional: bool
    overdue: bool
    clauses: tuple

    @property
    def last_day(self):
        """The last day of the deadline (its instant is 24:00 of that day), or None."""
        if self.due_at is None:
            return None
        return (self.due_at.astimezone(BEIJING) - timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class Inspection:
    state: str                      # running, completed, cancelled, suspended
    status: str | None              # 准备中 … 已结束
    organisation: str
    data: dict
    tasks: tuple                    # Task
    timers: tuple = field(default=())


@dataclass(frozen=True)
class Notice:
    kind: str                       # reminder, deadline
    message: str
    task_name: str | None


def task_of(row):
    return Task(row["name"], row.get("stage", ""), row["role"], row.get("organisation"),
                row.get("form", ""), row.get("due_at"), bool(row.get("provisional")),
                bool(row.get("overdue")), tuple(row.get("clauses") or ()))
