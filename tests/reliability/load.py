"""Clients that keep completing tasks while the test breaks things under them."""
import queue
import threading
import time

import requests

from tests.reliability.conftest import log_in

END = {"fieldwork_end": "2025-09-26", "members": [{"username": "leader", "role": "leader"}]}
ERROR_SHAPE = {"error", "message", "fields"}


class Completer(threading.Thread):
    """Completes tasks from a shared queue until told to stop; remembers every 200.

    A request that failed without an answer, or was answered 503, may or may not have
    committed: its task goes back on the queue, so a retry finds it done (409) or does it.
    """

    def __init__(self, base_url, username, work, acknowledged, stop):
        super().__init__(daemon=True)
        self.base_url, self.username, self.work = base_url, username, work
        self.acknowledged, self.stop = acknowledged, stop
        self.in_doubt, self.unavailable, self.refused, self.errors = [], [], [], []

    def run(self):
        session = self._log_in()
        while session is not None and not self.stop.is_set():
            try:
                task_id = self.work.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                answer = session.post(f"{self.base_url}/api/tasks/{task_id}/complete",
                                      json={"data": END}, timeout=30)
            except requests.RequestException:       # killed mid-request
                answer = None
            if answer is None or answer.status_code == 503:
                self.in_doubt.append(task_id)
                if answer is not None:
                    self.unavailable.append(answer.json())
                self.work.put(task_id)
                time.sleep(0.05)
            elif answer.status_code == 200:
                self.acknowledged.append((task_id, self.username))
            elif answer.status_code == 409:
                self.refused.append(task_id)
            else:
                self.errors.append((task_id, answer.status_code, answer.text[:300]))

    def _log_in(self):
        """A logged-in session; on a slow machine a client may start after the server was
        killed, so it tries again until the server is back (None if told to stop first)."""
        while not self.stop.is_set():
            try:
                return log_in(self.base_url, self.username)
            except requests.RequestException:
                time.sleep(0.05)
        return None


def run_clients(base_url, usernames, task_ids):
    """Start one Completer per user on a queue of `task_ids`; returns (clients, acks, stop)."""
    work, acknowledged, stop = queue.Queue(), [], threading.Event()
    for task_id in task_ids:
        work.put(task_id)
    clients = [Completer(base_url, username, work, acknowledged, stop) for username in usernames]
    for client in clients:
        client.start()
    return clients, acknowledged, stop


def finish(clients, stop):
    """Wait for the queue to drain, stop the clients; what they saw, summed up."""
    work = clients[0].work
    deadline = time.monotonic() + 120
    while not work.empty() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for client in clients:
        client.join(timeout=40)
    assert work.empty(), f"{work.qsize()} tasks never completed"
    return {name: [x for client in clients for x in getattr(client, name)]
            for name in ("in_doubt", "unavailable", "refused", "errors")}
