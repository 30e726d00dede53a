"""Tables (SQLAlchemy Core). Migrations in `migrations/` create exactly these."""
from datetime import timezone

from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData,
    String, Table, Text, TypeDecorator, UniqueConstraint,
)


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


metadata = MetaData()

organisations = Table(
    "organisations", metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),          # county, department, external
    Column("has_supervision_duty", Boolean, nullable=False, default=False),   # R1.2 (0003)
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("organisation", String(40), ForeignKey("organisations.code")),
    Column("active", Boolean, nullable=False, default=True),
    Column("api_token_hash", String(128), unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

user_roles = Table(
    "user_roles", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(40), primary_key=True),
)

process_versions = Table(
    "process_versions", metadata,
    Column("id", Integer, primary_key=True),              # the version number
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=False),
)

version_files = Table(
    "version_files", metadata,
    Column("version_id", Integer, ForeignKey("process_versions.id"), primary_key=True),
    Column("path", String(200), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

instances = Table(
    "instances", metadata,
    Column("id", String(36), primary_key=True),
    Column("process_id", String(100), nullable=False),
    Column("version_id", Integer, ForeignKey("process_versions.id"), nullable=False),
    Column("state", String(20), nullable=False),          # running completed cancelled suspended
    Column("title", String(200), nullable=False),
    Column("organisation", String(40)),                   # the inspected organisation
    Column("workflow_state", Text, nullable=False),
    Column("revision", Integer, nullable=False),          # optimistic lock
    Column("next_due_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_instances_next_due_at", "next_due_at"),
    Index("ix_instances_organisation", "organisation"),
)

instance_members = Table(
    "instance_members", metadata,
    Column("instance_id", String(36), ForeignKey("instances.id"), primary_key=True),
    Column("username", String(80), primary_key=True),
    Index("ix_instance_members_username", "username"),
)

human_tasks = Table(
    "human_tasks", metadata,
    Column("id", String(36), primary_key=True),           # the engine's task id
    Column("instance_id", String(36), ForeignKey("instances.id"), nullable=False),
    Column("bpmn_id", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("process_id", String(100), nullable=False),
    Column("stage", String(40), nullable=False),
    Column("role", String(40), nullable=False),
    Column("organisation", String(40)),
    Column("form", String(100), nullable=False),
    Column("clauses", String(200), nullable=False),
    Column("state", String(20), nullable=False),          # open completed cancelled
    Column("due_at", UtcDateTime()),
    Column("provisional", Boolean, nullable=False, default=False),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("claimed_by", String(80)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime()),
    Column("completed_by", String(80)),
    Index("ix_human_tasks_inbox", "state", "role", "organisation", "due_at"),
    Index("ix_human_tasks_instance", "instance_id", "state"),
)

audit_events = Table(
    "audit_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(60), nullable=False),
    Column("instance_id", String(36)),
    Column("task_id", String(36)),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_events_instance", "instance_id", "id"),
)

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("kind", String(20), nullable=False),           # reminder overdue
    Column("instance_id", String(36), ForeignKey("instances.id"), nullable=False),
    Column("task_id", String(36)),
    Column("role", String(40), nullable=False),
    Column("organisation", String(40)),
    Column("message", Text, nullable=False),
    Index("ix_notifications_role", "role", "organisation", "id"),
)

calendar_years = Table(
    "calendar_years", metadata,
    Column("year", Integer, primary_key=True),
    Column("schedule", JSON, nullable=False),
    Column("loaded_at", UtcDateTime(), nullable=False),
    Column("loaded_by", String(80), nullable=False),
)

# One row shared by every process: the fake clock and the calendar's revision.
settings = Table(
    "settings", metadata,
    Column("id", Integer, primary_key=True),
    Column("fake_now", UtcDateTime()),
    Column("calendar_revision", Integer, nullable=False, default=0),
    UniqueConstraint("id"),
)

# Work in progress on a task: what was typed, saved without validation (migration 0002).
task_drafts = Table(
    "task_drafts", metadata,
    Column("task_id", String(36), ForeignKey("human_tasks.id"), primary_key=True),
    Column("username", String(80), nullable=False),
    Column("data", JSON, nullable=False),
    Column("saved_at", UtcDateTime(), nullable=False),
)

# Uploaded files (evidence, reports). The content lives in the database: one transaction covers
# the row and the bytes, backups and replicas carry them, and every web process sees them.
attachments = Table(
    "attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("task_id", String(36), ForeignKey("human_tasks.id"), nullable=False),
    Column("instance_id", String(36), ForeignKey("instances.id"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(80), nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
    Index("ix_attachments_instance", "instance_id"),
    Index("ix_attachments_task", "task_id"),
)

# Per user: notifications read up to this id, and when the inbox was last looked at ("新").
notification_marks = Table(
    "notification_marks", metadata,
    Column("username", String(80), primary_key=True),
    Column("read_up_to", Integer, nullable=False, default=0),
    Column("seen_at", UtcDateTime()),
)

# Planning (migration 0003): the registers the planning rules read (R3.1a-c), the annual plans,
# the coverage settings and the early warnings already given.
# Inspections by the State Council's or the province's commission (R3.1b; joint ones R3.1a).
external_inspections = Table(
    "external_inspections", metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation", String(40), ForeignKey("organisations.code"), nullable=False),
    Column("body", String(20), nullable=False),           # state_council province
    Column("year", Integer, nullable=False),
    Column("joint_with_city", Boolean, nullable=False, default=False),
    Column("note", Text, nullable=False, default=""),
    Column("registered_by", String(80), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Index("ix_external_inspections_org_year", "organisation", "year"),
)

# The city's own inspections: written when a team enters and when its fieldwork ends, or
# registered by the office for inspections made before the system (instance_id empty).
inspection_history = Table(
    "inspection_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation", String(40), ForeignKey("organisations.code"), nullable=False),
    Column("inspection_type", String(20), nullable=False),   # full special
    Column("onsite_start", Date, nullable=False),
    Column("fieldwork_end", Date),
    Column("joint_with_province", Boolean, nullable=False, default=False),
    Column("instance_id", String(36), ForeignKey("instances.id"), unique=True),
    Column("note", Text, nullable=False, default=""),
    Column("registered_by", String(80), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Index("ix_inspection_history_org", "organisation", "onsite_start"),
)

# An annual plan is an `annual_plan` instance; this row finds it by year and keeps its outcome.
inspection_plans = Table(
    "inspection_plans", metadata,
    Column("instance_id", String(36), ForeignKey("instances.id"), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("state", String(20), nullable=False),         # drafting approved cancelled
    Column("started_by", String(80), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("approved_by", String(80)),
    Column("approved_at", UtcDateTime()),
    Column("inspections", JSON, nullable=False, default=list),   # instance ids started from it
    Index("ix_inspection_plans_year", "year", "state"),
)

# Settings the office changes at run time (coverage cycle start, early-warning date).
planning_settings = Table(
    "planning_settings", metadata,
    Column("key", String(60), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_by", String(80), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# One early warning per two-year cycle (R3.1a): the row makes it happen once.
coverage_warnings = Table(
    "coverage_warnings", metadata,
    Column("cycle_start_year", Integer, primary_key=True),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("uncovered", JSON, nullable=False),
    Column("instance_id", String(36), ForeignKey("instances.id")),
)
