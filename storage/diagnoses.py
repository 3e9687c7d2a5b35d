"""Diagnosis rows: stored once per modal view, beside the company's triages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from storage.company_names import company_key
from storage.models import Diagnosis, utcnow
from storage.triages import Workspace
from storage.upsert import insert_unless_exists


def insert_diagnosis(session: Session, workspace: Workspace, *, view_id: str, values: Mapping[str, Any]) -> int | None:
    """Store a diagnosis; None when this view was already stored (a duplicate submission)."""
    row = {**values, "team_id": workspace.team_id, "enterprise_id": workspace.enterprise_id, "view_id": view_id,
           "company_key": company_key(values["company"]), "created_at": utcnow()}
    return insert_unless_exists(session, Diagnosis.__table__, row, ["team_id", "view_id"])
