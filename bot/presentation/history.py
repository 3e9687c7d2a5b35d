"""`/fit history`: a company's story as an ephemeral message, a page at a time, and the list of companies.

Every event is one line, newest first: a triage, each revision with what it changed, a diagnosis, an
onboarding plan with its progress. Dates use Slack's `<!date>` so each reader sees their own timezone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.presentation.ids import HISTORY_ACTION_ID
from bot.presentation.mrkdwn import escape, truncate
from bot.presentation.plans import engineer_ref, progress_bar
from bot.presentation.pulse import warning_line
from bot.triage.engagements import ENGAGEMENTS
from storage.history import Company, CompanyHistory

SECTION_LIMIT = 3000
PAGE_LINES = 30  # a page stays well inside a message's 50 blocks, however long each line is
LINE_LIMIT = 600
COMPANIES_LISTED = 20
PLAN_STATUS = {"active": "active", "paused": "paused", "cancelled": "cancelled", "completed": "complete"}


def slack_date(moment: datetime, tokens: str = "{date_short_pretty} {time}") -> str:
    """The reader's local date and time (or Slack's other `tokens`, such as {ago}); the fallback, for
    notifications and old clients, in UTC."""
    return f"<!date^{int(moment.timestamp())}^{tokens}|{moment:%Y-%m-%d %H:%M} UTC>"


def model_name(model: str) -> str:
    return ENGAGEMENTS[model].name if model in ENGAGEMENTS else model


def history_lines(history: CompanyHistory) -> list[str]:
    """Every event of the company's story, newest first."""
    events: list[tuple[datetime, int, str]] = []
    for triage in history.triages:
        for r in history.revisions.get(triage.id, []):
            call = f"*{model_name(r.model)}* ({r.confidence} confidence)"
            if r.number == 1:
                text = f"Triage #{triage.id} by <@{r.user_id}> in <#{triage.channel_id}>: {call}"
            else:
                changed = "; ".join(f"{escape(c['question'])}: {escape(c['before'])} → {escape(c['after'])}"
                                    for c in r.changes) or "no answer changed"
                text = f"Triage #{triage.id}, revision {r.number} by <@{r.user_id}>: {call}. Changed: {changed}"
            events.append((r.created_at, 0, text))
    for d in history.diagnoses:
        result = d.result
        use_now = f" Use now: *{escape(result['use_now_name'])}*." if result.get("use_now_name") else ""
        events.append((d.created_at, 1, f"Diagnosis by <@{d.user_id}> of {escape(result['model_used_label'])}: "
                                        f"{escape(result['verdict'])}{use_now}"))
    for plan, closed, total in history.plans:
        events.append((plan.created_at, 2, f"Onboarding plan for {engineer_ref(plan)} in <#{plan.channel_id}>, "
                                           f"{PLAN_STATUS.get(plan.status, plan.status)}: "
                                           f"`{progress_bar(closed, total)}`"))
    engineers = {plan.id: engineer_ref(plan) for plan, _, _ in history.plans}
    for p in history.check_ins:  # who answered, not what: the answers go to the engagement lead alone
        events.append((p.answered_at or p.created_at, 3,
                       f"Day-{p.checkpoint} check-in on {engineers.get(p.plan_id, 'the engineer')} answered by "
                       f"<@{p.user_id}> ({p.role})"))
    for w in history.warnings:
        events.append((w.created_at, 4, f"{warning_line(w.checkpoint, [s['title'] for s in w.signals])} "
                                        f"({engineers.get(w.plan_id, 'the engineer')})"))
    events.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return [truncate(f"{slack_date(at)} · {text}", LINE_LIMIT) for at, _, text in events]


def history_message(history: CompanyHistory, key: str, page: int = 0) -> dict[str, Any]:
    lines = history_lines(history)
    pages = max(1, -(-len(lines) // PAGE_LINES))
    page = min(max(page, 0), pages - 1)
    revisions = sum(len(r) for r in history.revisions.values()) - len(history.triages)
    summary = (f"*History of {escape(history.name)}*: {_count(len(history.triages), 'triage')} "
               f"({_count(revisions, 'revision')}), {_count(len(history.diagnoses), 'diagnosis', 'diagnoses')}, "
               f"{_count(len(history.plans), 'onboarding plan')}")
    blocks: list[Block] = [_section(summary)]
    blocks += [_section(text) for text in _packed(lines[page * PAGE_LINES:(page + 1) * PAGE_LINES])]
    if pages > 1:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Page {page + 1} of {pages}, newest first")]))
        buttons = []
        if page > 0:
            buttons.append(_button("Newer", key, page - 1, "newer"))
        if page < pages - 1:
            buttons.append(_button("Older", key, page + 1, "older"))
        blocks.append(ActionsBlock(block_id="history_pages", elements=buttons))
    return {"text": truncate(f"History of {escape(history.name)}", 3000), "blocks": [b.to_dict() for b in blocks]}


def no_history_message(asked: str, close: Sequence[Company]) -> dict[str, Any]:
    text = f"fitbot has nothing stored for “{escape(asked)}”."
    if not close:
        return {"text": text, "blocks": [_section(f"{text} Names match without regard to case or accents; "
                                                  "`/fit history` lists the companies triaged lately.").to_dict()]}
    return _company_list(f"{text} Did you mean one of these?", close)


def companies_message(companies: Sequence[Company]) -> dict[str, Any]:
    if not companies:
        return {"text": "No triages yet.", "blocks": [_section(
            "No triages yet. Run `/fit Company name` in any channel.").to_dict()]}
    return _company_list("*Companies triaged most recently*. Pick one, or type `/fit history Company name`.",
                         companies)


def _company_list(intro: str, companies: Sequence[Company]) -> dict[str, Any]:
    blocks: list[Block] = [_section(intro)]
    for c in companies[:COMPANIES_LISTED]:
        blocks.append(SectionBlock(
            text=MarkdownTextObject(text=truncate(f"*{escape(c.name)}* · {_count(c.triages, 'triage')}, "
                                                  f"last {slack_date(c.last_at)}", SECTION_LIMIT)),
            accessory=_button("History", c.key, 0)))
    return {"text": intro.replace("*", ""), "blocks": [b.to_dict() for b in blocks]}


def _button(text: str, key: str, page: int, which: str = "show") -> ButtonElement:
    """`which` keeps action ids unique within a block (Newer and Older share one), as Slack requires."""
    return ButtonElement(text=text, action_id=f"{HISTORY_ACTION_ID}:{which}",
                         value=json.dumps({"company": key, "page": page}, separators=(",", ":")))


def read_button(value: Any) -> tuple[str, int] | None:
    """(company key, page) from a history button's value; None when it isn't one fitbot made."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("company"), str) or not isinstance(data.get("page"), int):
        return None
    return data["company"], data["page"]


def _packed(lines: Sequence[str]) -> list[str]:
    """Lines joined into as few sections as Slack's 3,000 characters allow."""
    sections: list[str] = []
    for line in lines:
        if sections and len(sections[-1]) + 1 + len(line) <= SECTION_LIMIT:
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    return sections


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))
