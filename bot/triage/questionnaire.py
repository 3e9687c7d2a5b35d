"""Loads and validates the /fit questionnaire (questionnaire.yml) and checks answers against it.

Validation happens at start-up so a bad edit stops fitbot with the bad field named, instead of
producing a modal Slack rejects or a recommendation built on a typo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.triage.engagements import ENGAGEMENTS

DEFAULT_PATH = Path(__file__).with_name("questionnaire.yml")
KINDS = ("text", "choice", "timezone")
# Slack's limits for the elements the modal uses (plain_text_input, radio_buttons, static_select).
OPTION_TEXT_LIMIT = 75
LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
TEXT_INPUT_LIMIT = 3000
RADIO_OPTIONS_LIMIT = 10
SELECT_OPTIONS_LIMIT = 100
# Fixed questions the rest of fitbot relies on.
REQUIRED_QUESTIONS = {"company": "text", "contact": "text", "timezone": "timezone"}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class QuestionnaireError(ValueError):
    """The questionnaire file is wrong; `problems` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source} is invalid:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    description: str | None = None
    scores: Mapping[str, int] = field(default_factory=dict)
    excludes: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    label: str
    required: bool = True
    placeholder: str | None = None
    max_length: int | None = None
    multiline: bool = False
    required_when: Mapping[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Questionnaire:
    version: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def check_answers(self, answers: Mapping[str, str | None]) -> dict[str, str]:
        """Problems with a set of answers, keyed by question id; empty when they can be stored."""
        errors: dict[str, str] = {}
        for q in self.questions:
            value = (answers.get(q.id) or "").strip()
            needed = q.required or any(answers.get(k) == v for k, v in q.required_when.items())
            if not value:
                if needed:
                    errors[q.id] = _missing_message(self, q)
                continue
            if q.options and q.option(value) is None:
                errors[q.id] = "Pick one of the listed options."
            elif q.max_length and len(value) > q.max_length:
                errors[q.id] = f"Keep this to {q.max_length} characters (it has {len(value)})."
        return errors


def _missing_message(questionnaire: Questionnaire, q: Question) -> str:
    if q.required_when and not q.required:
        (other_id, other_value), *_ = q.required_when.items()
        other = questionnaire.question(other_id)
        chosen = other.option(other_value)
        return f"Fill this in: you answered \"{chosen.label if chosen else other_value}\" above."
    return "This answer is required." if q.kind == "text" else "Pick an answer."


def load(path: Path = DEFAULT_PATH) -> Questionnaire:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireError(str(path), [f"cannot be read: {exc}"]) from exc
    return parse(raw, source=str(path))


def parse(raw: Any, source: str = "questionnaire") -> Questionnaire:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise QuestionnaireError(source, ["top level: expected a mapping with `version` and `questions`"])
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 32:
        problems.append("version: a non-empty string of at most 32 characters is required")
    raw_questions = raw.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise QuestionnaireError(source, [*problems, "questions: a non-empty list is required"])
    questions = [q for i, item in enumerate(raw_questions) if (q := _parse_question(i, item, problems))]
    _check_whole(questions, problems)
    if problems:
        raise QuestionnaireError(source, problems)
    return Questionnaire(version=version, questions=tuple(questions))


def _parse_question(index: int, item: Any, problems: list[str]) -> Question | None:
    where = f"questions[{index}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    qid = item.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        problems.append(f"{where}.id: lower-case letters, digits and _ only, starting with a letter")
        return None
    where = f"{where} ({qid})"
    unknown = set(item) - {"id", "kind", "label", "required", "placeholder", "max_length", "multiline",
                           "required_when", "options"}
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}.kind: must be one of {', '.join(KINDS)}")
    label = item.get("label")
    _check_text(f"{where}.label", label, LABEL_LIMIT, problems)
    if item.get("placeholder") is not None:
        _check_text(f"{where}.placeholder", item["placeholder"], PLACEHOLDER_LIMIT, problems)
    max_length = item.get("max_length")
    if kind == "text" and not (isinstance(max_length, int) and 0 < max_length <= TEXT_INPUT_LIMIT):
        problems.append(f"{where}.max_length: text questions need a limit between 1 and {TEXT_INPUT_LIMIT}")
    required_when = item.get("required_when") or {}
    if not isinstance(required_when, dict):
        problems.append(f"{where}.required_when: expected a mapping of question id to option value")
        required_when = {}
    options = tuple(_parse_options(where, kind, item.get("options"), problems))
    return Question(
        id=qid,
        kind=str(kind),
        label=str(label),
        required=bool(item.get("required", not required_when)),
        placeholder=item.get("placeholder"),
        max_length=max_length if isinstance(max_length, int) else None,
        multiline=bool(item.get("multiline", False)),
        required_when=required_when,
        options=options,
    )


def _parse_options(where: str, kind: Any, raw: Any, problems: list[str]) -> list[Option]:
    if kind == "text":
        if raw:
            problems.append(f"{where}.options: text questions take no options")
        return []
    limit = RADIO_OPTIONS_LIMIT if kind == "choice" else SELECT_OPTIONS_LIMIT
    if not isinstance(raw, list) or not 2 <= len(raw) <= limit:
        problems.append(f"{where}.options: between 2 and {limit} options are required")
        return []
    options: list[Option] = []
    for i, item in enumerate(raw):
        at = f"{where}.options[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{at}: expected a mapping")
            continue
        value, label = item.get("value"), item.get("label")
        if not isinstance(value, str) or not value or len(value) > 75:
            problems.append(f"{at}.value: a non-empty string of at most 75 characters is required")
            continue
        _check_text(f"{at}.label", label, OPTION_TEXT_LIMIT, problems)
        if item.get("description") is not None:
            _check_text(f"{at}.description", item["description"], OPTION_TEXT_LIMIT, problems)
        if kind == "timezone":
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(f"{at}.value: {value!r} is not an IANA timezone")
        scores = item.get("scores") or {}
        excludes = item.get("excludes") or []
        for model in [*scores, *excludes]:
            if model not in ENGAGEMENTS:
                problems.append(f"{at}: unknown engagement model {model!r} (known: {', '.join(ENGAGEMENTS)})")
        if any(not isinstance(points, int) for points in scores.values()):
            problems.append(f"{at}.scores: points must be whole numbers")
        if item.get("reason") is not None:
            _check_text(f"{at}.reason", item["reason"], 500, problems)
        elif any(isinstance(p, int) and p > 0 for p in scores.values()):
            problems.append(f"{at}.reason: an option that scores points must say why")
        options.append(Option(value, str(label), item.get("description"), dict(scores), tuple(excludes),
                              item.get("reason")))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        problems.append(f"{where}.options: values must be unique")
    return options


def _check_text(where: str, value: Any, limit: int, problems: list[str]) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: a non-empty string is required")
    elif len(value) > limit:
        problems.append(f"{where}: {len(value)} characters, Slack allows {limit}")


def _check_whole(questions: list[Question], problems: list[str]) -> None:
    by_id = {q.id: q for q in questions}
    if len(by_id) != len(questions):
        problems.append("questions: ids must be unique")
    for qid, kind in REQUIRED_QUESTIONS.items():
        if qid not in by_id:
            problems.append(f"questions: the {kind} question {qid!r} is required")
        elif by_id[qid].kind != kind:
            problems.append(f"questions ({qid}).kind: must be {kind}")
    if "company" in by_id and not by_id["company"].required:
        problems.append("questions (company).required: the company is always required")
    ruled_out = {m for q in questions for o in q.options for m in o.excludes}
    if not set(ENGAGEMENTS) - ruled_out:
        problems.append("questions: `excludes` rule out every engagement model; leave at least one always possible")
    for q in questions:
        for other_id, other_value in q.required_when.items():
            other = by_id.get(other_id)
            if other is None or other.option(other_value) is None:
                problems.append(f"questions ({q.id}).required_when: no option {other_value!r} in {other_id!r}")
