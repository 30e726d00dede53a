"""Helpers for tests that run the product as separate processes (gunicorn, `flask worker`) or
talk to servers of their own on loopback."""
import importlib
import socket
import sys
import time
from pathlib import Path

import requests

VENV_BIN = Path(sys.executable).parent
# Newer gunicorn opens a control socket at one fixed path per user: servers side by side would
# share it.
NO_CONTROL_SOCKET = ["--no-control-socket"] if hasattr(
    importlib.import_module("gunicorn.config"), "ControlSocketDisable") else []


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, seconds, what, log=None):
    """Poll `check` until it is true; on time-out fail with the tail of the process's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {seconds} s waiting for {what}\n{tail}")
