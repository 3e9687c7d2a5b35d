"""Edit answers end to end: the button on a recommendation, the prefilled form, a stored revision, the
message updated in place, and what changed in its thread."""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import select

from storage.models import Triage, TriageRevision
from tests.e2e import triage_payloads as tp
from tests.support import slack_requests as sr
from tests.support.fake_slack import Reply


def _posted(fitbot, slack, answers=tp.DISCOVERY, channel_id="C0042", user_id="U0LEAD"):
    """A triage whose recommendation reached the channel; returns that chat.postMessage call."""
    assert fitbot.post(tp.submission(answers, channel_id=channel_id, user_id=user_id)).status == 200
    (message,) = slack.wait_for("chat.postMessage")
    slack.reset()
    return message


def _edit_button(message) -> dict:
    actions = next(b for b in message.params["blocks"] if b.get("block_id") == "triage_actions")
    return next(e for e in actions["elements"] if e["action_id"] == "triage_edit")


def _open_edit(fitbot, slack, message, *, user_id="U0LEAD", channel_id="C0042") -> dict:
    button = _edit_button(message)
    fitbot.post(sr.block_actions(action_id="triage_edit", value=button["value"], block_id="triage_actions",
                                 channel_id=channel_id, message_ts=message.response["ts"], user_id=user_id))
    (opened,) = slack.wait_for("views.open")
    slack.reset()
    return opened.params["view"]


def _revisions(db) -> list[TriageRevision]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(TriageRevision).order_by(TriageRevision.number)))


def test_edit_answers_opens_the_form_prefilled_with_the_stored_answers(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message, user_id="U0MEMBER")  # a channel member, not the requester
    assert (view["callback_id"], view["title"]["text"], view["submit"]["text"]) == (
        "fit_triage_edit", "Edit triage", "Re-run")
    blocks = {b["block_id"]: b for b in view["blocks"] if b.get("block_id")}
    assert blocks["company"]["element"]["initial_value"] == "Umbrella"
    for qid in ("leadership", "need_shape", "onboarding", "work_definition", "collaboration", "timezone"):
        element = blocks[qid]["element"]
        # Slack wants the very option object it was given as initial_option.
        assert element["initial_option"] in element["options"]
        assert element["initial_option"]["value"] == tp.DISCOVERY[qid]
    assert "initial_value" not in blocks["contact"]["element"]  # not answered: left empty
    with db.unit_of_work() as s:
        triage_id = s.scalars(select(Triage.id)).one()
    assert json.loads(view["private_metadata"]) == {"channel_id": "C0042", "triage_id": triage_id, "base": 1}


def test_a_revision_is_stored_the_message_updated_in_place_and_the_change_told_in_its_thread(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message)
    revised = {**tp.DISCOVERY, "work_definition": "roadmap", "need_shape": "skills",
               "skills": "Two senior React engineers"}
    answer = fitbot.post(tp.edit_submission(revised, private_metadata=view["private_metadata"],
                                            user_id="U0EDITOR")).json()
    assert answer["response_action"] == "update"
    shown = answer["view"]["blocks"][0]["text"]["text"]
    assert shown.startswith("*Umbrella*, revision 2: Nearshore staff augmentation")

    (update,) = slack.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C0042", message.response["ts"])
    assert update.params["blocks"][0]["text"]["text"] == "Umbrella: Nearshore staff augmentation"
    footer = next(b for b in update.params["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert "revision 2, edited by <@U0EDITOR>" in footer
    (note,) = slack.wait_for("chat.postMessage")
    assert (note.params["channel"], note.params["thread_ts"]) == ("C0042", message.response["ts"])
    note_text = "\n".join(b["text"]["text"] for b in note.params["blocks"])
    assert "*Recommendation*: Discovery first (" in note_text
    assert "→ Nearshore staff augmentation (" in note_text
    q = tp.Q.question("work_definition")
    assert (f"{q.label}: {q.option('exploring').label} → {q.option('roadmap').label}") in note_text

    first, second = _revisions(db)
    assert (first.number, first.model, first.user_id) == (1, "discovery_first", "U0LEAD")
    assert (second.number, second.model, second.user_id) == (2, "staff_augmentation", "U0EDITOR")
    assert first.answers["work_definition"] == "exploring"  # never overwritten
    assert {c["question"] for c in second.changes} == {tp.Q.question(x).label
                                                      for x in ("need_shape", "skills", "work_definition")}
    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
        assert (triage.revision, triage.model, triage.answers["work_definition"]) == (2, "staff_augmentation",
                                                                                      "roadmap")


def test_someone_outside_the_channel_who_did_not_run_it_is_told_the_rule(fitbot, slack, db):
    message = _posted(fitbot, slack)
    button = _edit_button(message)
    url = slack.response_url_for("actions")
    fitbot.post(sr.block_actions(action_id="triage_edit", value=button["value"], block_id="triage_actions",
                                 channel_id="C0ELSEWHERE", message_ts=message.response["ts"], user_id="U0STRANGER",
                                 response_url=url))
    (told,) = slack.wait_for("response_url")
    assert told.params["response_type"] == "ephemeral"
    assert told.params["text"].startswith("Only whoever ran this triage, a workspace admin")
    slack.assert_no_call("views.open")


def test_a_guest_from_another_organization_in_the_channel_may_not_edit(fitbot, slack, db):
    message = _posted(fitbot, slack)
    button = _edit_button(message)
    url = slack.response_url_for("actions")
    fitbot.post(sr.block_actions(action_id="triage_edit", value=button["value"], block_id="triage_actions",
                                 channel_id="C0042", message_ts=message.response["ts"], user_id="U0CLIENT",
                                 user_team_id="T0CLIENT", response_url=url))
    (told,) = slack.wait_for("response_url")
    assert told.params["text"].startswith("Only whoever ran this triage")
    slack.assert_no_call("views.open")


def test_a_workspace_admin_may_edit_from_anywhere(fitbot, slack, db):
    message = _posted(fitbot, slack)
    slack.admins.add("U0ADMIN")
    try:
        view = _open_edit(fitbot, slack, message, user_id="U0ADMIN", channel_id="C0ELSEWHERE")
    finally:
        slack.admins.discard("U0ADMIN")
    assert view["callback_id"] == "fit_triage_edit"


def test_the_same_form_submitted_twice_is_one_revision(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message)
    body = tp.edit_submission({**tp.DISCOVERY, "onboarding": "partial"}, private_metadata=view["private_metadata"],
                              view_id="VEDIT1")
    assert fitbot.post(body).json()["response_action"] == "update"
    assert fitbot.post(body).json() == {"response_action": "clear"}
    assert [r.number for r in _revisions(db)] == [1, 2]
    slack.wait_for("chat.update")
    time.sleep(0.5)
    assert len(slack.calls("chat.update")) == 1


def test_edits_racing_from_the_same_revision_each_land_and_keep_each_others_changes(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message)
    edits = [{**tp.DISCOVERY, "work_definition": "roadmap"}, {**tp.DISCOVERY, "contact": "Kim Lee, CTO"},
             {**tp.DISCOVERY, "collaboration": "some"}]
    bodies = [tp.edit_submission(e, private_metadata=view["private_metadata"], user_id=f"U0ED{i}")
              for i, e in enumerate(edits)]
    answers = []
    threads = [threading.Thread(target=lambda b=b: answers.append(fitbot.post(b).json())) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a["response_action"] for a in answers) == ["update"] * 3
    assert [r.number for r in _revisions(db)] == [1, 2, 3, 4]
    with db.unit_of_work() as s:
        latest = s.scalars(select(Triage)).one().answers
    assert (latest["work_definition"], latest["contact"], latest["collaboration"]) == ("roadmap", "Kim Lee, CTO",
                                                                                       "some")
    notes = slack.wait_for("chat.postMessage", count=3)
    assert {n.params["thread_ts"] for n in notes} == {message.response["ts"]}
    # However the three updates interleave, the message ends on revision 4.
    slack.wait_for("chat.update")
    _settle_until(lambda: "revision 4," in _last_footer(slack), "the message never showed the latest revision")


def _last_footer(slack) -> str:
    updates = [c for c in slack.calls("chat.update") if c.ok]
    if not updates:
        return ""
    return next(b for b in updates[-1].params["blocks"] if b["type"] == "context")["elements"][0]["text"]


def _settle_until(check, failure: str = "never happened", timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def test_a_deleted_recommendation_is_posted_again_with_the_revision(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message)
    slack.script("chat.update", {"ok": False, "error": "message_not_found"})
    fitbot.post(tp.edit_submission({**tp.DISCOVERY, "work_definition": "roadmap"},
                                   private_metadata=view["private_metadata"]))
    posts = slack.wait_for("chat.postMessage", count=2)
    again = next(p for p in posts if "thread_ts" not in p.params)
    assert again.params["channel"] == "C0042"
    assert again.params["blocks"][0]["text"]["text"] == "Umbrella: Nearshore staff augmentation"
    def moved() -> bool:  # recorded with the row, so the next revision edits the new message
        with db.unit_of_work() as s:
            return s.scalars(select(Triage.message_ts)).one() == again.response["ts"]
    _settle_until(moved, "the new message was not recorded")


def test_edit_of_a_triage_that_is_gone_is_answered_inline(fitbot, slack, db):
    metadata = json.dumps({"channel_id": "C0042", "triage_id": 999999, "base": 1})
    answer = fitbot.post(tp.edit_submission(tp.DISCOVERY, private_metadata=metadata)).json()
    assert answer == {"response_action": "errors",
                      "errors": {"company": "This triage no longer exists, so it can't be edited."}}


def test_invalid_answers_in_the_edit_form_are_answered_inline_and_nothing_changes(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message)
    answer = fitbot.post(tp.edit_submission({**tp.DISCOVERY, "company": None},
                                            private_metadata=view["private_metadata"])).json()
    assert answer == {"response_action": "errors", "errors": {"company": "This answer is required."}}
    assert [r.number for r in _revisions(db)] == [1]


def test_a_rate_limited_update_is_retried_after_retry_after(fitbot, slack, db):
    message = _posted(fitbot, slack)
    view = _open_edit(fitbot, slack, message)
    slack.script("chat.update", Reply(status=429, headers={"Retry-After": "1"}))
    fitbot.post(tp.edit_submission({**tp.DISCOVERY, "onboarding": "partial"},
                                   private_metadata=view["private_metadata"]))
    calls = slack.wait_for("chat.update", count=2, timeout=10)
    assert [c.status for c in calls] == [429, 200]
