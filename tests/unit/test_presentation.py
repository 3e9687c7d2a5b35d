import json
from datetime import UTC, date, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.presentation.ids import ITEM_DONE_ACTION_ID, ITEM_NA_ACTION_ID, ITEM_SNOOZE_ACTION_ID
from bot.presentation.mrkdwn import escape, truncate
from bot.presentation.plans import item_buttons, item_text, nudge_message
from bot.presentation.triage import QuestionnaireModal, parse_submission, recommendation_message
from bot.triage import questionnaire
from bot.triage.engine import recommend
from storage.models import Plan, PlanItem

Q = questionnaire.load()


def test_escape_neutralises_mentions_and_links():
    assert escape("<!channel> & <@U1> <https://x|y>") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"


def test_truncate_is_visible_and_never_splits_an_entity():
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("ab&amp;cdef", 5) == "ab…"
    assert truncate("short", 10) == "short"


def test_modal_within_slack_limits_and_carries_channel():
    modal = QuestionnaireModal(Q)
    view = modal.render(company="A" * 500, metadata={"channel_id": "C123"})
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"channel_id": "C123"}
    company = next(b for b in view["blocks"] if b.get("block_id") == "company")
    assert company["element"]["initial_value"] == "A" * 119 + "…"
    assert {b["block_id"] for b in view["blocks"] if b["type"] == "input"} == {q.id for q in Q.questions}
    assert len(view["blocks"]) <= 100


def test_parse_submission_reads_each_element_type():
    values = {
        "company": {"answer": {"type": "plain_text_input", "value": "Acme"}},
        "leadership": {"answer": {"type": "radio_buttons", "selected_option": {"value": "nobody"}}},
        "timezone": {"answer": {"type": "static_select", "selected_option": {"value": "America/Denver"}}},
        "contact": {"answer": {"type": "plain_text_input", "value": None}},
    }
    answers = parse_submission(Q, values)
    assert answers["company"] == "Acme"
    assert answers["leadership"] == "nobody"
    assert answers["timezone"] == "America/Denver"
    assert answers["contact"] is None and answers["skills"] is None


def test_message_escapes_user_text_and_fits_limits():
    r = recommend(Q, {"leadership": "head_of_engineering", "timezone": "America/Chicago"}, date(2026, 11, 28))
    message = recommendation_message(company="<!channel> Corp", contact="<!here>", skills="x" * 5000,
                                     requested_by="U1", timezone_label="Chicago", recommendation=r, triage_id=7,
                                     questionnaire_version=Q.version)
    dumped = json.dumps(message)
    assert "<!channel>" not in message["text"] and "<!here>" not in dumped
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    assert any(text.endswith("…") for text in sections)
    assert message["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                               "text": f"<!channel> Corp: {r.model_name}",
                                                               "emoji": True}}


def test_modal_renders_do_not_leak_into_each_other():
    modal = QuestionnaireModal(Q)
    first = modal.render(company="Acme", metadata={"channel_id": "C1"})
    second = modal.render(company="", metadata={"channel_id": "C2"})
    company = [next(b for b in v["blocks"] if b.get("block_id") == "company") for v in (first, second)]
    assert company[0]["element"]["initial_value"] == "Acme"
    assert "initial_value" not in company[1]["element"]
    assert second["private_metadata"] == '{"channel_id":"C2"}'


def test_nudge_buttons_are_the_block_slack_sdk_builds_and_checks():
    built = ActionsBlock(block_id="item:4711", elements=[
        ButtonElement(text="Done", action_id=ITEM_DONE_ACTION_ID, value="4711", style="primary"),
        StaticSelectElement(action_id=ITEM_SNOOZE_ACTION_ID, placeholder="Snooze",
                            options=[Option(value="4711:day", label="Until tomorrow"),
                                     Option(value="4711:week", label="For a week")]),
        ButtonElement(text="Not applicable", action_id=ITEM_NA_ACTION_ID, value="4711"),
    ])
    assert item_buttons(4711) == built.to_dict()


def test_a_nudge_for_an_engineer_not_in_slack_yet_mentions_the_manager():
    plan = Plan(id=1, engineer_user_id=None, engineer_name="Luis <!here>", manager_user_id="U0MGR",
                buddy_user_id=None, created_by="U0LEAD", channel_id="C1", timezone="America/Chicago")
    item = PlanItem(id=7, plan_id=1, phase_title="Day 1", owner_role="engineer", text="Say hello to {manager}.")
    line = nudge_message(plan, item, due_at=datetime(2026, 11, 2, 15, tzinfo=UTC), late=False)[
        "blocks"][0]["text"]["text"]
    assert line.startswith("<@U0MGR> (for Luis &lt;!here&gt;, who isn't in Slack yet), onboarding for Luis "
                           "&lt;!here&gt;: *Day 1*")


def test_a_name_that_reads_like_a_placeholder_stays_a_name():
    plan = Plan(id=1, engineer_user_id=None, engineer_name="Eve {manager}", manager_user_id="U0MGR",
                buddy_user_id=None, created_by="U0LEAD", channel_id="C1", timezone="America/Chicago")
    item = PlanItem(id=7, plan_id=1, phase_title="Day 1", owner_role="manager",
                    text="Introduce {engineer} to {manager}'s team.")
    assert item_text(plan, item) == "Introduce Eve {manager} to <@U0MGR>'s team."


def test_a_late_nudge_is_the_blocks_slack_sdk_builds_and_checks():
    plan = Plan(id=1, engineer_user_id="U0ENG", engineer_name=None, manager_user_id="U0MGR", buddy_user_id=None,
                created_by="U0LEAD", channel_id="C1", timezone="America/Chicago")
    item = PlanItem(id=7, plan_id=1, phase_title="Day 1", owner_role="manager", text="Introduce {engineer}.")
    blocks = nudge_message(plan, item, due_at=datetime(2026, 11, 2, 15, tzinfo=UTC), late=True)["blocks"]
    section = "<@U0MGR>, onboarding for <@U0ENG>: *Day 1*\nIntroduce <@U0ENG>."
    late = ":hourglass: This reminder is late: it was due Mon 02 Nov."
    built = [SectionBlock(text=MarkdownTextObject(text=section)),
             ContextBlock(elements=[MarkdownTextObject(text=late)]),
             ActionsBlock.parse(item_buttons(7))]
    assert blocks == [b.to_dict() for b in built]


def test_diagnosis_modal_within_slack_limits_and_carries_its_channel():
    from bot.presentation.diagnosis import diagnosis_modal
    from bot.triage import diagnosis

    view = diagnosis_modal(diagnosis.load(), Q, company="B" * 300, metadata={"channel_id": "C9"}).to_dict()
    assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100
    assert json.loads(view["private_metadata"]) == {"channel_id": "C9"}
    ids = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert len(ids) == len(set(ids))
    company = next(b for b in view["blocks"] if b.get("block_id") == "company")
    assert company["element"]["initial_value"] == "B" * 119 + "…"
