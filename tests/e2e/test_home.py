"""The App Home as the lead's desk, end to end: what waits on the viewer (with working buttons), their
plans and open triages, buttons to start something, staying current without a reopen, and Block Kit's
limits with many rows."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from sqlalchemy import select

from bot.record_triage import record_triage
from bot.triage.engine import client_today, recommend
from storage.models import PlanItem, Triage
from storage.triages import Workspace
from tests.e2e import plan_payloads as pp
from tests.e2e import triage_payloads as tp
from tests.support import slack_requests as sr


def _open_home(fitbot, slack, user: str) -> dict:
    slack.reset()
    fitbot.post(sr.event_callback(sr.app_home_opened_event(user=user)))
    (publish,) = slack.wait_for("views.publish")
    assert publish.params["user_id"] == user
    return publish.params["view"]


def _text(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


def _triage(fitbot, slack, db, answers: dict, user: str = "U0LEAD", channel: str = "C0042") -> int:
    fitbot.post(tp.submission(answers, channel_id=channel, user_id=user))
    slack.wait_for("chat.postMessage")
    slack.reset()
    with db.unit_of_work() as s:
        return s.scalars(select(Triage.id).order_by(Triage.id.desc())).first()


def _placed(fitbot, slack, db) -> int:
    """A lead's triage that led to a plan started ten days ago (so items are already nudged)."""
    triage_id = _triage(fitbot, slack, db, {**tp.AUGMENTATION, "company": "Initrode"})
    started = fitbot.post(pp.plan_submission(pp.plan_form(start=date.today() - timedelta(days=10)),
                                             triage_id=triage_id))
    assert started.json()["response_action"] == "update"
    deadline = time.monotonic() + 10
    while not _nudged(db):
        assert time.monotonic() < deadline, "no nudge went out"
        time.sleep(0.1)
    time.sleep(1)
    return triage_id


def _nudged(db) -> list[PlanItem]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(PlanItem).where(PlanItem.nudged_at.is_not(None)).order_by(PlanItem.id)))


def test_the_lead_sees_their_open_triages_and_plans_and_the_buttons_to_start_more(fitbot, slack, db):
    _placed(fitbot, slack, db)
    _triage(fitbot, slack, db, {**tp.DISCOVERY, "company": "Hooli <!here>"})
    _triage(fitbot, slack, db, {**tp.OUTSOURCING, "company": "Someone else's"}, user="U0OTHER")
    view = _open_home(fitbot, slack, "U0LEAD")
    assert view["type"] == "home"
    (actions,) = [b for b in view["blocks"] if b.get("block_id") == "home_actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["home_triage", "home_plan", "home_diagnose"]
    text = _text(view)
    assert "*Your open triages* (1)" in text  # Initrode has a plan now; the other one isn't the lead's
    assert "*Hooli &lt;!here&gt;*: Discovery first (" in text and "<!here>" not in text
    assert "started <!date^" in text and "^{ago}|" in text
    assert "*Your onboarding plans* (1)" in text
    plan_row = next(b for b in view["blocks"] if b.get("block_id", "").startswith("plan:"))
    assert "overdue* · first day" in plan_row["text"]["text"]  # how many depends on the hour the test runs
    assert "`░░░░░░░░░░░░░░░░░░░░ 0/15`" in plan_row["text"]["text"]
    assert plan_row["accessory"]["action_id"] == "plan_manage"
    firm = [i for i in _nudged(db) if i.owner_role == "firm"]  # the engagement lead's own items
    assert firm and f"*Waiting on you* ({len(firm)})" in text


def test_the_manager_sees_what_waits_on_them_and_done_works_from_the_home_tab(fitbot, slack, db):
    _placed(fitbot, slack, db)
    view = _open_home(fitbot, slack, "U0MGR")
    buttons = [b for b in view["blocks"] if b["type"] == "actions" and b["block_id"].startswith("item:")]
    assert buttons, _text(view)
    waiting = [i for i in _nudged(db) if i.owner_role in ("manager", "buddy")]  # no buddy: the manager's
    assert f"*Waiting on you* ({len(waiting)})" in _text(view)
    item_id = int(buttons[0]["block_id"].split(":")[1])
    with db.unit_of_work() as s:
        item = s.get(PlanItem, item_id)
        live = (item.nudge_channel_id, item.nudge_ts)
    slack.reset()
    fitbot.post(sr.home_block_actions(action_id="plan_item_done", block_id=f"item:{item_id}", user_id="U0MGR",
                                      value=str(item_id)))
    (edit,) = slack.wait_for("chat.update")  # the nudge in the channel loses its buttons
    assert (edit.params["channel"], edit.params["ts"]) == live
    (published,) = slack.wait_for("views.publish", timeout=10)  # no reopen needed
    assert published.params["user_id"] == "U0MGR"
    assert f"item:{item_id}" not in {b.get("block_id") for b in published.params["view"]["blocks"]}
    assert f"*Waiting on you* ({len(waiting) - 1})" in _text(published.params["view"])
    with db.unit_of_work() as s:
        assert (s.get(PlanItem, item_id).status, s.get(PlanItem, item_id).closed_by) == ("done", "U0MGR")


def test_a_revision_refreshes_the_requesters_home_and_nobody_elses(fitbot, slack, db):
    triage_id = _triage(fitbot, slack, db, tp.DISCOVERY)
    _open_home(fitbot, slack, "U0LEAD")
    slack.reset()
    fitbot.post(sr.block_actions(action_id="triage_edit", value=str(triage_id), block_id="triage_actions",
                                 channel_id="C0042", message_ts="1.1", user_id="U0LEAD"))
    (opened,) = slack.wait_for("views.open")
    fitbot.post(tp.edit_submission({**tp.DISCOVERY, "work_definition": "roadmap"},
                                   private_metadata=opened.params["view"]["private_metadata"], user_id="U0EDITOR"))
    (published,) = slack.wait_for("views.publish", timeout=10)
    assert published.params["user_id"] == "U0LEAD"  # U0EDITOR never opened the tab
    assert "Nearshore staff augmentation" in _text(published.params["view"])
    assert "revision 2" in _text(published.params["view"])


def test_new_triage_from_home_asks_for_the_channel_and_posts_there(fitbot, slack, db):
    fitbot.post(sr.home_block_actions(action_id="home_triage", block_id="home_actions", user_id="U0LEAD"))
    (opened,) = slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["blocks"][1]["block_id"] == "post_channel"
    assert view["blocks"][1]["element"]["type"] == "conversations_select"
    values = tp.state_values(tp.OUTSOURCING)
    missing = sr.view_submission(callback_id="fit_triage", values={**values, "post_channel": {"answer": {
        "type": "conversations_select", "selected_conversation": None}}}, private_metadata=view["private_metadata"])
    assert fitbot.post(missing).json() == {"response_action": "errors", "errors": {
        "post_channel": "Pick the channel to post the recommendation in."}}
    body = sr.view_submission(callback_id="fit_triage", values={**values, "post_channel": {"answer": {
        "type": "conversations_select", "selected_conversation": "C0FROMHOME"}}},
        private_metadata=view["private_metadata"])
    assert fitbot.post(body).json()["response_action"] == "update"
    (posted,) = slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0FROMHOME"


def test_start_plan_from_home_opens_the_plan_form(fitbot, slack, db):
    fitbot.post(sr.home_block_actions(action_id="home_plan", block_id="home_actions", user_id="U0LEAD"))
    (opened,) = slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "fit_plan"


def test_company_history_from_home_opens_a_modal(fitbot, slack, db):
    triage_id = _triage(fitbot, slack, db, {**tp.DISCOVERY, "company": "Umbrella"})
    fitbot.post(sr.home_block_actions(action_id="home_triage_menu", block_id=f"triage:{triage_id}",
                                      user_id="U0LEAD", selected=(f"history:{triage_id}", "Company history")))
    (opened,) = slack.wait_for("views.open")
    view = opened.params["view"]
    assert (view["type"], view["title"]["text"]) == ("modal", "Company history")
    assert view["blocks"][0]["text"]["text"].startswith("*History of Umbrella*: 1 triage")


def test_hundreds_of_rows_stay_inside_the_tabs_block_limit(fitbot, slack, db):
    ws = Workspace(sr.TEAM_ID)
    for n in range(300):
        answers = {**tp.CONSULTING, "company": f"Prospect {n}"}
        record_triage(db, tp.Q, ws, view_id=f"VMANY{n}", channel_id="C1", user_id="U0LEAD", answers=answers,
                      recommendation=recommend(tp.Q, answers, on=client_today(answers)))
    view = _open_home(fitbot, slack, "U0LEAD")
    assert len(view["blocks"]) <= 100
    text = json.dumps(view, ensure_ascii=False)
    assert "*Your open triages* (300)" in text
    assert "…and 290 more, in `/fit history`." in text
    assert "Prospect 299" in text and "Prospect 289" not in text  # newest first
