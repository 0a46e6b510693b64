"""The bot's notion of time.

Every part of fanbot asks `Clock.now()` instead of calling `datetime.now()`, so the local
playground and the tests can run weeks of countdown in seconds on a virtual clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Real time, or a virtual time that starts at `start` and runs `speed` times as fast."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("the clock's start must be an aware datetime")
        if speed <= 0:
            raise ValueError("the clock's speed must be positive")
        self._start = start.astimezone(UTC) if start is not None else None
        self._speed = speed
        self._real_origin = time.time()
        self._skipped = timedelta(0)

    @property
    def speed(self) -> float:
        """Virtual seconds that pass per real second."""
        return self._speed

    @property
    def is_virtual(self) -> bool:
        """Whether the clock runs from a configured start or faster than real time."""
        return self._start is not None or self._speed != 1.0 or bool(self._skipped)

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        real_now = time.time()
        if not self.is_virtual:
            return datetime.fromtimestamp(real_now, tz=UTC)
        origin = self._start or datetime.fromtimestamp(self._real_origin, tz=UTC)
        elapsed = (real_now - self._real_origin) * self._speed
        return origin + self._skipped + timedelta(seconds=elapsed)

    def skip_to(self, moment: datetime) -> None:
        """Jump ahead to `moment` at once (the playground's `wait 3d`); never back."""
        ahead = moment - self.now()
        if ahead > timedelta(0):
            self._skipped += ahead

    def real_seconds_until(self, moment: datetime) -> float:
        """How many real seconds pass before the clock shows `moment` (0 if it is past)."""
        return max(0.0, (moment - self.now()).total_seconds() / self._speed)

    def real_moment(self, moment: datetime) -> datetime:
        """The real (wall-clock) UTC time at which this clock will show `moment`."""
        return datetime.fromtimestamp(time.time() + self.real_seconds_until(moment), tz=UTC)

    def real_now(self) -> datetime:
        """The real (wall-clock) UTC time, whatever this clock shows.

        For leases and heartbeats, which other processes compare with their own time.
        """
        return datetime.fromtimestamp(time.time(), tz=UTC)

    def real_in(self, seconds: float) -> datetime:
        """The real (wall-clock) UTC time `seconds` real seconds from now, for timers."""
        return datetime.fromtimestamp(time.time() + seconds, tz=UTC)

    def span(self, real_seconds: float) -> timedelta:
        """How much of this clock's time passes in `real_seconds` real seconds."""
        return timedelta(seconds=real_seconds * self._speed)
