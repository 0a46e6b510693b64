from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.moments import MomentError, from_db_time, optional_time, parse_moment, to_db_time

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_stored_form_is_utc_to_the_second() -> None:
    moment = datetime(2023, 7, 3, 9, 0, 5, 123456, tzinfo=PARIS_SUMMER)
    assert to_db_time(moment) == "2023-07-03T07:00:05+00:00"
    assert to_db_time(moment, microseconds=True) == "2023-07-03T07:00:05.123456+00:00"
    assert from_db_time(to_db_time(moment)) == moment.replace(microsecond=0)
    assert from_db_time(to_db_time(moment)).tzinfo is UTC
    assert optional_time(None) is None


def test_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_db_time(datetime(2023, 7, 3, 7))  # noqa: DTZ001 - the naive datetime under test


def test_typed_moment_needs_its_zone() -> None:
    assert parse_moment("2023-07-03T07:00Z") == datetime(2023, 7, 3, 7, tzinfo=UTC)
    assert parse_moment("2023-07-03T09:00+02:00") == datetime(2023, 7, 3, 7, tzinfo=UTC)
    with pytest.raises(MomentError, match="has no time zone"):
        parse_moment("2023-07-03T07:00")
    with pytest.raises(MomentError, match="is not a date and time"):
        parse_moment("next monday")
