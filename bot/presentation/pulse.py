"""The 30/60/90 pulse in Slack: the DM with one-click answers, its reminder, and the lead's early warning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.onboarding.pulse import Pulse as PulseDefinition
from bot.onboarding.pulse import Seen
from bot.presentation.ids import PULSE_ACTION_ID
from bot.presentation.mrkdwn import escape, truncate
from bot.presentation.plans import engineer_ref
from storage.models import Plan, Pulse

SECTION_LIMIT = 3000
WHO = {"manager": "the manager", "engineer": "the engineer"}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}]}


def pulse_message(definition: PulseDefinition, plan: Plan, pulse: Pulse) -> dict[str, Any]:
    """The check-in DM as it stands: each question with its buttons until answered, then the answer."""
    about = f"{engineer_ref(plan)}'s" if pulse.role == "manager" else "your"
    blocks = [_section(f"*Day {pulse.checkpoint} check-in* on {about} onboarding. One click per question. "
                       "Your answers go to the engagement lead who placed the engineer, to fix early what "
                       "isn't working; others see only that you answered.")]
    for q in definition.questions.get(pulse.role, ()):
        text = q.text.replace("{engineer}", engineer_ref(plan))
        chosen = q.option(pulse.answers.get(q.id, ""))
        blocks.append(_section(f"*{text}*"))
        if chosen:
            blocks.append(_context(f"Answered: *{escape(chosen.label)}*"))
        else:
            blocks.append({"type": "actions", "block_id": f"pulse:{pulse.id}:{q.id}", "elements": [
                {"type": "button", "action_id": f"{PULSE_ACTION_ID}:{i}",
                 "text": {"type": "plain_text", "text": o.label, "emoji": True},
                 "value": f"{pulse.id}:{q.id}:{o.value}"} for i, o in enumerate(q.options)]})
    if pulse.answered_at is not None:
        blocks.append(_context(":white_check_mark: Thank you: that's all for this check-in."))
    return {"text": f"Day {pulse.checkpoint} onboarding check-in", "blocks": blocks}


def pulse_reminder(pulse: Pulse) -> dict[str, Any]:
    return {"text": f"A reminder: the day-{pulse.checkpoint} check-in above takes a minute.",
            "blocks": [_section(f"A reminder: the day-{pulse.checkpoint} check-in above takes a minute, "
                                "and tells the engagement lead whether onboarding is on track.")]}


def warning_message(plan: Plan, checkpoint: int, seen: Sequence[Seen], company: str | None) -> dict[str, Any]:
    """The early warning to the engagement lead: each sign, who reported it, and the fix."""
    where = f" at *{escape(company)}*" if company else ""
    lines = [f":warning: *Early warning*: the day-{checkpoint} check-in on {engineer_ref(plan)}{where} shows "
             "signs of contractor-style treatment, the most common reason a placement fails.",
             *(f"• *{escape(s.signal.title)}* (reported by {' and '.join(WHO[r] for r in s.roles)})\n"
               f"    → {escape(s.signal.fix)}" for s in seen),
             f"Manager: <@{plan.manager_user_id}> · plan in <#{plan.channel_id}>"]
    return {"text": f"Early warning on {engineer_ref(plan)}'s onboarding (day {checkpoint})",
            "blocks": [_section("\n".join(lines))]}


def warning_line(checkpoint: int, titles: Sequence[str]) -> str:
    return f":warning: Early warning from the day-{checkpoint} check-in: {escape(', '.join(titles).lower())}"

