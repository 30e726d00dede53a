"""Signing in, throttled: too many failed attempts for one user name or from one address within
a window refuse further attempts (even with the right password) until the window has passed.

Failures are rows in `login_failures`, counted against the services' clock, so every web process
shares them and a test can move the fake clock instead of sleeping.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from ..store import schema
from . import users
from .errors import ServiceError

F = schema.login_failures


class TooManyAttempts(ServiceError):
    code = "too_many_attempts"


@dataclass(frozen=True)
class Limits:
    per_user: int = 5
    per_address: int = 20
    window_seconds: int = 900

    @classmethod
    def from_config(cls, config):
        return cls(int(config["LOGIN_FAILURES_PER_USER"]),
                   int(config["LOGIN_FAILURES_PER_ADDRESS"]),
                   int(config["LOGIN_FAILURE_WINDOW_SECONDS"]))


def sign_in(uow, username, password, address, limits):
    """The account for a correct username and password, None when wrong (the failure is
    recorded), or TooManyAttempts while the user name or the address is blocked."""
    keys = (_user_key(username), _address_key(address))
    since = uow.now - timedelta(seconds=limits.window_seconds)
    if _failures(uow, keys[0], since) >= limits.per_user or \
            _failures(uow, keys[1], since) >= limits.per_address:
        minutes = max(1, round(limits.window_seconds / 60))
        raise TooManyAttempts(f"登录尝试过多，请{minutes}分钟后再试")
    found = users.authenticate(uow, username, password)
    if found is None:
        # Old rows are no longer counted: drop them while writing new ones.
        uow.conn.execute(delete(F).where(F.c.at < since))
        uow.conn.execute(insert(F), [{"key": key, "at": uow.now} for key in keys])
        return None
    clear_user(uow, username)
    return found


def clear_user(uow, username):
    uow.conn.execute(delete(F).where(F.c.key == _user_key(username)))


def _failures(uow, key, since):
    return uow.conn.execute(select(func.count()).select_from(F).where(
        F.c.key == key, F.c.at >= since)).scalar()


def _user_key(username):
    return f"user:{(username or '')[:100]}"


def _address_key(address):
    return f"ip:{(address or 'unknown')[:100]}"
