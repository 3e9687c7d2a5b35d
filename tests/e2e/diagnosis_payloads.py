"""Slack's view_submission for the diagnosis modal, filled in as a lead would."""

from __future__ import annotations

import json

from bot.presentation.diagnosis import NOW_PREFIX
from bot.triage import diagnosis, questionnaire
from bot.triage.diagnosis import now_questions
from tests.support import slack_requests as sr

Q = questionnaire.load()
POLICY = diagnosis.load()


def state_values(*, company: str | None, model_used: str | None, symptoms: list[str], other: str | None = None,
                 now: dict[str, str] | None = None) -> dict:
    now = now or {}
    values = {
        "company": sr.text_value("answer", company),
        "model_used": sr.radio_value("answer", model_used, POLICY.label(POLICY.models, model_used or "")),
        "symptoms": sr.checkboxes_value("answer", [(s, POLICY.label(POLICY.symptoms, s)) for s in symptoms]),
        "other": sr.text_value("answer", other),
    }
    for q in now_questions(Q):
        value = now.get(q.id)
        option = q.option(value) if value else None
        values[NOW_PREFIX + q.id] = sr.select_value("answer", value, option.label if option else value)
    return values


def submission(*, channel_id: str = "C0001", view_id: str | None = None, user_id: str = "U0001",
               private_metadata: str | None = None, **fields) -> str:
    metadata = json.dumps({"channel_id": channel_id}) if private_metadata is None else private_metadata
    return sr.view_submission(callback_id="fit_diagnose", values=state_values(**fields), private_metadata=metadata,
                              view_id=view_id, user_id=user_id)
