"""`fitbot serve`: migrations, the Bolt app behind waitress (or Socket Mode), the scheduler, and a clean stop."""

from __future__ import annotations

import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_sdk.errors import SlackApiError
from waitress.server import create_server

from bot.app import build_app
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.home import HomeRefresh
from bot.onboarding import checklist, pulse
from bot.pacing import ChannelPacer
from bot.plan_messages import PLAN_KINDS
from bot.plans import pause_for_lost_token
from bot.presentation.triage import QuestionnaireModal
from bot.pulse_messages import pulse_kinds
from bot.scheduler import start_scheduler
from bot.services import Services
from bot.slack_client import delivery_client, interactive_client
from bot.slack_errors import TRANSPORT_ERRORS, error_code
from bot.startup import StartupError, wait_for_slack
from bot.triage import diagnosis, questionnaire
from bot.triage_messages import TRIAGE_KINDS
from bot.web import WebApp
from storage import outbox
from storage.db import Database
from storage.home_tabs import HOME
from storage.migrate import upgrade

log = logging.getLogger(__name__)


# 32 simultaneous Slack requests must all be answered well inside 3 s: waitress threads run each
# listener and answer; what a listener hands off (views.open, sending) runs on the after-ack pool.
HTTP_THREADS = 32
AFTER_ACK_THREADS = 32


def open_dispatcher(settings: Settings, check_ins: pulse.Pulse | None = None) -> Dispatcher:
    """The database, migrated, and a dispatcher for it (what `fitbot dispatch` needs, and `serve` too)."""
    check_ins = check_ins or pulse.load()
    upgrade(settings.database_url)
    kinds = {**PLAN_KINDS, **TRIAGE_KINDS, **pulse_kinds(check_ins), HOME: HomeRefresh()}
    return Dispatcher(Database(settings.database_url), delivery_client(settings), kinds=kinds,
                      on_workspace_gone=pause_for_lost_token,
                      pacer=ChannelPacer(settings.channel_rate) if settings.channel_rate else None)


def build_services(settings: Settings, after_ack: Executor) -> Services:
    check_ins = pulse.load()
    dispatcher = open_dispatcher(settings, check_ins)
    triage_questions = questionnaire.load()
    plan_checklist = checklist.load()
    checklist.check_against(plan_checklist, triage_questions)
    lessons = diagnosis.load()
    diagnosis.check_against(lessons, triage_questions)
    return Services(db=dispatcher.db, questionnaire=triage_questions, dispatcher=dispatcher,
                    triage_modal=QuestionnaireModal(triage_questions), checklist=plan_checklist,
                    check_ins=check_ins, diagnosis=lessons, after_ack=after_ack)


def serve(settings: Settings) -> int:
    executor = ThreadPoolExecutor(max_workers=AFTER_ACK_THREADS, thread_name_prefix="after-ack")
    services = build_services(settings, executor)
    if not services.db.is_postgres:
        with services.db.unit_of_work() as session:
            if released := outbox.release_all_claims(session):
                log.info("re-queued %d message(s) a previous run was sending when it stopped", released)
    client = interactive_client(settings)
    scheduler: list[BackgroundScheduler] = []

    def connect(on_retry: Callable[[str], None] = lambda reason: None) -> App:
        """Slack accepts the token, then the Bolt app and the dispatcher's ticks start. Not before: a token
        Slack rejects must not reach the dispatcher, which would take it for a lost workspace."""
        wait_for_slack(client, on_retry=on_retry)
        app = build_app(settings, services, client)
        scheduler.append(start_scheduler(services.dispatcher))
        return app

    failed: list[StartupError] = []  # set by the start-up thread, which then stops the server with SIGTERM

    def stop(signum: int, _frame: FrameType | None) -> None:
        if not failed:
            log.info("received %s, draining", signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if settings.socket_mode:
            _serve_socket_mode(connect(), settings)
        else:
            web = WebApp(None, services.db, services.acks)
            try:
                server = create_server(web, host=settings.host, port=settings.port, threads=HTTP_THREADS,
                                       ident="fitbot", clear_untrusted_proxy_headers=True)
            except ValueError as exc:  # waitress: a name that doesn't resolve, or not an address at all
                raise StartupError(f"HOST: {settings.host} is not an address or a name this machine can resolve "
                                   f"(use 0.0.0.0 for every interface).") from exc
            except OSError as exc:
                setting = "HOST" if exc.errno == errno.EADDRNOTAVAIL else "PORT"  # not one of this machine's
                raise StartupError(f"{setting}: cannot listen on {settings.host}:{settings.port} "
                                   f"({exc.strerror}).") from exc
            # Tests and operators read the bound address from this line (PORT=0 picks a free one).
            print(f"fitbot: listening on http://{server.effective_host}:{server.effective_port}", file=sys.stderr,
                  flush=True)

            def attach() -> None:
                """Until Slack is reached, /healthz answers 503 with the reason, and so do Slack's requests."""
                try:
                    web.attach(connect(on_retry=web.waiting))
                except StartupError as exc:
                    failed.append(exc)
                    os.kill(os.getpid(), signal.SIGTERM)

            threading.Thread(target=attach, name="slack-startup", daemon=True).start()
            server.run()  # waitress turns SystemExit into: stop accepting, finish running requests
    except SystemExit:
        pass
    finally:
        services.dispatcher.stop()
        for running in scheduler:
            running.shutdown(wait=True)
        services.dispatcher.close()
        executor.shutdown(wait=True)
        services.db.close()
        log.info("fitbot stopped")
    if failed:
        raise failed[0]
    return 0


def _serve_socket_mode(app: App, settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    socket_mode = SocketModeHandler(app, settings.app_token)  # its Web API calls go through app.client
    log.info("fitbot: connecting to Slack in Socket Mode")
    try:
        try:
            socket_mode.connect()
        except SlackApiError as exc:
            raise StartupError(f"SLACK_APP_TOKEN: Slack refused it ({error_code(exc)}).") from exc
        except TRANSPORT_ERRORS as exc:
            raise StartupError(f"SLACK_API_URL: Slack can't be reached for Socket Mode ({exc}).") from exc
        threading.Event().wait()  # until SIGTERM raises SystemExit here
    finally:
        socket_mode.close()
