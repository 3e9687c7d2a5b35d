"""The 30/60/90 pulse end to end: the check-in DMs on their day, one-click answers edited into the DM,
the early warning to the engagement lead with fixes (on the Home tab and in the history too), and
pausing a plan stopping its check-ins."""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy import select

from storage.models import OutboxMessage, Plan, Pulse, PulseWarning, Triage
from tests.e2e import plan_payloads as pp
from tests.e2e import triage_payloads as tp
from tests.support import slack_requests as sr

TODAY = date.today()


def _plan(fitbot, slack, db, *, days_ago: int) -> int:
    fitbot.post(tp.submission({**tp.AUGMENTATION, "company": "Initrode"}, channel_id="C0DEAL", user_id="U0LEAD"))
    slack.wait_for("chat.postMessage")
    with db.unit_of_work() as s:
        triage_id = s.scalars(select(Triage.id)).one()
    response = fitbot.post(pp.plan_submission(pp.plan_form(start=TODAY - timedelta(days=days_ago)),
                                              triage_id=triage_id))
    assert response.json()["response_action"] == "update"
    with db.unit_of_work() as s:
        return s.scalars(select(Plan.id)).one()


def _check_ins(slack, count: int) -> dict[str, object]:
    """The check-in DMs by the user they went to."""
    deadline = time.monotonic() + 15
    while True:
        found = {c.params["channel"]: c for c in slack.calls("chat.postMessage")
                 if c.ok and "check-in" in c.params.get("text", "") and "thread_ts" not in c.params}
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _click(fitbot, dm, user: str, question: str, value: str, response_url: str | None = None):
    block = next(b for b in dm.params["blocks"] if b.get("block_id", "").endswith(f":{question}"))
    button = next(e for e in block["elements"] if e["value"].endswith(f":{value}"))
    return fitbot.post(sr.block_actions(action_id=button["action_id"], value=button["value"],
                                        block_id=block["block_id"], channel_id=dm.response["channel"],
                                        message_ts=dm.response["ts"], user_id=user, response_url=response_url))


def test_check_ins_answers_and_the_early_warning(fitbot, slack, db):
    # 34 days: day 30 falls 4 days back, at most 2 days later after a weekend, so the check-in is due
    # whatever the weekday and the hour (31 days put it on today's 09:30 Chicago after a Sunday).
    _plan(fitbot, slack, db, days_ago=34)
    dms = _check_ins(slack, 2)
    assert set(dms) == {"U0MGR", "U0ENG"}
    manager = dms["U0MGR"]
    assert manager.params["blocks"][0]["text"]["text"].startswith("*Day 30 check-in* on <@U0ENG>'s onboarding")
    assert "Does <@U0ENG> get the context and regular feedback" in str(manager.params["blocks"])
    assert "Do you feel like one of the team?" in str(dms["U0ENG"].params["blocks"])

    url = slack.response_url_for("actions")  # someone else's check-in: refused, only to them
    _click(fitbot, manager, "U0ENG", "feedback", "no", response_url=url)
    (told,) = slack.wait_for("response_url")
    assert told.params["text"] == "This check-in is for <@U0MGR>."

    slack.reset()
    _click(fitbot, manager, "U0MGR", "feedback", "no")
    (edit,) = slack.wait_for("chat.update")
    assert (edit.params["channel"], edit.params["ts"]) == (manager.response["channel"], manager.response["ts"])
    assert "Answered: *Not really*" in str(edit.params["blocks"])
    assert not [c for c in slack.calls("chat.postMessage") if c.params["channel"] == "U0LEAD"]  # one sign only

    slack.reset()
    _click(fitbot, manager, "U0MGR", "real_work", "tickets")  # a second sign: the lead hears of it
    (warning,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == "U0LEAD")
    text = warning.params["blocks"][0]["text"]["text"]
    assert text.startswith(":warning: *Early warning*: the day-30 check-in on <@U0ENG> at *Initrode*")
    assert "*Little context or feedback* (reported by the manager)" in text
    assert "→ Ask the manager to set a weekly 1:1" in text
    assert "*Only tickets, no ownership*" in text

    _click(fitbot, manager, "U0MGR", "ceremonies", "yes")  # the last answer closes the check-in
    deadline = time.monotonic() + 10
    while not any("Thank you" in str(c.params["blocks"]) for c in slack.calls("chat.update")):
        assert time.monotonic() < deadline, "the DM never said thank you"
        time.sleep(0.1)
    with db.unit_of_work() as s:
        pulse = s.scalars(select(Pulse).where(Pulse.role == "manager", Pulse.checkpoint == 30)).one()
        assert pulse.answers == {"feedback": "no", "real_work": "tickets", "ceremonies": "yes"}
        assert pulse.answered_at is not None
        reminders = s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.kind == "pulse_reminder", OutboxMessage.subject == f"plan:{pulse.plan_id}:pulse:{pulse.id}:"))
        assert set(reminders) == {"cancelled"}
        (raised,) = s.scalars(select(PulseWarning)).all()
        assert [x["id"] for x in raised.signals] == ["no_feedback", "tickets_only"]

    slack.reset()  # the warning shows on the lead's Home tab and in the company's history
    fitbot.post(sr.event_callback(sr.app_home_opened_event(user="U0LEAD")))
    (home,) = slack.wait_for("views.publish")
    assert ":warning: Early warning from the day-30 check-in: little context or feedback, only tickets" in str(
        home.params["view"]["blocks"])
    slack.reset()
    fitbot.post(sr.slash_command("history initrode", response_url=slack.response_url_for()))
    (story,) = slack.wait_for("response_url")
    told = str(story.params["blocks"])
    assert "Day-30 check-in on <@U0ENG> answered by <@U0MGR> (manager)" in told
    assert "Not really" not in told  # the answers themselves are the lead's
    assert ":warning: Early warning from the day-30 check-in" in told


def test_a_plan_that_started_long_ago_asks_only_the_latest_check_in(fitbot, slack, db):
    _plan(fitbot, slack, db, days_ago=100)
    _check_ins(slack, 2)
    time.sleep(1)  # had older check-ins gone out too, they would be in by now
    check_ins = [c for c in slack.calls("chat.postMessage") if c.ok and "check-in" in c.params.get("text", "")]
    dms = {c.params["channel"]: c for c in check_ins}
    assert len(check_ins) == 2 and set(dms) == {"U0MGR", "U0ENG"}
    assert all(d.params["blocks"][0]["text"]["text"].startswith("*Day 90 check-in*") for d in dms.values())
    assert not [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts") and "check-in" in
                c.params.get("text", "")]  # no reminder right away


def test_pausing_a_plan_stops_its_check_ins(fitbot, slack, db):
    plan_id = _plan(fitbot, slack, db, days_ago=0)
    with db.unit_of_work() as s:
        assert set(s.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "pulse"))) == {"pending"}
    fitbot.post(pp.manage("pause", plan_id, user="U0LEAD", response_url=slack.response_url_for("a")))
    slack.wait_for("response_url")
    with db.unit_of_work() as s:
        statuses = set(s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.kind.in_(["pulse", "pulse_reminder"]))))
    assert statuses == {"cancelled"}
