"""Modal submissions: the /fit questionnaire and its edit (a new revision), a diagnosis, the onboarding plan
form, and moving a plan's first day.

Each validates (errors inline on the right block, nothing stored), stores in one transaction with its
outbox rows, answers the modal, then hands the rows due now to the dispatcher.
"""

from __future__ import annotations

import json
import logging
from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot import plans as plan_flow
from bot.presentation.diagnosis import diagnosed_view, form_errors, parse_diagnosis
from bot.presentation.ids import (
    ANSWER_ACTION_ID,
    DIAGNOSE_CALLBACK_ID,
    PLAN_CALLBACK_ID,
    PLAN_MOVE_CALLBACK_ID,
    POST_CHANNEL_BLOCK_ID,
    TRIAGE_CALLBACK_ID,
    TRIAGE_EDIT_CALLBACK_ID,
)
from bot.presentation.plans import notice_view, parse_plan_form
from bot.presentation.triage import parse_post_channel, parse_submission, revised_view, submitted_view
from bot.record_diagnosis import record_diagnosis
from bot.record_triage import TriageGone, record_triage, revise_triage
from bot.services import Services, workspace_of
from bot.slack_users import is_workspace_admin
from bot.triage.diagnosis import check_form, diagnose
from bot.triage.engine import client_today, recommend
from handlers.replies import after_ack

log = logging.getLogger(__name__)

SAVE_FAILED = "fitbot couldn't save this just now. Your answers are still here: press {button} again in a minute."


def register(app: App) -> None:
    app.view(TRIAGE_CALLBACK_ID)(submit_triage)
    app.view(TRIAGE_EDIT_CALLBACK_ID)(submit_triage_edit)
    app.view(DIAGNOSE_CALLBACK_ID)(submit_diagnosis)
    app.view(PLAN_CALLBACK_ID)(submit_plan)
    app.view(PLAN_MOVE_CALLBACK_ID)(submit_move)


def submit_triage(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    services: Services = context["services"]
    questionnaire = services.questionnaire
    answers = parse_submission(questionnaire, view["state"]["values"])
    errors = questionnaire.check_answers(answers)
    channel_id = _metadata(view).get("channel_id")
    channel_id = channel_id if isinstance(channel_id, str) and channel_id else None
    asked = any(b.get("block_id") == POST_CHANNEL_BLOCK_ID for b in view.get("blocks") or [])
    if channel_id is None and asked:  # opened from the App Home
        channel_id = parse_post_channel(view["state"]["values"])
        if channel_id is None:
            errors[POST_CHANNEL_BLOCK_ID] = "Pick the channel to post the recommendation in."
    elif channel_id is None:
        errors.setdefault("company", "This form lost track of its channel. Close it and run /fit again.")
    if errors:
        ack(response_action="errors", errors=errors)
        return

    recommendation = recommend(questionnaire, answers, on=client_today(answers))
    try:
        outbox_id = record_triage(services.db, questionnaire, workspace_of(context), view_id=view["id"],
                                  channel_id=channel_id, user_id=body["user"]["id"], answers=answers,
                                  recommendation=recommendation)
    except SQLAlchemyError:
        log.exception("could not store triage for view %s", view["id"])
        ack(response_action="errors", errors={"company": SAVE_FAILED.format(button="Recommend")})
        return
    ack(response_action="update",
        view=submitted_view(company=answers["company"] or "", recommendation=recommendation, channel_id=channel_id))
    if outbox_id is not None:
        after_ack(context, lambda: services.dispatcher.send_now([outbox_id]))


def submit_triage_edit(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """Edit answers: a new revision of the triage (bot.record_triage.revise_triage), its message updated."""
    services: Services = context["services"]
    answers = parse_submission(services.questionnaire, view["state"]["values"])
    errors = services.questionnaire.check_answers(answers)
    meta = _metadata(view)
    triage_id, base = meta.get("triage_id"), meta.get("base")
    if not isinstance(triage_id, int) or not isinstance(base, int):
        errors.setdefault("company", "This form lost track of its triage. Close it and press Edit answers again.")
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        revised = revise_triage(services.db, services.questionnaire, workspace_of(context), triage_id=triage_id,
                                base=base, view_id=view["id"], user_id=body["user"]["id"], submitted=answers)
    except TriageGone:
        ack(response_action="errors", errors={"company": "This triage no longer exists, so it can't be edited."})
        return
    except SQLAlchemyError:
        log.exception("could not store a revision of triage %s for view %s", triage_id, view["id"])
        ack(response_action="errors", errors={"company": SAVE_FAILED.format(button="Re-run")})
        return
    if revised is None:  # this form was stored already (submitted twice)
        ack(response_action="clear")
        return
    ack(response_action="update", view=revised_view(company=revised.company, revision=revised.number,
                                                    recommendation=revised.recommendation,
                                                    changed=revised.changed, merged_over=revised.merged_over))
    if revised.send_now:
        after_ack(context, lambda: services.dispatcher.send_now(list(revised.send_now)))


def submit_plan(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    services: Services = context["services"]
    request, errors = plan_flow.check_request(parse_plan_form(view["state"]["values"]), date.today())
    if request is None:
        ack(response_action="errors", errors=errors)
        return
    triage_id = _metadata(view).get("triage_id")
    try:
        changed = plan_flow.start_plan(
            services.db, services.checklist, workspace_of(context), check_ins=services.check_ins, view_id=view["id"],
            created_by=body["user"]["id"], request=request,
            triage_id=triage_id if isinstance(triage_id, int) else None)
    except SQLAlchemyError:
        log.exception("could not store plan for view %s", view["id"])
        ack(response_action="errors", errors={"manager_user": SAVE_FAILED.format(button="Start plan")})
        return
    ack(response_action="update", view=notice_view("Onboarding plan", changed.message))
    if changed.send_now:
        after_ack(context, lambda: services.dispatcher.send_now(changed.send_now))


def submit_move(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    services: Services = context["services"]
    plan_id = _metadata(view).get("plan_id")
    new_start = ((view["state"]["values"].get("start_date") or {}).get(ANSWER_ACTION_ID) or {}).get("selected_date")
    try:
        start = date.fromisoformat(new_start) if isinstance(new_start, str) else None
    except ValueError:
        start = None
    if start is None or not isinstance(plan_id, int):
        ack(response_action="errors", errors={"start_date": "Pick the new first day."})
        return
    user_id, workspace = body["user"]["id"], workspace_of(context)
    try:
        changed = plan_flow.change_plan(services.db, workspace, plan_id, user_id, action="move", start_date=start,
                                        is_admin=lambda: is_workspace_admin(client, user_id, workspace))
    except plan_flow.NotAllowed:
        # Modal errors are plain text (no mentions), so this one names roles rather than people.
        ack(response_action="errors", errors={"start_date": "Only the plan's creator, its manager or a workspace "
                                                            "admin can change this plan."})
        return
    except plan_flow.PlanError as exc:
        ack(response_action="errors", errors={"start_date": str(exc)})
        return
    ack(response_action="update", view=notice_view("Move first day", changed.message))
    if changed.send_now:
        after_ack(context, lambda: services.dispatcher.send_now(changed.send_now))


def _metadata(view: dict) -> dict:
    """The modal's private_metadata ({} when missing, not text, or not fitbot's JSON)."""
    try:
        data = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def submit_diagnosis(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    services: Services = context["services"]
    form = parse_diagnosis(services.questionnaire, view["state"]["values"])
    errors = form_errors(check_form(services.diagnosis, services.questionnaire, form))
    channel_id = _metadata(view).get("channel_id")
    if not isinstance(channel_id, str) or not channel_id:
        errors.setdefault("company", "This form lost track of where to answer. Close it and run /fit diagnose again.")
    if errors:
        ack(response_action="errors", errors=errors)
        return
    company = form["company"]
    result = diagnose(services.diagnosis, services.questionnaire, model_used=form["model_used"],
                      symptoms=form["symptoms"], other=form["other"], answers={"company": company, **form["answers"]},
                      on=client_today(form["answers"]))
    try:
        outbox_id = record_diagnosis(services.db, workspace_of(context), view_id=view["id"], channel_id=channel_id,
                                     user_id=body["user"]["id"], company=company, answers=form["answers"],
                                     diagnosis=result)
    except SQLAlchemyError:
        log.exception("could not store diagnosis for view %s", view["id"])
        ack(response_action="errors", errors={"company": SAVE_FAILED.format(button="Diagnose")})
        return
    ack(response_action="update", view=diagnosed_view(company=company, diagnosis=result, channel_id=channel_id))
    if outbox_id is not None:
        after_ack(context, lambda: services.dispatcher.send_now([outbox_id]))
