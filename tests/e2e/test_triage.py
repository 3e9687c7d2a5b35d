"""/fit end to end: signed HTTP into `fitbot serve`, Slack calls observed on the loopback fake."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from sqlalchemy import select

from bot.triage.engagements import ENGAGEMENTS
from bot.user_text import BROKEN
from storage.models import OutboxMessage, Triage
from tests.e2e import triage_payloads as tp
from tests.e2e.polling import wait_for_row
from tests.support import slack_requests as sr
from tests.support.fake_slack import Reply


def test_fit_acks_and_opens_the_modal_with_the_company_prefilled(fitbot, slack):
    body = sr.slash_command("Acme Corp", channel_id="C0001")
    trigger_id = dict(p.split("=", 1) for p in body.split("&"))["trigger_id"]
    response = fitbot.post(body)
    assert (response.status, response.text) == (200, "")
    # trigger_id expires 3 s after the click: views.open must have happened by then.
    (call,) = slack.wait_for("views.open", timeout=3)
    assert call.params["trigger_id"] == urllib.parse.unquote(trigger_id)
    view = call.params["view"]
    assert view["callback_id"] == "fit_triage"
    company = next(b for b in view["blocks"] if b.get("block_id") == "company")
    assert company["element"]["initial_value"] == "Acme Corp"
    assert view["private_metadata"] == '{"channel_id":"C0001"}'


def test_slack_escaped_command_text_is_prefilled_as_typed(fitbot, slack):
    fitbot.post(sr.slash_command("AT&amp;T &lt;Labs&gt;"))  # Slack escapes & < > in the text it sends
    (call,) = slack.wait_for("views.open")
    company = next(b for b in call.params["view"]["blocks"] if b.get("block_id") == "company")
    assert company["element"]["initial_value"] == "AT&T <Labs>"


def test_odd_but_valid_values_are_answered_inline(fitbot, slack, db):
    values = tp.state_values(tp.AUGMENTATION)
    values["company"]["answer"]["value"] = 42  # not a string: treated as unanswered
    values["contact"]["answer"]["value"] = "  Dana\x00 Ruiz  "
    body = sr.view_submission(callback_id="fit_triage", values=values, private_metadata='{"channel_id": "C1"}')
    assert fitbot.post(body).json() == {"response_action": "errors",
                                        "errors": {"company": "This answer is required."}}


def test_a_command_whose_text_contains_the_word_payload_still_opens_the_modal(fitbot, slack):
    # slack_bolt reads any form body containing "payload" as an interactive payload (and finds none).
    response = fitbot.post(sr.slash_command("payload systems", channel_id="C0001"))
    assert (response.status, response.text) == (200, "")
    (call,) = slack.wait_for("views.open", timeout=3)
    company = next(b for b in call.params["view"]["blocks"] if b.get("block_id") == "company")
    assert company["element"]["initial_value"] == "payload systems"


def test_modal_that_cannot_open_is_explained_to_the_user(fitbot, slack):
    slack.script("views.open", {"ok": False, "error": "expired_trigger_id"})
    response = fitbot.post(sr.slash_command("Acme", response_url=slack.response_url_for()))
    assert response.status == 200
    (told,) = slack.wait_for("response_url")
    assert told.params["response_type"] == "ephemeral"
    assert "`expired_trigger_id`" in told.params["text"]
    assert told.params["text"].endswith("Please try again.")


def test_modal_opens_after_one_rate_limited_attempt(fitbot, slack):
    slack.script("views.open", Reply(status=429, headers={"Retry-After": "1"}))
    fitbot.post(sr.slash_command("Acme"))
    calls = slack.wait_for("views.open", count=2, timeout=5)
    assert [c.status for c in calls] == [429, 200]


def test_a_near_miss_of_a_subcommand_asks_what_was_meant(fitbot, slack):
    answer = fitbot.post(sr.slash_command("onbord")).json()
    assert answer == {"response_type": "ephemeral", "text": "Did you mean `/fit onboard`? To triage a company "
                                                            "called “onbord”, type `/fit \"onbord\"`."}
    slack.assert_no_call("views.open")


def test_a_company_that_starts_with_a_subcommand_word_is_triaged(fitbot, slack):
    for text, company in (("Plan B Consulting", "Plan B Consulting"), ("\"Plans\"", "Plans")):
        fitbot.post(sr.slash_command(text))
        (call,) = slack.wait_for("views.open")
        assert call.params["view"]["callback_id"] == "fit_triage"
        block = next(b for b in call.params["view"]["blocks"] if b.get("block_id") == "company")
        assert block["element"]["initial_value"] == company
        slack.reset()


def test_help_with_more_words_is_still_help(fitbot, slack):
    answer = fitbot.post(sr.slash_command("help me")).json()
    assert answer["response_type"] == "ephemeral"
    assert "/fit diagnose [company]" in answer["blocks"][0]["text"]["text"]


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
    for heading in ("*Why*", "*Against*", "*What would change the answer*", "*Risks to watch*",
                    "*Shared working hours", "*Next steps*"):
        assert heading in texts

    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
        row = s.scalars(select(OutboxMessage)).one()
    assert (triage.team_id, triage.channel_id, triage.user_id, triage.company) == (
        "T0001", "C0042", "U0001", answers["company"])
    assert triage.answers["leadership"] == answers["leadership"]
    assert ENGAGEMENTS[triage.model].name == model_name
    assert triage.reasons and triage.next_steps and len(triage.overlap) == 7
    assert set(triage.explanation) == {"confidence_notes", "ruled_out", "against", "what_if"}
    assert triage.questionnaire_version == tp.Q.version
    assert row.dedupe_key == f"triage:{triage.id}"
    sent = wait_for_row(db, row.id, "sent")
    assert (sent.sent_channel_id, sent.sent_ts) == ("C0042", call.response["ts"])


def test_a_missing_prerequisite_decides_the_posted_call_and_is_stored(fitbot, slack, db):
    # A ready team that is still working out what to build: discovery first, whatever the points say.
    fitbot.post(tp.submission({**tp.AUGMENTATION, "work_definition": "exploring"}, channel_id="C0042"))
    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    sections = [b["text"]["text"] for b in call.params["blocks"] if b["type"] == "section"]
    assert call.params["blocks"][0]["text"]["text"] == "Acme Corp: Discovery first"
    why_not = next(t for t in sections if t.startswith("*Why not Nearshore staff augmentation*"))
    assert "*Work defined enough to start*: The client is still deciding what to build." in why_not
    changes = next(t for t in sections if t.startswith("*What would change the answer*"))
    assert "• Nearshore staff augmentation if the client settles a roadmap and a sprint process." in changes
    assert next(t for t in sections if t.startswith("*Next steps*")).startswith(
        "*Next steps*\n1. Settle what to build before the search starts")
    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
    assert triage.model == "discovery_first"
    assert triage.explanation["ruled_out"][0]["missing"][0]["condition"] == "defined_work"
    assert triage.explanation["what_if"][0]["changes"] == [{"question": "work_definition", "answer": "roadmap"}]


def test_answers_against_the_call_are_posted_with_their_fix(fitbot, slack):
    fitbot.post(tp.submission({**tp.AUGMENTATION, "onboarding": "contractor", "previous_engagement": "none"}))
    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    sections = [b["text"]["text"] for b in call.params["blocks"] if b["type"] == "section"]
    assert "Medium confidence" in sections[0]
    against = next(t for t in sections if t.startswith("*Against*"))
    assert "*Like a contractor* (onboarding like a new hire)" in against
    assert "→ Agree a new-hire onboarding plan" in against
    assert "*Why medium confidence, not high*\n• “Like a contractor” argues against it (see Against)." in sections


@pytest.mark.parametrize(("changes", "errors"), [
    ({"company": "   "}, {"company": "This answer is required."}),
    ({"contact": "x" * 121}, {"contact": "Keep this to 120 characters (it has 121)."}),
    ({"skills": None}, {"skills": 'Fill this in: you answered "As skills and a role to fill" above.'}),
    ({"leadership": None, "timezone": "Mars/Base"}, {"leadership": "Pick an answer.",
                                                     "timezone": "Pick one of the listed options."}),
], ids=["blank company", "overlong contact", "skills missing", "missing and unknown choices"])
def test_invalid_answers_come_back_inline_and_nothing_is_stored(fitbot, slack, db, changes, errors):
    response = fitbot.post(tp.submission({**tp.AUGMENTATION, **changes}))
    assert response.status == 200
    assert response.json() == {"response_action": "errors", "errors": errors}
    with db.unit_of_work() as s:
        assert s.scalars(select(Triage)).all() == []
        assert s.scalars(select(OutboxMessage)).all() == []
    slack.assert_no_call("chat.postMessage")


def test_company_names_are_kept_whole(fitbot, slack, db):
    name = "\U0001F469\U0001F3FD\u200d\U0001F4BB Coders \u200fשלום\u200e"
    fitbot.post(tp.submission({**tp.AUGMENTATION, "company": name}))
    (call,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert call.params["blocks"][0]["text"]["text"].startswith(name + ":")
    with db.unit_of_work() as s:
        assert s.scalars(select(Triage.company)).one() == name


def test_a_broken_character_is_refused_inline_and_nothing_is_stored(fitbot, slack, db):
    response = fitbot.post(tp.submission({**tp.AUGMENTATION, "company": "Acme \ud83d"}))
    assert response.json() == {"response_action": "errors", "errors": {"company": BROKEN}}
    with db.unit_of_work() as s:
        assert s.scalars(select(Triage)).all() == []


def test_lost_channel_metadata_is_an_inline_error(fitbot, slack):
    response = fitbot.post(tp.submission(tp.AUGMENTATION, private_metadata="not json"))
    assert response.json()["errors"] == {"company": "This form lost track of its channel. Close it and run /fit again."}


def test_company_name_cannot_ping_the_channel(fitbot, slack):
    fitbot.post(tp.submission({**tp.AUGMENTATION, "company": "<!channel> Acme", "contact": "<@U999> & co"}))
    (call,) = slack.wait_for("chat.postMessage")
    sections = " ".join(b["text"]["text"] for b in call.params["blocks"] if b["type"] == "section")
    assert "<!channel>" not in call.params["text"]
    assert call.params["text"].startswith("&lt;!channel&gt; Acme")
    assert "&lt;@U999&gt; &amp; co" in sections
    assert "<@U999>" not in sections


def test_duplicate_submission_stores_and_posts_once(fitbot, slack, db):
    body = tp.submission(tp.AUGMENTATION, view_id="VDUP")
    first, second = fitbot.post(body), fitbot.post(body)
    assert first.json()["response_action"] == second.json()["response_action"] == "update"
    slack.wait_for("chat.postMessage")
    with db.unit_of_work() as s:
        assert len(s.scalars(select(Triage)).all()) == 1
        assert len(s.scalars(select(OutboxMessage)).all()) == 1
    assert len(_posted_after(slack, 2.5)) == 1  # longer than a dispatcher tick


def test_rate_limit_is_honoured_then_delivered_once(fitbot, slack, db):
    slack.script("chat.postMessage", Reply(status=429, headers={"Retry-After": "1"}))
    fitbot.post(tp.submission(tp.OUTSOURCING))
    calls = slack.wait_for("chat.postMessage", count=2, timeout=10)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0  # Retry-After: 1
    with db.unit_of_work() as s:
        row_id = s.scalars(select(OutboxMessage.id)).one()
    row = wait_for_row(db, row_id, "sent")
    assert row.attempts == 1  # a rate-limited try is Slack pacing us, not a failed attempt
    assert len(_posted_after(slack, 2.5)) == 1


def test_slack_down_then_back_delivers(fitbot, slack, db):
    slack.down(503)
    fitbot.post(tp.submission(tp.CONSULTING))
    slack.wait_for("chat.postMessage", count=2, timeout=10)  # first try and a retry, both failed
    slack.up()
    slack.wait_for("chat.postMessage", predicate=lambda c: c.ok, timeout=20)
    with db.unit_of_work() as s:
        row_id = s.scalars(select(OutboxMessage.id)).one()
    assert wait_for_row(db, row_id, "sent").attempts >= 3


def test_terminal_slack_error_is_recorded_not_dropped(fitbot, slack, db):
    slack.script("chat.postMessage", {"ok": False, "error": "invalid_blocks"})
    fitbot.post(tp.submission(tp.DISCOVERY))
    with db.unit_of_work() as s:
        row_id = s.scalars(select(OutboxMessage.id)).one()
    row = wait_for_row(db, row_id, "failed")
    assert row.last_error == "invalid_blocks"


def test_joins_a_public_channel_it_is_not_in(fitbot, slack):
    slack.add_channel("CPUBLIC", member=False)
    fitbot.post(tp.submission(tp.AUGMENTATION, channel_id="CPUBLIC"))
    (join,) = slack.wait_for("conversations.join")
    assert join.params["channel"] == "CPUBLIC"
    assert slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)[0].params["channel"] == "CPUBLIC"


def test_private_channel_falls_back_to_a_dm_that_says_why(fitbot, slack, db):
    slack.add_channel("GPRIVATE", private=True, member=False)
    fitbot.post(tp.submission(tp.AUGMENTATION, channel_id="GPRIVATE", user_id="U0777"))
    (dm,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert dm.params["channel"] == "U0777"
    assert "couldn't post this in <#GPRIVATE>" in dm.params["blocks"][0]["text"]["text"]
    assert "/invite @fitbot" in dm.params["blocks"][0]["text"]["text"]
    with db.unit_of_work() as s:
        row_id = s.scalars(select(OutboxMessage.id)).one()
    row = wait_for_row(db, row_id, "sent")
    # Slack answers with the DM's own channel id; that is what a later chat.update needs.
    assert row.sent_channel_id == dm.response["channel"]
    assert row.last_error == "channel_not_found: sent to U0777 instead"


def _posted_after(slack, seconds: float) -> list:
    """Successful posts once `seconds` have passed (long enough for any stray send to show up)."""
    time.sleep(seconds)
    return [c for c in slack.calls("chat.postMessage") if c.ok]
