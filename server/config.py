"""Every setting, declared once with its default. Read from the environment by create_app."""
import os

DEFAULTS = {
    # SQLAlchemy URL; the plain postgresql:// form is accepted. Default: a SQLite file in instance/.
    "DATABASE_URL": None,
    # "system" (real time) or "fake" (one shared row in the database, moved by an admin).
    "CLOCK": "system",
    # Where `init` reads the procedure to deploy as the first version.
    "SOURCE_ROOT": None,
    # "json" for one JSON object per log line (log collectors), anything else for plain lines.
    "LOG_FORMAT": "plain",
    # werkzeug password hash method (scrypt is slow on purpose; tests pick a cheap one).
    "PASSWORD_METHOD": "scrypt",
    # Seconds the timer worker waits at most before re-reading the earliest due time.
    "WORKER_POLL_SECONDS": 1.0,
    # Public report form throttle (in memory, per web process): per client address and overall
    # within the window (seconds). Behind a reverse proxy set PROXY_HOPS so addresses are real.
    "PUBLIC_REPORTS_PER_IP": 5,
    "PUBLIC_REPORTS_TOTAL": 200,
    "PUBLIC_REPORTS_WINDOW": 600,
    # Trusted reverse proxies in front of the app (X-Forwarded-For hops); 0 = none.
    "PROXY_HOPS": 0,
    # Sign-in throttle (table login_failures, on the services' clock): failed attempts allowed
    # per user name and per client address within the window (seconds) before refusing.
    "LOGIN_FAILURES_PER_USER": 5,
    "LOGIN_FAILURES_PER_ADDRESS": 20,
    "LOGIN_FAILURE_WINDOW_SECONDS": 900,
    # Where `npm ci` put bpmn-js (default: node_modules/ in the project).
    "NODE_MODULES": None,
    # Largest attachment accepted, in bytes (XUNCHA_UPLOAD_MAX_BYTES); default 20 MB.
    "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
    # Restored workflows each process keeps (XUNCHA_WORKFLOW_CACHE_SIZE): memory is bounded by
    # this, not by the number of instances (≈75 KB each, bench/memory.py).
    "WORKFLOW_CACHE_SIZE": 512,
    # Official documents (server/documents): 文号 prefixes per kind, merged over the defaults
    # notice 菏安委办函, announcement 菏安巡告, feedback_letter 菏安巡反, bulletin 菏安委办; each kind
    # needs its own, as serials run per kind and year (XUNCHA_DOCUMENT_PREFIXES="notice=…,bulletin=…").
    "DOCUMENT_PREFIXES": {},
    "DOCUMENT_AUTHORITY": "菏泽市安全生产委员会办公室",   # red header, signature (XUNCHA_DOCUMENT_AUTHORITY)
    "DOCUMENT_TEAM": "菏泽市安全生产巡查组",             # signs the announcement and feedback letter
    # Mail of new, due-soon and overdue work; off unless SMTP_HOST is set (XUNCHA_SMTP_HOST, _PORT,
    # _USER, _PASSWORD, _FROM, _STARTTLS=1, _MAX_ATTEMPTS: attempts before a message is given up).
    "SMTP_HOST": None, "SMTP_PORT": 25, "SMTP_USER": None, "SMTP_PASSWORD": None,
    "SMTP_FROM": "xuncha@localhost", "SMTP_STARTTLS": False, "SMTP_MAX_ATTEMPTS": 5,
    # Where people reach the app, for links in mail (XUNCHA_BASE_URL).
    "BASE_URL": "http://localhost:5000",
    # Scenario runs (reviewer pages, deployment gate) executing at once per web process; more wait.
    "SCENARIO_RUNS_MAX": 1,
    # Clause tags the deployment gate runs (tests only, to save time); None = the whole suite.
    "GATE_TAGS": None,
    # Largest request body without files (JSON, plain forms), in bytes (XUNCHA_REQUEST_MAX_BYTES);
    # larger ones are refused with 413 before they are read.
    "REQUEST_MAX_BYTES": 1024 * 1024,
}


class ConfigError(RuntimeError):
    pass


def from_environment():
    env = {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or os.environ.get("XUNCHA_DATABASE_URL"),
        "CLOCK": os.environ.get("XUNCHA_CLOCK", "system"),
        "SECRET_KEY": os.environ.get("XUNCHA_SECRET_KEY"),
        "LOG_FORMAT": os.environ.get("XUNCHA_LOG_FORMAT"),
    }
    if os.environ.get("XUNCHA_PROXY_HOPS"):
        env["PROXY_HOPS"] = int(os.environ["XUNCHA_PROXY_HOPS"])
    if os.environ.get("XUNCHA_UPLOAD_MAX_BYTES"):
        env["UPLOAD_MAX_BYTES"] = int(os.environ["XUNCHA_UPLOAD_MAX_BYTES"])
    if os.environ.get("XUNCHA_REQUEST_MAX_BYTES"):
        env["REQUEST_MAX_BYTES"] = int(os.environ["XUNCHA_REQUEST_MAX_BYTES"])
    if os.environ.get("XUNCHA_WORKFLOW_CACHE_SIZE"):
        env["WORKFLOW_CACHE_SIZE"] = int(os.environ["XUNCHA_WORKFLOW_CACHE_SIZE"])
    env.update(_documents_and_mail())
    return {k: v for k, v in env.items() if v is not None}


def check(config):
    if config["CLOCK"] not in ("system", "fake"):
        raise ConfigError(f"XUNCHA_CLOCK must be 'system' or 'fake', not {config['CLOCK']!r}")
    from .documents.numbering import DEFAULT_PREFIXES, check_prefixes
    problems = check_prefixes(DEFAULT_PREFIXES | dict(config.get("DOCUMENT_PREFIXES") or {}))
    if problems:
        raise ConfigError("XUNCHA_DOCUMENT_PREFIXES: " + "; ".join(problems))


def _documents_and_mail():
    env = {name: os.environ[f"XUNCHA_{name}"] for name in (
        "SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", "BASE_URL", "DOCUMENT_AUTHORITY",
        "DOCUMENT_TEAM") if os.environ.get(f"XUNCHA_{name}")}
    env.update({name: int(os.environ[f"XUNCHA_{name}"]) for name in ("SMTP_PORT", "SMTP_MAX_ATTEMPTS")
                if os.environ.get(f"XUNCHA_{name}")})
    if os.environ.get("XUNCHA_SMTP_STARTTLS"):
        env["SMTP_STARTTLS"] = os.environ["XUNCHA_SMTP_STARTTLS"].lower() in ("1", "true", "yes")
    if os.environ.get("XUNCHA_DOCUMENT_PREFIXES"):
        env["DOCUMENT_PREFIXES"] = dict(item.split("=", 1) for item in
                                        os.environ["XUNCHA_DOCUMENT_PREFIXES"].split(",") if "=" in item)
    return env
