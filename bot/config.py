"""Settings, read once from the environment (and a `.env` file beside the working directory).

Every setting is documented with its default in `.env.example`. The token is wrapped in
`Secret` so it can never reach a log line or a traceback by accident.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_DB = Path("data/fanbot.sqlite3")
DEFAULT_CONTENT_DIR = Path("data/content")


class SettingsError(ValueError):
    """A setting has a value fanbot cannot use; the message names the setting."""


class Secret:
    """A string that does not show itself in `repr`, `str` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: pass it straight to the library that needs it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def _parse_datetime(name: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not a date and time; use ISO 8601 such as 2023-07-03T07:00Z"
        ) from None
    if moment.tzinfo is None:
        raise SettingsError(f"{name}={raw!r} has no time zone; add one, e.g. 2023-07-03T07:00Z")
    return moment


def _parse_float(name: str, raw: str, *, minimum: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not value >= minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def _parse_shards(
    count_raw: str | None, ids_raw: str | None
) -> tuple[int | None, tuple[int, ...] | None]:
    """FANBOT_SHARD_COUNT and FANBOT_SHARD_IDS: (count, ids), each None when unset.

    Ids are a comma list of shard numbers and ranges ("0,1", "0-3", "4-7,9"), each below the
    count; ids need a count, a count alone means every shard in this process.
    """
    if count_raw is None:
        if ids_raw is not None:
            raise SettingsError(
                f"FANBOT_SHARD_IDS={ids_raw!r} needs FANBOT_SHARD_COUNT, the total number of "
                "shards across every process"
            )
        return None, None
    count = _parse_int("FANBOT_SHARD_COUNT", count_raw)
    if count < 1:
        raise SettingsError(f"FANBOT_SHARD_COUNT={count_raw!r} must be at least 1")
    if ids_raw is None:
        return count, None
    ids: set[int] = set()
    for part in ids_raw.split(","):
        piece = part.strip()
        first, dash, last = piece.partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise SettingsError(
                f"FANBOT_SHARD_IDS={ids_raw!r}: {piece!r} is not a shard number or a range "
                "such as 0-3"
            ) from None
        if not 0 <= low <= high < count:
            raise SettingsError(
                f"FANBOT_SHARD_IDS={ids_raw!r}: {piece!r} is outside 0-{count - 1} "
                f"(FANBOT_SHARD_COUNT={count})"
            )
        ids.update(range(low, high + 1))
    return count, tuple(sorted(ids))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything fanbot reads from its environment, parsed and checked once."""

    token: Secret = field(default_factory=lambda: Secret(""))
    db_path: Path = DEFAULT_DB
    content_dir: Path = DEFAULT_CONTENT_DIR
    dev_guild: int | None = None
    log_level: str = "INFO"
    api_base: str | None = None
    gateway_url: str | None = None
    clock_start: datetime | None = None
    clock_speed: float = 1.0
    global_rate_limit: float = 50.0
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read settings from `environ` (default: the process environment) over `env_file`."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            raw = values.get(name, "").strip()
            return raw or None

        level = (get("FANBOT_LOG_LEVEL") or "INFO").upper()
        if level not in logging.getLevelNamesMapping():
            raise SettingsError(f"FANBOT_LOG_LEVEL={level!r} is not a logging level")
        dev_guild = get("FANBOT_DEV_GUILD")
        clock_start = get("FANBOT_CLOCK_START")
        clock_speed = get("FANBOT_CLOCK_SPEED")
        rate = get("FANBOT_GLOBAL_RATE_LIMIT")
        shard_count, shard_ids = _parse_shards(get("FANBOT_SHARD_COUNT"), get("FANBOT_SHARD_IDS"))
        return cls(
            token=Secret(get("DISCORD_TOKEN") or ""),
            db_path=Path(get("FANBOT_DB") or DEFAULT_DB),
            content_dir=Path(get("FANBOT_CONTENT_DIR") or DEFAULT_CONTENT_DIR),
            dev_guild=_parse_int("FANBOT_DEV_GUILD", dev_guild) if dev_guild else None,
            log_level=level,
            api_base=(get("DISCORD_API_BASE") or "").rstrip("/") or None,
            gateway_url=get("DISCORD_GATEWAY_URL"),
            clock_start=_parse_datetime("FANBOT_CLOCK_START", clock_start) if clock_start else None,
            clock_speed=(
                _parse_float("FANBOT_CLOCK_SPEED", clock_speed, minimum=0.001)
                if clock_speed
                else 1.0
            ),
            global_rate_limit=(
                _parse_float("FANBOT_GLOBAL_RATE_LIMIT", rate, minimum=1) if rate else 50.0
            ),
            shard_count=shard_count,
            shard_ids=shard_ids,
        )

    def with_clock(self, start: datetime | None, speed: float | None) -> Settings:
        """These settings with the virtual clock's start and/or speed overridden."""
        return replace(
            self,
            clock_start=start if start is not None else self.clock_start,
            clock_speed=speed if speed is not None else self.clock_speed,
        )
