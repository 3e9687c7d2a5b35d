"""The /fit modal, its result views, the recommendation message, its revisions, and the help text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.presentation.ids import (
    ANSWER_ACTION_ID,
    PLAN_START_ACTION_ID,
    POST_CHANNEL_BLOCK_ID,
    TRIAGE_CALLBACK_ID,
    TRIAGE_EDIT_ACTION_ID,
    TRIAGE_EDIT_CALLBACK_ID,
)
from bot.presentation.mrkdwn import escape, truncate
from bot.triage.engagements import PLACEMENT
from bot.triage.engine import Recommendation
from bot.triage.questionnaire import Question, Questionnaire
from bot.triage.revisions import Change, Prefill
from bot.user_text import clean

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
HINT_LIMIT = 2000
MESSAGE_TEXT_LIMIT = 4000
CONFIDENCE_LABEL = {"high": "High", "medium": "Medium", "low": "Low"}

USAGE = (
    "*`/fit [company]`*: answer a few questions about a prospect; fitbot recommends staff augmentation, "
    "outsourcing, or consulting / discovery first, and explains why in this channel.\n"
    "*`/fit history [company]`*: every triage of a company with each revision, its diagnoses and its "
    "onboarding plans; without a company, the companies triaged lately.\n"
    "*`/fit onboard [company]`*: start an onboarding plan for a placed engineer, from the company's latest "
    "triage when named; fitbot nudges each checklist item in the channel on its day until it is done.\n"
    "*`/fit plans`*: the active onboarding plans, with progress; pause, resume, cancel or move one.\n"
    "*`/fit diagnose [company]`*: look back at an engagement that underperformed; fitbot says whether the model "
    "or the setup was wrong, what to change, and which model to use now.\n"
    "*`/fit help`*: this message."
)


class QuestionnaireModal:
    """The /fit modal, built and checked against Slack's limits once; each /fit only fills in its blanks.

    Building the view with slack_sdk.models on every request re-validates every block; with 32
    requests at once that CPU competes with the acks themselves (docs/performance.md).
    """

    def __init__(self, questionnaire: Questionnaire) -> None:
        self._company_limit = questionnaire.question("company").max_length or SECTION_LIMIT
        self._template = _modal_view(questionnaire).to_dict()
        self._company_index = next(i for i, block in enumerate(self._template["blocks"])
                                   if block.get("block_id") == "company")
        self._channel_block = InputBlock(
            block_id=POST_CHANNEL_BLOCK_ID, label="Post the recommendation in",
            element=ConversationSelectElement(action_id=ANSWER_ACTION_ID, placeholder="Public or private channel",
                                              filter=ConversationFilter(include=["public", "private"],
                                                                        exclude_bot_users=True)),
        ).to_dict()

    def render(self, *, company: str, metadata: Mapping[str, Any], ask_channel: bool = False) -> dict[str, Any]:
        """https://api.slack.com/reference/surfaces/views — the company prefilled, the channel in metadata
        (or, with `ask_channel`, asked for first: the App Home has no channel to post in)."""
        view = {**self._template, "private_metadata": _metadata(metadata)}
        blocks = list(view["blocks"])
        if company:
            blocks[self._company_index] = _with_initial(blocks[self._company_index], truncate(company,
                                                                                             self._company_limit))
        if ask_channel:
            blocks.insert(1, self._channel_block)
        view["blocks"] = blocks
        return view

    def render_edit(self, *, prefill: Prefill, metadata: Mapping[str, Any], flagged_labels: Mapping[str, str],
                    company: str) -> dict[str, Any]:
        """The same form for editing a triage: every stored answer preselected, and each one that no longer
        matches an option flagged in its hint (`flagged_labels`: question id → how the old answer reads)."""
        blocks = []
        for block in self._template["blocks"]:
            qid = block.get("block_id")
            if qid in prefill.answers:
                block = _with_initial(block, prefill.answers[qid])
            elif qid in flagged_labels:
                block = {**block, "hint": {"type": "plain_text", "text": truncate(
                    f"Answered “{flagged_labels[qid]}” before, which is no longer an option: choose again.",
                    HINT_LIMIT)}}
            blocks.append(block)
        blocks[0] = {**blocks[0], "elements": [{"type": "mrkdwn", "text": truncate(
            f"Editing the triage of *{escape(company)}*. fitbot keeps the earlier answers as a revision, "
            "re-runs the recommendation and updates its message in the channel.", SECTION_LIMIT)}]}
        return {**self._template, "callback_id": TRIAGE_EDIT_CALLBACK_ID, "title": _plain("Edit triage"),
                "submit": _plain("Re-run"), "blocks": blocks, "private_metadata": _metadata(metadata)}


def _metadata(metadata: Mapping[str, Any]) -> str:
    return json.dumps(dict(metadata), separators=(",", ":"))


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _with_initial(block: dict[str, Any], value: str) -> dict[str, Any]:
    """The input block with `value` filled in: text as typed, a choice as the very option Slack was given
    (Slack rejects an initial_option that differs from its option in any way)."""
    element = block["element"]
    if element["type"] == "plain_text_input":
        return {**block, "element": {**element, "initial_value": value}}
    option = next((o for o in element["options"] if o["value"] == value), None)
    return {**block, "element": {**element, "initial_option": option}} if option else block


def _modal_view(questionnaire: Questionnaire) -> View:
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(
            text="Answer what you know about the prospect. fitbot recommends an engagement model and posts "
                 "the reasoning in the channel."
        )])
    ]
    blocks += [_input_block(questionnaire, q) for q in questionnaire.questions]
    return View(
        type="modal",
        callback_id=TRIAGE_CALLBACK_ID,
        title="Fit triage",
        submit="Recommend",
        close="Cancel",
        blocks=blocks,
    )


def _input_block(questionnaire: Questionnaire, q: Question) -> InputBlock:
    element: Any
    if q.kind == "text":
        element = PlainTextInputElement(
            action_id=ANSWER_ACTION_ID,
            placeholder=q.placeholder,
            multiline=q.multiline,
            max_length=q.max_length,
        )
    else:
        options = [
            Option(value=o.value, text=PlainTextObject(text=o.label),
                   description=PlainTextObject(text=o.description) if o.description else None)
            for o in q.options
        ]
        if q.kind == "choice":
            element = RadioButtonsElement(action_id=ANSWER_ACTION_ID, options=options)
        else:
            element = StaticSelectElement(action_id=ANSWER_ACTION_ID, placeholder="Choose one", options=options)
    return InputBlock(
        block_id=q.id,
        label=q.label,
        element=element,
        optional=not q.required,
        hint=_required_when_hint(questionnaire, q),
    )


def _required_when_hint(questionnaire: Questionnaire, q: Question) -> str | None:
    """Slack marks the block "(optional)"; say when it is not."""
    for other_id, value in q.required_when.items():
        option = questionnaire.question(other_id).option(value)
        if option:
            return f"Required if you chose \"{option.label}\"."
    return None


def parse_submission(questionnaire: Questionnaire, state_values: Mapping[str, Any]) -> dict[str, str | None]:
    """Answers keyed by question id from a view_submission's `view.state.values`.

    A block or field that is missing, or not shaped as Slack sends it, counts as unanswered.
    """
    answers: dict[str, str | None] = {}
    for q in questionnaire.questions:
        state = _mapping(_mapping(state_values.get(q.id)).get(ANSWER_ACTION_ID))
        value = state.get("value") if q.kind == "text" else _mapping(state.get("selected_option")).get("value")
        answers[q.id] = (clean(value) or None) if isinstance(value, str) else None
    return answers


def parse_post_channel(state_values: Mapping[str, Any]) -> str | None:
    """The channel picked in the App Home's questionnaire (None when the form didn't ask, or nothing was picked)."""
    picked = _mapping(_mapping(state_values.get(POST_CHANNEL_BLOCK_ID)).get(ANSWER_ACTION_ID)).get(
        "selected_conversation")
    return picked if isinstance(picked, str) and picked else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def submitted_view(*, company: str, recommendation: Recommendation, channel_id: str) -> View:
    return View(
        type="modal",
        callback_id=f"{TRIAGE_CALLBACK_ID}_done",
        title="Fit triage",
        close="Done",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(
                f"*{escape(company)}*: {recommendation.model_name} "
                f"({CONFIDENCE_LABEL[recommendation.confidence].lower()} confidence).\n"
                f"The full reasoning is on its way to <#{channel_id}>.",
                SECTION_LIMIT,
            ))),
        ],
    )


def revised_view(*, company: str, revision: int, recommendation: Recommendation, changed: Sequence[Change],
                 merged_over: str | None) -> View:
    """What the editor sees once the revision is stored."""
    lines = [f"*{escape(company)}*, revision {revision}: {recommendation.model_name} "
             f"({CONFIDENCE_LABEL[recommendation.confidence].lower()} confidence).",
             "The message in the channel is being updated, and what changed goes in its thread."]
    if merged_over:
        lines.append(f"<@{merged_over}> revised this triage while you were editing it: your changes were "
                     "applied on top of theirs.")
    return View(type="modal", callback_id=f"{TRIAGE_EDIT_CALLBACK_ID}_done", title="Edit triage", close="Done",
                blocks=[_section("\n".join(lines)), _section("*What changed*\n" + changes_text(changed))])


def changes_text(changed: Sequence[Change]) -> str:
    return _bullets([f"{escape(c.question)}: {escape(c.before)} → {escape(c.after)}" for c in changed]
                    or ["No answer changed."])


def revision_note(*, company: str, revision: int, edited_by: str, changed: Sequence[Change],
                  before: tuple[str, str], after: Recommendation) -> dict[str, Any]:
    """The thread reply under the recommendation: who revised it, which answers changed, what the call is now.
    `before` is the earlier call's (model name, confidence)."""
    now = f"{after.model_name} ({after.confidence} confidence)"
    was = f"{before[0]} ({before[1]} confidence)"
    call = f"*Recommendation*: {was} → {now}" if was != now else f"*Recommendation* unchanged: {now}"
    text = f"<@{edited_by}> revised the triage of *{escape(company)}* (revision {revision}).\n{call}"
    return {"text": truncate(f"Revision {revision} of {escape(company)}: {now}", MESSAGE_TEXT_LIMIT),
            "blocks": [_section(text).to_dict(), _section("*Answers*\n" + changes_text(changed)).to_dict()]}


def recommendation_message(
    *,
    company: str,
    contact: str | None,
    skills: str | None,
    requested_by: str,
    timezone_label: str,
    recommendation: Recommendation,
    triage_id: int,
    questionnaire_version: str,
    revision: int = 1,
    edited_by: str | None = None,
) -> dict[str, Any]:
    """The channel message: header, the call, why not the others, why, against, confidence, what would change
    it, risks, overlap, next steps, and its buttons. Returns chat.postMessage (or chat.update) arguments."""
    r = recommendation
    intro = (f"*{r.model_name}* · {CONFIDENCE_LABEL[r.confidence]} confidence\n{r.summary}\n"
             f"Requested by <@{requested_by}>")
    if contact:
        intro += f" · contact: {escape(contact)}"
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f"{company}: {r.model_name}", HEADER_LIMIT)),
        _section(intro),
    ]
    if skills:
        blocks.append(_section(f"*Skills wanted*\n{escape(skills)}"))
    for section in explanation_sections(r):
        blocks.append(_section(section))
    risks = [f"*{escape(k.title)}*: {escape(k.detail)}" for k in r.risks] or [
        "No failure mode stands out in these answers."]
    blocks.append(_section("*Risks to watch*\n" + _bullets(risks)))
    blocks.append(_section(_overlap_text(timezone_label, r)))
    blocks.append(_section("*Next steps*\n" + "\n".join(f"{i}. {escape(s)}" for i, s in enumerate(r.next_steps, 1))))
    blocks.append(DividerBlock())
    footer = f"Triage #{triage_id}"
    if revision > 1:
        footer += f" · revision {revision}, edited by <@{edited_by}>; what changed is in the thread"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text=f"{footer} · questionnaire {escape(questionnaire_version)}")]))
    buttons = [ButtonElement(text="Edit answers", action_id=TRIAGE_EDIT_ACTION_ID, value=str(triage_id))]
    if r.model == PLACEMENT:  # a placement follows: offer the onboarding plan from here
        buttons.insert(0, ButtonElement(text="Start onboarding plan", action_id=PLAN_START_ACTION_ID,
                                        value=str(triage_id), style="primary"))
    blocks.append(ActionsBlock(block_id="triage_actions", elements=buttons))
    text = truncate(f"{escape(company)}: {r.model_name} ({r.confidence} confidence)", MESSAGE_TEXT_LIMIT)
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def explanation_sections(r: Recommendation) -> list[str]:
    """Why not the better fit, why this, what argues against it, why confidence isn't high, what would
    change the answer: one mrkdwn section each."""
    sections = [f"*Why not {escape(o.model_name)}*\n" + _bullets([f"*{escape(f.title)}*: {escape(f.because)}"
                                                                  for f in o.missing])
                for o in r.ruled_out]
    sections.append("*Why*\n" + _bullets([escape(x) for x in r.reasons]
                                         or ["The answers did not lean strongly either way."]))
    against = [f"*{escape(f.answer_label)}* ({escape(f.title.lower())}): {escape(f.because)}\n    → {escape(f.fix)}"
               for f in r.against]
    sections.append("*Against*\n" + _bullets(against or ["Nothing in the answers argues against it."]))
    if r.confidence != "high":
        sections.append(f"*Why {r.confidence} confidence, not high*\n"
                        + _bullets([escape(n) for n in r.confidence_notes]))
    changes = [escape(w.sentence) for w in r.what_if] or ["No change of one or two answers leads to another model."]
    sections.append("*What would change the answer*\n" + _bullets(changes))
    return sections


def _overlap_text(timezone_label: str, r: Recommendation) -> str:
    def line(nearshore: bool) -> str:
        return " · ".join(f"{o.region} {o.hours:g} h" for o in r.overlap if o.nearshore == nearshore)

    return (
        f"*Shared working hours with {escape(timezone_label)}* (9:00–17:00 on both sides)\n"
        f"Latin America: {line(True)}\nOffshore: {line(False)}"
    )


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def help_message() -> dict[str, Any]:
    return {"text": "How to use fitbot", "blocks": [_section(USAGE).to_dict()]}
