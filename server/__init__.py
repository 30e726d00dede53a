"""Xuncha: the Heze safety production inspection procedure as BPMN on SpiffWorkflow."""
import os
import secrets
from pathlib import Path

from flask import Flask

from . import config as settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.update(test_config if test_config is not None else settings.from_environment())
    settings.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'xuncha.sqlite'}"
    app.config.setdefault("SOURCE_ROOT", None)
    app.config["SOURCE_ROOT"] = Path(app.config["SOURCE_ROOT"] or PROJECT_ROOT)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    from .logs import configure as configure_logs
    configure_logs(app.config["LOG_FORMAT"])

    from .services.context import Services
    from .store.db import make_engine
    app.extensions["xuncha"] = Services(make_engine(app.config["DATABASE_URL"]),
                                        clock_mode=app.config["CLOCK"],
                                        password_method=app.config["PASSWORD_METHOD"],
                                        workflow_cache_size=app.config["WORKFLOW_CACHE_SIZE"])
    from .services.mail import MailSettings
    app.extensions["xuncha"].mail = MailSettings.from_config(app.config)   # None: no mail

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"],
                                x_proto=app.config["PROXY_HOPS"])

    from . import cli
    from .web import init_app as init_web
    cli.init_app(app)
    init_web(app)
    return app


def _instance_secret(folder):
    """A per-installation secret kept in the instance folder, so sessions survive restarts."""
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()
