"""Moving running instances to another deployed version, with SpiffWorkflow's diff and migrate.

An instance can move when every step it has reached exists in the target version: the
library aligns task specs by BPMN id, re-points the tasks at the new specs and re-predicts the
waiting branches (so a changed deadline is recomputed from the new expression). An instance
waiting at, or having passed through, a step the target version removed stays where it is, and
the preview says why. Each move is its own transaction and is audited.
"""
from dataclasses import dataclass, field

from sqlalchemy import select, update
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from ..engine.runtime import advance
from ..engine.serialization import SERIALIZER, dump_state, forget_json, load_state
from ..store import schema
from .access import require_role
from .context import unit_of_work
from .errors import InvalidInput
from .state import Loaded, get_instance_row, load, save
from .versions import bundle_for

I = schema.instances
T = schema.human_tasks
MOVABLE_STATES = ("running", "suspended")
# Tasks still under way: a removed step in one of these states leaves the instance nowhere to be.
UNDER_WAY = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_STATE_NAMES = {"completed": "办结", "cancelled": "撤销"}


@dataclass
class Check:
    """Whether one instance can move, and why not."""
    instance_id: str
    title: str
    from_version: int
    reasons: list = field(default_factory=list)
    changed: list = field(default_factory=list)     # steps it has reached that the target changed

    @property
    def can_move(self):
        return not self.reasons

    def as_dict(self):
        return {"instance_id": self.instance_id, "title": self.title,
                "from_version": self.from_version, "can_move": self.can_move,
                "reasons": self.reasons, "changed": self.changed}


def preview(services, actor, target_version):
    """Every running or suspended instance of another version, with whether it can move."""
    require_role(actor, "process_owner", "admin")
    with unit_of_work(services) as uow:
        bundle_for(uow, target_version)                 # 404 for an unknown version
        ids = uow.conn.execute(select(I.c.id).where(
            I.c.state.in_(MOVABLE_STATES), I.c.version_id != target_version)
            .order_by(I.c.created_at)).scalars().all()
    checks = []
    for instance_id in ids:
        with unit_of_work(services) as uow:
            loaded = load(uow, get_instance_row(uow, instance_id))
            checks.append(_plan(uow, loaded, target_version)[0])
    return [c.as_dict() for c in checks]


def migrate(services, actor, target_version, instance_ids):
    """Move the given instances; those that cannot move stay, with the reasons."""
    require_role(actor, "process_owner", "admin")
    if not instance_ids:
        raise InvalidInput("请选择要迁移的巡查", {"instances": "至少选择一个巡查"})
    results = []
    for instance_id in dict.fromkeys(str(i) for i in instance_ids):
        with unit_of_work(services) as uow:
            results.append(_migrate_one(uow, actor, instance_id, target_version).as_dict())
    return results


def _migrate_one(uow, actor, instance_id, target_version):
    row = get_instance_row(uow, instance_id)
    if row.state not in MOVABLE_STATES:
        return Check(row.id, row.title, row.version_id, [f"巡查已{_STATE_NAMES[row.state]}，无需迁移"])
    if row.version_id == target_version:
        return Check(row.id, row.title, row.version_id, [f"已在版本 {target_version}"])
    loaded = load(uow, row)
    check, apply = _plan(uow, loaded, target_version)
    if not check.can_move:
        return check
    try:
        moved = apply()
    except Exception as exc:            # the library could not map this instance's history
        check.reasons.append(f"无法迁移：{exc}")
        return check
    uow.conn.execute(update(I).where(I.c.id == row.id).values(version_id=target_version))
    before = {t.id: t for t in loaded.projection.open_tasks}
    projection = save(uow, moved, state=row.state)
    _refresh_task_rows(uow, before, projection)
    uow.audit(actor, "instance.migrated", instance_id=row.id, from_version=row.version_id,
              to_version=target_version, changed=check.changed)
    return check


def _plan(uow, loaded, target_version):
    """The check for moving one loaded instance, and a function that makes the move."""
    row, workflow = loaded.row, loaded.workflow
    check = Check(row.id, row.title, row.version_id)
    target = bundle_for(uow, target_version)
    try:
        spec, dependencies = target.spec_for(row.process_id)
    except KeyError:
        check.reasons.append(f"新版本中没有流程 {row.process_id}")
        return check, None
    top, subs = diff_workflow(SERIALIZER.registry, workflow, spec, dependencies)
    _explain(check, workflow, top)
    for sub_id, sub_diff in subs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None:
            check.reasons.append(f"子流程「{sub.spec.description or sub.spec.name}」在新版本中已删除")
        else:
            _explain(check, sub, sub_diff)

    def apply():
        migrate_workflow(top, workflow, spec)
        workflow.subprocess_specs = dependencies
        for sub_id, sub_diff in subs.items():
            sub = workflow.subprocesses[sub_id]
            migrate_workflow(sub_diff, sub, dependencies[sub.spec.name])
        forget_json(workflow)       # finished tasks now have the new version's specs
        advance(workflow)
        # The stored state must load against the new version's spec, or the move is refused.
        load_state(dump_state(workflow), spec, dependencies, uow.script_engine)
        return Loaded(row, target, workflow, loaded.projection, loaded.next_due_at)

    return check, apply


def _explain(check, workflow, diff):
    for task in diff.removed:
        if not task.task_spec.bpmn_id and not task.has_state(UNDER_WAY):
            continue
        name = _step_name(task)
        if task.has_state(TaskState.WAITING):
            check.reasons.append(f"等待中的「{name}」在新版本中已删除")
        elif task.has_state(UNDER_WAY):
            check.reasons.append(f"正在办理的「{name}」在新版本中已删除")
        elif task.has_state(TaskState.COMPLETED):
            check.reasons.append(f"已办理的「{name}」在新版本中已删除，历史无法对应")
    for task in diff.changed:
        # Only the diagram's own elements: the library's helper specs have no BPMN id.
        if task.task_spec.bpmn_id and task.has_state(UNDER_WAY | TaskState.COMPLETED):
            name = _step_name(task)
            if name not in check.changed:
                check.changed.append(name)


def _step_name(task):
    spec = task.task_spec
    return spec.bpmn_name or spec.bpmn_id or spec.name


def _refresh_task_rows(uow, before, projection):
    """Open tasks that stayed open keep their row: give it the new version's name, form, role."""
    for task in projection.open_tasks:
        old = before.get(task.id)
        if old is None or (old.name, old.form, old.clauses, old.stage, old.role) == \
                (task.name, task.form, task.clauses, task.stage, task.role):
            continue
        uow.conn.execute(update(T).where(T.c.id == task.id).values(
            bpmn_id=task.bpmn_id, name=task.name, form=task.form, stage=task.stage,
            role=task.role, clauses=" ".join(task.clauses)))

