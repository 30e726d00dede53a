"""Workflows already restored in this process, so a request need not deserialize them again.

An entry is taken out while a unit of work drives it (never two drivers for one object) and put
back with its new revision only after the commit. A revision that does not match the database
row means another process changed the instance: the entry is dropped and state is reloaded.
"""
import threading
from collections import OrderedDict


class WorkflowCache:
    def __init__(self, capacity=512):
        self.capacity = capacity
        self._entries = OrderedDict()          # instance id -> (revision, workflow)
        self._lock = threading.Lock()

    def take(self, instance_id, revision):
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is not None and entry[0] == revision:
            return entry[1]
        return None

    def put(self, instance_id, revision, workflow):
        with self._lock:
            self._entries[instance_id] = (revision, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def discard(self, instance_id):
        with self._lock:
            self._entries.pop(instance_id, None)
