"""Editing a stored triage: the form it starts from, edits that raced, and what a revision changed.

Pure, like the engine. A revision never overwrites an earlier one; when two people edit the same
triage at once, each edit keeps the answers it changed and takes the rest from the latest revision,
so neither loses the other's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.triage.questionnaire import Question, Questionnaire

TEXT_SHOWN = 60  # characters of a free-text answer quoted in "what changed"


@dataclass(frozen=True)
class Prefill:
    """What the edit form starts with. `flagged` holds stored answers no current option stands for
    (the questionnaire changed since): the form asks for them again instead of guessing."""

    answers: Mapping[str, str]
    flagged: Mapping[str, str]


@dataclass(frozen=True)
class Change:
    question: str  # the question's label
    before: str
    after: str


def prefill(questionnaire: Questionnaire, stored: Mapping[str, Any]) -> Prefill:
    answers: dict[str, str] = {}
    flagged: dict[str, str] = {}
    for q in questionnaire.questions:
        value = stored.get(q.id)
        if not isinstance(value, str) or not value:
            continue
        if q.kind == "text":
            answers[q.id] = value
        elif option := q.option(value) or q.successor(value):
            answers[q.id] = option.value
        else:
            flagged[q.id] = value
    return Prefill(answers, flagged)


def in_current_terms(questionnaire: Questionnaire, stored: Mapping[str, Any]) -> dict[str, str | None]:
    """Stored answers as today's questionnaire reads them: old option values mapped to the options that
    now stand for them, answers no option matches kept as they were (so "what changed" can name them)."""
    p = prefill(questionnaire, stored)
    return {q.id: p.answers.get(q.id) or p.flagged.get(q.id) for q in questionnaire.questions}


def merge(questionnaire: Questionnaire, base: Mapping[str, str | None], latest: Mapping[str, str | None],
          submitted: Mapping[str, str | None]) -> dict[str, str | None]:
    """The answers of an edit that started from `base`: what it changed, on top of `latest`.

    With no other edit in between (`latest` is `base`), that is simply `submitted`. If the result is not a
    valid set of answers (the other edit made one of this edit's answers required), `submitted` stands as is.
    """
    merged = {q.id: submitted.get(q.id) if submitted.get(q.id) != base.get(q.id) else latest.get(q.id)
              for q in questionnaire.questions}
    return merged if not questionnaire.check_answers(merged) else dict(submitted)


def changes(questionnaire: Questionnaire, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Each answer that differs, in question order, as the form shows it."""
    return [Change(q.label, _shown(q, before.get(q.id)), _shown(q, after.get(q.id)))
            for q in questionnaire.questions if (before.get(q.id) or None) != (after.get(q.id) or None)]


def _shown(q: Question, value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "no answer"
    if q.kind == "text":
        return f"“{value[:TEXT_SHOWN]}…”" if len(value) > TEXT_SHOWN else f"“{value}”"
    option = q.option(value) or q.successor(value)
    return option.label if option else f"{value} (no longer an option)"
