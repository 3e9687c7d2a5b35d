"""Block Kit for diagnosing an engagement that went wrong: the modal, its parsing, and the lesson message."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
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

from bot.presentation.ids import ANSWER_ACTION_ID, DIAGNOSE_CALLBACK_ID
from bot.presentation.mrkdwn import escape, truncate
from bot.triage.diagnosis import OTHER, OTHER_LIMIT, Diagnosis, Policy, now_questions
from bot.triage.engagements import ENGAGEMENTS
from bot.triage.questionnaire import Questionnaire
from bot.user_text import clean

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
NOW_PREFIX = "now_"  # block ids of the optional "where things stand now" questions


def diagnosis_modal(policy: Policy, questionnaire: Questionnaire, *, company: str,
                    metadata: Mapping[str, Any]) -> View:
    """https://docs.slack.dev/reference/views/modal-views — the failed engagement, then (optionally) today."""
    company_limit = questionnaire.question("company").max_length or 120
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(
            text="Tell fitbot about an engagement that underperformed. It says whether the model or the setup was "
                 "wrong, what to change, and which model to use now.")]),
        InputBlock(block_id="company", label="Company", element=PlainTextInputElement(
            action_id=ANSWER_ACTION_ID, max_length=company_limit,
            initial_value=truncate(company, company_limit) if company else None)),
        InputBlock(block_id="model_used", label="Which model did the client use?", element=RadioButtonsElement(
            action_id=ANSWER_ACTION_ID, options=[_option(c.value, c.label) for c in policy.models])),
        InputBlock(block_id="symptoms", label="How did it underperform?", element=CheckboxesElement(
            action_id=ANSWER_ACTION_ID, options=[_option(c.value, c.label) for c in policy.symptoms])),
        InputBlock(block_id=OTHER, label="What else went wrong?", optional=True,
                   hint="Required if you ticked \u201cSomething else\u201d.",
                   element=PlainTextInputElement(action_id=ANSWER_ACTION_ID, multiline=True,
                                                 max_length=OTHER_LIMIT)),
        SectionBlock(text=MarkdownTextObject(
            text="*Where things stand now* (optional). With every answer, fitbot makes a full recommendation; "
                 "with some, it checks them against the model it suggests.")),
    ]
    for q in now_questions(questionnaire):
        blocks.append(InputBlock(block_id=NOW_PREFIX + q.id, label=q.label, optional=True, element=StaticSelectElement(
            action_id=ANSWER_ACTION_ID, placeholder="Choose one",
            options=[_option(o.value, o.label) for o in q.options])))
    return View(type="modal", callback_id=DIAGNOSE_CALLBACK_ID, title="Diagnose engagement", submit="Diagnose",
                close="Cancel", private_metadata=json.dumps(dict(metadata), separators=(",", ":")), blocks=blocks)


def _option(value: str, label: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=label))


def parse_diagnosis(questionnaire: Questionnaire, state_values: Mapping[str, Any]) -> dict[str, Any]:
    """company, model_used, symptoms, other and answers from a view_submission's `view.state.values`.
    Anything missing or not shaped as Slack sends it counts as unanswered."""
    def state(block_id: str) -> Mapping[str, Any]:
        return _mapping(_mapping(state_values.get(block_id)).get(ANSWER_ACTION_ID))

    def text(block_id: str) -> str | None:
        value = state(block_id).get("value")
        return (clean(value) or None) if isinstance(value, str) else None

    def selected(block_id: str) -> str | None:
        value = _mapping(state(block_id).get("selected_option")).get("value")
        return value if isinstance(value, str) else None

    ticked = state("symptoms").get("selected_options")
    symptoms = [o["value"] for o in ticked if isinstance(o, Mapping) and isinstance(o.get("value"), str)] \
        if isinstance(ticked, list) else []
    return {
        "company": text("company"),
        "model_used": selected("model_used"),
        "symptoms": symptoms,
        "other": text(OTHER),
        "answers": {q.id: v for q in now_questions(questionnaire) if (v := selected(NOW_PREFIX + q.id))},
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """bot.triage.diagnosis.check_form's problems, keyed by the modal's block ids."""
    return {NOW_PREFIX + key.removeprefix("now.") if key.startswith("now.") else key: message
            for key, message in errors.items()}


def lesson_message(*, company: str, diagnosis: Diagnosis, diagnosed_by: str, diagnosis_id: int,
                   triage_id: int | None) -> dict[str, Any]:
    """The lesson, as chat.postMessage arguments."""
    d = diagnosis
    symptoms = "; ".join(escape(s.label) for s in d.symptoms)
    intro = f"*{escape(d.model_used_label)}* that underperformed · diagnosed by <@{diagnosed_by}>\n*How:* {symptoms}"
    if d.other:
        intro += f"\n> {escape(d.other)}"
    sections = [intro, f"*Verdict*\n{escape(d.verdict)}",
                "*What the failure says*\n" + _bullets([f"*{escape(_symptom(d, x.symptom))}*: {escape(x.lesson)}"
                                                        for x in d.lessons]),
                "*What to change*\n" + _bullets([escape(x.change) for x in d.lessons]),
                _use_now(company, d),
                f"*Not the lesson*\n{escape(d.not_the_lesson)}"]
    blocks: list[Block] = [HeaderBlock(text=truncate(f"{company}: what went wrong", HEADER_LIMIT))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=truncate(s, SECTION_LIMIT))) for s in sections]
    context = f"Diagnosis #{diagnosis_id} · lessons {escape(d.version)}"
    if triage_id is not None:
        context += f" · filed with triage #{triage_id}"
    blocks += [DividerBlock(), ContextBlock(elements=[MarkdownTextObject(text=context)])]
    use = f" Use now: {d.use_now_name}." if d.use_now_name else ""
    text = truncate(f"{escape(company)}: {d.verdict}{use}", 4000)
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _symptom(d: Diagnosis, value: str) -> str:
    return next(s.label for s in d.symptoms if s.value == value)


def _use_now(company: str, d: Diagnosis) -> str:
    if d.use_now is None:
        return (f"*Which model now*\nRun `/fit {escape(company)}` with where things stand now: fitbot checks what "
                "each model needs.")
    lines = [f"*Use now: {escape(d.use_now_name or '')}*", escape(ENGAGEMENTS[d.use_now].summary)]
    lines += [f"• Not {escape(o.model_name)} yet: *{escape(f.title)}*: {escape(f.because)}"
              for o in d.ruled_out for f in o.missing]
    lines += [f"• Watch out: *{escape(f.answer_label)}*: {escape(f.because)} → {escape(f.fix)}" for f in d.watch_out]
    if d.recommendation is not None:
        lines.append(f"From where things stand now ({d.recommendation.confidence} confidence). Run "
                     f"`/fit {escape(company)}` to post the full recommendation.")
    return "\n".join(lines)


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def diagnosed_view(*, company: str, diagnosis: Diagnosis, channel_id: str) -> View:
    where = "your messages with fitbot" if channel_id[:1] in "UW" else f"<#{channel_id}>"
    use = f" Use now: *{escape(diagnosis.use_now_name)}*." if diagnosis.use_now_name else ""
    text = f"*{escape(company)}*: {escape(diagnosis.verdict)}{use}\nThe full lesson is on its way to {where}."
    return View(type="modal", title="Diagnose engagement", close="Done",
                blocks=[SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))])
