"""Diagnosing an engagement that went wrong, end to end: signed HTTP in, the lesson on the loopback fake Slack."""

from __future__ import annotations

import json
import urllib.parse

from sqlalchemy import select

from storage.models import Diagnosis, OutboxMessage, Triage
from tests.e2e import diagnosis_payloads as dp
from tests.e2e import triage_payloads as tp
from tests.e2e.polling import wait_for_row
from tests.support import slack_requests as sr

OUT, AUG = "outsourcing", "staff_augmentation"


def _sections(call) -> list[str]:
    return [b["text"]["text"] for b in call.params["blocks"] if b["type"] == "section"]


def test_fit_diagnose_opens_the_form_with_the_company_prefilled(fitbot, slack):
    body = sr.slash_command("diagnose Globex &amp; Co", channel_id="C0009")
    trigger_id = dict(p.split("=", 1) for p in body.split("&"))["trigger_id"]
    assert fitbot.post(body).status == 200
    (call,) = slack.wait_for("views.open", timeout=3)
    assert call.params["trigger_id"] == urllib.parse.unquote(trigger_id)
    view = call.params["view"]
    assert view["callback_id"] == "fit_diagnose"
    assert json.loads(view["private_metadata"]) == {"channel_id": "C0009"}
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["company"]["element"]["initial_value"] == "Globex & Co"
    assert blocks["symptoms"]["element"]["type"] == "checkboxes"
    assert [o["value"] for o in blocks["model_used"]["element"]["options"]] == [OUT, AUG]
    assert blocks["now_leadership"]["optional"] is True


def test_a_diagnosis_is_stored_with_the_company_and_its_lesson_posted(fitbot, slack, db):
    fitbot.post(tp.submission({**tp.OUTSOURCING, "company": "Globex"}, channel_id="C0042", view_id="VTRI"))
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    slack.reset()

    response = fitbot.post(dp.submission(company="GLOBEX", model_used=OUT, symptoms=["requirements_changed"],
                                         channel_id="C0042", view_id="VDIAG", user_id="U0777"))
    assert response.json()["response_action"] == "update"
    summary = response.json()["view"]["blocks"][0]["text"]["text"]
    assert summary.startswith("*GLOBEX*: The model didn't fit the work.")
    assert "Use now: *Nearshore staff augmentation*" in summary

    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert call.params["channel"] == "C0042"
    assert call.params["blocks"][0]["text"]["text"] == "GLOBEX: what went wrong"
    sections = _sections(call)
    assert sections[0].startswith("*Project outsourcing (a vendor delivered a scope)* that underperformed · "
                                  "diagnosed by <@U0777>\n*How:* Requirements kept changing")
    assert sections[1].startswith("*Verdict*\nThe model didn't fit the work.")
    assert "*Requirements kept changing*: A vendor is built to deliver against a spec" in sections[2]
    assert sections[4].startswith("*Use now: Nearshore staff augmentation*")
    assert sections[5].startswith("*Not the lesson*\nThe wrong lesson is that outsourcing, contractors, or engineers")

    with db.unit_of_work() as s:
        stored = s.scalars(select(Diagnosis)).one()
        triage_id = s.scalars(select(Triage.id)).one()
        row_id = s.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "diagnosis")).one()
    assert (stored.team_id, stored.channel_id, stored.user_id, stored.company) == ("T0001", "C0042", "U0777", "GLOBEX")
    assert (stored.model_used, stored.symptoms, stored.wrong, stored.use_now) == (
        OUT, ["requirements_changed"], "model", AUG)
    assert stored.triage_id == triage_id  # filed with the company's triage, whatever the case
    assert stored.result["lessons"][0]["symptom"] == "requirements_changed"
    assert f"filed with triage #{triage_id}" in call.params["blocks"][-1]["elements"][0]["text"]
    assert wait_for_row(db, row_id, "sent").sent_ts == call.response["ts"]


def test_current_answers_decide_which_model_to_use_now(fitbot, slack, db):
    # The last placement lacked direction, and there is still nobody to give it: a fractional CTO comes first.
    fitbot.post(dp.submission(company="Initech", model_used=AUG, symptoms=["little_direction"],
                              now={"leadership": "nobody"}))
    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    use_now = _sections(call)[4]
    assert use_now.startswith("*Use now: Fractional CTO / consulting first*")
    assert "• Not Nearshore staff augmentation yet: *Engineering leadership to direct the work*: Nobody" in use_now
    assert "The model can work here; the setup around it didn't." in _sections(call)[1]
    with db.unit_of_work() as s:
        stored = s.scalars(select(Diagnosis)).one()
    assert (stored.answers, stored.use_now, stored.triage_id) == ({"leadership": "nobody"}, "consulting_first", None)


def test_invalid_answers_come_back_inline_and_nothing_is_stored(fitbot, slack, db):
    response = fitbot.post(dp.submission(company="  ", model_used=None, symptoms=["other"], other=None))
    assert response.json() == {"response_action": "errors", "errors": {
        "company": "This answer is required.",
        "model_used": "Pick the model the client used.",
        "other": "Say in a sentence what went wrong: you ticked \"Something else\".",
    }}
    response = fitbot.post(dp.submission(company="Acme", model_used=OUT, symptoms=[],
                                         now={"timezone": "Mars/Base"}))
    assert response.json()["errors"] == {"symptoms": "Pick at least one way the engagement underperformed.",
                                         "now_timezone": "Pick one of the listed options."}
    with db.unit_of_work() as s:
        assert s.scalars(select(Diagnosis)).all() == []
        assert s.scalars(select(OutboxMessage)).all() == []
    slack.assert_no_call("chat.postMessage")


def test_a_duplicate_submission_stores_and_posts_once(fitbot, slack, db):
    body = dp.submission(company="Acme", model_used=AUG, symptoms=["treated_as_contractor"], view_id="VDUPD")
    assert fitbot.post(body).json()["response_action"] == fitbot.post(body).json()["response_action"] == "update"
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    with db.unit_of_work() as s:
        assert len(s.scalars(select(Diagnosis)).all()) == 1
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


def test_user_text_cannot_ping_anyone(fitbot, slack):
    fitbot.post(dp.submission(company="<!channel> Acme", model_used=OUT, symptoms=["other"],
                              other="Vendor said <@U999> & left"))
    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    text = call.params["text"] + " ".join(_sections(call))
    assert "<!channel>" not in text and "<@U999>" not in text
    assert "&lt;@U999&gt; &amp; left" in _sections(call)[0]
    assert "Run `/fit &lt;!channel&gt; Acme` with where things stand now" in _sections(call)[4]


def test_the_home_tab_button_opens_the_form_and_the_lesson_arrives_by_dm(fitbot, slack, db):
    fitbot.post(sr.event_callback(sr.app_home_opened_event("U0555")))
    (published,) = slack.wait_for("views.publish")
    buttons = next(b for b in published.params["view"]["blocks"] if b.get("block_id") == "home_actions")
    assert "home_diagnose" in [e["action_id"] for e in buttons["elements"]]

    assert fitbot.post(sr.home_block_actions(action_id="home_diagnose", block_id="home_actions",
                                             user_id="U0555")).status == 200
    (opened,) = slack.wait_for("views.open", timeout=3)
    view = opened.params["view"]
    assert json.loads(view["private_metadata"]) == {"channel_id": "U0555"}
    fitbot.post(dp.submission(company="Hooli", model_used=AUG, symptoms=["timezone"], user_id="U0555",
                              private_metadata=view["private_metadata"]))
    (dm,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert dm.params["channel"] == "U0555"
    assert dm.params["blocks"][0]["text"]["text"] == "Hooli: what went wrong"


def test_a_home_button_whose_form_cannot_open_says_so_by_dm(fitbot, slack):
    slack.script("views.open", {"ok": False, "error": "expired_trigger_id"})
    fitbot.post(sr.home_block_actions(action_id="home_diagnose", block_id="home_actions", user_id="U0556"))
    (dm,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert dm.params["channel"] == "U0556"
    assert "`expired_trigger_id`" in dm.params["text"]
