"""Mail notifications of new, due-soon and overdue work, through an outbox.

When a mail server is configured (XUNCHA_SMTP_HOST …, see server/config.py), every new task and
every reminder or deadline that fires on one also queues a message to each active user with an
e-mail address who would see that task in the inbox (the role, the liaison's organisation, the
roster for team roles: `inbox.candidates`). The rows are written in the transaction that made
the work, so no mail leaves for work that was rolled back. The timer worker sends them from a
thread of its own (a slow mail server never delays a timer): each attempt is counted, a failed
one keeps its error and is tried again after a pause, and after SMTP_MAX_ATTEMPTS the message is
left with its last error. Without configuration nothing is queued.

With several worker processes a message may be sent twice if two claim it in the same instant
(at-least-once); one worker process is the usual deployment.
"""
import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import and_, insert, select, update

from ..engine.calendar import last_day
from ..store import schema
from .context import unit_of_work
from .inbox import candidates

log = logging.getLogger("xuncha.mail")
O, U = schema.mail_outbox, schema.users
SUBJECTS = {"new": "新待办：{name}", "reminder": "即将到期：{name}", "deadline": "已逾期：{name}"}
LEADS = {"new": "您有一项新的待办任务：", "reminder": "以下任务即将到期，请抓紧办理：",
         "deadline": "以下任务已超过办理期限（逾期），请尽快办理："}
SYSTEM_NAME = "菏泽市安全生产巡查工作系统"
CONNECTION_ERRORS = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected,
                     smtplib.SMTPAuthenticationError, smtplib.SMTPHeloError)


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "xuncha@localhost"
    starttls: bool = False
    base_url: str = "http://localhost:5000"
    max_attempts: int = 5
    timeout_seconds: float = 10.0
    retry_seconds: float = 30.0         # first pause after a failed round; doubles up to 15 min

    @classmethod
    def from_config(cls, config):
        """None when no mail server is configured (SMTP_HOST empty)."""
        if not config.get("SMTP_HOST"):
            return None
        return cls(host=config["SMTP_HOST"], port=int(config.get("SMTP_PORT") or 25),
                   user=config.get("SMTP_USER") or None,
                   password=config.get("SMTP_PASSWORD") or None,
                   sender=config.get("SMTP_FROM") or cls.sender,
                   starttls=bool(config.get("SMTP_STARTTLS")),
                   base_url=(config.get("BASE_URL") or cls.base_url).rstrip("/"),
                   max_attempts=int(config.get("SMTP_MAX_ATTEMPTS") or cls.max_attempts))


def settings_of(services):
    return getattr(services, "mail", None)


# -- queueing, inside the unit of work that made the work --------------------------------------

def queue_task_mail(uow, kind, tasks, title=None):
    """Queue `kind` (new, reminder, deadline) mail about `tasks` (dicts with id, instance_id,
    name, stage, role, organisation, due_at, provisional); nothing without a mail server."""
    settings = settings_of(uow.services)
    if settings is None or not tasks:
        return 0
    rows = []
    for task in tasks:
        heading = title or _title(uow, task["instance_id"])
        for user in _recipients(uow, task):
            rows.append({"created_at": uow.now, "to_address": user.email, "attempts": 0,
                         "subject": f"【巡查】{SUBJECTS[kind].format(name=task['name'])}"[:200],
                         "body": _body(settings, kind, task, heading, user.display_name)})
    if rows:
        uow.conn.execute(insert(O), rows)
    return len(rows)


def _title(uow, instance_id):
    i = schema.instances
    return uow.conn.execute(select(i.c.title).where(i.c.id == instance_id)).scalar() or ""


def _recipients(uow, task):
    usernames = [c["username"] for c in candidates(uow, task["role"], task.get("organisation"),
                                                   task["instance_id"])]
    if not usernames:
        return []
    return uow.conn.execute(select(U.c.display_name, U.c.email).where(
        U.c.username.in_(usernames), U.c.email.is_not(None), U.c.email != "")
        .order_by(U.c.username)).all()


def _body(settings, kind, task, title, display_name):
    due = task.get("due_at")
    if due:
        day = last_day(due)
        due_text = f"{day.year}年{day.month}月{day.day}日" + ("（暂定）" if task.get("provisional") else "")
    else:
        due_text = "无"
    return "\n".join([
        f"{display_name}，您好：", "", LEADS[kind], f"  任务：{task['name']}",
        f"  巡查：{title}", f"  阶段：{task.get('stage') or ''}", f"  办理期限：{due_text}", "",
        f"请登录系统办理：{settings.base_url}/tasks/{task['id']}", "",
        f"此邮件由{SYSTEM_NAME}自动发送，请勿直接回复。"])


# -- sending, by the worker --------------------------------------------------------------------

def send_pending(services, limit=50):
    """Send what waits in the outbox; returns (sent, failed). Never raises for mail trouble."""
    settings = settings_of(services)
    if settings is None:
        return 0, 0
    with unit_of_work(services) as uow:
        pending = uow.conn.execute(
            select(O.c.id, O.c.to_address, O.c.subject, O.c.body, O.c.attempts)
            .where(O.c.sent_at.is_(None), O.c.attempts < settings.max_attempts)
            .order_by(O.c.id).limit(limit)).all()
    sent = failed = 0
    smtp = None
    try:
        for row in pending:
            if not _claim(services, row):
                continue                     # another sender took it
            try:
                smtp = smtp or _connect(settings)
                smtp.send_message(_message(settings, row))
            except CONNECTION_ERRORS as exc:
                _record(services, row.id, error=_describe(exc))
                failed += 1
                break                        # the server is unreachable: the rest wait
            except smtplib.SMTPException as exc:
                _record(services, row.id, error=_describe(exc))
                failed += 1
            else:
                _record(services, row.id)
                sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return sent, failed


def _claim(services, row):
    """Count the attempt before making it, so a crash mid-send cannot retry forever."""
    with unit_of_work(services) as uow:
        return uow.conn.execute(update(O).where(and_(
            O.c.id == row.id, O.c.sent_at.is_(None), O.c.attempts == row.attempts))
            .values(attempts=row.attempts + 1)).rowcount == 1


def _record(services, outbox_id, error=None):
    with unit_of_work(services) as uow:
        values = {"last_error": error[:2000]} if error else {"sent_at": uow.now, "last_error": None}
        uow.conn.execute(update(O).where(O.c.id == outbox_id).values(values))


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"


def _connect(settings):
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _message(settings, row):
    message = EmailMessage()
    message["From"] = formataddr((SYSTEM_NAME, settings.sender))
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(row.body)
    return message


def run_sender(services, stop, poll_seconds=1.0):
    """Send the outbox until `stop` is set; after a round with failures wait longer each time."""
    pause = settings_of(services).retry_seconds
    while not stop.is_set():
        try:
            _sent, failed = send_pending(services)
        except Exception:                   # the database, say: keep the thread alive
            log.exception("sending mail failed")
            failed = 1
        wait = pause if failed else poll_seconds
        pause = min(pause * 2, 900.0) if failed else settings_of(services).retry_seconds
        stop.wait(wait)


def start_sender(services, stop, poll_seconds=1.0):
    """The sender thread beside the timer worker, or None without a mail server."""
    if settings_of(services) is None:
        return None
    thread = threading.Thread(target=run_sender, args=(services, stop, poll_seconds),
                              name="mail-sender", daemon=True)
    thread.start()
    return thread
