"""`fitbot triage --diagnose`: look back at an engagement that went wrong, in a terminal, no Slack needed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.terminal import AnswersFile, with_values
from bot.triage.diagnosis import OTHER, Diagnosis, Policy, check_form, diagnose, now_questions
from bot.triage.engine import client_today
from bot.triage.questionnaire import Questionnaire
from bot.triage.serialize import diagnosis_dict
from bot.user_text import clean

FIELDS = {"company", "model_used", "symptoms", "other", "now"}


def read_file(path: Path, policy: Policy, questionnaire: Questionnaire) -> dict[str, Any]:
    """company, model_used, symptoms (a list), other and now (a mapping of question id to answer)."""
    file = AnswersFile(path)
    data = file.data
    problems = [(str(k), f"not a field of a diagnosis (fields: {', '.join(sorted(FIELDS))})") for k in data
                if k not in FIELDS]
    symptoms = data.get("symptoms")
    symptoms = [symptoms] if isinstance(symptoms, str) else symptoms or []
    now = data.get("now") or {}
    if not isinstance(symptoms, list) or not all(isinstance(s, str) for s in symptoms):
        problems.append(("symptoms", "expected a list of symptoms"))
        symptoms = []
    if not isinstance(now, dict):
        problems.append(("now", "expected a mapping of question id to answer"))
        now = {}
    form = {"company": clean(str(data.get("company") or "")) or None, "model_used": data.get("model_used"),
            "symptoms": symptoms, "other": clean(str(data.get("other") or "")) or None,
            "answers": {str(k): str(v) for k, v in now.items() if v is not None}}
    problems += [(key, _with_values(policy, questionnaire, key, message, symptoms))
                 for key, message in check_form(policy, questionnaire, form).items()]
    if problems:
        raise file.problems(problems)
    return form


def _with_values(policy: Policy, questionnaire: Questionnaire, key: str, message: str, symptoms: list[str]) -> str:
    """A file's problem, naming what was wrong where it can, followed by the values the field takes."""
    if key in ("model_used", "symptoms"):
        choices = policy.models if key == "model_used" else policy.symptoms
        values = ", ".join(c.value for c in choices)
        if key == "symptoms" and (unknown := [s for s in symptoms if s not in {c.value for c in choices}]):
            return f"not a symptom fitbot knows: {', '.join(unknown)} (symptoms: {values})"
        return f"{message} ({values})"
    if key.startswith("now.") and message.startswith("Pick"):
        return with_values(questionnaire.question(key.removeprefix("now.")), message)
    return message


def ask(policy: Policy, questionnaire: Questionnaire, read: Callable[[str], str], out: TextIO) -> dict[str, Any]:
    """Ask at the prompt, repeating a question until its answer is acceptable."""
    while not (company := clean(read("Company> ")).strip()):
        out.write("  The company is required.\n")
    out.write("\nWhich model did the client use?\n")
    model_used = policy.models[_pick(read, out, [c.label for c in policy.models], many=False)[0]].value
    out.write("\nHow did it underperform? (one or more numbers, such as 1, 5)\n")
    symptoms = [policy.symptoms[i].value for i in _pick(read, out, [c.label for c in policy.symptoms], many=True)]
    other = None
    while OTHER in symptoms and not other:
        other = clean(read("What else went wrong?> ")) or None
    answers: dict[str, str] = {}
    if read("\nAnswer where things stand now? [y/N]> ").strip().lower() in ("y", "yes"):
        for q in now_questions(questionnaire):
            out.write(f"\n{q.label} (Enter to skip)\n")
            picked = _pick(read, out, [o.label for o in q.options], many=False, optional=True)
            if picked:
                answers[q.id] = q.options[picked[0]].value
    return {"company": company, "model_used": model_used, "symptoms": symptoms, "other": other, "answers": answers}


def _pick(read: Callable[[str], str], out: TextIO, labels: list[str], *, many: bool,
          optional: bool = False) -> list[int]:
    for i, label in enumerate(labels, 1):
        out.write(f"  {i}. {label}\n")
    while True:
        raw = read("numbers> " if many else "number> ").strip()
        if not raw and optional:
            return []
        parts = raw.replace(",", " ").split() if many else [raw]  # "1, 5" or "1 5"
        if parts and all(p.isdigit() and 1 <= int(p) <= len(labels) for p in parts):
            return sorted({int(p) - 1 for p in parts})
        out.write(f"  Type {'one or more numbers' if many else 'a number'} from 1 to {len(labels)}.\n")


def render(company: str, d: Diagnosis, as_json: bool = False) -> str:
    if as_json:
        return json.dumps({"company": company, **diagnosis_dict(d)}, indent=2, ensure_ascii=False)
    lines = [f"{company}: {d.model_used_label} that underperformed",
             "How: " + "; ".join(s.label for s in d.symptoms)]
    if d.other:
        lines.append(f"  \"{d.other}\"")
    lines += ["", "Verdict:", f"  {d.verdict}", "", "What the failure says:"]
    lines += [f"  - {next(s.label for s in d.symptoms if s.value == x.symptom)}: {x.lesson}" for x in d.lessons]
    lines += ["", "What to change:"] + [f"  - {x.change}" for x in d.lessons]
    lines += ["", f"Use now: {d.use_now_name}" if d.use_now_name else "Which model now:"]
    lines += [f"  - Not {o.model_name} yet: {f.title}: {f.because}" for o in d.ruled_out for f in o.missing]
    lines += [f"  - Watch out: {f.answer_label}: {f.because}\n    -> {f.fix}" for f in d.watch_out]
    if d.use_now is None:
        lines.append("  Run `fitbot triage` with where things stand now: it checks what each model needs.")
    lines += ["", "Not the lesson:", f"  {d.not_the_lesson}"]
    return "\n".join(lines)


def run(policy: Policy, questionnaire: Questionnaire, answers_file: Path | None, as_json: bool, out: TextIO,
        read: Callable[[str], str], asking: TextIO | None = None) -> int:
    """The lesson on `out`; the questions, when there is no answers file, on `asking` (default `out`)."""
    form = (read_file(answers_file, policy, questionnaire) if answers_file
            else ask(policy, questionnaire, read, asking or out))
    d = diagnose(policy, questionnaire, model_used=form["model_used"], symptoms=form["symptoms"],
                 other=form["other"], answers={"company": form["company"], **form["answers"]},
                 on=client_today(form["answers"]))
    out.write(render(form["company"], d, as_json) + "\n")
    return 0
