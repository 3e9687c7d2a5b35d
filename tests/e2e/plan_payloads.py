"""Slack's requests for onboarding plans: the plan form submission and clicks on nudges."""

from __future__ import annotations

import json
from datetime import date

from tests.support import slack_requests as sr


def plan_form(*, engineer: str | None = "U0ENG", engineer_name: str | None = None, manager: str | None = "U0MGR",
              buddy: str | None = None, channel: str | None = "C0PLAN", start: date | None = None,
              timezone: str | None = "America/Chicago", at: str | None = "09:30") -> dict:
    """view.state.values as Slack sends them for the plan modal's elements."""
    return {
        "engineer_user": {"answer": {"type": "users_select", "selected_user": engineer}},
        "engineer_name": sr.text_value("answer", engineer_name),
        "manager_user": {"answer": {"type": "users_select", "selected_user": manager}},
        "buddy_user": {"answer": {"type": "users_select", "selected_user": buddy}},
        "channel": {"answer": {"type": "conversations_select", "selected_conversation": channel}},
        "start_date": sr.datepicker_value("answer", start.isoformat() if start else None),
        "timezone": sr.select_value("answer", timezone, timezone),
        "nudge_time": {"answer": {"type": "timepicker", "selected_time": at}},
    }


def plan_submission(values: dict, *, triage_id: int | None = None,
                    view_id: str | None = None, user_id: str = "U0LEAD") -> str:
    meta = {"triage_id": triage_id} if triage_id else {}
    return sr.view_submission(callback_id="fit_plan", values=values, private_metadata=json.dumps(meta),
                              view_id=view_id, user_id=user_id)


def click(action_id: str, item_id: int, *, channel: str, ts: str, user: str = "U0MGR",
          response_url: str | None = None) -> str:
    return sr.block_actions(action_id=action_id, value=str(item_id), block_id=f"item:{item_id}", channel_id=channel,
                            message_ts=ts, user_id=user, response_url=response_url)


def snooze(item_id: int, choice: str, *, channel: str, ts: str, user: str = "U0MGR") -> str:
    return sr.block_actions(action_id="plan_item_snooze", value="", block_id=f"item:{item_id}", channel_id=channel,
                            message_ts=ts, user_id=user, selected=(f"{item_id}:{choice}", "Until tomorrow"))


def manage(action: str, plan_id: int, *, user: str, response_url: str) -> str:
    return sr.block_actions(action_id="plan_manage", value="", block_id=f"plan:{plan_id}", channel_id="C0PLAN",
                            message_ts=sr.new_ts(), user_id=user, response_url=response_url,
                            selected=(f"{action}:{plan_id}", action), element_type="overflow")
