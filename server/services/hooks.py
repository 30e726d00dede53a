"""What the services do when an instance reaches a point that matters outside it.

Called by `state.save` in the same transaction as the save, so the instance and what follows
from it commit or roll back together. Keyed by process id (an instance completes) and by
(process id, BPMN id) of a user task just completed; a lookup in a small dict on the hot path.
The modules acting on them are imported when first needed: they import the services that
import this one.
"""
import importlib

# (process id, user task BPMN id) -> "module:function"(uow, loaded, task, username)
TASK_COMPLETED = {
    ("inspection_entry", "publish_announcement"): "registers:record_entry",
    ("inspection_implementation", "review_fieldwork"): "registers:record_fieldwork_end",
}
# process id -> "module:function"(uow, loaded, username), once when the instance completes
INSTANCE_COMPLETED = {
    "annual_plan": "planning:start_planned_inspections",
}


def after_save(uow, loaded, state, completed):
    if completed:
        task = loaded.projection.task(completed[0])
        if task is not None and (task.process_id, task.bpmn_id) in TASK_COMPLETED:
            _resolve(TASK_COMPLETED[(task.process_id, task.bpmn_id)])(
                uow, loaded, task, completed[1])
    process_id = loaded.row.process_id
    if state == "completed" and loaded.row.state != "completed" and process_id in INSTANCE_COMPLETED:
        _resolve(INSTANCE_COMPLETED[process_id])(uow, loaded, completed[1] if completed else None)


def _resolve(reference):
    module, function = reference.split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)
