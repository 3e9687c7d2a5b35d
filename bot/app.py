"""Builds the Bolt app: listeners from handlers/, services in every listener's context, one error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App, BoltContext

import handlers
from bot.config import Settings
from bot.services import Services
from bot.slack_client import interactive_client

log = logging.getLogger(__name__)

def build_app(settings: Settings, services: Services, listener_executor: Executor) -> App:
    """`listener_executor` runs listeners after the ack; the caller owns it and drains it on shutdown."""
    app = App(
        client=interactive_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        listener_executor=listener_executor,
    )

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        # Bolt gives each request a new plain WebClient; listeners get the app's one instead, whose
        # connections stay open between calls. Safe because fitbot's token never changes per request.
        context["client"] = app.client
        next()

    @app.error
    def log_error(error: Exception, body: dict) -> None:
        log.exception("listener failed for %s request", body.get("type") or body.get("command"), exc_info=error)

    handlers.register(app)
    return app
