"""Storing a diagnosis together with the message that posts its lesson."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.presentation.diagnosis import lesson_message
from bot.triage.diagnosis import Diagnosis
from bot.triage.serialize import diagnosis_dict
from storage import diagnoses, outbox, triages
from storage.db import Database
from storage.triages import Workspace


def record_diagnosis(db: Database, workspace: Workspace, *, view_id: str, channel_id: str, user_id: str,
                     company: str, answers: Mapping[str, Any], diagnosis: Diagnosis) -> int | None:
    """Diagnosis row and outbox row in one transaction; returns the outbox id, or None for a duplicate view."""
    d = diagnosis
    with db.unit_of_work() as session:
        triage = triages.latest_for_company(session, workspace, company)
        triage_id = triage.id if triage else None
        diagnosis_id = diagnoses.insert_diagnosis(session, workspace, view_id=view_id, values={
            "channel_id": channel_id, "user_id": user_id, "company": company, "triage_id": triage_id,
            "model_used": d.model_used, "symptoms": [s.value for s in d.symptoms], "other": d.other,
            "answers": dict(answers), "wrong": d.wrong, "use_now": d.use_now, "result": diagnosis_dict(d),
            "policy_version": d.version,
        })
        if diagnosis_id is None:
            return None
        message = lesson_message(company=company, diagnosis=d, diagnosed_by=user_id, diagnosis_id=diagnosis_id,
                                 triage_id=triage_id)
        return outbox.enqueue(session, workspace, dedupe_key=f"diagnosis:{diagnosis_id}", kind="diagnosis",
                              channel_id=channel_id, payload=message, fallback_user_id=user_id)
