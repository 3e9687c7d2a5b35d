"""`fitbot triage`: the same questionnaire and engine in a terminal, no Slack workspace needed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import yaml

from bot.presentation.mrkdwn import clean
from bot.triage.engine import Recommendation, recommend
from bot.triage.questionnaire import Question, Questionnaire
from bot.triage.serialize import recommendation_dict


class AnswersFileError(ValueError):
    pass


class _TextLoader(yaml.SafeLoader):
    """YAML that keeps every scalar as written: `company: Yes` is "Yes", not True, and `010` stays "010".
    Only null (`~`, `null` or nothing) is read as such: the question is left unanswered."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_mapping(path: Path) -> dict:
    """A YAML or JSON file's top-level mapping, scalars kept as written (JSON is valid YAML, so one parser
    reads both)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextLoader)
    except OSError as exc:
        raise AnswersFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise AnswersFileError(f"{path}: not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        raise AnswersFileError(f"{path}: not valid YAML or JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise AnswersFileError(f"{path}: expected a mapping of question id to answer")
    return data


def read_answers_file(path: Path) -> dict[str, str | None]:
    """Answers keyed by question id."""
    data = load_mapping(path)
    not_text = [str(k) for k, v in data.items() if isinstance(v, (dict, list))]
    if not_text:
        raise AnswersFileError(f"{path}:\n" + "\n".join(f"  {k}: expected a single answer, not a list or mapping"
                                                         for k in not_text))
    return {str(k): None if v is None else clean(v) or None for k, v in data.items()}


def ask(questionnaire: Questionnaire, read: Callable[[str], str], out: TextIO) -> dict[str, str | None]:
    """Ask every question at the prompt, repeating one until its answer is acceptable."""
    answers: dict[str, str | None] = {}
    for q in questionnaire.questions:
        while True:
            answers[q.id] = _ask_one(q, read, out)
            problem = questionnaire.check_answers(answers).get(q.id)
            if not problem:
                break
            out.write(f"  {problem}\n")
    return answers


def _ask_one(q: Question, read: Callable[[str], str], out: TextIO) -> str | None:
    out.write(f"\n{q.label}{'' if q.required or q.required_when else ' (optional, Enter to skip)'}\n")
    if not q.options:
        return read("> ").strip() or None
    for i, option in enumerate(q.options, 1):
        out.write(f"  {i}. {option.label}" + (f" ({option.description})" if option.description else "") + "\n")
    choice = read("number> ").strip()
    if not choice:
        return None
    if choice.isdigit() and 1 <= int(choice) <= len(q.options):
        return q.options[int(choice) - 1].value
    return choice  # check_answers reports it as not one of the options


def render(company: str, r: Recommendation, as_json: bool = False) -> str:
    if as_json:
        return json.dumps({"company": company, **recommendation_dict(r)}, indent=2, ensure_ascii=False)
    lines = [f"{company}: {r.model_name} ({r.confidence} confidence)", r.summary]
    for out in r.ruled_out:
        lines += ["", f"Why not {out.model_name}:"] + [f"  - {f.title}: {f.because}" for f in out.missing]
    lines += ["", "Why:"]
    lines += [f"  - {reason}" for reason in r.reasons] or ["  - The answers did not lean strongly either way."]
    lines += ["", "Against:"]
    lines += [f"  - {f.answer_label} ({f.title.lower()}): {f.because}\n    -> {f.fix}" for f in r.against] or [
        "  - Nothing in the answers argues against it."]
    if r.confidence != "high":
        lines += ["", f"Why {r.confidence} confidence, not high:"] + [f"  - {n}" for n in r.confidence_notes]
    lines += ["", "What would change the answer:"]
    lines += [f"  - {w.sentence}" for w in r.what_if] or ["  - No change of one or two answers leads to another model."]
    lines += ["", "Risks to watch:"]
    lines += [f"  - {k.title}: {k.detail}" for k in r.risks] or ["  - None stands out."]
    lines += ["", "Shared working hours (9:00-17:00 both sides):"]
    lines += [f"  {o.region:<28} {o.hours:>4g} h  {'nearshore' if o.nearshore else 'offshore'}" for o in r.overlap]
    lines += ["", "Next steps:"] + [f"  {i}. {s}" for i, s in enumerate(r.next_steps, 1)]
    return "\n".join(lines)


def run(questionnaire: Questionnaire, answers_file: Path | None, as_json: bool, out: TextIO = sys.stdout,
        read: Callable[[str], str] = input) -> int:
    if answers_file is not None:
        answers = read_answers_file(answers_file)
        unknown = sorted(set(answers) - {q.id for q in questionnaire.questions})
        errors = questionnaire.check_answers(answers)
        problems = [f"{qid}: not a question in this questionnaire" for qid in unknown]
        problems += [f"{qid}: {message}" for qid, message in errors.items()]
        if problems:
            raise AnswersFileError(f"{answers_file}:\n" + "\n".join(f"  {p}" for p in problems))
    else:
        answers = ask(questionnaire, read, out)
    zone = answers.get("timezone") or "America/New_York"
    r = recommend(questionnaire, answers, on=datetime.now(ZoneInfo(zone)).date())
    out.write(render(answers.get("company") or "", r, as_json) + "\n")
    return 0
