"""What listeners need, handed to them through Bolt's context (see bot.app)."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

from slack_bolt import BoltContext

from bot.acks_first import AcksFirst
from bot.dispatcher import Dispatcher
from bot.onboarding.checklist import Checklist
from bot.onboarding.pulse import Pulse
from bot.presentation.triage import QuestionnaireModal
from bot.triage.diagnosis import Policy
from bot.triage.questionnaire import Questionnaire
from storage.db import Database
from storage.triages import Workspace


@dataclass(frozen=True)
class Services:
    db: Database
    questionnaire: Questionnaire
    dispatcher: Dispatcher
    triage_modal: QuestionnaireModal
    checklist: Checklist
    check_ins: Pulse  # the 30/60/90 pulse's questions (bot/onboarding/pulse.yml)
    diagnosis: Policy
    after_ack: Executor  # runs what a listener hands off once Slack has its answer (handlers.replies.after_ack)
    acks: AcksFirst = field(default_factory=AcksFirst)  # which the work waits for (bot.acks_first)


def workspace_of(context: BoltContext) -> Workspace:
    """The installing workspace as Bolt resolved it (right for Slack Connect and org-wide installs too)."""
    return Workspace(team_id=context.team_id or "", enterprise_id=context.enterprise_id)
