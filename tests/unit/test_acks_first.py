"""Work handed off after an ack waits for the acks being answered, but never longer than MAX_WAIT."""

import threading
import time

from bot.acks_first import AcksFirst


def test_work_waits_until_no_request_is_being_answered():
    acks, order = AcksFirst(max_wait=5), []
    answering = acks.answering()
    answering.__enter__()
    worker = threading.Thread(target=lambda: (acks.wait(), order.append("work")))
    worker.start()
    time.sleep(0.1)
    order.append("ack answered")
    answering.__exit__(None, None, None)
    worker.join(timeout=5)
    assert order == ["ack answered", "work"]


def test_work_never_waits_longer_than_max_wait():
    acks = AcksFirst(max_wait=0.2)
    with acks.answering():
        started = time.monotonic()
        acks.wait()
        assert 0.15 <= time.monotonic() - started < 1


def test_nothing_waits_when_nothing_is_being_answered():
    started = time.monotonic()
    AcksFirst(max_wait=5).wait()
    assert time.monotonic() - started < 0.1
