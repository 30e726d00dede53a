"""The step library, in the regulation's words. Each step makes one driver call or one check.

Patterns use the glossary's types: {who:角色} {task:任务} {stage:阶段} {status:状态} {org:单位}
{day:日期} {at:时刻} {n:数} and quoted {…:文本}. `python -m server.scenarios.lint --steps` lists them.
The plugin registers `MODULES` with pytest, so their fixtures and step definitions are visible
to every scenario.
"""
from . import actions, base, observations, planning, progress
from .base import DEFINITIONS

MODULES = (base, progress, actions, observations, planning)

__all__ = ["DEFINITIONS", "MODULES"]
