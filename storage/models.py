"""Tables. Every row carries the Slack workspace (team_id, enterprise_id) and queries filter on it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, so SQLite and PostgreSQL behave the same."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Triage(Base):
    """One completed /fit questionnaire and the recommendation it produced."""

    __tablename__ = "triages"
    __table_args__ = (UniqueConstraint("team_id", "view_id", name="uq_triages_team_view"),
                      Index("ix_triages_company", "team_id", "company_key"),
                      Index("ix_triages_requester", "team_id", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    view_id: Mapped[str] = mapped_column(String(64))
    company: Mapped[str] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(String(200))  # storage.company_names.company_key(company)
    contact: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]]
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]]
    risks: Mapped[list[Any]]
    next_steps: Mapped[list[Any]]
    overlap: Mapped[list[Any]]
    # Why not a better fit, what argues against the call, why confidence isn't high, what would change
    # the answer (bot.triage.serialize.explanation). None for triages stored before questionnaire 2026-12-03.1.
    explanation: Mapped[dict[str, Any] | None]
    # The columns above hold the latest revision (TriageRevision keeps every one); `revision` is its number.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Where the recommendation message is, once posted: revisions edit it in place and reply in its thread.
    message_channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the answers last changed (the latest revision); recording where the message went doesn't count.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TriageRevision(Base):
    """One version of a triage's answers and the recommendation they produced; number 1 is the first /fit."""

    __tablename__ = "triage_revisions"
    __table_args__ = (
        UniqueConstraint("triage_id", "number", name="uq_triage_revisions_number"),
        UniqueConstraint("team_id", "view_id", name="uq_triage_revisions_team_view"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    triage_id: Mapped[int] = mapped_column(ForeignKey("triages.id"))
    team_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    view_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]]
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]]
    risks: Mapped[list[Any]]
    next_steps: Mapped[list[Any]]
    overlap: Mapped[list[Any]]
    explanation: Mapped[dict[str, Any] | None]
    # What this revision changed from the one before it: [{"question", "before", "after"}] ([] for number 1).
    changes: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A Slack call fitbot owes someone; the dispatcher sends it, retries it, or records why it failed."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key", name="uq_outbox_team_dedupe"),
        Index("ix_outbox_claimable", "status", "due_at"),
        Index("ix_outbox_subject", "team_id", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    fallback_user_id: Mapped[str | None] = mapped_column(String(32))
    # What the row is about ("plan:12"), so everything pending for it can be cancelled together.
    subject: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_channel_id: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Plan(Base):
    """An onboarding plan for one placed engineer: who is involved, where nudges go, when."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("team_id", "view_id", name="uq_plans_team_view"),
                      Index("ix_plans_triage", "triage_id"),
                      Index("ix_plans_creator", "team_id", "created_by"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    view_id: Mapped[str] = mapped_column(String(64))
    triage_id: Mapped[int | None] = mapped_column(ForeignKey("triages.id"))
    created_by: Mapped[str] = mapped_column(String(32))
    engineer_user_id: Mapped[str | None] = mapped_column(String(32))
    engineer_name: Mapped[str | None] = mapped_column(String(120))
    manager_user_id: Mapped[str] = mapped_column(String(32))
    buddy_user_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    nudge_time: Mapped[str] = mapped_column(String(5))  # "HH:MM", local to `timezone`
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    checklist_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlanItem(Base):
    """One checklist item of a plan and where it stands."""

    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "key", name="uq_plan_items_plan_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    team_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    phase_title: Mapped[str] = mapped_column(String(64))
    offset_days: Mapped[int] = mapped_column(Integer)
    owner_role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | not_applicable
    snoozed_until: Mapped[datetime | None]
    # The posted nudge whose buttons are live (cleared by a snooze, which edits the buttons away).
    nudge_channel_id: Mapped[str | None] = mapped_column(String(32))
    nudge_ts: Mapped[str | None] = mapped_column(String(32))
    nudged_at: Mapped[datetime | None]
    # Each nudge gets one reminder in its thread and one escalation to the manager, not one per rebuild.
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]


class Diagnosis(Base):
    """A lead's look back at an engagement that underperformed, and the lesson fitbot drew from it."""

    __tablename__ = "diagnoses"
    __table_args__ = (UniqueConstraint("team_id", "view_id", name="uq_diagnoses_team_view"),
                      Index("ix_diagnoses_company", "team_id", "company_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    view_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    company: Mapped[str] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(String(200))
    # The company's latest triage when the diagnosis was made, so the two are found together.
    triage_id: Mapped[int | None] = mapped_column(ForeignKey("triages.id"))
    model_used: Mapped[str] = mapped_column(String(40))
    symptoms: Mapped[list[Any]]
    other: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]]
    wrong: Mapped[str] = mapped_column(String(16))  # model | setup | unclear
    use_now: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[dict[str, Any]]  # bot.triage.serialize.diagnosis_dict
    policy_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HomeViewer(Base):
    """Someone who has opened fitbot's App Home: their tab is published again when what it shows changes."""

    __tablename__ = "home_viewers"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_home_viewers_team_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pulse(Base):
    """One 30/60/90 check-in of a plan for one person (the manager or the engineer) and their answers."""

    __tablename__ = "pulses"
    __table_args__ = (UniqueConstraint("plan_id", "checkpoint", "role", name="uq_pulses_plan_checkpoint_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    checkpoint: Mapped[int] = mapped_column(Integer)  # days after the first day
    role: Mapped[str] = mapped_column(String(16))  # manager | engineer
    user_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))  # of bot/onboarding/pulse.yml
    answers: Mapped[dict[str, Any]]  # question id -> answer value
    # The DM that asked, once sent: clicks edit it, reminders go in its thread.
    dm_channel_id: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    asked_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]  # when every question had an answer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PulseWarning(Base):
    """An early warning raised to the engagement lead: a checkpoint's answers showed contractor-style treatment."""

    __tablename__ = "pulse_warnings"
    __table_args__ = (UniqueConstraint("plan_id", "checkpoint", name="uq_pulse_warnings_plan_checkpoint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    checkpoint: Mapped[int] = mapped_column(Integer)
    # The signs seen, as raised: [{"id", "title", "roles"}] (titles kept: the pulse file may change later).
    signals: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
