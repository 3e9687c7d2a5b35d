"""Per-channel pacing: a short burst, then one message per interval, each channel on its own."""

from __future__ import annotations

from bot import pacing
from bot.pacing import ChannelPacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_quiet_channel_takes_a_burst_then_one_message_a_second():
    clock = Clock()
    pacer = ChannelPacer(1.0, burst=3, clock=clock)
    assert [pacer.wait("C1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.wait("C1") == 1.0
    clock.now += 0.25
    assert pacer.wait("C1") == 0.75  # asking again doesn't take a turn
    clock.now += 0.75
    assert pacer.wait("C1") == 0.0
    assert pacer.wait("C1") == 1.0


def test_channels_are_paced_separately_and_refill_up_to_the_burst():
    clock = Clock()
    pacer = ChannelPacer(2.0, burst=2, clock=clock)
    assert [pacer.wait("C1"), pacer.wait("C1"), pacer.wait("C1")] == [0.0, 0.0, 0.5]
    assert pacer.wait("C2") == 0.0
    clock.now += 60  # a long quiet spell gives back the burst, not more
    assert [pacer.wait("C1") for _ in range(3)] == [0.0, 0.0, 0.5]


def test_a_rate_limited_channel_waits_out_its_retry_after_then_goes_one_at_a_time():
    clock = Clock()
    pacer = ChannelPacer(1.0, burst=3, clock=clock)
    pacer.hold("C1", 30)
    assert pacer.wait("C1") == 30.0
    assert pacer.wait("C2") == 0.0
    clock.now += 30
    assert [pacer.wait("C1"), pacer.wait("C1")] == [0.0, 1.0]


def test_forgetting_quiet_channels_keeps_the_ones_on_hold(monkeypatch):
    monkeypatch.setattr(pacing, "MAX_CHANNELS", 2)
    clock = Clock()
    pacer = ChannelPacer(1.0, burst=3, clock=clock)
    pacer.hold("C1", 60)
    clock.now += 10
    assert [pacer.wait(c) for c in ("C2", "C3", "C4")] == [0.0, 0.0, 0.0]  # over the limit: quiet ones forgotten
    assert pacer.wait("C1") == 50.0
