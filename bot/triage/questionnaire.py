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

from bot.data_files import DataFileError, read_yaml
from bot.triage.engagements import ENGAGEMENTS
from bot.user_text import BROKEN, is_broken

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
OVERLAP_KEY = "*"
PLACEHOLDERS = {"hours", "region"}  # filled in an overlap condition's texts


class QuestionnaireError(DataFileError):
    """The questionnaire file (or diagnosis.yml, which builds on it) is wrong."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    description: str | None = None
    scores: Mapping[str, int] = field(default_factory=dict)
    reason: str | None = None
    as_change: str | None = None
    unsure: bool = False
    # Values this option had in earlier questionnaire versions: a triage answered then is edited with it.
    formerly: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """What one answer means for a condition: why it argues against the model, and what to do about it.
    `instead` (missing answers only) names the model the client needs first."""

    because: str
    fix: str
    instead: str | None = None


@dataclass(frozen=True)
class OverlapRule:
    """A condition read from the working hours the client's zone shares with Latin America; it applies only
    to answers listed in `when` (always, when `when` is empty)."""

    when: Mapping[str, tuple[str, ...]]
    weak_below: float | None
    missing_below: float | None


@dataclass(frozen=True)
class Condition:
    """Something a model needs. Answers listed under `weak` argue against the model; answers under
    `missing` rule it out. An overlap condition has one verdict of each kind, keyed by OVERLAP_KEY."""

    id: str
    model: str
    title: str
    question: str | None
    weak: Mapping[str, Verdict]
    missing: Mapping[str, Verdict]
    overlap: OverlapRule | None = None


@dataclass(frozen=True)
class Contradiction:
    when: Mapping[str, str]
    note: str


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
    what_if: bool = True

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def successor(self, old_value: str) -> Option | None:
        """The option that now stands for a value of an earlier questionnaire version."""
        return next((o for o in self.options if old_value in o.formerly), None)


@dataclass(frozen=True)
class Questionnaire:
    version: str
    questions: tuple[Question, ...]
    conditions: tuple[Condition, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def rules_out(self, model: str, question_id: str, value: str) -> bool:
        """Whether answering `value` to `question_id` leaves `model` with a missing condition."""
        return any(c.model == model and c.question == question_id and value in c.missing for c in self.conditions)

    @property
    def ranked_models(self) -> tuple[str, ...]:
        """Models some answer gives points to; the others are only ever what a client needs instead."""
        scored = {m for q in self.questions for o in q.options for m, p in o.scores.items() if p > 0}
        return tuple(m for m in ENGAGEMENTS if m in scored)

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
            if is_broken(value):
                errors[q.id] = BROKEN
            elif q.options and q.option(value) is None:
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
    return parse(read_yaml(path, QuestionnaireError), source=str(path))


def parse(raw: Any, source: str = "questionnaire") -> Questionnaire:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise QuestionnaireError(source, ["top level: expected a mapping with `version` and `questions`"])
    unknown = set(raw) - {"version", "questions", "conditions", "contradictions"}
    if unknown:
        problems.append(f"top level: unknown field(s) {', '.join(sorted(unknown))}")
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 32:
        problems.append("version: a non-empty string of at most 32 characters is required")
    raw_questions = raw.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise QuestionnaireError(source, [*problems, "questions: a non-empty list is required"])
    questions = [q for i, item in enumerate(raw_questions) if (q := _parse_question(i, item, problems))]
    _check_whole(questions, problems)
    by_id = {q.id: q for q in questions}
    conditions = _parse_conditions(raw.get("conditions"), by_id, problems)
    contradictions = _parse_contradictions(raw.get("contradictions"), by_id, problems)
    _check_policy(questions, conditions, problems)
    if problems:
        raise QuestionnaireError(source, problems)
    return Questionnaire(version=version, questions=tuple(questions), conditions=tuple(conditions),
                         contradictions=tuple(contradictions))


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
                           "required_when", "options", "what_if"}
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
        what_if=kind == "choice" and item.get("what_if", True) is not False,
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
        unknown = set(item) - {"value", "label", "description", "scores", "reason", "as_change", "unsure", "formerly"}
        if unknown:
            problems.append(f"{at}: unknown field(s) {', '.join(sorted(unknown))}")
        scores = item.get("scores") or {}
        for model in scores:
            if model not in ENGAGEMENTS:
                problems.append(f"{at}: unknown engagement model {model!r} (known: {', '.join(ENGAGEMENTS)})")
        if any(not isinstance(points, int) for points in scores.values()):
            problems.append(f"{at}.scores: points must be whole numbers")
        if item.get("reason") is not None:
            _check_text(f"{at}.reason", item["reason"], 500, problems)
        elif any(isinstance(p, int) and p > 0 for p in scores.values()):
            problems.append(f"{at}.reason: an option that scores points must say why")
        if item.get("as_change") is not None:
            _check_text(f"{at}.as_change", item["as_change"], 200, problems)
        formerly = item.get("formerly") or []
        if not isinstance(formerly, list) or not all(isinstance(v, str) and v for v in formerly):
            problems.append(f"{at}.formerly: a list of earlier option values is required")
            formerly = []
        options.append(Option(value, str(label), item.get("description"), dict(scores), item.get("reason"),
                              item.get("as_change"), item.get("unsure") is True, tuple(formerly)))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        problems.append(f"{where}.options: values must be unique")
    earlier = [v for o in options for v in o.formerly]
    if len(set(earlier)) != len(earlier) or set(earlier) & set(values):
        problems.append(f"{where}.options: an earlier value (formerly) may stand for one option only, "
                        "and not be a current value")
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
    for q in questions:
        if q.what_if:
            for o in q.options:
                if not o.unsure and not o.as_change:
                    problems.append(f"questions ({q.id}).options ({o.value}).as_change: needed for \"what would "
                                    "change the answer\" (or mark the option `unsure`, or the question "
                                    "`what_if: false`)")
    for q in questions:
        for other_id, other_value in q.required_when.items():
            other = by_id.get(other_id)
            if other is None or other.option(other_value) is None:
                problems.append(f"questions ({q.id}).required_when: no option {other_value!r} in {other_id!r}")


def _parse_conditions(raw: Any, questions: Mapping[str, Question], problems: list[str]) -> list[Condition]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append("conditions: expected a list")
        return []
    conditions: list[Condition] = []
    for i, item in enumerate(raw):
        where = f"conditions[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not ID_PATTERN.match(item["id"]):
            problems.append(f"{where}: a mapping with an `id` (lower-case letters, digits and _) is required")
            continue
        where = f"{where} ({item['id']})"
        unknown = set(item) - {"id", "model", "title", "question", "overlap", "weak", "missing"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        model = item.get("model")
        if model not in ENGAGEMENTS:
            problems.append(f"{where}.model: must be one of {', '.join(ENGAGEMENTS)}")
        _check_text(f"{where}.title", item.get("title"), 150, problems)
        if "overlap" in item:
            condition = _parse_overlap_condition(where, item, questions, problems)
        else:
            condition = _parse_answer_condition(where, item, questions, problems)
        if condition is not None:
            conditions.append(condition)
    ids = [c.id for c in conditions]
    if len(set(ids)) != len(ids):
        problems.append("conditions: ids must be unique")
    return conditions


def _parse_answer_condition(where: str, item: dict, questions: Mapping[str, Question],
                            problems: list[str]) -> Condition | None:
    question = questions.get(item.get("question"))  # type: ignore[arg-type]
    if question is None or question.kind != "choice":
        problems.append(f"{where}.question: must name a choice question")
        return None
    verdicts: dict[str, dict[str, Verdict]] = {}
    for state in ("weak", "missing"):
        raw = item.get(state) or {}
        if not isinstance(raw, dict):
            problems.append(f"{where}.{state}: expected a mapping of option value to verdict")
            raw = {}
        verdicts[state] = {}
        for value, verdict in raw.items():
            if question.option(value) is None:
                problems.append(f"{where}.{state}: {question.id!r} has no option {value!r}")
                continue
            parsed = _parse_verdict(f"{where}.{state}.{value}", verdict, state, item.get("model"), problems)
            if parsed:
                verdicts[state][value] = parsed
    if not verdicts["weak"] and not verdicts["missing"]:
        problems.append(f"{where}: list at least one answer under `weak` or `missing`")
    both = set(verdicts["weak"]) & set(verdicts["missing"])
    if both:
        problems.append(f"{where}: {', '.join(sorted(both))} cannot be both weak and missing")
    return Condition(item["id"], str(item.get("model")), str(item.get("title")), question.id,
                     verdicts["weak"], verdicts["missing"])


def _parse_overlap_condition(where: str, item: dict, questions: Mapping[str, Question],
                             problems: list[str]) -> Condition | None:
    rule = item["overlap"]
    if not isinstance(rule, dict) or not isinstance(rule.get("when", {}), dict):
        problems.append(f"{where}.overlap: expected thresholds, and optionally `when` (question: [options])")
        return None
    if unknown := sorted(set(rule) - {"when", "weak_below", "missing_below"}):  # a typo'd `when` would apply always
        problems.append(f"{where}.overlap: unknown key {', '.join(map(str, unknown))} (keys: when, weak_below, "
                        "missing_below)")
    when: dict[str, tuple[str, ...]] = {}
    for qid, values in rule.get("when", {}).items():
        question = questions.get(qid)
        values = tuple(values) if isinstance(values, list) else ()
        if question is None or not values or any(question.option(v) is None for v in values):
            problems.append(f"{where}.overlap.when.{qid}: must name a question and a list of its options")
            continue
        when[qid] = values
    thresholds = {}
    for name in ("weak_below", "missing_below"):
        value = rule.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 < value <= 8):
            problems.append(f"{where}.overlap.{name}: hours between 0 and 8")
            value = None
        thresholds[name] = value
    verdicts = {}
    for state, threshold in (("weak", "weak_below"), ("missing", "missing_below")):
        if thresholds[threshold] is None:
            if item.get(state) is not None:
                problems.append(f"{where}.{state}: needs overlap.{threshold}")
            verdicts[state] = {}
            continue
        parsed = _parse_verdict(f"{where}.{state}", item.get(state), state, item.get("model"), problems)
        verdicts[state] = {OVERLAP_KEY: parsed} if parsed else {}
    return Condition(item["id"], str(item.get("model")), str(item.get("title")), None, verdicts["weak"],
                     verdicts["missing"], OverlapRule(when, thresholds["weak_below"], thresholds["missing_below"]))


def _parse_verdict(where: str, raw: Any, state: str, model: Any, problems: list[str]) -> Verdict | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with `because` and `fix`")
        return None
    unknown = set(raw) - {"because", "fix", "instead"}
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    _check_text(f"{where}.because", raw.get("because"), 500, problems)
    _check_text(f"{where}.fix", raw.get("fix"), 500, problems)
    for name in ("because", "fix"):
        text = raw.get(name)
        if isinstance(text, str) and set(re.findall(r"{(\w*)}", text)) - PLACEHOLDERS:
            problems.append(f"{where}.{name}: the only placeholders are {{hours}} and {{region}}")
    instead = raw.get("instead")
    if state == "missing" and (instead not in ENGAGEMENTS or instead == model):
        problems.append(f"{where}.instead: name the model the client needs first (one of {', '.join(ENGAGEMENTS)}, "
                        "not the condition's own)")
    elif state == "weak" and instead is not None:
        problems.append(f"{where}.instead: only a missing answer says what comes instead")
    return Verdict(str(raw.get("because")), str(raw.get("fix")), instead if state == "missing" else None)


def _parse_contradictions(raw: Any, questions: Mapping[str, Question], problems: list[str]) -> list[Contradiction]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append("contradictions: expected a list")
        return []
    found = []
    for i, item in enumerate(raw):
        where = f"contradictions[{i}]"
        when = item.get("when") if isinstance(item, dict) else None
        if not isinstance(when, dict) or len(when) < 2:
            problems.append(f"{where}.when: at least two question: option pairs are required")
            continue
        for qid, value in when.items():
            question = questions.get(qid)
            if question is None or question.option(value) is None:
                problems.append(f"{where}.when.{qid}: no such question or option {value!r}")
        _check_text(f"{where}.note", item.get("note"), 500, problems)
        found.append(Contradiction(dict(when), str(item.get("note"))))
    return found


def _check_policy(questions: list[Question], conditions: list[Condition], problems: list[str]) -> None:
    """Nothing that argues against a model may stay unexplained, and `instead` may never lead in a circle."""
    for q in questions:
        for o in q.options:
            for model, points in o.scores.items():
                covered = any(c.model == model and c.question == q.id and o.value in {**c.weak, **c.missing}
                              for c in conditions)
                if isinstance(points, int) and points < 0 and not covered:
                    problems.append(f"questions ({q.id}).options ({o.value}): costs {model} points, so a condition "
                                    f"of {model} must list it as weak or missing (with why and what to do)")
    leads_to: dict[str, set[str]] = {}
    for c in conditions:
        for verdict in c.missing.values():
            if verdict.instead:
                leads_to.setdefault(c.model, set()).add(verdict.instead)
    for start in leads_to:
        seen, todo = set(), list(leads_to[start])
        while todo:
            model = todo.pop()
            if model == start:
                problems.append(f"conditions: `instead` leads from {start} back to itself")
                break
            if model not in seen:
                seen.add(model)
                todo.extend(leads_to.get(model, ()))
