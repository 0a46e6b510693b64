"""bot/reminders/fanout.py: pacing and the bounded pool."""

from __future__ import annotations

import asyncio

import pytest

from bot.reminders.fanout import Pacer, fan_out


async def test_pacer_spaces_starts_evenly() -> None:
    pacer = Pacer(rate=100, margin=1.0)
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def record(_: int) -> None:
        starts.append(loop.time())

    await fan_out(range(21), record, pacer, concurrency=21)
    # Slots are 10 ms apart: 21 starts span at least 200 ms, and no 100 ms window holds
    # more than its share (11) plus one for the event loop's jitter.
    assert starts[-1] - starts[0] >= 0.19
    assert max(sum(1 for t in starts if s <= t < s + 0.1) for s in starts) <= 12


async def test_one_failure_stops_nothing() -> None:
    done: list[int] = []

    async def send(item: int) -> None:
        if item == 3:
            await asyncio.sleep(0)
            done.append(-1)
            return
        done.append(item)

    await fan_out(range(8), send, Pacer(rate=1000), concurrency=2)
    assert sorted(done) == [-1, 0, 1, 2, 4, 5, 6, 7]


async def test_concurrency_is_bounded() -> None:
    running = 0
    peak = 0

    async def send(_: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await fan_out(range(30), send, Pacer(rate=10_000), concurrency=4)
    assert peak == 4


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)


async def test_pacer_catches_up_a_short_pause_without_exceeding_the_window() -> None:
    pacer = Pacer(rate=1000, margin=0.9, burst=25)  # 900/s, catch-up of 25
    assert pacer.burst == 25
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def record(_: int) -> None:
        starts.append(loop.time())

    await fan_out(range(100), record, pacer, concurrency=100)
    await asyncio.sleep(0.2)
    await fan_out(range(300), record, pacer, concurrency=300)
    # Never more than rate * margin + burst + 1 (= 926) starts in any one-second window.
    assert max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts) <= 926
    # The burst after the pause: the first 26 of the second batch start at once.
    second = starts[100:]
    assert second[25] - second[0] < 0.02


def test_default_burst_is_an_eighth_of_the_slack() -> None:
    assert Pacer(500).burst == 2
    assert Pacer(50).burst == 0
