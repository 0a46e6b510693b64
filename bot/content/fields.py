"""The values a content pack may hold, as types that say exactly what is wrong.

Each type is a plain Python type annotated with the `Check` a pack's value must pass. The
records (`bot.content.records`) use these types without loading pydantic: only when a pack
is validated (`bot.content.schema`) does pydantic read the checks. A check takes only what
TOML gives it (no coercion: "1" is not a number) and raises a `PydanticCustomError` of type
`FIELD` (the message follows the field's name: `"name" must not be empty`) or `ITEM` (the
message is about the whole item: `duplicate key "kit"`). `bot.store.packs` turns those errors
into the lines of a `PackError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, get_args

from bot.moments import MONTHS, day_text

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema, PydanticCustomError

FIELD = "pack_field"
ITEM = "pack_item"
MAX_KEY = 64
MAX_NAME = 200
MAX_TEXT = 4000
MAX_URL = 2000
MAX_VERSION = 50
MAX_NUMBER = 10_000
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
URL_RE = re.compile(r"^https?://[^\s/]+")
PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
MOMENT_HINT = "use a date-time with an offset, e.g. 2023-08-03T07:00:00Z"
DATE_HINT = 'use a date (2023-05-24), a month ("2023-06") or a year ("2023")'
CastStatus = Literal["returning", "new"]
EventKind = Literal["premiere", "trailer", "first_look", "first_scene", "announcement"]


class Check:
    """The check a pack's value must pass to be a field of this type.

    pydantic reads it when it builds a pack entry's validator, and calls `check` with the
    value TOML gave; until then nothing here loads pydantic.
    """

    __slots__ = ("check",)

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic import PlainValidator  # only while a pack is validated

        return PlainValidator(self.check).__get_pydantic_core_schema__(source, handler)


def _problem(kind: str, message: str) -> PydanticCustomError:
    # A check runs only inside pydantic's validation, so pydantic_core is loaded by then.
    from pydantic_core import PydanticCustomError

    return PydanticCustomError(kind, "{message}", {"message": message})


def field_problem(message: str) -> PydanticCustomError:
    """An error about one field; the message follows the field's name."""
    return _problem(FIELD, message)


def item_problem(message: str) -> PydanticCustomError:
    """An error about the item the field belongs to (a duplicate, a dangling reference)."""
    return _problem(ITEM, message)


def type_name(value: object) -> str:
    """What a TOML value is, in the pack author's words: "a whole number", "a table"."""
    names: tuple[tuple[type, str], ...] = (
        (bool, "true/false"),
        (int, "a whole number"),
        (float, "a number"),
        (str, "a string"),
        (list, "a list"),
        (dict, "a table"),
        (datetime, "a date-time"),
        (date, "a date"),
        (time, "a time"),
    )
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


def _has_control(text: str, *, multiline: bool) -> bool:
    allowed = "\n\t" if multiline else ""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def checked_text(value: Any, limit: int, *, multiline: bool = False) -> str:
    """A string: stripped, not empty, at most `limit` characters, no control characters."""
    if not isinstance(value, str):
        raise field_problem(f"must be a string, not {type_name(value)}")
    text = value.strip()
    if not text:
        raise field_problem("must not be empty")
    if len(text) > limit:
        raise field_problem(f"is {len(text)} characters long; the limit is {limit}")
    if _has_control(text, multiline=multiline):
        what = "control characters" if multiline else "line breaks or control characters"
        raise field_problem(f"must not contain {what}")
    return text


def _name(value: Any) -> str:
    return checked_text(value, MAX_NAME)


def _title(value: Any) -> str:
    return checked_text(value, MAX_NAME * 2)


def _version(value: Any) -> str:
    return checked_text(value, MAX_VERSION)


def _long_text(value: Any) -> str:
    return checked_text(value, MAX_TEXT, multiline=True)


def checked_key(value: Any) -> str:
    """A key: a lowercase slug such as "nick-nelson"."""
    key = checked_text(value, MAX_KEY)
    if not KEY_RE.match(key):
        raise field_problem(
            f'= "{key}" is not a valid key: use lowercase letters, digits and hyphens, '
            'starting with a letter or digit (e.g. "nick-nelson")'
        )
    return key


def listed_key(value: Any) -> str:
    """A key as an entry of a list of keys."""
    if not isinstance(value, str):
        raise field_problem(f"must be a key string, not {type_name(value)}")
    if not KEY_RE.match(value) or len(value) > MAX_KEY:
        raise field_problem(f'("{value}") is not a valid key')
    return value


def checked_number(value: Any) -> int:
    """A whole number from 0 to 10000 (true/false is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise field_problem(f"must be a whole number, not {type_name(value)}")
    if not 0 <= value <= MAX_NUMBER:
        raise field_problem(f"= {value} is out of range (0 to {MAX_NUMBER})")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise field_problem(f"must be true or false, not {type_name(value)}")
    return value


def _url(value: Any) -> str:
    url = checked_text(value, MAX_URL)
    if not URL_RE.match(url) or any(ch.isspace() for ch in url):
        raise field_problem(f'= "{url}" must be a web address starting with https://')
    return url


def _day(value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise field_problem(f"must be a date such as 2023-07-09, not {type_name(value)}")
    return value


def _moment(value: Any) -> datetime:
    """A date-time with a UTC offset (native or a string), in UTC to the second."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise field_problem(f'= "{value}" is not a date-time; {MOMENT_HINT}') from None
    if not isinstance(value, datetime):
        raise field_problem(f"must be a date-time, not {type_name(value)}; {MOMENT_HINT}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise field_problem(f"has no UTC offset; {MOMENT_HINT}")
    return value.astimezone(UTC).replace(microsecond=0)


class PartialDate(NamedTuple):
    """A day, a month or a year: how it sorts ("2023-06") and how it reads ("June 2023")."""

    sort_key: str
    text: str


def _partial_date(value: Any) -> PartialDate:
    if isinstance(value, date) and not isinstance(value, datetime):
        return PartialDate(value.isoformat(), day_text(value))
    if not isinstance(value, str):
        raise field_problem(f"must be a date, not {type_name(value)}; {DATE_HINT}")
    match = PARTIAL_DATE_RE.match(value.strip())
    try:
        if match is None:
            raise ValueError(value)
        year, month, day = match.groups()
        if day is not None:
            return _partial_date(date(int(year), int(month), int(day)))
        if month is None:
            return PartialDate(year, year)
        if not 1 <= int(month) <= 12:
            raise ValueError(value)
        return PartialDate(f"{year}-{month}", f"{MONTHS[int(month) - 1]} {year}")
    except ValueError:
        raise field_problem(f'= "{value}" is not a date; {DATE_HINT}') from None


def choice_of(options: Any) -> Check:
    """A validator for a string that must be one of a `Literal`'s values."""
    allowed: tuple[str, ...] = get_args(options)
    listed = ", ".join(f'"{option}"' for option in allowed)

    def check(value: Any) -> str:
        text = _name(value)
        if text not in allowed:
            raise field_problem(f'= "{text}" must be one of {listed}')
        return text

    return Check(check)


Key = Annotated[str, Check(checked_key)]
Name = Annotated[str, Check(_name)]
Title = Annotated[str, Check(_title)]
Version = Annotated[str, Check(_version)]
LongText = Annotated[str, Check(_long_text)]
Number = Annotated[int, Check(checked_number)]
Flag = Annotated[bool, Check(_flag)]
Url = Annotated[str, Check(_url)]
Day = Annotated[date, Check(_day)]
Moment = Annotated[datetime, Check(_moment)]
When = Annotated[PartialDate, Check(_partial_date)]
Status = Annotated[CastStatus, choice_of(CastStatus)]
Kind = Annotated[EventKind, choice_of(EventKind)]
