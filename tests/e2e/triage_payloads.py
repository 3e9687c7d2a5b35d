"""Slack's view_submission for the /fit modal, filled in as a user would."""

from __future__ import annotations

import json

from bot.triage import questionnaire
from tests.support import slack_requests as sr

Q = questionnaire.load()

AUGMENTATION = {
    "company": "Acme Corp", "contact": "Dana Ruiz, VP Engineering", "leadership": "head_of_engineering",
    "need_shape": "skills", "skills": "Senior Rails engineer to own the API layer", "onboarding": "new_hire",
    "work_definition": "roadmap", "requirements_change": "evolving", "collaboration": "realtime",
    "timezone": "America/Chicago",
}
OUTSOURCING = {
    "company": "Globex", "leadership": "senior_engineer", "need_shape": "mixed", "onboarding": "contractor",
    "work_definition": "fixed_scope", "requirements_change": "stable", "collaboration": "async",
    "timezone": "America/New_York",
}
CONSULTING = {
    "company": "Initech", "leadership": "nobody", "need_shape": "outcomes", "onboarding": "partial",
    "work_definition": "exploring", "requirements_change": "unknown", "collaboration": "realtime",
    "timezone": "America/Los_Angeles",
}
DISCOVERY = {
    "company": "Umbrella", "leadership": "head_of_engineering", "need_shape": "mixed", "onboarding": "new_hire",
    "work_definition": "exploring", "requirements_change": "unknown", "collaboration": "realtime",
    "timezone": "America/Denver",
}


def state_values(answers: dict[str, str | None]) -> dict:
    values = {}
    for q in Q.questions:
        value = answers.get(q.id)
        if q.kind == "text":
            values[q.id] = sr.text_value("answer", value)
        elif q.kind == "choice":
            values[q.id] = sr.radio_value("answer", value, q.option(value).label if q.option(value) else value)
        else:
            values[q.id] = sr.select_value("answer", value, q.option(value).label if q.option(value) else value)
    return values


def submission(answers: dict, *, channel_id: str = "C0001", view_id: str | None = None,
               user_id: str = "U0001", private_metadata: str | None = None) -> str:
    metadata = json.dumps({"channel_id": channel_id}) if private_metadata is None else private_metadata
    return sr.view_submission(callback_id="fit_triage", values=state_values(answers), private_metadata=metadata,
                              view_id=view_id, user_id=user_id)


def edit_submission(answers: dict, *, private_metadata: str, view_id: str | None = None,
                    user_id: str = "U0001") -> str:
    """The edit form (opened by Edit answers) submitted with `answers`."""
    return sr.view_submission(callback_id="fit_triage_edit", values=state_values(answers),
                              private_metadata=private_metadata, view_id=view_id, user_id=user_id)
