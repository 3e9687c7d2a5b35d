"""`/fit history` end to end: a company's triages, revisions, diagnoses and plans found under any spelling
of its name, paged past a message's limits, and the list of companies."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from bot.record_triage import record_triage
from bot.triage.engine import client_today, recommend
from storage.models import Triage
from storage.triages import Workspace
from tests.e2e import diagnosis_payloads as dp
from tests.e2e import plan_payloads as pp
from tests.e2e import triage_payloads as tp
from tests.support import slack_requests as sr


def _ask(fitbot, slack, text: str) -> dict:
    fitbot.post(sr.slash_command(text, response_url=slack.response_url_for()))
    (answer,) = slack.wait_for("response_url")
    slack.reset()
    assert answer.params["response_type"] == "ephemeral"
    return answer.params


def _text(message: dict) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")


def _story(fitbot, slack, db) -> int:
    """Café Ñandú: a triage, a revision of it, a plan from it, and a diagnosis typed "cafe nandu"."""
    fitbot.post(tp.submission({**tp.DISCOVERY, "company": "Café Ñandú"}, channel_id="C0DEAL", user_id="U0LEAD"))
    (posted,) = slack.wait_for("chat.postMessage")
    with db.unit_of_work() as s:
        triage_id = s.scalars(select(Triage.id)).one()
    slack.reset()
    fitbot.post(sr.block_actions(action_id="triage_edit", value=str(triage_id), block_id="triage_actions",
                                 channel_id="C0DEAL", message_ts=posted.response["ts"], user_id="U0LEAD"))
    (opened,) = slack.wait_for("views.open")
    fitbot.post(tp.edit_submission({**tp.DISCOVERY, "company": "Café Ñandú", "work_definition": "roadmap"},
                                   private_metadata=opened.params["view"]["private_metadata"], user_id="U0EDIT"))
    started = fitbot.post(pp.plan_submission(pp.plan_form(start=date.today() + timedelta(days=7)),
                                             triage_id=triage_id))
    diagnosed = fitbot.post(dp.submission(company="cafe nandu", model_used="staff_augmentation",
                                          symptoms=["little_direction"], user_id="U0LEAD"))
    assert [r.json()["response_action"] for r in (started, diagnosed)] == ["update", "update"]
    slack.wait_for("chat.update")
    slack.reset()
    return triage_id


def test_history_tells_the_whole_story_under_any_spelling_of_the_name(fitbot, slack, db):
    triage_id = _story(fitbot, slack, db)
    message = _ask(fitbot, slack, "history CAFE ñandu")
    text = _text(message)
    assert text.startswith("*History of Café Ñandú*: 1 triage (1 revision), 1 diagnosis, 1 onboarding plan")
    lines = text.split("\n")[1:]
    assert len(lines) == 4
    assert all(line.startswith("<!date^") and "^{date_short_pretty} {time}|" in line for line in lines)
    kinds = ["Diagnosis by <@U0LEAD>", "Onboarding plan for <@U0ENG> in <#C0PLAN>, active: `",
             f"Triage #{triage_id}, revision 2 by <@U0EDIT>: *Nearshore staff augmentation*",
             f"Triage #{triage_id} by <@U0LEAD> in <#C0DEAL>: *Discovery first*"]
    for kind in kinds:
        assert sum(kind in line for line in lines) == 1, kind
    revision = next(line for line in lines if "revision 2" in line)
    q = tp.Q.question("work_definition")
    assert f"Changed: {q.label}: {q.option('exploring').label} → {q.option('roadmap').label}" in revision


def test_a_long_story_pages_with_newer_and_older_buttons(fitbot, slack, db):
    answers = {**tp.OUTSOURCING, "company": "Globex"}
    for n in range(65):
        record_triage(db, tp.Q, Workspace(sr.TEAM_ID), view_id=f"VG{n}", channel_id="C1", user_id="U1",
                      answers=answers, recommendation=recommend(tp.Q, answers, on=client_today(answers)))
    first = _ask(fitbot, slack, "history globex")
    assert len(first["blocks"]) <= 50
    assert "Page 1 of 3, newest first" in json.dumps(first["blocks"])
    (older,) = next(b for b in first["blocks"] if b["type"] == "actions")["elements"]
    assert older["text"]["text"] == "Older"
    url = slack.response_url_for("actions")
    assert older["action_id"] == "history_show:older"
    fitbot.post(sr.block_actions(action_id=older["action_id"], value=older["value"], block_id="history_pages",
                                 channel_id="C1", message_ts="1.2", response_url=url))
    (second,) = slack.wait_for("response_url")
    assert second.params["replace_original"] is True
    assert "Page 2 of 3, newest first" in json.dumps(second.params["blocks"])
    buttons = next(b for b in second.params["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Newer", "Older"]
    assert len({b["action_id"] for b in buttons}) == 2  # Slack refuses a block whose action ids repeat
    shown = [line for page in (first, second.params) for line in _text(page).split("\n")[1:]]
    assert len(shown) == len(set(shown)) == 60  # 30 a page, none twice


def test_an_unknown_name_offers_the_companies_it_may_mean(fitbot, slack, db):
    fitbot.post(tp.submission({**tp.OUTSOURCING, "company": "Globex Industries"}))
    slack.wait_for("chat.postMessage")
    slack.reset()
    message = _ask(fitbot, slack, "history globx")
    assert _text(message).startswith("fitbot has nothing stored for “globx”.")
    message = _ask(fitbot, slack, "history globex")
    assert _text(message).startswith("fitbot has nothing stored for “globex”. Did you mean one of these?")
    (choice,) = [b for b in message["blocks"] if b.get("accessory")]
    assert json.loads(choice["accessory"]["value"]) == {"company": "globex industries", "page": 0}


def test_history_alone_lists_the_companies_triaged_lately_with_names_escaped(fitbot, slack, db):
    for company in ("Initech", "<!channel> Corp", "initech"):
        fitbot.post(tp.submission({**tp.CONSULTING, "company": company}))
        slack.wait_for("chat.postMessage")
        slack.reset()
    message = _ask(fitbot, slack, "history")
    listed = [b["text"]["text"] for b in message["blocks"] if b.get("accessory")]
    assert listed[0].startswith("*initech* · 2 triages, last <!date^")
    assert listed[1].startswith("*&lt;!channel&gt; Corp* · 1 triage")
    assert "<!channel>" not in _text(message) + message["text"]  # rendered text; a button's value is data
