"""Milestones: how long before an event a reminder is due, and how late it may still go out.

An admin writes milestones as a list such as ``7d,1d,1h,0``: a number with a unit
(``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes) before the event, or ``0`` for the
moment itself. The canonical form is sorted from the earliest reminder to the event.

Grace windows (how late a missed reminder may still be posted, e.g. after the bot was
offline): a tenth of the milestone's lead time, at least 15 minutes and at most 12 hours;
the premiere moment itself (``0``) has one hour, a daily post two hours. Past its window a
reminder is recorded as ``skipped_stale``; when several of an event's reminders are overdue,
only the latest is posted and the rest are recorded as ``skipped_superseded``.

An outbox row posts a `Milestone` or a `DailyPost`; the row stores it as its code ("7d",
"0", "daily:9"), written by `str()` and read back by `milestone_from_code`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

DEFAULT_MILESTONES = "30d,14d,7d,3d,1d,1h,0"
MAX_MILESTONES = 12
MAX_LEAD = timedelta(days=365)
_DAILY_PREFIX = "daily:"
DEFAULT_DAILY_DAYS = 14
MAX_DAILY_DAYS = 60

_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_UNIT_WORDS = {"w": "week", "d": "day", "h": "hour", "m": "minute"}
_TOKEN = re.compile(r"(?P<count>\d{1,4})\s*(?P<unit>[wdhm])", re.IGNORECASE)
_NUMBER_WORDS = {
    1: "One",
    2: "Two",
    3: "Three",
    4: "Four",
    5: "Five",
    6: "Six",
    7: "Seven",
    8: "Eight",
    9: "Nine",
    10: "Ten",
    12: "Twelve",
}

SYNTAX_HELP = (
    "Write milestones as a comma-separated list of times before the premiere, such as "
    "`30d,7d,1d,1h,0`: a number followed by w (weeks), d (days), h (hours) or m (minutes), "
    "and 0 for the premiere itself."
)


class MilestoneError(ValueError):
    """An admin's milestone list cannot be read; the message shows the accepted form."""


@dataclass(frozen=True, slots=True, order=True)
class Milestone:
    """A reminder `lead` before the event. Ordered by lead, the premiere moment first."""

    lead: timedelta
    code: str

    def __str__(self) -> str:
        return self.code

    @classmethod
    def parse(cls, token: str) -> Milestone:
        """One milestone such as "7d", "36h" or "0"."""
        text = token.strip().lower()
        if text in {"0", "0m", "0h", "0d", "0w", "now"}:
            return AT_START
        match = _TOKEN.fullmatch(text)
        if match is None:
            raise MilestoneError(
                f"I can't read the milestone “{token.strip()[:20]}”. {SYNTAX_HELP}"
            )
        count, unit = int(match["count"]), match["unit"]
        lead = count * _UNITS[unit]
        if lead > MAX_LEAD:
            raise MilestoneError(f"“{token.strip()}” is more than a year ahead; the limit is 365d.")
        return cls(lead, f"{count}{unit}" if count else "0")

    @property
    def grace(self) -> timedelta:
        """How late this reminder may still be posted."""
        if self.lead == timedelta(0):
            return timedelta(hours=1)
        return min(max(self.lead / 10, timedelta(minutes=15)), timedelta(hours=12))

    @property
    def headline(self) -> str:
        """The reminder's headline: "One week to go!", "It's here!"."""
        if self.lead == timedelta(0):
            return "It's here!"
        count, unit = int(self.code[:-1]), self.code[-1]
        if unit == "d" and count % 7 == 0 and count // 7 in _NUMBER_WORDS:
            count, unit = count // 7, "w"
        if unit == "d" and count == 30:
            return "One month to go!"
        word = _NUMBER_WORDS.get(count, str(count))
        plural = "" if count == 1 else "s"
        return f"{word} {_UNIT_WORDS[unit]}{plural} to go!"


AT_START = Milestone(timedelta(0), "0")  # the "it's here" post, at the event's moment


@dataclass(frozen=True, slots=True)
class DailyPost:
    """The daily "N days to go" post, `days_left` calendar days before the event's day."""

    days_left: int

    def __str__(self) -> str:
        return f"{_DAILY_PREFIX}{self.days_left}"

    @property
    def grace(self) -> timedelta:
        """How late this post may still go out."""
        return timedelta(hours=2)

    @property
    def headline(self) -> str:
        """The post's headline: "9 days to go!", "Tomorrow!", "It's premiere day!"."""
        if self.days_left <= 0:
            return "It's premiere day!"
        if self.days_left == 1:
            return "Tomorrow!"
        return f"{self.days_left} days to go!"


# What one outbox row posts.
PostMilestone = Milestone | DailyPost


def milestone_from_code(code: str) -> PostMilestone:
    """A row's stored code ("7d", "0", "daily:9") back as what it posts."""
    if code.startswith(_DAILY_PREFIX):
        return DailyPost(int(code.removeprefix(_DAILY_PREFIX)))
    return Milestone.parse(code)


def parse_milestones(text: str | None) -> list[Milestone]:
    """An admin's list, deduplicated and sorted from the earliest reminder to the event."""
    return read_milestones(text)[0]


def read_milestones(text: str | None) -> tuple[list[Milestone], list[str]]:
    """An admin's list, sorted from the earliest reminder to the event, and what repeated.

    Two milestones with the same lead ("1d" and "24h") are one: the first written is kept
    and the other is named among the repeats, so that the admin can be told.
    """
    if text is None or not text.strip():
        text = DEFAULT_MILESTONES
    tokens = [t for t in re.split(r"[,\s;]+", text) if t]
    if not tokens:
        raise MilestoneError(SYNTAX_HELP)
    by_lead: dict[timedelta, Milestone] = {}
    repeats: list[str] = []
    for token in tokens:
        milestone = Milestone.parse(token)
        if milestone.lead in by_lead:
            repeats.append(token.strip())
        else:
            by_lead[milestone.lead] = milestone
    milestones = sorted(by_lead.values(), reverse=True)
    if len(milestones) > MAX_MILESTONES:
        raise MilestoneError(
            f"That is {len(milestones)} milestones; {MAX_MILESTONES} at most, please."
        )
    return milestones, repeats


def canonical(milestones: list[Milestone]) -> str:
    """The stored form: "30d,7d,1d,1h,0"."""
    return ",".join(m.code for m in sorted(milestones, reverse=True))
