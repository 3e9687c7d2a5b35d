"""Block Kit for onboarding plans: the plan modal, nudges and their reminders, digests, the plan list."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.presentation.ids import (
    ANSWER_ACTION_ID,
    ITEM_DONE_ACTION_ID,
    ITEM_NA_ACTION_ID,
    ITEM_SNOOZE_ACTION_ID,
    PLAN_CALLBACK_ID,
    PLAN_MANAGE_ACTION_ID,
    PLAN_MOVE_CALLBACK_ID,
)
from bot.presentation.mrkdwn import escape, truncate
from bot.user_text import clean
from storage.models import Plan, PlanItem

SECTION_LIMIT = 3000
BAR_WIDTH = 20
MAX_LISTED = 45
ROLE_LABEL = {"manager": "manager", "buddy": "buddy", "engineer": "engineer", "firm": "engagement lead"}
STATUS_WORD = {"done": "Done", "not_applicable": "Not applicable"}


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_LIMIT))])


# -- the plan modal -------------------------------------------------------------------------------------

def plan_modal(*, timezones: Sequence[tuple[str, str]], metadata: Mapping[str, Any], company: str | None,
               channel_id: str | None, timezone: str | None, start: date) -> View:
    """https://api.slack.com/reference/block-kit/block-elements — user, channel, date and time pickers."""
    zone_options = [Option(value=value, label=label) for value, label in timezones]
    initial_zone = next((o for o in zone_options if o.value == timezone), None)

    def field(block_id: str, label: str, element: Any, *, optional: bool = False, hint: str | None = None):
        return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)

    blocks: list[Block] = [_context(
        f"Onboarding plan{f' for *{escape(company)}*' if company else ''}: fitbot posts each checklist item in the "
        "channel on its day, at the time you choose, and follows up until it is done."
    )]
    blocks += [
        field("engineer_user", "Engineer",
              UserSelectElement(action_id=ANSWER_ACTION_ID, placeholder="Pick the engineer"),
              optional=True, hint="Leave empty and type a name below if they are not in Slack yet."),
        field("engineer_name", "Engineer's name (if not in Slack yet)",
              PlainTextInputElement(action_id=ANSWER_ACTION_ID, max_length=120), optional=True),
        field("manager_user", "Client engineering manager",
              UserSelectElement(action_id=ANSWER_ACTION_ID, placeholder="Who directs the engineer's work")),
        field("buddy_user", "Buddy", UserSelectElement(action_id=ANSWER_ACTION_ID, placeholder="A teammate"),
              optional=True,
              hint="A teammate who answers day-to-day questions. Without one, the manager gets those items."),
        field("channel", "Channel for nudges", ConversationSelectElement(
            action_id=ANSWER_ACTION_ID, initial_conversation=channel_id, placeholder="Public or private channel",
            filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True))),
        field("start_date", "First day", DatePickerElement(action_id=ANSWER_ACTION_ID, initial_date=start.isoformat())),
        field("timezone", "Team's timezone", StaticSelectElement(
            action_id=ANSWER_ACTION_ID, options=zone_options, initial_option=initial_zone, placeholder="Choose one")),
        field("nudge_time", "Time of day for nudges", TimePickerElement(action_id=ANSWER_ACTION_ID,
                                                                         initial_time="09:30")),
    ]
    return View(type="modal", callback_id=PLAN_CALLBACK_ID, title="Onboarding plan", submit="Start plan",
                close="Cancel", private_metadata=json.dumps(dict(metadata), separators=(",", ":")), blocks=blocks)


def parse_plan_form(state_values: Mapping[str, Any]) -> dict[str, str | None]:
    """The plan form's answers from `view.state.values`, keyed by block id."""
    keys = {"engineer_user": "selected_user", "engineer_name": "value", "manager_user": "selected_user",
            "buddy_user": "selected_user", "channel": "selected_conversation", "start_date": "selected_date",
            "nudge_time": "selected_time"}
    answers: dict[str, str | None] = {}
    for block_id, key in keys.items():
        value = ((state_values.get(block_id) or {}).get(ANSWER_ACTION_ID) or {}).get(key)
        answers[block_id] = (clean(value) or None) if isinstance(value, str) else None
    zone = ((state_values.get("timezone") or {}).get(ANSWER_ACTION_ID) or {}).get("selected_option") or {}
    answers["timezone"] = zone.get("value") if isinstance(zone.get("value"), str) else None
    return answers


def notice_view(title: str, text: str) -> View:
    return View(type="modal", title=title, close="Done", blocks=[_section(text)])


def move_start_modal(plan: Plan) -> View:
    return View(type="modal", callback_id=PLAN_MOVE_CALLBACK_ID, title="Move first day", submit="Move",
                close="Cancel", private_metadata=json.dumps({"plan_id": plan.id}),
                blocks=[InputBlock(block_id="start_date", label="New first day",
                                   element=DatePickerElement(action_id=ANSWER_ACTION_ID,
                                                             initial_date=plan.start_date.isoformat()))])


# -- people ----------------------------------------------------------------------------------------------

def engineer_ref(plan: Plan) -> str:
    return f"<@{plan.engineer_user_id}>" if plan.engineer_user_id else escape(plan.engineer_name or "the engineer")


def owner_user_id(plan: Plan, role: str) -> str:
    """Who an item waits on. A buddy item falls to the manager when there is no buddy; an engineer who isn't
    in Slack yet can't be mentioned, so the manager is, to pass it on: a nudge must always reach somebody.
    (storage.desk selects "waiting on you" by the same rule.)"""
    return {"manager": plan.manager_user_id, "buddy": plan.buddy_user_id or plan.manager_user_id,
            "engineer": plan.engineer_user_id or plan.manager_user_id, "firm": plan.created_by}[role]


def owner_ref(plan: Plan, role: str) -> str:
    """Who to mention for an item (owner_user_id)."""
    if role == "engineer" and not plan.engineer_user_id:
        return f"<@{plan.manager_user_id}> (for {engineer_ref(plan)}, who isn't in Slack yet)"
    return engineer_ref(plan) if role == "engineer" else f"<@{owner_user_id(plan, role)}>"


_PEOPLE = re.compile(r"\{(engineer|manager)\}")


def item_text(plan: Plan, item: PlanItem) -> str:
    """The template text with people filled in; the template is ours, the names are escaped.

    One pass over the template, so a name that reads "{manager}" stays a name, not a mention.
    """
    people = {"engineer": engineer_ref(plan), "manager": f"<@{plan.manager_user_id}>"}
    return _PEOPLE.sub(lambda found: people[found[1]], escape(item.text))


def _local(moment: datetime, plan: Plan) -> str:
    return f"{moment.astimezone(ZoneInfo(plan.timezone)):%a %d %b}"


# -- nudges ------------------------------------------------------------------------------------------------

def nudge_message(plan: Plan, item: PlanItem, *, due_at: datetime, late: bool) -> dict[str, Any]:
    """The checklist nudge with Done / Snooze / Not applicable buttons (block_id carries the item id)."""
    owner = owner_ref(plan, item.owner_role)
    lines = [f"{owner}, onboarding for {engineer_ref(plan)}: *{item.phase_title}*", item_text(plan, item)]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), SECTION_LIMIT)}}]
    if late:  # a plain dict, like the buttons below: slack_sdk would validate it again on every nudge
        note = f":hourglass: This reminder is late: it was due {_local(due_at, plan)}."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    blocks.append(item_buttons(item.id))
    text = truncate(f"Onboarding ({item.phase_title}): {item_text(plan, item)}", 3000)
    return {"text": text, "blocks": blocks}


def item_buttons(item_id: int) -> dict[str, Any]:
    """Done / Snooze / Not applicable for one item (block_id carries its id).

    Written as the dict Slack receives because every nudge has one and slack_sdk re-validates a block
    on each to_dict(); a test checks it against the same block built with slack_sdk.models.
    """
    value = str(item_id)
    return {"type": "actions", "block_id": f"item:{item_id}", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Done", "emoji": True},
         "action_id": ITEM_DONE_ACTION_ID, "value": value, "style": "primary"},
        {"type": "static_select", "action_id": ITEM_SNOOZE_ACTION_ID,
         "placeholder": {"type": "plain_text", "text": "Snooze", "emoji": True},
         "options": [{"text": {"type": "plain_text", "text": "Until tomorrow", "emoji": True}, "value": f"{value}:day"},
                     {"text": {"type": "plain_text", "text": "For a week", "emoji": True}, "value": f"{value}:week"}]},
        {"type": "button", "text": {"type": "plain_text", "text": "Not applicable", "emoji": True},
         "action_id": ITEM_NA_ACTION_ID, "value": value},
    ]}



def closed_nudge(plan: Plan, item: PlanItem, *, snoozed_by: str | None) -> dict[str, Any]:
    """The nudge after a click, edited in place: who did what, when; no buttons left to press."""
    if item.status == "open" and item.snoozed_until:
        state = f":zzz: Snoozed by <@{snoozed_by}> until {_local(item.snoozed_until, plan)}."
    else:
        state = (f":white_check_mark: {STATUS_WORD.get(item.status, item.status)}, marked by <@{item.closed_by}> "
                 f"on {_local(item.closed_at or datetime.now(ZoneInfo('UTC')), plan)}.")
    blocks = [_section(f"*{item.phase_title}*: {item_text(plan, item)}"), _context(state)]
    return {"text": truncate(f"{item.phase_title}: {STATUS_WORD.get(item.status, 'snoozed')}", 3000),
            "blocks": [b.to_dict() for b in blocks]}


def follow_up_message(plan: Plan, item: PlanItem) -> dict[str, Any]:
    owner = owner_ref(plan, item.owner_role)
    text = f"{owner}, this one is still open. Press *Done* above when it's handled, or snooze it."
    return {"text": truncate(f"Still open: {item_text(plan, item)}", 3000), "blocks": [_section(text).to_dict()]}


def escalation_message(plan: Plan, item: PlanItem) -> dict[str, Any]:
    text = (f"An onboarding item for {engineer_ref(plan)} in <#{plan.channel_id}> is still open after a reminder:\n"
            f"> {item_text(plan, item)}\nOwner: {owner_ref(plan, item.owner_role)} "
            f"({ROLE_LABEL[item.owner_role]}). Can you help it along?")
    return {"text": "An onboarding item is still open", "blocks": [_section(text).to_dict()]}


# -- progress -----------------------------------------------------------------------------------------------

def progress_bar(done: int, total: int) -> str:
    filled = round(BAR_WIDTH * done / total) if total else BAR_WIDTH
    return "█" * filled + "░" * (BAR_WIDTH - filled) + f" {done}/{total}"


def digest_message(plan: Plan, *, done: int, open_: int, overdue: int, total: int) -> dict[str, Any]:
    text = (f"*Weekly onboarding progress for {engineer_ref(plan)}*\n`{progress_bar(done, total)}`\n"
            f"Done or not applicable: {done} · open: {open_} · overdue: {overdue}")
    return {"text": f"Onboarding progress: {done}/{total} done", "blocks": [_section(text).to_dict()]}


def complete_message(plan: Plan, total: int) -> dict[str, Any]:
    text = (f":tada: Every onboarding item for {engineer_ref(plan)} is closed ({total}/{total}). "
            f"Thanks <@{plan.manager_user_id}>{f' and <@{plan.buddy_user_id}>' if plan.buddy_user_id else ''}.")
    return {"text": "Onboarding plan complete", "blocks": [_section(text).to_dict()]}


def notice_message(text: str) -> dict[str, Any]:
    return {"text": truncate(text, 3000), "blocks": [_section(text).to_dict()]}


def channel_problem_notice(channel_id: str, error: str) -> str:
    why = {"not_in_channel": "I'm not a member, and Slack didn't let me join it",
           "channel_not_found": "I can't see it (it's private and I'm not in it, or it was deleted)",
           "is_archived": "it has been archived"}.get(error, f"Slack answered `{error}`")
    return (f":warning: I paused an onboarding plan because I can't post in <#{channel_id}>: {why}. "
            "Invite me with `/invite @fitbot` (or pick another channel), then resume it from `/fit plans`.")


def plans_list(rows: Sequence[tuple[Plan, int, int]]) -> dict[str, Any]:
    """`/fit plans`: each active or paused plan with progress and a menu of changes (ephemeral)."""
    if not rows:
        return {"text": "No active onboarding plans.", "blocks": [_section(
            "No active onboarding plans. Start one with `/fit onboard`.").to_dict()]}
    shown = rows[:MAX_LISTED]
    blocks: list[Block] = [plan_row(plan, done, total) for plan, done, total in shown]
    if len(rows) > len(shown):
        blocks.append(_context(f"…and {len(rows) - len(shown)} more, not shown (a message holds 50 blocks)."))
    return {"text": f"{len(rows)} active onboarding plan(s)", "blocks": [b.to_dict() for b in blocks]}


def plan_row(plan: Plan, done: int, total: int, overdue: int | None = None) -> SectionBlock:
    """One plan with its progress and the menu of changes its creator, manager or an admin may make."""
    paused = " · *paused*" if plan.status == "paused" else ""
    late = f" · *{overdue} overdue*" if overdue else ""
    actions = ["pause", "cancel", "move"] if plan.status == "active" else ["resume", "cancel", "move"]
    labels = {"pause": "Pause", "resume": "Resume", "cancel": "Cancel plan", "move": "Move first day"}
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(
            f"*{engineer_ref(plan)}* in <#{plan.channel_id}>{paused}\n`{progress_bar(done, total)}`{late} · "
            f"first day {plan.start_date:%a %d %b %Y} · manager <@{plan.manager_user_id}>", SECTION_LIMIT)),
        block_id=f"plan:{plan.id}",
        accessory=OverflowMenuElement(action_id=PLAN_MANAGE_ACTION_ID, options=[
            Option(value=f"{action}:{plan.id}", label=labels[action]) for action in actions]),
    )
