"""When the database is down: health says so, and a submission keeps the user's answers in the modal."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from slack_bolt import BoltContext

from bot.onboarding import checklist, pulse
from bot.presentation.triage import QuestionnaireModal
from bot.services import Services
from bot.triage import diagnosis, questionnaire
from bot.web import WebApp
from handlers.views import submit_triage
from storage.db import Database
from tests.e2e import triage_payloads as tp

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2"


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)


def test_healthz_is_503_when_the_database_is_unreachable():
    db = Database(UNREACHABLE)
    statuses = []
    body = WebApp(bolt=None, db=db)(
        {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda status, headers: statuses.append(status))
    assert statuses == ["503 Service Unavailable"]
    assert body == [b"database unreachable\n"]


def test_submission_with_the_database_down_keeps_the_modal_open_with_a_clear_error():
    dispatcher_calls = Recorder()
    questions = questionnaire.load()
    services = Services(db=Database(UNREACHABLE), questionnaire=questions,
                        dispatcher=type("D", (), {"send_now": dispatcher_calls})(),
                        triage_modal=QuestionnaireModal(questions), checklist=checklist.load(),
                        check_ins=pulse.load(), diagnosis=diagnosis.load(), after_ack=ThreadPoolExecutor(1))
    payload = json.loads(parse_qs(tp.submission(tp.AUGMENTATION))["payload"][0])
    ack = Recorder()
    submit_triage(ack=ack, body=payload, view=payload["view"], context=BoltContext({"services": services}))
    assert ack.calls == [{"response_action": "errors", "errors": {
        "company": "fitbot couldn't save this just now. Your answers are still here: press Recommend again "
                   "in a minute."}}]
    assert dispatcher_calls.calls == []
