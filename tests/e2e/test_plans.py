"""Onboarding plans end to end: the plan form, nudges arriving, clicks on them, plan changes, channel trouble."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from storage.models import OutboxMessage, Plan, PlanItem, Triage, utcnow
from tests.e2e import plan_payloads as pp
from tests.e2e import triage_payloads as tp
from tests.e2e.polling import wait_for_row
from tests.support import slack_requests as sr

TODAY = date.today()


def _start(fitbot, **form) -> None:
    """Submit the plan form (the lead U0LEAD starts a plan for U0ENG, managed by U0MGR)."""
    response = fitbot.post(pp.plan_submission(pp.plan_form(**form)))
    assert response.json()["response_action"] == "update", response.text


def _items(db) -> dict[int, PlanItem]:
    with db.unit_of_work() as s:
        return {i.id: i for i in s.scalars(select(PlanItem))}


def _rows(db, **where) -> list[OutboxMessage]:
    with db.unit_of_work() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for column, value in where.items():
            query = query.where(getattr(OutboxMessage, column) == value)
        return list(s.scalars(query))


def _nudges(slack) -> dict[int, object]:
    """Posted nudges by item id (the id travels in the actions block's block_id)."""
    found = {}
    for call in slack.calls("chat.postMessage"):
        for block in call.params.get("blocks", []):
            if call.ok and block.get("type") == "actions" and block["block_id"].startswith("item:"):
                found[int(block["block_id"].split(":")[1])] = call
    return found


def _steps(db, item: PlanItem) -> dict[str, str]:
    """The status of each message the item's schedule holds (nudge, follow_up, escalation), latest row each."""
    return {r.kind: r.status for r in _rows(db, subject=f"plan:{item.plan_id}:item:{item.id}:")}


def _settle(slack, seconds: float = 1.0) -> None:
    """Wait until no Slack call has arrived for `seconds` (everything due now has gone out)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        count = len(slack.calls())
        time.sleep(seconds)
        if len(slack.calls()) == count:
            return
    raise AssertionError("Slack calls kept coming")


def test_onboard_with_a_company_starts_from_its_latest_triage(fitbot, slack, db):
    fitbot.post(tp.submission(tp.AUGMENTATION, channel_id="C0042", view_id="VONB"))
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    with db.unit_of_work() as s:
        triage_id = s.scalars(select(Triage.id)).one()
    slack.reset()
    fitbot.post(sr.slash_command("onboarding acme corp", channel_id="C0TEAM"))
    (call,) = slack.wait_for("views.open")
    assert json.loads(call.params["view"]["private_metadata"]) == {"triage_id": triage_id}
    assert "*Acme Corp*" in call.params["view"]["blocks"][0]["elements"][0]["text"]


def test_onboard_with_a_company_never_triaged_says_the_form_starts_blank(fitbot, slack, db):
    fitbot.post(sr.slash_command("onboard Nowhere <!channel>", channel_id="C0TEAM",
                                 response_url=slack.response_url_for()))
    (call,) = slack.wait_for("views.open")
    assert json.loads(call.params["view"]["private_metadata"]) == {}
    (told,) = slack.wait_for("response_url")
    assert told.params["text"].startswith("fitbot has no triage of “Nowhere &lt;!channel&gt;”, so the plan isn't "
                                          "linked to one")


def test_onboard_opens_the_plan_form_in_this_channel(fitbot, slack):
    fitbot.post(sr.slash_command("onboard", channel_id="C0TEAM"))
    (call,) = slack.wait_for("views.open")
    view = call.params["view"]
    assert view["callback_id"] == "fit_plan"
    assert json.loads(view["private_metadata"]) == {}
    channel = next(b for b in view["blocks"] if b.get("block_id") == "channel")["element"]
    assert (channel["type"], channel["initial_conversation"]) == ("conversations_select", "C0TEAM")
    assert channel["filter"] == {"include": ["public", "private"], "exclude_bot_users": True}


@pytest.mark.parametrize(("form", "errors"), [
    ({"engineer": None},
     {"engineer_user": "Pick the engineer, or type their name below if they are not in Slack yet."}),
    ({"manager": None}, {"manager_user": "Pick the client's engineering manager."}),
    ({"manager": "U0ENG"}, {"manager_user": "The manager and the engineer must be different people."}),
    ({"start": TODAY - timedelta(days=400)},
     {"start_date": "Pick a first day within the past four months or the coming year."}),
    ({"at": None, "timezone": None}, {"nudge_time": "Pick the time of day for nudges.",
                                      "timezone": "Pick the team's timezone."}),
], ids=["no engineer", "no manager", "manager is the engineer", "start too far back", "no time, no zone"])
def test_invalid_plan_form_is_answered_inline_and_nothing_stored(fitbot, slack, db, form, errors):
    response = fitbot.post(pp.plan_submission(pp.plan_form(**{"start": TODAY, **form})))
    assert response.json() == {"response_action": "errors", "errors": errors}
    with db.unit_of_work() as s:
        assert s.scalars(select(Plan)).all() == []
    assert _rows(db) == []


def test_a_plan_that_started_a_month_ago_sends_what_is_due_once_and_marks_it_late(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=30), engineer=None, engineer_name="Ana <!here> Silva",
           buddy="U0BUDDY")
    _settle(slack)
    items = _items(db)
    nudged = _nudges(slack)
    by_key = {item.key: item_id for item_id, item in items.items()}
    for key in ("access", "ceremonies", "context", "introductions", "first_change", "reviews"):
        assert by_key[key] in nudged, key
    for key in ("feedback_60", "evaluation_90", "one_of_us_90"):
        assert by_key[key] not in nudged, key
    assert {c.params["channel"] for c in nudged.values()} == {"C0PLAN"}
    walkthrough = nudged[by_key["walkthrough"]].params
    assert walkthrough["blocks"][0]["text"]["text"].startswith("<@U0BUDDY>, onboarding for Ana &lt;!here&gt; Silva")
    assert "This reminder is late" in walkthrough["blocks"][1]["elements"][0]["text"]
    # Reminders count from today, not from the long-gone due dates: none has gone out yet.
    assert not [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts")]
    assert {r.status for r in _rows(db, kind="follow_up")} == {"pending"}
    # The scheduler's next ticks send nothing twice.
    time.sleep(2.5)
    assert len(_nudges(slack)) == len(nudged) == len(slack.messages("C0PLAN"))


def test_done_edits_the_nudge_and_cancels_its_reminders(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id, nudge = next(iter(_nudges(slack).items()))
    ts = nudge.response["ts"]
    assert fitbot.post(pp.click("plan_item_done", item_id, channel="C0PLAN", ts=ts, user="U0MGR")).status == 200
    (update,) = slack.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C0PLAN", ts)
    assert "Done, marked by <@U0MGR>" in update.params["blocks"][1]["elements"][0]["text"]
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]  # no buttons left
    item = _items(db)[item_id]
    assert (item.status, item.closed_by) == ("done", "U0MGR")
    (edit,) = _rows(db, kind="item_update")
    wait_for_row(db, edit.id, "sent")  # recorded just after the call
    assert _steps(db, item) == {"nudge": "sent", "follow_up": "cancelled", "escalation": "cancelled"}
    # A second click (or a double delivery) changes nothing more.
    fitbot.post(pp.click("plan_item_done", item_id, channel="C0PLAN", ts=ts, user="U0OTHER"))
    time.sleep(1)
    assert len(slack.calls("chat.update")) == 1
    assert _items(db)[item_id].closed_by == "U0MGR"


def test_not_applicable_and_snooze(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    (first, first_nudge), (second, second_nudge), *_ = _nudges(slack).items()
    fitbot.post(pp.click("plan_item_na", first, channel="C0PLAN", ts=first_nudge.response["ts"]))
    fitbot.post(pp.snooze(second, "week", channel="C0PLAN", ts=second_nudge.response["ts"]))
    updates = slack.wait_for("chat.update", count=2)
    texts = {u.params["ts"]: u.params["blocks"][1]["elements"][0]["text"] for u in updates}
    assert texts[first_nudge.response["ts"]].startswith(":white_check_mark: Not applicable, marked by <@U0MGR>")
    assert texts[second_nudge.response["ts"]].startswith(":zzz: Snoozed by <@U0MGR> until")
    items = _items(db)
    assert items[first].status == "not_applicable"
    assert _steps(db, items[first]) == {"nudge": "sent", "follow_up": "cancelled", "escalation": "cancelled"}
    assert items[second].status == "open"
    snoozed_until = items[second].snoozed_until
    assert timedelta(days=6) < snoozed_until - utcnow() < timedelta(days=10)
    pending = [r for r in _rows(db, status="pending") if r.payload.get("item_id") == second]
    # The old reminders are gone; the item starts again when the snooze ends.
    assert sorted(r.kind for r in pending) == ["escalation", "follow_up", "nudge"]
    assert [r.due_at for r in pending if r.kind == "nudge"] == [snoozed_until]
    assert all(r.due_at > snoozed_until for r in pending if r.kind != "nudge")
    cancelled = [r for r in _rows(db, status="cancelled") if r.payload.get("item_id") == second]
    assert sorted(r.kind for r in cancelled) == ["escalation", "follow_up"]


def test_only_creator_manager_or_admin_may_change_a_plan(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=14))
    with db.unit_of_work() as s:
        plan_id = s.scalars(select(Plan.id)).one()
    refused = fitbot.post(pp.manage("pause", plan_id, user="U0OTHER", response_url=slack.response_url_for("a")))
    assert refused.status == 200
    (told,) = slack.wait_for("response_url")
    assert told.params["text"].startswith("Only <@U0LEAD> (who started it), <@U0MGR> (the manager)")
    assert told.params["response_type"] == "ephemeral"
    assert slack.calls("users.info")[0].params["user"] == "U0OTHER"  # admins are asked about, not assumed
    with db.unit_of_work() as s:
        assert s.get(Plan, plan_id).status == "active"

    fitbot.post(pp.manage("pause", plan_id, user="U0MGR", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url", count=2)
    with db.unit_of_work() as s:
        assert s.get(Plan, plan_id).status == "paused"
    assert not _rows(db, status="pending")

    slack.admins.update({"U0ADMIN", "U0THEIRADMIN"})
    slack.home_teams["U0THEIRADMIN"] = "T0CLIENT"  # the client's own admin, in a Slack Connect channel
    fitbot.post(pp.manage("resume", plan_id, user="U0THEIRADMIN", response_url=slack.response_url_for("a")))
    told = slack.wait_for("response_url", count=3)[-1]
    assert told.params["text"].startswith("Only <@U0LEAD> (who started it)")
    with db.unit_of_work() as s:
        assert s.get(Plan, plan_id).status == "paused"

    fitbot.post(pp.manage("resume", plan_id, user="U0ADMIN", response_url=slack.response_url_for("a")))
    told = slack.wait_for("response_url", count=4)[-1]
    assert told.params["text"] == "Plan resumed; pending nudges rescheduled."
    with db.unit_of_work() as s:
        assert s.get(Plan, plan_id).status == "active"
    assert _rows(db, status="pending")


def test_moving_the_first_day_moves_every_pending_nudge(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=21))
    before = {r.payload["item_id"]: r.due_at for r in _rows(db, kind="nudge", status="pending")}
    with db.unit_of_work() as s:
        plan_id = s.scalars(select(Plan.id)).one()

    def move(user_id: str) -> dict:
        return fitbot.post(sr.view_submission(
            callback_id="fit_plan_move", private_metadata=json.dumps({"plan_id": plan_id}), user_id=user_id,
            values={"start_date": sr.datepicker_value("answer", (TODAY + timedelta(days=35)).isoformat())})).json()

    assert move("U0OTHER") == {"response_action": "errors", "errors": {
        "start_date": "Only the plan's creator, its manager or a workspace admin can change this plan."}}
    assert {r.payload["item_id"]: r.due_at for r in _rows(db, kind="nudge", status="pending")} == before
    assert move("U0LEAD")["response_action"] == "update"
    after = {r.payload["item_id"]: r.due_at for r in _rows(db, kind="nudge", status="pending")}
    assert after.keys() == before.keys()
    assert {(after[i] - before[i]).days for i in before} == {14}


def test_a_channel_fitbot_cannot_use_pauses_the_plan_and_tells_its_creator(fitbot, slack, db):
    slack.add_channel("GPRIV", private=True, member=False)
    _start(fitbot, start=TODAY - timedelta(days=10), channel="GPRIV")
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok, timeout=10)  # the notice, on the next tick
    _settle(slack, 2.5)
    dms = [c for c in slack.calls("chat.postMessage") if c.ok]
    assert [c.params["channel"] for c in dms] == ["U0LEAD"]  # one notice, not one per nudge
    assert "I paused an onboarding plan because I can't post in <#GPRIV>" in dms[0].params["text"]
    assert "Invite me with `/invite @fitbot`" in dms[0].params["text"]
    with db.unit_of_work() as s:
        plan = s.scalars(select(Plan)).one()
    assert (plan.status, plan.status_reason) == ("paused", "channel problem: channel_not_found")
    assert not _rows(db, status="pending")
    # Cancelled, not failed, so that resuming the plan queues every one of them again.
    assert {r.status for r in _rows(db, kind="nudge")} == {"cancelled"}


def test_a_public_channel_fitbot_may_not_join_pauses_the_plan_and_says_how_to_invite_it(fitbot, slack, db):
    slack.add_channel("C0LOCKED", member=False)
    slack.script("conversations.join", *[{"ok": False, "error": "restricted_action"}] * 30)
    _start(fitbot, start=TODAY - timedelta(days=10), channel="C0LOCKED")
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok, timeout=10)
    _settle(slack, 2.5)
    (notice,) = [c for c in slack.calls("chat.postMessage") if c.ok]
    assert notice.params["channel"] == "U0LEAD"
    assert ("I paused an onboarding plan because I can't post in <#C0LOCKED>: I'm not a member, and Slack didn't "
            "let me join it. Invite me with `/invite @fitbot`") in notice.params["text"]
    with db.unit_of_work() as s:
        assert s.execute(select(Plan.status, Plan.status_reason)).one() == ("paused", "channel problem: not_in_channel")
    assert {r.status for r in _rows(db, kind="nudge")} == {"cancelled"}


def test_an_archived_channel_pauses_the_plan_and_tells_its_creator(fitbot, slack, db):
    slack.add_channel("C0ARCHIVED", archived=True)
    _start(fitbot, start=TODAY - timedelta(days=10), channel="C0ARCHIVED")
    (notice,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok, timeout=10)
    assert notice.params["channel"] == "U0LEAD"
    assert "I paused an onboarding plan because I can't post in <#C0ARCHIVED>" in notice.params["text"]
    with db.unit_of_work() as s:
        assert s.execute(select(Plan.status, Plan.status_reason)).one() == ("paused", "channel problem: is_archived")


def test_fitbot_joins_a_public_plan_channel_it_is_not_in_and_posts_there(fitbot, slack, db):
    slack.add_channel("C0NOTYET", member=False)
    _start(fitbot, start=TODAY - timedelta(days=3), channel="C0NOTYET")
    (join,) = slack.wait_for("conversations.join")
    assert join.params["channel"] == "C0NOTYET"
    _settle(slack)
    assert _nudges(slack) and {c.params["channel"] for c in _nudges(slack).values()} == {"C0NOTYET"}
    with db.unit_of_work() as s:
        assert s.scalars(select(Plan.status)).one() == "active"


def test_plan_from_a_recommendation_is_linked_and_gets_the_extra_items(fitbot, slack, db):
    answers = {**tp.AUGMENTATION, "onboarding": "partial", "company": "Hooli"}
    fitbot.post(tp.submission(answers, channel_id="C0DEAL"))
    (message,) = slack.wait_for("chat.postMessage")
    button = message.params["blocks"][-1]["elements"][0]
    assert (button["action_id"], button["text"]["text"]) == ("plan_start", "Start onboarding plan")
    fitbot.post(sr.block_actions(action_id="plan_start", value=button["value"], block_id="plan_start",
                                 channel_id="C0DEAL", message_ts=message.response["ts"], user_id="U0LEAD"))
    (opened,) = slack.wait_for("views.open")
    view = opened.params["view"]
    assert "Onboarding plan for *Hooli*" in view["blocks"][0]["elements"][0]["text"]
    zone = next(b for b in view["blocks"] if b.get("block_id") == "timezone")["element"]["initial_option"]
    assert zone["value"] == "America/Chicago"
    meta = json.loads(view["private_metadata"])
    fitbot.post(pp.plan_submission(pp.plan_form(start=TODAY + timedelta(days=7), channel="C0DEAL"),
                                   triage_id=meta["triage_id"]))
    with db.unit_of_work() as s:
        plan = s.scalars(select(Plan)).one()
        keys = set(s.scalars(select(PlanItem.key)))
    assert plan.triage_id == int(button["value"])
    assert {"context_session", "feedback_week_2"} <= keys


def test_closing_every_item_completes_the_plan(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=100))
    _settle(slack)
    for item_id, nudge in _nudges(slack).items():
        fitbot.post(pp.click("plan_item_done", item_id, channel="C0PLAN", ts=nudge.response["ts"]))
    (done,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.params["text"] == "Onboarding plan complete",
                             timeout=10)
    assert done.params["blocks"][0]["text"]["text"].startswith(":tada: Every onboarding item for <@U0ENG> is closed")
    with db.unit_of_work() as s:
        plan = s.scalars(select(Plan)).one()
    assert plan.status == "completed"
    row = _rows(db, kind="plan_complete")[0]
    wait_for_row(db, row.id, "sent")
    # Every clicked nudge lost its buttons, the one whose click completed the plan too.
    edited = {c.params["ts"] for c in slack.wait_for("chat.update", count=len(_nudges(slack)))}
    assert edited == {n.response["ts"] for n in _nudges(slack).values()}


def test_a_completion_that_cannot_reach_the_channel_goes_to_the_plans_creator(fitbot, slack, db):
    channel = slack.add_channel("C0ENDING")
    _start(fitbot, start=TODAY - timedelta(days=100), channel="C0ENDING")
    _settle(slack)
    nudges = list(_nudges(slack).items())
    for item_id, nudge in nudges[:-1]:
        fitbot.post(pp.click("plan_item_done", item_id, channel="C0ENDING", ts=nudge.response["ts"]))
    slack.wait_for("chat.update", count=len(nudges) - 1)
    channel.archived = True  # archived just before the last click
    item_id, nudge = nudges[-1]
    fitbot.post(pp.click("plan_item_done", item_id, channel="C0ENDING", ts=nudge.response["ts"]))
    (dm,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok and c.params["channel"] == "U0LEAD",
                           timeout=10)
    assert dm.params["blocks"][0]["text"]["text"].startswith(":warning: I couldn't post this in <#C0ENDING>: the "
                                                              "channel is archived.")
    texts = [b.get("text", {}).get("text", "") for b in dm.params["blocks"]]
    assert any(text.startswith(":tada: Every onboarding item") for text in texts)
    wait_for_row(db, _rows(db, kind="plan_complete")[0].id, "sent")


def _bring_forward(db, **where) -> int:
    """Make the first matching pending row due now, as if its day had come."""
    with db.unit_of_work() as s:
        query = select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.due_at)
        for column, value in where.items():
            query = query.where(getattr(OutboxMessage, column) == value)
        row = s.scalars(query.limit(1)).one()
        row.due_at = utcnow() - timedelta(seconds=1)
        return row.id


def _days_pass(db, item_id: int, days: int = 5) -> None:
    """As if the item's nudge (and reminder) had gone out `days` ago."""
    with db.unit_of_work() as s:
        item = s.get(PlanItem, item_id)
        item.nudged_at = item.nudged_at and item.nudged_at - timedelta(days=days)
        item.reminded_at = item.reminded_at and item.reminded_at - timedelta(days=days)


def test_an_item_left_open_gets_one_reminder_in_thread_then_the_manager_hears(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id, nudge = next(iter(_nudges(slack).items()))
    subject = f"plan:{_items(db)[item_id].plan_id}:item:{item_id}:"
    _days_pass(db, item_id)
    follow_up = _bring_forward(db, subject=subject, kind="follow_up")
    wait_for_row(db, follow_up, "sent")
    reminder = slack.calls("chat.postMessage")[-1]
    assert (reminder.params["channel"], reminder.params["thread_ts"]) == ("C0PLAN", nudge.response["ts"])
    assert reminder.params["blocks"][0]["text"]["text"].startswith("<@U0MGR>, this one is still open.")
    _days_pass(db, item_id)
    escalation = _bring_forward(db, subject=subject, kind="escalation")
    wait_for_row(db, escalation, "sent")
    dm = slack.calls("chat.postMessage")[-1]
    assert dm.params["channel"] == "U0MGR"
    assert "is still open after a reminder" in dm.params["blocks"][0]["text"]["text"]


def test_after_downtime_a_nudge_and_its_overdue_reminder_do_not_arrive_together(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=14))
    first = min(_items(db).values(), key=lambda item: item.offset_days)
    subject = f"plan:{first.plan_id}:item:{first.id}:"
    follow_up = _bring_forward(db, subject=subject, kind="follow_up")  # both came due while fitbot was down
    nudge = _bring_forward(db, subject=subject, kind="nudge")
    wait_for_row(db, nudge, "sent")
    deadline = time.monotonic() + 10
    while not (row := next(r for r in _rows(db, kind="follow_up") if r.id == follow_up)).last_error:
        assert time.monotonic() < deadline, "the reminder was never looked at"
        time.sleep(0.05)
    assert (row.status, row.last_error) == ("pending", "waiting: reminders come two working days after the nudge "
                                                       "went out")
    assert row.due_at - utcnow() > timedelta(days=1)
    assert row.attempts == 0
    assert [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts")] == []


def test_a_reminder_whose_nudge_failed_for_good_goes_out_on_its_own(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=14))
    first = min(_items(db).values(), key=lambda item: item.offset_days)
    subject = f"plan:{first.plan_id}:item:{first.id}:"
    slack.script("chat.postMessage", {"ok": False, "error": "invalid_blocks"})
    wait_for_row(db, _bring_forward(db, subject=subject, kind="nudge"), "failed")
    wait_for_row(db, _bring_forward(db, subject=subject, kind="follow_up"), "sent")
    reminder = slack.calls("chat.postMessage")[-1]
    assert reminder.params["channel"] == "C0PLAN" and "thread_ts" not in reminder.params
    assert reminder.params["blocks"][0]["text"]["text"].startswith("<@U0MGR>, this one is still open.")


def test_weekly_digest_shows_progress(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id, nudge = next(iter(_nudges(slack).items()))
    fitbot.post(pp.click("plan_item_done", item_id, channel="C0PLAN", ts=nudge.response["ts"]))
    slack.wait_for("chat.update")
    digest = _bring_forward(db, kind="digest")
    wait_for_row(db, digest, "sent")
    text = slack.calls("chat.postMessage")[-1].params["blocks"][0]["text"]["text"]
    total = len(_items(db))
    assert text.startswith("*Weekly onboarding progress for <@U0ENG>*")
    assert f"░ 1/{total}`" in text
    overdue = len(_nudges(slack)) - 1  # every nudge already due went out at the start; one of them is done
    assert f"Done or not applicable: 1 · open: {total - 1} · overdue: {overdue}" in text


def test_after_weeks_of_downtime_only_the_latest_missed_digest_goes_out(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    posted = len(slack.calls("chat.postMessage"))
    with db.unit_of_work() as s:  # three Mondays passed while fitbot was down
        digests = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")
                            .order_by(OutboxMessage.due_at).limit(3)).all()
        for weeks_ago, row in zip((3, 2, 1), digests, strict=True):
            row.due_at = utcnow() - timedelta(weeks=weeks_ago)
        missed = [row.id for row in digests]
    wait_for_row(db, missed[-1], "sent")
    _settle(slack)
    assert [row.status for row in _rows(db, kind="digest")][:3] == ["cancelled", "cancelled", "sent"]
    new = slack.calls("chat.postMessage")[posted:]
    assert [c.params["blocks"][0]["text"]["text"].startswith("*Weekly onboarding progress") for c in new] == [True]


def test_a_revoked_token_stops_sending_for_the_workspace(fitbot, slack, db):
    slack.revoked_tokens.add("xoxb-e2e-token")
    try:
        _start(fitbot, start=TODAY - timedelta(days=10))
        _settle(slack)
        assert len(slack.calls("chat.postMessage")) == 1  # the first refusal stops the rest
    finally:
        slack.revoked_tokens.discard("xoxb-e2e-token")
    (refused,) = _rows(db, status="failed")
    assert refused.last_error == "token_revoked"
    # The plan waits, paused, for fitbot to be installed again; its rows can then be queued again.
    with db.unit_of_work() as s:
        plan = s.scalars(select(Plan)).one()
    assert (plan.status, plan.status_reason) == ("paused", "Slack refused fitbot's token: token_revoked")
    assert {r.status for r in _rows(db) if r.id != refused.id} == {"cancelled"}
    fitbot.post(pp.manage("resume", plan.id, user="U0LEAD", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url")
    _settle(slack)
    assert _nudges(slack)
    assert set(_nudges(slack)) == {i for i, item in _items(db).items() if item.nudge_ts is not None}


def test_fit_plans_lists_active_plans_with_progress_only_to_the_asker(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=14), engineer=None, engineer_name="Luis")
    fitbot.post(sr.slash_command("plans", user_id="U0MGR", response_url=slack.response_url_for()))
    (listed,) = slack.wait_for("response_url")
    assert listed.params["response_type"] == "ephemeral"
    (entry,) = listed.params["blocks"]
    assert entry["text"]["text"].startswith("*Luis* in <#C0PLAN>\n`░░░░░░░░░░░░░░░░░░░░ 0/")
    with db.unit_of_work() as s:
        plan_id = s.scalars(select(Plan.id)).one()
    assert [o["value"] for o in entry["accessory"]["options"]] == [f"pause:{plan_id}", f"cancel:{plan_id}",
                                                                   f"move:{plan_id}"]


def _plan_id(db) -> int:
    with db.unit_of_work() as s:
        return s.scalars(select(Plan.id)).one()


def _pending_by_item(db) -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in _rows(db, status="pending"):
        if "item_id" in row.payload:
            counts[row.payload["item_id"]] = counts.get(row.payload["item_id"], 0) + 1
    return counts


def test_closing_one_item_leaves_every_other_items_schedule_alone(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    nudges = _nudges(slack)
    # Prefer an item whose id is a prefix of another's (item 1 and items 10-19), where a loose match would bite.
    ids = sorted(_items(db))
    target = next((i for i in ids if any(str(j).startswith(str(i)) and j != i for j in ids)), next(iter(nudges)))
    before = _pending_by_item(db)
    ts = nudges[target].response["ts"] if target in nudges else sr.new_ts()
    fitbot.post(pp.click("plan_item_done", target, channel="C0PLAN", ts=ts))
    slack.wait_for("chat.update")
    after = _pending_by_item(db)
    assert target not in after
    assert {i: n for i, n in before.items() if i != target} == after


def test_snoozing_twice_keeps_one_nudge_and_the_digests_as_they_were(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id, nudge = next(iter(_nudges(slack).items()))
    digests = len(_rows(db, kind="digest", status="pending"))
    for _ in range(2):
        fitbot.post(pp.snooze(item_id, "day", channel="C0PLAN", ts=nudge.response["ts"]))
        time.sleep(0.5)
    slack.wait_for("chat.update", count=2)
    pending = [r for r in _rows(db, kind="nudge", status="pending") if r.payload["item_id"] == item_id]
    assert len(pending) == 1
    assert len(_rows(db, kind="digest", status="pending")) == digests


def test_snooze_then_pause_then_resume_nudges_the_item_again_with_buttons(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id, nudge = next(iter(_nudges(slack).items()))
    fitbot.post(pp.snooze(item_id, "week", channel="C0PLAN", ts=nudge.response["ts"]))
    slack.wait_for("chat.update")
    plan_id = _plan_id(db)
    fitbot.post(pp.manage("pause", plan_id, user="U0MGR", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url")
    with db.unit_of_work() as s:  # the snooze ran out while the plan was paused
        s.get(PlanItem, item_id).snoozed_until = utcnow() - timedelta(hours=1)
    fitbot.post(pp.manage("resume", plan_id, user="U0MGR", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url", count=2)
    renudged = slack.wait_for("chat.postMessage", count=2, predicate=lambda c: c.ok and any(
        b.get("block_id") == f"item:{item_id}" for b in c.params.get("blocks", [])))
    assert renudged[-1].response["ts"] != nudge.response["ts"]


def test_after_a_channel_problem_resuming_nudges_again_in_the_channel(fitbot, slack, db):
    channel = slack.add_channel("GLATER", private=True, member=False)
    _start(fitbot, start=TODAY - timedelta(days=3), channel="GLATER")
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok and c.params["channel"] == "U0LEAD", timeout=10)
    channel.member = True  # someone ran /invite @fitbot
    fitbot.post(pp.manage("resume", _plan_id(db), user="U0LEAD", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url")
    _settle(slack)
    assert {c.params["channel"] for c in _nudges(slack).values()} == {"GLATER"}
    assert set(_nudges(slack)) == {i for i, item in _items(db).items()
                                   if item.nudge_ts is not None}
    assert not _rows(db, kind="nudge", status="failed")  # the nudges that hit the closed channel came back too


def test_a_cancelled_plans_buttons_change_nothing(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id, nudge = next(iter(_nudges(slack).items()))
    fitbot.post(pp.manage("cancel", _plan_id(db), user="U0LEAD", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url")
    fitbot.post(pp.click("plan_item_done", item_id, channel="C0PLAN", ts=nudge.response["ts"],
                         response_url=slack.response_url_for("b")))
    told = slack.wait_for("response_url", count=2)[-1]
    assert told.params["text"] == "This onboarding plan is cancelled; its checklist can't change any more."
    assert _items(db)[item_id].status == "open"
    with db.unit_of_work() as s:
        assert s.scalars(select(Plan.status)).one() == "cancelled"


def test_a_reminder_already_sent_is_not_sent_again_after_resume(fitbot, slack, db):
    _start(fitbot, start=TODAY - timedelta(days=3))
    _settle(slack)
    item_id = next(iter(_nudges(slack)))
    subject = f"plan:{_items(db)[item_id].plan_id}:item:{item_id}:"
    _days_pass(db, item_id)
    wait_for_row(db, _bring_forward(db, subject=subject, kind="follow_up"), "sent")
    plan_id = _plan_id(db)
    for answered, action in enumerate(("pause", "resume"), start=1):  # one click after the other
        fitbot.post(pp.manage(action, plan_id, user="U0MGR", response_url=slack.response_url_for("a")))
        slack.wait_for("response_url", count=answered)
    kinds = [r.kind for r in _rows(db, subject=subject) if r.status in ("pending", "sending")]
    assert kinds == ["escalation"]  # (it may be due already, and being looked at)


def test_a_late_nudge_says_so_even_after_a_rate_limit(fitbot, slack, db):
    from tests.support.fake_slack import Reply

    slack.script("chat.postMessage", Reply(status=429, headers={"Retry-After": "1"}))
    _start(fitbot, start=TODAY - timedelta(days=20))
    _settle(slack, 2.5)
    late = [c for c in _nudges(slack).values()
            if any("This reminder is late" in e.get("text", "") for b in c.params["blocks"]
                   for e in b.get("elements", []) if b["type"] == "context")]
    assert len(late) == len(_nudges(slack))


def _plan_and_pending(db):
    with db.unit_of_work() as s:
        plan = s.scalars(select(Plan)).one()
        pending = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
        return plan.status, plan.status_reason, len(pending)


def test_an_uninstall_pauses_the_plans_and_stops_sending_and_a_retry_changes_nothing(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=10))
    status, _, pending = _plan_and_pending(db)
    assert (status, pending > 0) == ("active", True)
    body = sr.event_callback({"type": "app_uninstalled"}, event_id="EvUNINSTALL1")
    assert fitbot.post(body).status == 200
    status, reason, pending = _plan_and_pending(db)
    assert (status, reason, pending) == ("paused", "Slack refused fitbot's token: fitbot was uninstalled from this "
                                                   "workspace", 0)
    assert len(_items(db)) > 0  # nothing stored is lost
    assert fitbot.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    assert _plan_and_pending(db) == (status, reason, 0)
    # Reinstalled: resuming from /fit plans queues the plan's nudges again.
    with db.unit_of_work() as s:
        plan_id = s.scalars(select(Plan.id)).one()
    fitbot.post(pp.manage("resume", plan_id, user="U0LEAD", response_url=slack.response_url_for("actions")))
    slack.wait_for("response_url")
    status, _, pending = _plan_and_pending(db)
    assert (status, pending > 0) == ("active", True)


def test_a_revoked_bot_token_stops_the_workspace_but_a_user_token_does_not(fitbot, slack, db):
    _start(fitbot, start=TODAY + timedelta(days=10))
    user_only = sr.event_callback({"type": "tokens_revoked", "tokens": {"oauth": ["U0LEAD"]}})
    assert fitbot.post(user_only).status == 200
    assert _plan_and_pending(db)[0] == "active"
    bot = sr.event_callback({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}})
    assert fitbot.post(bot).status == 200
    status, reason, pending = _plan_and_pending(db)
    assert (status, pending) == ("paused", 0)
    assert reason.endswith("this workspace revoked fitbot's token")
