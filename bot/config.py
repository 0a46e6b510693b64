"""Settings, read once from the environment and an env file.

The env file is `.env` in the working directory, or the file `--env-file` or FANBOT_ENV_FILE
names. Every setting is documented with its default in `.env.example`. The token is wrapped in
`Secret` so it can never reach a log line or a traceback by accident. Relative paths written
in the env file are read from the env file's folder, so one file works from anywhere.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.logs import LOG_FORMATS
from bot.moments import MomentError, parse_moment

DEFAULT_DB = Path("data/fanbot.sqlite3")
DEFAULT_CONTENT_DIR = Path("data/content")
ENV_FILE_VAR = "FANBOT_ENV_FILE"


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
        return parse_moment(raw)
    except MomentError as exc:
        raise SettingsError(f"{name}={raw!r} {exc}") from None


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


def _parse_url(name: str, raw: str | None, schemes: tuple[str, ...], example: str) -> str | None:
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        valid = parts.scheme in schemes and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        kinds = " or ".join(f"{scheme}://" for scheme in schemes)
        raise SettingsError(f"{name}={raw!r} is not a URL starting with {kinds}, e.g. {example}")
    return raw


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
    log_format: str = "text"
    api_base: str | None = None
    gateway_url: str | None = None
    clock_start: datetime | None = None
    clock_speed: float = 1.0
    global_rate_limit: float = 50.0
    heartbeat_seconds: float = 30.0
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    env_file: Path | None = None
    from_file: frozenset[str] = frozenset()
    from_environment: frozenset[str] = frozenset()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read settings from `environ` (default: the process environment) over `env_file`.

        A missing `env_file` is no error (see `locate_env_file` for one that must exist).
        """
        environ = os.environ if environ is None else environ
        env_file = env_file.resolve() if env_file is not None else None
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        from_file = frozenset(k for k, v in values.items() if v.strip() and not environ.get(k))
        values.update(environ)
        from_environment = frozenset(
            k for k, v in environ.items() if k.startswith(("FANBOT_", "DISCORD_")) and v.strip()
        )
        try:
            return replace(
                cls._parse(values, env_file, from_file), from_environment=from_environment
            )
        except SettingsError as exc:
            name = str(exc).partition("=")[0]
            if env_file is not None and name in from_file:
                raise SettingsError(f"{exc} (set in {env_file})") from None
            raise

    @classmethod
    def _parse(
        cls, values: Mapping[str, str], env_file: Path | None, from_file: frozenset[str]
    ) -> Settings:
        def get(name: str) -> str | None:
            raw = values.get(name, "").strip()
            return raw or None

        def path(name: str, default: Path) -> Path:
            """A setting naming a file or folder: relative in an env file means from its folder."""
            raw = get(name)
            if raw is None:
                return default
            value = Path(raw).expanduser()
            if env_file is not None and name in from_file and not value.is_absolute():
                value = env_file.parent / value
            return value

        level = (get("FANBOT_LOG_LEVEL") or "INFO").upper()
        if level not in logging.getLevelNamesMapping():
            raise SettingsError(f"FANBOT_LOG_LEVEL={level!r} is not a logging level")
        log_format = (get("FANBOT_LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise SettingsError(
                f"FANBOT_LOG_FORMAT={log_format!r} is not a log format; use text or json"
            )
        dev_guild = get("FANBOT_DEV_GUILD")
        clock_start = get("FANBOT_CLOCK_START")
        clock_speed = get("FANBOT_CLOCK_SPEED")
        rate = get("FANBOT_GLOBAL_RATE_LIMIT")
        heartbeat = get("FANBOT_HEARTBEAT_SECONDS")
        shard_count, shard_ids = _parse_shards(get("FANBOT_SHARD_COUNT"), get("FANBOT_SHARD_IDS"))
        db_path = path("FANBOT_DB", DEFAULT_DB)
        if db_path.is_dir():
            raise SettingsError(
                f"FANBOT_DB={get('FANBOT_DB') or str(db_path)!r} is a folder; it must name the "
                f"database file, e.g. {db_path / 'fanbot.sqlite3'}"
            )
        api_base = _parse_url(
            "DISCORD_API_BASE",
            get("DISCORD_API_BASE"),
            ("http", "https"),
            "http://127.0.0.1:8080/api/v10",
        )
        gateway_url = _parse_url(
            "DISCORD_GATEWAY_URL",
            get("DISCORD_GATEWAY_URL"),
            ("ws", "wss"),
            "ws://127.0.0.1:8080/gateway",
        )
        return cls(
            token=Secret(get("DISCORD_TOKEN") or ""),
            db_path=db_path,
            content_dir=path("FANBOT_CONTENT_DIR", DEFAULT_CONTENT_DIR),
            dev_guild=_parse_int("FANBOT_DEV_GUILD", dev_guild) if dev_guild else None,
            log_level=level,
            log_format=log_format,
            api_base=(api_base or "").rstrip("/") or None,
            gateway_url=gateway_url,
            clock_start=_parse_datetime("FANBOT_CLOCK_START", clock_start) if clock_start else None,
            clock_speed=(
                _parse_float("FANBOT_CLOCK_SPEED", clock_speed, minimum=0.001)
                if clock_speed
                else 1.0
            ),
            global_rate_limit=(
                _parse_float("FANBOT_GLOBAL_RATE_LIMIT", rate, minimum=1) if rate else 50.0
            ),
            heartbeat_seconds=(
                _parse_float("FANBOT_HEARTBEAT_SECONDS", heartbeat, minimum=0.1)
                if heartbeat
                else 30.0
            ),
            shard_count=shard_count,
            shard_ids=shard_ids,
            env_file=env_file,
            from_file=from_file,
        )

    @property
    def shard_set(self) -> str:
        """The shards this process serves, as `fanbot status` names it: "all", "0-3 of 8"."""
        if self.shard_ids is None:
            return "all"
        runs: list[list[int]] = []
        for shard in self.shard_ids:
            if runs and runs[-1][-1] == shard - 1:
                runs[-1].append(shard)
            else:
                runs.append([shard])
        listed = ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
        return f"{listed} of {self.shard_count}"

    def looked_in(self, joiner: str = "and") -> str:
        """Where settings were read from, for "not set" messages: "the environment and …"."""
        if self.env_file is None:
            return "the environment"
        missing = "" if self.env_file.is_file() else ", which does not exist"
        return f"the environment {joiner} {self.env_file}{missing}"

    def origin(self, name: str) -> str:
        """Where the value of setting `name` came from, for "not found" messages."""
        if name in self.from_file:
            return f"{name} from {self.env_file}"
        if name in self.from_environment:
            return f"{name} from the environment"
        return f"the default: {name} is not set in {self.looked_in('or')}"

    def with_clock(self, start: datetime | None, speed: float | None) -> Settings:
        """These settings with the virtual clock's start and/or speed overridden."""
        return replace(
            self,
            clock_start=start if start is not None else self.clock_start,
            clock_speed=speed if speed is not None else self.clock_speed,
        )


def locate_env_file(option: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The env file to read: `--env-file`, else FANBOT_ENV_FILE, else `.env` (may be absent).

    A file named by the option or the variable must exist: `SettingsError` otherwise.
    """
    environ = os.environ if environ is None else environ
    if option is not None:
        named, what = option, f"--env-file {option}"
    elif raw := environ.get(ENV_FILE_VAR, "").strip():
        named, what = raw, f"{ENV_FILE_VAR}={raw}"
    else:
        return Path(".env").resolve()
    path = Path(named).expanduser().resolve()
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "does not exist"
        raise SettingsError(f"{what}: {path} {reason}; name the env file (see .env.example)")
    return path
