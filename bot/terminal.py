"""`fitbot triage`: the same questionnaire and engine in a terminal, no Slack workspace needed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

import yaml

from bot.triage.engine import Recommendation, client_today, recommend
from bot.triage.questionnaire import Question, Questionnaire
from bot.triage.serialize import recommendation_dict
from bot.user_text import clean


class AnswersFileError(ValueError):
    pass


class _TextLoader(yaml.SafeLoader):
    """YAML that keeps every scalar as written: `company: Yes` is "Yes", not True, and `010` stays "010".
    Only null (`~`, `null` or nothing) is read as such: the question is left unanswered."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class AnswersFile:
    """A YAML or JSON file's top-level mapping, scalars kept as written (JSON is valid YAML, so one parser
    reads both), and the line each key is on, so every problem can say where it is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=_TextLoader)
            node = yaml.compose(text, Loader=_TextLoader)
        except OSError as exc:
            raise AnswersFileError(f"{path}: cannot be read ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise AnswersFileError(f"{path}: not UTF-8 text") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise AnswersFileError(f"{where}: not valid YAML or JSON ({getattr(exc, 'problem', None) or exc})") from exc
        if not isinstance(data, dict):
            raise AnswersFileError(f"{path}: expected a mapping of question id to answer")
        self.data: dict = data
        self.lines: dict[str, int] = {}  # "key", and "key.inner" for a mapping's keys (a diagnosis's `now`)
        for key, value in node.value if node is not None else ():
            self.lines[str(key.value)] = key.start_mark.line + 1
            if isinstance(value, yaml.MappingNode):
                self.lines.update({f"{key.value}.{inner.value}": inner.start_mark.line + 1 for inner, _ in value.value})

    def problems(self, problems: Sequence[tuple[str, str]]) -> AnswersFileError:
        """One error listing each (key, message), with the line of the key (or of its parent)."""
        def where(key: str) -> str:
            line = self.lines.get(key) or self.lines.get(key.split(".")[0])
            return f"{self.path}:{line}" if line else str(self.path)

        lines = [f"  {where(key)}: {key}: {message}" for key, message in problems]
        return AnswersFileError(f"{self.path}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n"
                                + "\n".join(lines))


def read_answers_file(path: Path) -> tuple[dict[str, str | None], AnswersFile]:
    """Answers keyed by question id, and the file they came from (for its problems)."""
    file = AnswersFile(path)
    not_text = [(str(k), "expected a single answer, not a list or mapping") for k, v in file.data.items()
                if isinstance(v, (dict, list))]
    if not_text:
        raise file.problems(not_text)
    return {str(k): None if v is None else clean(v) or None for k, v in file.data.items()}, file


def ask(questionnaire: Questionnaire, read: Callable[[str], str], out: TextIO) -> dict[str, str | None]:
    """Ask every question at the prompt, repeating one until its answer is acceptable."""
    answers: dict[str, str | None] = {}
    total = len(questionnaire.questions)
    for number, q in enumerate(questionnaire.questions, 1):
        out.write(f"\nQuestion {number} of {total}: {q.label}"
                  f"{'' if q.required or q.required_when else ' (optional, Enter to skip)'}\n")
        for i, option in enumerate(q.options, 1):
            out.write(f"  {i}. {option.label}" + (f" ({option.description})" if option.description else "") + "\n")
        while True:
            answers[q.id], problem = _read_one(q, read)
            problem = problem or questionnaire.check_answers(answers).get(q.id)
            if not problem:
                break
            out.write(f"  {problem}\n")
    return answers


def _read_one(q: Question, read: Callable[[str], str]) -> tuple[str | None, str | None]:
    """The answer typed, or the problem with it."""
    if not q.options:
        return clean(read("> ")) or None, None
    choice = read("number> ").strip()
    if not choice:
        return None, None
    if choice.isdigit() and 1 <= int(choice) <= len(q.options):
        return q.options[int(choice) - 1].value, None
    return None, f"Type a number from 1 to {len(q.options)}."


def with_values(q: Question | None, message: str) -> str:
    """A problem with a choice, followed by the values the file may use."""
    if q is None or not q.options or not message.startswith("Pick"):
        return message
    return f"{message.rstrip('.')}: {', '.join(o.value for o in q.options)}."


def render(company: str, r: Recommendation, as_json: bool = False, *, version: str = "", on: date | None = None) -> str:
    """The recommendation as text or JSON; `version` and `on` (the questionnaire and the day the hours were
    computed for) are what make the same answers give the same output."""
    if as_json:
        stamp = {"questionnaire_version": version, "date": on.isoformat() if on else None}
        return json.dumps({"company": company, **stamp, **recommendation_dict(r)}, indent=2, ensure_ascii=False)
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
        read: Callable[[str], str] = input, asking: TextIO | None = None) -> int:
    """The recommendation on `out`; the questions, when there is no answers file, on `asking` (default `out`)."""
    if answers_file is not None:
        answers, file = read_answers_file(answers_file)
        ids = [q.id for q in questionnaire.questions]
        problems = [(qid, f"not a question in this questionnaire (questions: {', '.join(ids)})")
                    for qid in answers if qid not in ids]
        problems += [(qid, with_values(questionnaire.question(qid), message))
                     for qid, message in questionnaire.check_answers(answers).items()]
        if problems:
            raise file.problems(problems)
    else:
        answers = ask(questionnaire, read, asking or out)
    on = client_today(answers)
    r = recommend(questionnaire, answers, on=on)
    out.write(render(answers.get("company") or "", r, as_json, version=questionnaire.version, on=on) + "\n")
    return 0
