"""Logging as an operator reads it: one line per thing that happened, as text or JSON.

`FANBOT_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message, and
`exc` with the traceback when there is one) for log collectors. discord.py logs each gateway
reconnect attempt at ERROR with a traceback; `ReconnectNotice` makes that one WARNING line
(the bot logs an INFO line when the session is resumed).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
TEXT_DATES = "%Y-%m-%d %H:%M:%S"
# discord.py's loggers that log a reconnect attempt with the exception that caused it.
RECONNECT_LOGGERS = ("discord.client", "discord.shard")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON: time (UTC, ISO 8601), level, logger, message, exc if any."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class ReconnectNotice(logging.Filter):
    """discord.py's "Attempting a reconnect" ERROR with a traceback -> one WARNING line.

    A dropped gateway connection is routine (Discord restarts its servers); discord.py
    retries by itself, so the operator needs one line saying why, not a traceback per try.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the reconnect record in place; let every other record through as it is."""
        if not str(record.msg).startswith("Attempting a reconnect"):
            return True
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message += f" after {type(exc).__name__}: {exc}".rstrip(": ")
        record.msg, record.args = message, ()
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_RECONNECT_NOTICE = ReconnectNotice()


def configure_logging(level: str, fmt: str = "text") -> None:
    """Log to stderr as text or JSON; discord.py's and APScheduler's chatter only at DEBUG."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT, TEXT_DATES))
    logging.basicConfig(level=level, handlers=[handler])
    for name in RECONNECT_LOGGERS:
        logger = logging.getLogger(name)
        if _RECONNECT_NOTICE not in logger.filters:
            logger.addFilter(_RECONNECT_NOTICE)
    if level != "DEBUG":
        logging.getLogger("discord").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
