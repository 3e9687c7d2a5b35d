"""Diagnosing an engagement that underperformed: was the model wrong, or the setup, and what to use now.

The lessons live in diagnosis.yml, validated at start-up like the questionnaire. `diagnose` is pure and
deterministic; when the lead also gives where things stand now, the recommendation engine (with the
failed engagement as the client's history) decides which model to use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.data_files import read_yaml
from bot.triage.engagements import ENGAGEMENTS
from bot.triage.engine import Finding, Recommendation, RuledOut, model_needed, recommend
from bot.triage.questionnaire import Question, Questionnaire, QuestionnaireError
from bot.user_text import BROKEN, is_broken

DEFAULT_PATH = Path(__file__).with_name("diagnosis.yml")
WRONG = ("model", "setup", "unclear")
OTHER = "other"
# Questions a diagnosis never asks again: free text, and the history the diagnosis itself describes.
NOT_ASKED = {"previous_engagement"}
OTHER_LIMIT = 500
VERDICTS = {
    "model": "The model didn't fit the work. The engineers weren't the problem, and a better vendor of the same "
             "model would likely have failed the same way.",
    "setup": "The model can work here; the setup around it didn't. Fix the setup and the same calibre of "
             "engineer performs very differently.",
    "unclear": "Not enough to tell whether the model or the setup was wrong.",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Lesson:
    model: str
    symptom: str
    wrong: str
    lesson: str
    change: str
    use: str | None = None
    history: str | None = None


@dataclass(frozen=True)
class Policy:
    version: str
    not_the_lesson: str
    models: tuple[Choice, ...]
    symptoms: tuple[Choice, ...]
    lessons: Mapping[tuple[str, str], Lesson]

    def label(self, choices: Sequence[Choice], value: str) -> str:
        return next((c.label for c in choices if c.value == value), value)

    def check(self, model_used: str | None, symptoms: Sequence[str], other: str | None) -> dict[str, str]:
        """Problems keyed by field (model_used, symptoms, other); empty when a diagnosis can be made."""
        errors = {}
        if model_used not in {c.value for c in self.models}:
            errors["model_used"] = "Pick the model the client used."
        known = {c.value for c in self.symptoms}
        if not symptoms:
            errors["symptoms"] = "Pick at least one way the engagement underperformed."
        elif any(s not in known for s in symptoms):
            errors["symptoms"] = "Pick from the listed options."
        if other and is_broken(other):
            errors["other"] = BROKEN
        elif OTHER in symptoms and not (other or "").strip():
            errors["other"] = "Say in a sentence what went wrong: you ticked \"Something else\"."
        elif other and len(other) > OTHER_LIMIT:
            errors["other"] = f"Keep this to {OTHER_LIMIT} characters (it has {len(other)})."
        return errors


def now_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questionnaire's questions a diagnosis may answer for where things stand now."""
    return [q for q in questionnaire.questions if q.kind != "text" and q.id not in NOT_ASKED]


def check_form(policy: Policy, questionnaire: Questionnaire, form: Mapping[str, Any]) -> dict[str, str]:
    """Problems with a diagnosis form (company, model_used, symptoms, other, answers), keyed by field; a
    current answer's key is `now.<question id>`. Empty when a diagnosis can be made."""
    errors = policy.check(form["model_used"], form["symptoms"], form["other"])
    if company := questionnaire.check_answers({"company": form["company"]}).get("company"):
        errors["company"] = company
    asked = {q.id: q for q in now_questions(questionnaire)}
    for qid, value in form["answers"].items():
        if qid not in asked:
            errors[f"now.{qid}"] = f"not a question here (questions: {', '.join(asked)})"
        elif asked[qid].option(value) is None:
            errors[f"now.{qid}"] = "Pick one of the listed options."
    return errors


@dataclass(frozen=True)
class Diagnosis:
    model_used: str
    model_used_label: str
    symptoms: tuple[Choice, ...]
    other: str | None
    wrong: str
    verdict: str
    lessons: tuple[Lesson, ...]
    use_now: str | None
    use_now_name: str | None
    ruled_out: tuple[RuledOut, ...]
    watch_out: tuple[Finding, ...]  # answers as they stand now that argue against the model to use now
    recommendation: Recommendation | None
    not_the_lesson: str
    version: str


def diagnose(policy: Policy, questionnaire: Questionnaire, *, model_used: str, symptoms: Sequence[str],
             other: str | None, answers: Mapping[str, str | None], on: date) -> Diagnosis:
    """The lesson of a failed engagement. `answers` (where things stand now) may be empty or partial."""
    ordered = [c for c in policy.symptoms if c.value in symptoms]
    lessons = tuple(policy.lessons[(model_used, c.value)] for c in ordered)
    wrong = next((w for w in WRONG if any(lesson.wrong == w for lesson in lessons)), "unclear")
    # The failure is the client's history: it counts in the recommendation like the questionnaire's answer.
    history = next((lesson.history for lesson in lessons if lesson.history), None)
    now = dict(answers)
    if history and not now.get("previous_engagement"):
        now["previous_engagement"] = history
    recommendation = recommend(questionnaire, now, on) if _complete(questionnaire, now) else None
    ruled_out: tuple[RuledOut, ...] = ()
    watch_out: tuple[Finding, ...] = ()
    if recommendation is not None:
        use_now: str | None = recommendation.model
        ruled_out, watch_out = recommendation.ruled_out, recommendation.against
    else:
        use = next((lesson.use for lesson in lessons if lesson.wrong == wrong and lesson.use), None)
        use_now, ruled_out, watch_out = model_needed(questionnaire, now, use, on) if use else (None, (), ())
    return Diagnosis(
        model_used=model_used,
        model_used_label=policy.label(policy.models, model_used),
        symptoms=tuple(ordered),
        other=other or None,
        wrong=wrong,
        verdict=VERDICTS[wrong] + _as_things_stand(wrong, model_used, use_now),
        lessons=lessons,
        use_now=use_now,
        use_now_name=ENGAGEMENTS[use_now].name if use_now else None,
        ruled_out=ruled_out,
        watch_out=watch_out,
        recommendation=recommendation,
        not_the_lesson=policy.not_the_lesson,
        version=policy.version,
    )


def _as_things_stand(wrong: str, model_used: str, use_now: str | None) -> str:
    """What the answers as they stand now add to the verdict when they point elsewhere than the lesson does:
    the past and the present are both said, never a verdict that contradicts the model to use now."""
    if use_now is None or wrong == "unclear":
        return ""
    if wrong == "setup" and use_now != model_used:
        return f" As things stand now, though, {ENGAGEMENTS[use_now].name} fits better: see Use now."
    if wrong == "model" and use_now == model_used:
        return f" As things stand now, though, {ENGAGEMENTS[use_now].name} can fit: the work has changed since."
    return ""


def _complete(questionnaire: Questionnaire, answers: Mapping[str, str | None]) -> bool:
    """Every required choice answered: enough for a full recommendation."""
    return all(q.option(answers.get(q.id) or "") is not None
               for q in questionnaire.questions if q.kind != "text" and q.required)


def load(path: Path = DEFAULT_PATH) -> Policy:
    return parse(read_yaml(path, QuestionnaireError), source=str(path))


def parse(raw: Any, source: str = "diagnosis") -> Policy:
    if not isinstance(raw, dict):
        raise QuestionnaireError(source, ["top level: expected a mapping"])
    problems: list[str] = []
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 32:
        problems.append("version: a non-empty string of at most 32 characters is required")
    not_the_lesson = raw.get("not_the_lesson")
    if not isinstance(not_the_lesson, str) or not not_the_lesson.strip():
        problems.append("not_the_lesson: a non-empty string is required")
    models = _choices("models", raw.get("models"), problems)
    for c in models:
        if c.value not in ENGAGEMENTS:
            problems.append(f"models ({c.value}): not an engagement model (known: {', '.join(ENGAGEMENTS)})")
    symptoms = _choices("symptoms", raw.get("symptoms"), problems)
    if OTHER not in {c.value for c in symptoms}:
        problems.append(f"symptoms: an {OTHER!r} symptom is required")
    lessons: dict[tuple[str, str], Lesson] = {}
    for i, item in enumerate(raw.get("lessons") or []):
        lesson = _lesson(f"lessons[{i}]", item, problems)
        if lesson is None:
            continue
        key = (lesson.model, lesson.symptom)
        if key in lessons:
            problems.append(f"lessons[{i}]: a second lesson for {lesson.model} / {lesson.symptom}")
        lessons[key] = lesson
    for m in models:
        for s in symptoms:
            if (m.value, s.value) not in lessons:
                problems.append(f"lessons: none for {m.value} / {s.value}")
    if problems:
        raise QuestionnaireError(source, problems)
    return Policy(str(version), str(not_the_lesson).strip(), tuple(models), tuple(symptoms), lessons)


def _choices(where: str, raw: Any, problems: list[str]) -> list[Choice]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= 10:
        problems.append(f"{where}: a list of 2 to 10 options is required")
        return []
    choices = []
    for i, item in enumerate(raw):
        value, label = (item.get("value"), item.get("label")) if isinstance(item, dict) else (None, None)
        if not isinstance(value, str) or not value or not isinstance(label, str) or not 0 < len(label) <= 75:
            problems.append(f"{where}[{i}]: a `value` and a `label` of at most 75 characters are required")
            continue
        choices.append(Choice(value, label))
    return choices


def _lesson(where: str, item: Any, problems: list[str]) -> Lesson | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    texts = {name: item.get(name) for name in ("model", "symptom", "wrong", "lesson", "change")}
    missing = [name for name, value in texts.items() if not isinstance(value, str) or not value.strip()]
    if missing:
        problems.append(f"{where}: {', '.join(missing)} required")
        return None
    if item["wrong"] not in WRONG:
        problems.append(f"{where}.wrong: one of {', '.join(WRONG)}")
    use = item.get("use")
    if use is not None and use not in ENGAGEMENTS:
        problems.append(f"{where}.use: not an engagement model")
    if item["wrong"] != "unclear" and use is None:
        problems.append(f"{where}.use: say which model to use now")
    return Lesson(item["model"], item["symptom"], item["wrong"], item["lesson"].strip(), item["change"].strip(),
                  use, item.get("history"))


def check_against(policy: Policy, questionnaire: Questionnaire) -> None:
    """Each lesson's `history` must be an answer of the questionnaire's previous_engagement question."""
    question = next((q for q in questionnaire.questions if q.id == "previous_engagement"), None)
    problems = [f"lessons ({lesson.model} / {lesson.symptom}).history: {lesson.history!r} is not an option of "
                "previous_engagement" for lesson in policy.lessons.values()
                if lesson.history and (question is None or question.option(lesson.history) is None)]
    if problems:
        raise QuestionnaireError("diagnosis.yml", problems)
