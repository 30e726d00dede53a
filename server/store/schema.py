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
    Column("email", String(200)),                                          # 0004
    Column("must_change_password", Boolean, nullable=False, default=False),  # 0004: after a reset
    Column("password_changed_at", UtcDateTime()),                          # 0004
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
    Column("regulation_ref", Text, nullable=False, default=""),   # 0004: the rule change behind it
    Column("gate", JSON),                                         # 0004: scenario gate summary
    Column("override_reason", Text),                              # 0004: deployed despite the gate
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
    # The inbox's filters, scope (the roster by instance) and sort: counted and sorted from the
    # index alone (migration 0005).
    Index("ix_human_tasks_listing", "state", "role", "organisation", "due_at", "created_at",
          "instance_id", "overdue"),
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
    Index("ix_notifications_role_instance", "role", "instance_id", "id"),     # team rosters
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

# Accounts, documents, mail, scenario runs and process drafts (migration 0004).
# Failed sign-ins, by user name and by address: enough of them in a window locks sign-in.
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(120), nullable=False),          # "user:<name>" or "ip:<address>"
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

# Official documents issued for an inspection; the row gives each its number (文号) once.
issued_documents = Table(
    "issued_documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_id", String(36), ForeignKey("instances.id"), nullable=False),
    Column("kind", String(20), nullable=False),          # notice feedback_letter announcement bulletin
    Column("year", Integer, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("number", String(80), nullable=False),        # e.g. 菏安巡〔2025〕3号
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("issued_by", String(80), nullable=False),
    UniqueConstraint("kind", "year", "serial", name="uq_issued_documents_serial"),
    UniqueConstraint("instance_id", "kind", name="uq_issued_documents_instance_kind"),
)

# Mail waiting to be sent: written in the transaction that caused it, sent by the worker.
mail_outbox = Table(
    "mail_outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("to_address", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Index("ix_mail_outbox_pending", "sent_at", "id"),
)

# Behaviour-scenario runs started by reviewers and by the deployment gate.
scenario_runs = Table(
    "scenario_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("version_id", Integer, ForeignKey("process_versions.id")),   # empty for a draft
    Column("draft_id", Integer),
    Column("label", String(200), nullable=False, default=""),
    Column("files", JSON),                                # draft files run instead of the version's
    Column("state", String(20), nullable=False),          # queued running passed failed error
    Column("total", Integer, nullable=False, default=0),
    Column("done", Integer, nullable=False, default=0),
    Column("result", JSON),
    Column("finished_at", UtcDateTime()),
    Index("ix_scenario_runs_version", "version_id", "id"),
)

# A process owner's work in progress: diagrams, decision tables and forms edited together.
process_drafts = Table(
    "process_drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("base_version", Integer, ForeignKey("process_versions.id")),
    Column("created_by", String(80), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(80), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("revision", Integer, nullable=False, default=1),
    Column("problems", JSON, nullable=False, default=list),
)

draft_files = Table(
    "draft_files", metadata,
    Column("draft_id", Integer, ForeignKey("process_drafts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("path", String(200), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)
