"""Storing a triage, or a revision of one, together with the channel messages that announce it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bot.presentation.history import model_name
from bot.presentation.triage import recommendation_message, revision_note
from bot.triage.engine import Recommendation, client_today, recommend
from bot.triage.questionnaire import Questionnaire
from bot.triage.revisions import Change, changes, in_current_terms, merge
from bot.triage.serialize import explanation, recommendation_dict
from storage import home_tabs, outbox, triages
from storage.db import Database
from storage.models import Triage
from storage.triages import Workspace
from storage.writes import run_together

RECOMMENDATION, TRIAGE_UPDATE, TRIAGE_NOTE = "recommendation", "triage_update", "triage_note"


def triage_subject(triage_id: int) -> str:
    return f"triage:{triage_id}"


def record_triage(
    db: Database,
    questionnaire: Questionnaire,
    workspace: Workspace,
    *,
    view_id: str,
    channel_id: str,
    user_id: str,
    answers: Mapping[str, str | None],
    recommendation: Recommendation,
) -> int | None:
    """Triage row, its revision 1 and outbox row in one transaction; returns the outbox id, or None for a
    duplicate view."""
    with db.unit_of_work() as session:
        triage_id = triages.insert_triage(session, workspace, view_id=view_id, values={
            "channel_id": channel_id, "user_id": user_id, **_decided(questionnaire, answers, recommendation)})
        if triage_id is None:
            return None
        message = _message(questionnaire, answers, recommendation, triage_id=triage_id, requested_by=user_id)
        run_together(session, home_tabs.refresh(workspace, {user_id}))
        return outbox.enqueue(session, workspace, dedupe_key=triage_subject(triage_id), kind=RECOMMENDATION,
                              channel_id=channel_id, payload=message, fallback_user_id=user_id,
                              subject=triage_subject(triage_id))


EDIT_RULE = ("Only whoever ran this triage, a workspace admin, or someone of this workspace who sees its message "
             "in the channel it was posted to can edit it.")


def may_edit(triage: Triage, user_id: str, *, clicked_in: str | None, user_team: str | None,
             is_admin: Callable[[], bool]) -> bool:
    """The requester; anyone of the firm's own workspace who sees the message where it was posted (they
    clicked its button there: a member of that channel, or of the workspace for a public one), not a guest
    from another organization in a Slack Connect channel; a workspace admin (asked last: it costs a Slack
    call)."""
    if user_id == triage.user_id:
        return True
    ours = user_team in (None, triage.team_id)
    if ours and clicked_in is not None and clicked_in in (triage.channel_id, triage.message_channel_id):
        return True
    return is_admin()


class TriageGone(LookupError):
    """The triage being edited isn't in this workspace (any more)."""


@dataclass(frozen=True)
class Revised:
    company: str
    number: int
    recommendation: Recommendation
    changed: tuple[Change, ...]
    merged_over: str | None  # who stored a revision while this edit was open, if anyone did
    send_now: tuple[int, ...]


def revise_triage(
    db: Database,
    questionnaire: Questionnaire,
    workspace: Workspace,
    *,
    triage_id: int,
    base: int,
    view_id: str,
    user_id: str,
    submitted: Mapping[str, str | None],
) -> Revised | None:
    """Store the next revision of a triage from an edit form opened at revision `base`, and queue the
    in-place update of its message and the note in its thread. None when this form was already stored.

    The triage row is locked first, so edits of one triage are stored one after the other, each on top of
    the one before (bot.triage.revisions.merge): none is lost, and each gets its own number.
    """
    with db.unit_of_work() as session:
        triage = triages.for_update(session, workspace, triage_id)
        if triage is None:
            raise TriageGone(triage_id)
        if triages.revision_of_view(session, workspace, view_id) is not None:
            return None
        latest = in_current_terms(questionnaire, triage.answers)
        merged_over, started_from = None, latest
        if triage.revision != base:
            started = triages.revision(session, triage, base)
            started_from = in_current_terms(questionnaire, started.answers) if started else latest
            newest = triages.revision(session, triage, triage.revision)
            merged_over = newest.user_id if newest and newest.user_id != user_id else None
        answers = merge(questionnaire, started_from, latest, submitted)
        recommendation = recommend(questionnaire, answers, on=client_today(answers))
        changed = tuple(changes(questionnaire, latest, answers))
        before = (model_name(triage.model), triage.confidence)
        added = triages.add_revision(session, triage, view_id=view_id, user_id=user_id,
                                     values=_decided(questionnaire, answers, recommendation),
                                     changes=[asdict(c) for c in changed])
        run_together(session, home_tabs.refresh(workspace, {triage.user_id}))
        send_now = _queue_revision(session, questionnaire, workspace, triage, answers, recommendation,
                                   editor=user_id, changed=changed, before=before)
        return Revised(triage.company, added.number, recommendation, changed, merged_over, send_now)


def _queue_revision(session, questionnaire: Questionnaire, workspace: Workspace, triage: Triage,
                    answers: Mapping[str, str | None], recommendation: Recommendation, *, editor: str,
                    changed: tuple[Change, ...], before: tuple[str, str]) -> tuple[int, ...]:
    message = _message(questionnaire, answers, recommendation, triage_id=triage.id, requested_by=triage.user_id,
                       revision=triage.revision, edited_by=editor)
    note = revision_note(company=triage.company, revision=triage.revision, edited_by=editor, changed=changed,
                         before=before, after=recommendation)
    subject, channel = triage_subject(triage.id), triage.message_channel_id or triage.channel_id
    ids = [outbox.enqueue(session, workspace, dedupe_key=f"{subject}:revision:{triage.revision}:{kind}", kind=kind,
                          channel_id=channel, payload={"triage_id": triage.id, "revision": triage.revision,
                                                       "message": payload},
                          fallback_user_id=editor, subject=subject)
           for kind, payload in ((TRIAGE_UPDATE, message), (TRIAGE_NOTE, note))]
    return tuple(i for i in ids if i is not None)


def _decided(questionnaire: Questionnaire, answers: Mapping[str, str | None], r: Recommendation) -> dict[str, Any]:
    """The triage columns a set of answers and its recommendation fill in."""
    stored = recommendation_dict(r)
    return {"company": answers.get("company") or "", "contact": answers.get("contact"), "answers": dict(answers),
            "questionnaire_version": questionnaire.version, "model": r.model, "confidence": r.confidence,
            "reasons": stored["reasons"], "risks": stored["risks"], "next_steps": stored["next_steps"],
            "overlap": stored["overlap"], "explanation": explanation(r)}


def _message(questionnaire: Questionnaire, answers: Mapping[str, str | None], r: Recommendation, *,
             triage_id: int, requested_by: str, revision: int = 1, edited_by: str | None = None) -> dict[str, Any]:
    zone = answers.get("timezone") or ""
    zone_option = questionnaire.question("timezone").option(zone)
    return recommendation_message(
        company=answers.get("company") or "", contact=answers.get("contact"), skills=answers.get("skills"),
        requested_by=requested_by, timezone_label=zone_option.label if zone_option else zone, recommendation=r,
        triage_id=triage_id, questionnaire_version=questionnaire.version, revision=revision, edited_by=edited_by)
