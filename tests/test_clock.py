"""bot/clock.py: real and virtual time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import Clock


def test_real_clock_is_aware_utc() -> None:
    now = Clock().now()
    assert now.tzinfo is UTC
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_virtual_clock_starts_where_told_and_runs_fast() -> None:
    start = datetime(2023, 7, 3, 7, tzinfo=UTC)
    clock = Clock(start, speed=86_400)
    first = clock.now()
    assert first - start < timedelta(hours=12)
    time.sleep(0.05)
    assert clock.now() - first >= timedelta(hours=1)


def test_real_seconds_until_scales_with_speed() -> None:
    start = datetime(2023, 7, 3, 7, tzinfo=UTC)
    clock = Clock(start, speed=3600)
    wait = clock.real_seconds_until(start + timedelta(hours=10))
    assert 9 < wait <= 10
    assert clock.real_seconds_until(start - timedelta(days=1)) == 0


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Clock(datetime(2023, 7, 3, 7))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="positive"):
        Clock(speed=0)
