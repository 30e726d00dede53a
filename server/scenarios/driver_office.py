"""The office's registers and requests a scenario may make (planning R1.2, R3.1a-c; leave
R4.2.3), as a part of `Driver`: they go through its `_action`/`_query` and `_office` primitive."""
from .records import Refusal


class OfficeActions:
    def register_external(self, organisation, body, year, joint=False):
        """The State Council's or the province's commission inspected `organisation` in `year`."""
        return self._action("office", "external", {"organisation": organisation, "body": body,
                                                   "year": year, "joint": joint})

    def register_past(self, organisation, kind, onsite_start, fieldwork_end=None):
        """An inspection by the city outside the system (on site from `onsite_start`)."""
        return self._action("office", "history", {
            "organisation": organisation, "type": kind, "onsite_start": onsite_start,
            "fieldwork_end": fieldwork_end})

    def _do_office(self, name, body):
        self._office(name, body)

    def start_plan(self, year):
        """Start the annual plan of `year` (the office drafts it); its reference."""
        ref = f"{year}年度巡查计划#{len(self._targets) + 1}"
        return self._new_instance(ref, None, "plan", {"year": year})

    def request_leave(self, ref):
        """Open a leave request in inspection `ref` (the office registers it); its reference."""
        leave_ref = f"请假申请#{len(self._targets) + 1}"
        return self._new_instance(leave_ref, self._targets[ref], "leave", {"inspection": ref})

    def _new_instance(self, ref, target, name, body):
        self._targets[ref] = target
        try:
            self._action("new_instance", ref, name, body)
        except Refusal:
            del self._targets[ref]
            raise
        return ref

    def _do_new_instance(self, ref, name, body):
        if "inspection" in body:
            body = {"inspection_id": self._id(body["inspection"])}
        self._remember(ref, self._office(name, body))

    def coverage_check(self):
        """The daily check of two-year coverage (R3.1a): the counties warned about, or None when
        no warning was due."""
        ref = f"两年全覆盖预警#{len(self._targets) + 1}"
        self._targets[ref] = None
        found = self._action("coverage_check", ref)
        if not found:
            del self._targets[ref]
        return found

    def _do_coverage_check(self, ref):
        found = self._office("coverage_check", {})
        if not found:
            return None
        if found.get("instance_id"):
            self._remember(ref, found["instance_id"])
            return found["uncovered"]
        return []

    def coverage(self, year):
        """The two-year cycle containing `year`: {"cycle": label, "counties": [{"name", "covered"}]}."""
        return self._query("coverage", year)

    def _read_coverage(self, year):
        return self._office("coverage", {"year": year})
