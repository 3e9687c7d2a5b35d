"""`fitbot serve`: migrations, the Bolt app behind waitress (or Socket Mode), the scheduler, and a clean stop."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from types import FrameType

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from waitress.server import create_server

from bot.app import build_app
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.onboarding import checklist
from bot.pacing import ChannelPacer
from bot.plan_messages import PLAN_KINDS
from bot.plans import pause_for_lost_token
from bot.presentation.triage import QuestionnaireModal
from bot.scheduler import start_scheduler
from bot.services import Services
from bot.slack_client import delivery_client
from bot.slack_errors import error_code
from bot.triage import diagnosis, questionnaire
from bot.web import WebApp
from storage import outbox
from storage.db import Database
from storage.migrate import upgrade

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """fitbot cannot start for a reason the operator must fix; the message says which setting."""

# 32 simultaneous Slack requests must all be answered well inside 3 s: waitress threads run each
# listener and answer; what a listener hands off (views.open, sending) runs on the after-ack pool.
HTTP_THREADS = 32
AFTER_ACK_THREADS = 32


def open_dispatcher(settings: Settings) -> Dispatcher:
    """The database, migrated, and a dispatcher for it (what `fitbot dispatch` needs, and `serve` too)."""
    upgrade(settings.database_url)
    return Dispatcher(Database(settings.database_url), delivery_client(settings), kinds=PLAN_KINDS,
                      on_workspace_gone=pause_for_lost_token,
                      pacer=ChannelPacer(settings.channel_rate) if settings.channel_rate else None)


def build_services(settings: Settings, after_ack: Executor) -> Services:
    dispatcher = open_dispatcher(settings)
    triage_questions = questionnaire.load()
    plan_checklist = checklist.load()
    checklist.check_against(plan_checklist, triage_questions)
    lessons = diagnosis.load()
    diagnosis.check_against(lessons, triage_questions)
    return Services(db=dispatcher.db, questionnaire=triage_questions, dispatcher=dispatcher,
                    triage_modal=QuestionnaireModal(triage_questions), checklist=plan_checklist,
                    diagnosis=lessons, after_ack=after_ack)


def serve(settings: Settings) -> int:
    executor = ThreadPoolExecutor(max_workers=AFTER_ACK_THREADS, thread_name_prefix="after-ack")
    services = build_services(settings, executor)
    if not services.db.is_postgres:
        with services.db.unit_of_work() as session:
            if released := outbox.release_all_claims(session):
                log.info("re-queued %d message(s) a previous run was sending when it stopped", released)
    try:
        app = build_app(settings, services)  # Bolt checks the token with auth.test here
    except (BoltError, OSError) as exc:
        services.db.close()
        raise StartupError(f"SLACK_BOT_TOKEN: Slack did not accept it at {settings.api_url} ({exc}).") from exc
    scheduler = start_scheduler(services.dispatcher)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, draining", signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            socket_mode = SocketModeHandler(app, settings.app_token)
            log.info("fitbot: connecting to Slack in Socket Mode")
            try:
                try:
                    socket_mode.connect()
                except SlackApiError as exc:
                    raise StartupError(f"SLACK_APP_TOKEN: Slack refused it ({error_code(exc)}).") from exc
                threading.Event().wait()  # until SIGTERM raises SystemExit here
            finally:
                socket_mode.close()
        else:
            try:
                server = create_server(WebApp(app, services.db, settings.signing_secret or ""),
                                       host="0.0.0.0", port=settings.port, threads=HTTP_THREADS,
                                       ident="fitbot", clear_untrusted_proxy_headers=True)
            except OSError as exc:
                raise StartupError(f"PORT: cannot listen on {settings.port} ({exc.strerror}).") from exc
            # Tests and operators read the bound port from this line (PORT=0 picks a free one).
            print(f"fitbot: listening on http://127.0.0.1:{server.effective_port}", file=sys.stderr, flush=True)
            server.run()  # waitress turns SystemExit into: stop accepting, finish running requests
    except SystemExit:
        pass
    finally:
        services.dispatcher.stop()
        scheduler.shutdown(wait=True)
        services.dispatcher.close()
        executor.shutdown(wait=True)
        services.db.close()
        log.info("fitbot stopped")
    return 0
