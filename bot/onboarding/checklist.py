"""Loads and validates the onboarding checklist template (checklist.yml) and builds a plan's items."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.data_files import DataFileError, read_yaml
from bot.triage.engagements import PLACEMENT
from bot.triage.questionnaire import Questionnaire

DEFAULT_PATH = Path(__file__).with_name("checklist.yml")
OWNERS = ("manager", "buddy", "engineer", "firm")
PLACEHOLDERS = {"engineer", "manager"}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
TEXT_LIMIT = 500
OFFSET_RANGE = range(-60, 366)


class ChecklistError(DataFileError):
    """The checklist file is wrong."""


@dataclass(frozen=True)
class TemplateItem:
    key: str
    phase: str
    phase_title: str
    offset: int
    owner: str
    text: str


@dataclass(frozen=True)
class Extra:
    when: Mapping[str, tuple[str, ...]]
    items: tuple[TemplateItem, ...]


@dataclass(frozen=True)
class Checklist:
    version: str
    items: tuple[TemplateItem, ...]
    extras: tuple[Extra, ...]

    def items_for(self, answers: Mapping[str, Any] | None) -> list[TemplateItem]:
        """Template items plus the extras the triage answers call for, in due order."""
        chosen = list(self.items)
        for extra in self.extras:
            if answers and all(answers.get(q) in values for q, values in extra.when.items()):
                chosen.extend(extra.items)
        order = {item.phase: i for i, item in enumerate(self.items)}
        return sorted(chosen, key=lambda item: (item.offset, order.get(item.phase, 0)))


def load(path: Path = DEFAULT_PATH) -> Checklist:
    return parse(read_yaml(path, ChecklistError), source=str(path))


def parse(raw: Any, source: str = "checklist") -> Checklist:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ChecklistError(source, ["top level: expected a mapping with `version`, `phases` and `extras`"])
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 32:
        problems.append("version: a non-empty string of at most 32 characters is required")
    phases = raw.get("phases")
    if not isinstance(phases, list) or not phases:
        raise ChecklistError(source, [*problems, "phases: a non-empty list is required"])
    titles: dict[str, str] = {}
    items: list[TemplateItem] = []
    for i, phase in enumerate(phases):
        where = f"phases[{i}]"
        if not isinstance(phase, dict) or not ID_PATTERN.match(str(phase.get("id", ""))):
            problems.append(f"{where}.id: lower-case letters, digits and _ only, starting with a letter")
            continue
        title = phase.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{where} ({phase['id']}).title: a non-empty string is required")
        titles[phase["id"]] = str(title)
        items += _parse_items(f"{where} ({phase['id']})", phase["id"], str(title), phase.get("items"), problems)
    extras: list[Extra] = []
    for i, extra in enumerate(raw.get("extras") or []):
        where = f"extras[{i}]"
        when = extra.get("when") if isinstance(extra, dict) else None
        if not isinstance(when, dict) or not when or not all(isinstance(v, list) for v in when.values()):
            problems.append(f"{where}.when: a mapping of triage question id to a list of answers is required")
            continue
        phase_id = extra.get("phase")
        if phase_id not in titles:
            problems.append(f"{where}.phase: {phase_id!r} is not one of the phases above")
            continue
        extra_items = _parse_items(where, phase_id, titles[phase_id], extra.get("items"), problems)
        extras.append(Extra({k: tuple(map(str, v)) for k, v in when.items()}, tuple(extra_items)))
    keys = [item.key for item in items] + [item.key for extra in extras for item in extra.items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        problems.append(f"items: ids must be unique across phases and extras ({', '.join(duplicates)})")
    if problems:
        raise ChecklistError(source, problems)
    return Checklist(version=str(version), items=tuple(items), extras=tuple(extras))


def _parse_items(where: str, phase: str, title: str, raw: Any, problems: list[str]) -> list[TemplateItem]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}.items: a non-empty list is required")
        return []
    items = []
    for i, item in enumerate(raw):
        at = f"{where}.items[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{at}: expected a mapping")
            continue
        key, offset, owner, text = item.get("id"), item.get("offset"), item.get("owner"), item.get("text")
        if not isinstance(key, str) or not ID_PATTERN.match(key):
            problems.append(f"{at}.id: lower-case letters, digits and _ only, starting with a letter")
            continue
        at = f"{at} ({key})"
        if not isinstance(offset, int) or isinstance(offset, bool) or offset not in OFFSET_RANGE:
            problems.append(f"{at}.offset: a whole number of days between -60 and 365 is required")
        if owner not in OWNERS:
            problems.append(f"{at}.owner: must be one of {', '.join(OWNERS)}")
        if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
            problems.append(f"{at}.text: a non-empty string of at most {TEXT_LIMIT} characters is required")
        else:
            unknown = set(re.findall(r"{(\w*)}", text)) - PLACEHOLDERS
            if unknown:
                problems.append(f"{at}.text: unknown placeholder(s) {', '.join(sorted(unknown))} "
                                "(use {engineer} or {manager})")
        items.append(TemplateItem(key, phase, title, offset if isinstance(offset, int) else 0, str(owner),
                                  str(text)))
    return items


def check_against(checklist: Checklist, questionnaire: Questionnaire) -> None:
    """Every `when` in the extras must name a real triage question and options of it that a staff
    augmentation recommendation allows: plans start from those, so an extra tied to an answer that
    rules it out would never apply."""
    problems = []
    for i, extra in enumerate(checklist.extras):
        for question_id, values in extra.when.items():
            question = next((q for q in questionnaire.questions if q.id == question_id), None)
            if question is None:
                problems.append(f"extras[{i}].when: {question_id!r} is not a question in the questionnaire")
                continue
            unknown = [v for v in values if question.option(v) is None]
            if unknown:
                problems.append(f"extras[{i}].when.{question_id}: no option(s) {', '.join(map(repr, unknown))}")
            never = [v for v in values if v not in unknown and questionnaire.rules_out(PLACEMENT, question_id, v)]
            if never:
                problems.append(f"extras[{i}].when.{question_id}: {', '.join(map(repr, never))} rules out "
                                f"{PLACEMENT}, so no plan would ever get these items")
    if problems:
        raise ChecklistError("checklist.yml", problems)
