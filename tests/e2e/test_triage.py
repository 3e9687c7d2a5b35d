"""/fit end to end: signed HTTP into `fitbot serve`, Slack calls observed on the loopback fake."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.triage.engagements import ENGAGEMENTS
from storage.models import OutboxMessage, Triage
from tests.e2e import triage_payloads as tp
from tests.e2e.polling import wait_for_row
from tests.support import slack_requests as sr


def test_fit_acks_and_opens_the_modal_with_the_company_prefilled(fitbot, slack):
    body = sr.slash_command("Acme Corp", channel_id="C0001")
    trigger_id = dict(p.split("=", 1) for p in body.split("&"))["trigger_id"]
    response = fitbot.post(body)
    assert (response.status, response.text) == (200, "")
    # trigger_id expires 3 s after the click: views.open must have happened by then.
    (call,) = slack.wait_for("views.open", timeout=3)
    assert call.params["trigger_id"] == sr.urllib.parse.unquote(trigger_id)
    view = call.params["view"]
    assert view["callback_id"] == "fit_triage"
    company = next(b for b in view["blocks"] if b.get("block_id") == "company")
    assert company["element"]["initial_value"] == "Acme Corp"
    assert view["private_metadata"] == '{"channel_id":"C0001"}'


def test_fit_help_answers_ephemerally_without_a_modal(fitbot, slack):
    response = fitbot.post(sr.slash_command("help"))
    assert response.status == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "/fit [company]" in answer["blocks"][0]["text"]["text"]
    slack.assert_no_call("views.open")


@pytest.mark.parametrize(("answers", "model_name"), [
    (tp.AUGMENTATION, "Nearshore staff augmentation"),
    (tp.OUTSOURCING, "Project outsourcing"),
    (tp.CONSULTING, "Fractional CTO / consulting first"),
    (tp.DISCOVERY, "Discovery first"),
], ids=["augmentation", "outsourcing", "consulting", "discovery"])
def test_submission_stores_and_posts_the_recommendation(fitbot, slack, db, answers, model_name):
    response = fitbot.post(tp.submission(answers, channel_id="C0042", view_id="VSUB1"))
    assert response.status == 200
    assert response.json()["response_action"] == "update"
    assert model_name in response.json()["view"]["blocks"][0]["text"]["text"]

    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert call.params["channel"] == "C0042"
    assert call.params["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": f"{answers['company']}: {model_name}", "emoji": True}}
    texts = "\n".join(b["text"]["text"] for b in call.params["blocks"] if b["type"] == "section")
    for heading in ("*Why*", "*Risks to watch*", "*Shared working hours", "*Next steps*"):
        assert heading in texts

    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
        row = s.scalars(select(OutboxMessage)).one()
    assert (triage.team_id, triage.channel_id, triage.user_id, triage.company) == (
        "T0001", "C0042", "U0001", answers["company"])
    assert triage.answers["leadership"] == answers["leadership"]
    assert ENGAGEMENTS[triage.model].name == model_name
    assert triage.reasons and triage.next_steps and len(triage.overlap) == 7
    assert triage.questionnaire_version == tp.Q.version
    assert row.dedupe_key == f"triage:{triage.id}"
    sent = wait_for_row(db, row.id, "sent")
    assert (sent.sent_channel_id, sent.sent_ts) == ("C0042", call.response["ts"])
