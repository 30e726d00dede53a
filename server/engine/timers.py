"""Timer events that read our clock, with inclusive deadline semantics.

SpiffWorkflow's own timers read `datetime.now(timezone.utc)` and fire only strictly after the due
time. Ours ask the workflow's script engine for the time (so a fake clock stored in the database
drives them in demos, training and tests) and fire once the clock *reads* the due instant: a
deadline of 24:00 has passed at 00:00:00 (design §3). They are installed through the parser's and
serializer's registries, not by patching the library.
"""
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)


def clock_now(task):
    """The time as the workflow's script engine sees it (UTC)."""
    now = getattr(task.workflow.script_engine, "now", None)
    return now() if now else datetime.now(timezone.utc)


def evaluate_timer(task, expression):
    """Evaluate a timer expression, noting whether the calendar had to guess (provisional)."""
    engine = task.workflow.script_engine
    track = getattr(engine, "track_provisional", None)
    if track is None:
        return engine.evaluate(task, expression)
    with track() as seen:
        value = engine.evaluate(task, expression)
    task._set_internal_data(provisional=seen.provisional)
    return value


class ClockTimeDate(TimeDateEventDefinition):

    def has_fired(self, my_task):
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = evaluate_timer(my_task, self.expression)
            if not isinstance(value, str):
                raise TypeError(f"timeDate expression must give an ISO string, got {value!r}")
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.parse_time_or_duration(value) <= clock_now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDuration(DurationTimerEventDefinition):

    def has_fired(self, my_task):
        value = my_task._get_internal_data("event_value")
        now = clock_now(my_task)
        if value is None:
            expression = evaluate_timer(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.get_datetime(value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycle(CycleTimerEventDefinition):

    def cycle_complete(self, my_task):
        value = my_task._get_internal_data("event_value")
        now = clock_now(my_task)
        if value is None:
            expression = evaluate_timer(my_task, self.expression)
            cycles, start, duration = parse_cycle(expression, now)
            value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if value["cycles"] != 0:
            next_at = datetime.fromisoformat(value["next"])
            if next_at <= now:
                value["next"] = (next_at + timedelta(seconds=value["duration"])).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=value)
        return ready


def parse_cycle(expression, now):
    """Like the library's parser, but an interval without a start counts from our clock."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):
        cycles = int(parts[0]) if parts[0] else -1
        parsed = TimerEventDefinition.parse_iso_duration(parts[1])
        duration = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


REPLACEMENTS = {
    TimeDateEventDefinition: ClockTimeDate,
    DurationTimerEventDefinition: ClockDuration,
    CycleTimerEventDefinition: ClockCycle,
}


def with_clock(definition):
    """The clock-aware equivalent of a parsed timer definition (others are returned as they are)."""
    cls = REPLACEMENTS.get(type(definition))
    if cls is None:
        return definition
    return cls(definition.name, definition.expression, description=definition.description)


class ClockTimerParserMixin:
    """Mixed into the spiff event parsers so every parsed timer is one of ours."""

    def parse_timer_event(self, event):
        return with_clock(super().parse_timer_event(event))


def register_converters(config):
    """Teach a serializer config about our timer classes."""
    for cls in REPLACEMENTS.values():
        config[cls] = TimerConditionalEventDefinitionConverter
    return config
