"""The App Home tab: the viewer's desk. What waits on them (with the nudge's own buttons), their plans,
their open triages, and buttons to start something. Each list shows its first LISTED rows and counts the
rest, so the tab stays inside Block Kit's 100 blocks however much is stored."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.presentation.history import model_name, slack_date
from bot.presentation.ids import (
    HOME_DIAGNOSE_ACTION_ID,
    HOME_PLAN_ACTION_ID,
    HOME_TRIAGE_ACTION_ID,
    HOME_TRIAGE_MENU_ACTION_ID,
)
from bot.presentation.mrkdwn import escape, truncate
from bot.presentation.plans import engineer_ref, item_buttons, item_text, plan_row
from bot.presentation.pulse import warning_line
from storage.desk import Desk

# Per list: waiting 2 + 2×10, plans 2 + 2×10 (a row and its warning), triages 3 + 10, and 6 more: 63 at
# most, well under the tab's 100.
LISTED = 10
SECTION_LIMIT = 3000


def home_view(desk: Desk, overdue: dict[int, int]) -> dict:
    """`overdue`: open items past their time, per plan shown."""
    blocks: list[Block] = [
        HeaderBlock(text="fitbot"),
        ActionsBlock(block_id="home_actions", elements=[
            ButtonElement(text="New triage", action_id=HOME_TRIAGE_ACTION_ID, style="primary"),
            ButtonElement(text="Start onboarding plan", action_id=HOME_PLAN_ACTION_ID),
            ButtonElement(text="Diagnose an engagement", action_id=HOME_DIAGNOSE_ACTION_ID),
        ]),
        DividerBlock(),
    ]
    blocks += _waiting(desk)
    blocks.append(DividerBlock())
    blocks += _plans(desk, overdue)
    blocks.append(DividerBlock())
    blocks += _triages(desk)
    blocks.append(_context("`/fit help` lists everything fitbot does. Dates are in your timezone."))
    return View(type="home", blocks=blocks).to_dict()


def _waiting(desk: Desk) -> list[Block]:
    blocks: list[Block] = [_section(f"*Waiting on you* ({desk.assigned_count})")]
    if not desk.assigned:
        return [*blocks, _context("No onboarding item waits on you.")]
    for item, plan in desk.assigned:
        nudged = f" · nudged {_ago(item.nudged_at)}" if item.nudged_at else ""
        blocks.append(_section(f"*{escape(item.phase_title)}* for {engineer_ref(plan)} in <#{plan.channel_id}>"
                               f"{nudged}\n{item_text(plan, item)}"))
        blocks.append(ActionsBlock.parse(item_buttons(item.id)))
    return blocks + _more(desk.assigned_count, len(desk.assigned), "in their channels")


def _plans(desk: Desk, overdue: dict[int, int]) -> list[Block]:
    blocks: list[Block] = [_section(f"*Your onboarding plans* ({desk.plan_count})")]
    if not desk.plans:
        return [*blocks, _context("None running. *Start onboarding plan* above, or the button on a recommendation.")]
    for plan, done, total in desk.plans:
        blocks.append(plan_row(plan, done, total, overdue.get(plan.id, 0)))
        if warned := desk.warnings.get(plan.id):  # the latest check-in's warning
            blocks.append(_context(warning_line(warned[0].checkpoint, [s["title"] for s in warned[0].signals])))
    return blocks + _more(desk.plan_count, len(desk.plans), "in `/fit plans`")


def _triages(desk: Desk) -> list[Block]:
    blocks: list[Block] = [_section(f"*Your open triages* ({desk.open_triage_count})"),
                           _context("Triages you ran that no onboarding plan has started from yet.")]
    if not desk.open_triages:
        return [*blocks, _context("None. *New triage* above, or `/fit Company name` in a channel.")]
    for t in desk.open_triages:
        revised = f" · revision {t.revision}" if t.revision > 1 else ""
        blocks.append(SectionBlock(
            block_id=f"triage:{t.id}",
            text=MarkdownTextObject(text=truncate(
                f"*{escape(t.company)}*: {model_name(t.model)} ({t.confidence} confidence){revised}\n"
                f"in <#{t.channel_id}> · started {_ago(t.created_at)}", SECTION_LIMIT)),
            accessory=OverflowMenuElement(action_id=HOME_TRIAGE_MENU_ACTION_ID, options=[
                Option(value=f"edit:{t.id}", label="Edit answers"),
                Option(value=f"history:{t.id}", label="Company history")]),
        ))
    return blocks + _more(desk.open_triage_count, len(desk.open_triages), "in `/fit history`")


def _more(total: int, shown: int, where: str) -> list[Block]:
    return [_context(f"…and {total - shown} more, {where}.")] if total > shown else []


def _ago(moment: datetime) -> str:
    """"3 days ago" in each viewer's own terms (Slack's {ago}), the date as the fallback."""
    return slack_date(moment, "{ago}")


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_LIMIT))])
