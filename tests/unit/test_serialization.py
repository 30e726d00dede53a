"""The stored state: finished tasks' JSON is kept with the workflow and reused by the next dump,
and a dump is still exactly what writing the whole workflow afresh gives, whatever changed; a
state reads back (server/engine/restore.py) as the library's own converters read it."""
from uuid import UUID

import orjson
import pytest
from SpiffWorkflow import TaskState

from server.engine import runtime
from server.engine.projection import acknowledge, project
from server.engine.serialization import (SERIALIZER, _library_reading, _read, dump_state,
                                         load_state, state_dict)
from walk import MAIN, Walk, disclose, enter, feedback, implement, prepare, product_bundle, report


@pytest.fixture(scope="module")
def bundle():
    return product_bundle()


def fresh(workflow):
    """The state written without any kept JSON."""
    return orjson.dumps(state_dict(workflow, reuse=False),
                        option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def kept_tasks(workflow):
    return {key: entry.json for each in (workflow, *workflow.subprocesses.values())
            for key, entry in each.__dict__.get("_xuncha_kept_json", {}).items()}


def fieldwork_ends(workflow):
    return {t.id: t.data.get("fieldwork_end") for t in workflow.get_tasks()}


def reload(w):
    w.wf = load_state(dump_state(w.wf), *w.bundle.spec_for(MAIN), w.engine)


def test_every_dump_of_a_whole_inspection_is_the_state_written_afresh(bundle):
    w = Walk(bundle)
    steps = 0
    for stage in (prepare, enter, implement, report, feedback, disclose):
        real_submit = w.submit

        def submit(task, **fields):
            nonlocal steps
            real_submit(task, **fields)
            assert dump_state(w.wf) == fresh(w.wf)
            steps += 1
            if steps % 5 == 0:                  # a restart now and then: nothing kept yet
                reload(w)

        w.submit = submit
        stage(w)
        w.submit = real_submit
    assert w.wf.completed and steps == 22
    assert dump_state(w.wf) == fresh(w.wf)


def test_finished_tasks_are_written_once_and_then_reused(bundle):
    w = Walk(bundle)
    prepare(w)
    enter(w)
    dump_state(w.wf)
    first = kept_tasks(w.wf)
    assert len(first) > 20                     # the preparation's and entry's finished tasks
    w.complete("登记巡查工作记录")
    dump_state(w.wf)
    again = kept_tasks(w.wf)
    assert set(first) <= set(again)
    assert all(again[key] is first[key] for key in first)       # the same JSON, not rewritten


def test_a_corrected_date_reaches_the_finished_task_that_holds_it(bundle):
    """A waiting deadline's parent (the split that started it) has finished; correcting the end of
    fieldwork changes its data, and the stored state must carry the correction."""
    w = Walk(bundle)
    prepare(w)
    enter(w)
    implement(w)
    dump_state(w.wf)                           # the split's JSON is kept now
    before = w.timers()
    runtime.correct_data(w.wf, {"fieldwork_end": "2025-10-10"})
    assert w.timers() != before
    corrected, dates = w.timers(), fieldwork_ends(w.wf)
    assert any(t.data.get("fieldwork_end") == "2025-10-10" for t in w.wf.get_tasks(
        state=TaskState.FINISHED_MASK))            # the split, finished, holds the correction
    reload(w)
    assert w.timers() == corrected and fieldwork_ends(w.wf) == dates


def test_a_timer_marked_reported_after_a_dump_is_written_again(bundle):
    """The fired timer's "reported" mark (projection.acknowledge) lands on a finished task."""
    w = Walk(bundle)
    prepare(w)
    enter(w)
    implement(w)
    w.clock.set("2025-10-21T00:00:00+08:00")
    runtime.advance(w.wf)
    fired = project(bundle, w.wf).fired
    assert [f.bpmn_id for f in fired] == ["report_reminder"]
    dump_state(w.wf)                           # the fired timer's JSON is kept unmarked
    acknowledge(w.wf, fired)
    reload(w)
    assert project(bundle, w.wf).fired == ()   # not reported again after a restart


def test_a_finished_task_that_loses_children_is_written_again(bundle):
    w = Walk(bundle)
    prepare(w)
    dump_state(w.wf)
    finished = [t for t in w.wf.get_tasks(state=TaskState.FINISHED_MASK)
                if (t.parent is None or t.parent.has_state(TaskState.FINISHED_MASK))
                and any(c.has_state(TaskState.NOT_FINISHED_MASK) for c in t.children)]
    assert finished
    finished[0]._drop_children()               # as the engine drops a branch not taken
    assert dump_state(w.wf) == fresh(w.wf)


def test_a_state_reads_back_as_the_library_reads_it(bundle):
    """server/engine/restore.py against the library's converters, at every step of a whole
    inspection: the same tasks, data, waiting events, and the same JSON written back."""
    w, states = Walk(bundle), []
    for stage in (prepare, enter, implement, report, feedback, disclose):
        real_submit = w.submit

        def submit(task, **fields):
            real_submit(task, **fields)
            states.append(dump_state(w.wf))

        w.submit = submit
        stage(w)
        w.submit = real_submit
    spec, subprocess_specs = bundle.spec_for(MAIN)
    for state in states:
        ours = _read(SERIALIZER, state, spec, subprocess_specs, w.engine)
        theirs = _read(_library_reading(), state, spec, subprocess_specs, w.engine)
        assert fresh(ours) == fresh(theirs) == fresh(load_state(state, spec, subprocess_specs,
                                                                w.engine))
        assert {t.id: t.data for t in ours.get_tasks()} == {t.id: t.data for t in theirs.get_tasks()}
        assert len(ours.event_manager.tasks) == len(theirs.event_manager.tasks)


def test_a_restored_task_owns_its_data(bundle):
    """As in the library, a task's data is its own: changing a list in it leaves its parent's."""
    w = Walk(bundle)
    prepare(w)
    reload(w)
    task = w.wf.get_task_from_id(UUID(w.task("发布巡查公告").id))
    members = task.data["members"]
    assert members == task.parent.data["members"] and members is not task.parent.data["members"]
    members.append({"username": "x"})
    assert len(task.parent.data["members"]) == len(members) - 1
