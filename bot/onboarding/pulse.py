"""The 30/60/90 pulse: its questions (bot/onboarding/pulse.yml) and the early warning their answers raise.

Pure: answers in, the signs of contractor-style treatment they show and whether they warrant a warning out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.data_files import DataFileError, read_yaml

DEFAULT_PATH = Path(__file__).with_name("pulse.yml")
ROLES = ("manager", "engineer")
BUTTON_TEXT_LIMIT = 75
ID = re.compile(r"\w{1,40}")
SECTION_LIMIT = 3000


class PulseError(DataFileError):
    """The pulse file is wrong."""


@dataclass(frozen=True)
class Answer:
    value: str
    label: str
    signal: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Answer, ...]

    def option(self, value: str) -> Answer | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Signal:
    id: str
    title: str
    fix: str


@dataclass(frozen=True)
class Pulse:
    version: str
    checkpoints: tuple[int, ...]
    warn_at: int
    signals: Mapping[str, Signal]
    questions: Mapping[str, tuple[Question, ...]]  # by role

    def question(self, role: str, question_id: str) -> Question | None:
        return next((q for q in self.questions.get(role, ()) if q.id == question_id), None)


@dataclass(frozen=True)
class Seen:
    """A sign of contractor-style treatment and who reported it (role)."""

    signal: Signal
    roles: tuple[str, ...]


def signs(pulse: Pulse, answers: Mapping[str, Mapping[str, str]]) -> list[Seen]:
    """The signs in one checkpoint's answers (role → question id → value), in the file's order."""
    by_signal: dict[str, list[str]] = {}
    for role in ROLES:
        for qid, value in (answers.get(role) or {}).items():
            q = pulse.question(role, qid)
            answer = q.option(value) if q else None
            if answer and answer.signal:
                by_signal.setdefault(answer.signal, []).append(role)
    return [Seen(pulse.signals[s], tuple(dict.fromkeys(by_signal[s]))) for s in pulse.signals if s in by_signal]


def warrants_warning(pulse: Pulse, seen: list[Seen]) -> bool:
    return len(seen) >= pulse.warn_at


def load(path: Path = DEFAULT_PATH) -> Pulse:
    return parse(read_yaml(path, PulseError), source=str(path))


def parse(raw: Any, source: str = "pulse") -> Pulse:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise PulseError(source, ["top level: expected a mapping"])
    version = raw.get("version")
    if not isinstance(version, str) or not version or len(version) > 32:
        problems.append("version: a non-empty string of at most 32 characters is required")
    checkpoints = raw.get("checkpoints")
    if (not isinstance(checkpoints, list) or not checkpoints
            or not all(isinstance(d, int) and d > 0 for d in checkpoints) or sorted(set(checkpoints)) != checkpoints):
        problems.append("checkpoints: increasing whole numbers of days after the first day are required")
        checkpoints = []
    signals: dict[str, Signal] = {}
    raw_signals = raw.get("signals")
    if not isinstance(raw_signals, dict) or not raw_signals:
        problems.append("signals: a mapping of the signs to look for is required")
        raw_signals = {}
    for sid, item in raw_signals.items():
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item[k] for k in ("title", "fix")):
            problems.append(f"signals.{sid}: a title and a fix are required")
            continue
        signals[str(sid)] = Signal(str(sid), item["title"], item["fix"])
    warn_at = raw.get("warn_at")
    if not isinstance(warn_at, int) or not 1 <= warn_at <= max(len(signals), 1):
        problems.append(f"warn_at: a whole number between 1 and the number of signals ({len(signals)}) is required")
        warn_at = 1
    questions: dict[str, tuple[Question, ...]] = {}
    raw_questions = raw.get("questions")
    if not isinstance(raw_questions, dict):
        problems.append(f"questions: a mapping from {' and '.join(ROLES)} to their questions is required")
        raw_questions = {}
    for role in ROLES:
        items = raw_questions.get(role)
        if not isinstance(items, list) or not items:
            problems.append(f"questions.{role}: a list of questions is required")
            continue
        questions[role] = tuple(q for i, item in enumerate(items)
                                if (q := _question(f"questions.{role}[{i}]", item, signals, problems)))
        ids = [q.id for q in questions[role]]
        if len(set(ids)) != len(ids):
            problems.append(f"questions.{role}: question ids must be unique")
    if set(raw_questions) - set(ROLES):
        problems.append(f"questions: only {', '.join(ROLES)} are asked")
    if problems:
        raise PulseError(source, problems)
    return Pulse(version, tuple(checkpoints), warn_at, signals, questions)


def _question(where: str, item: Any, signals: Mapping[str, Signal], problems: list[str]) -> Question | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("text"), str):
        problems.append(f"{where}: an id and a text are required")
        return None
    if not ID.fullmatch(item["id"]):
        problems.append(f"{where}.id: letters, digits and _ only (it travels in a button's value)")
    if len(item["text"]) > SECTION_LIMIT // 2:
        problems.append(f"{where}.text: at most {SECTION_LIMIT // 2} characters")
    options = []
    for j, o in enumerate(item.get("options") or []):
        at = f"{where}.options[{j}]"
        if not isinstance(o, dict) or not isinstance(o.get("value"), str) or not isinstance(o.get("label"), str):
            problems.append(f"{at}: a value and a label are required")
            continue
        if not ID.fullmatch(o["value"]):
            problems.append(f"{at}.value: letters, digits and _ only (it travels in a button's value)")
        if len(o["label"]) > BUTTON_TEXT_LIMIT:
            problems.append(f"{at}.label: {len(o['label'])} characters, a Slack button allows {BUTTON_TEXT_LIMIT}")
        if o.get("signal") is not None and o["signal"] not in signals:
            problems.append(f"{at}.signal: unknown signal {o['signal']!r} (known: {', '.join(signals)})")
        options.append(Answer(o["value"], o["label"], o.get("signal")))
    if len({o.value for o in options}) != len(options):
        problems.append(f"{where}.options: values must be unique")
    if not 2 <= len(options) <= 5:
        problems.append(f"{where}.options: between 2 and 5 answers are required (one button each)")
    return Question(item["id"], item["text"], tuple(options))
