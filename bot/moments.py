"""Moments as text: stored, as typed (ISO 8601), and a day as people read it.

Inside the program every moment is an aware UTC `datetime`; these are its edges, the
database's text columns, what an operator types (settings, the command line) and what a
reader sees.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

EXAMPLE = "2023-07-03T07:00Z"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class MomentError(ValueError):
    """A typed moment that cannot be used; the message says why, after the text itself."""


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive datetimes are refused (their zone would be a guess)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware one")
    return moment.astimezone(UTC)


def to_db_time(moment: datetime, *, microseconds: bool = False) -> str:
    """The stored form of a moment: 'YYYY-MM-DDTHH:MM:SS+00:00'.

    To the second, but for `microseconds` (heartbeats, whose intervals can be short).
    """
    moment = utc(moment)
    return (moment if microseconds else moment.replace(microsecond=0)).isoformat()


def from_db_time(text: str) -> datetime:
    """A stored moment back as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def optional_time(text: str | None) -> datetime | None:
    """`from_db_time` for a column that may be NULL."""
    return from_db_time(text) if text is not None else None


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment with its time zone, such as 2023-07-03T07:00Z, as typed."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MomentError(f"is not a date and time; use ISO 8601 such as {EXAMPLE}") from None
    if moment.tzinfo is None:
        raise MomentError(f"has no time zone; add one, e.g. {EXAMPLE}")
    return moment


def day_text(day: date) -> str:
    """A day as people read it: "3 August 2023"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
