"""APScheduler inside `fitbot serve`: ticks the dispatcher. The database holds the work, not the scheduler."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.dispatcher import Dispatcher

log = logging.getLogger(__name__)

TICK_SECONDS = 2


def start_scheduler(dispatcher: Dispatcher) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)

    def tick() -> None:
        try:
            dispatcher.run_pass()
        except Exception:  # a database blip must not kill the job; the next tick tries again
            log.exception("dispatcher pass failed")

    # One pass at a time; missed ticks collapse into one; the first pass runs at start-up to catch up.
    scheduler.add_job(tick, "interval", seconds=TICK_SECONDS, id="dispatch", replace_existing=True,
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler

