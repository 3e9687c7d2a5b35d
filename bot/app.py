"""Builds the Bolt app: listeners from handlers/, services in every listener's context, one error handler."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

import handlers
from bot.config import Settings
from bot.services import Services
from bot.web import register_middleware

log = logging.getLogger(__name__)
# Variables App() reads by itself. fitbot has read and checked its settings already (bot.config); seeing
# SLACK_BOT_TOKEN next to the client it is given, Bolt would warn that the token goes unused.
BOLT_READS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


@contextmanager
def _hidden(names: tuple[str, ...]) -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def build_app(settings: Settings, services: Services, client: WebClient) -> App:
    """Listeners run in the request's thread and Slack gets its answer as soon as they return
    (process_before_response): no listener does slow work before returning, it hands it to
    `services.after_ack` instead (handlers.replies.after_ack). By default Bolt would run each listener
    on a pool and poll for its ack every 10 ms, which adds up to 10 ms to every answer and more under load.
    """
    with _hidden(BOLT_READS):
        app = App(
            client=client,
            signing_secret=settings.signing_secret or "",
            request_verification_enabled=not settings.socket_mode,
            process_before_response=True,
            listener_executor=services.after_ack,
        )

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        next()

    @app.error
    def log_error(error: Exception, body: dict) -> None:
        log.exception("listener failed for %s request", body.get("type") or body.get("command"), exc_info=error)

    register_middleware(app)
    handlers.register(app)
    return app
