"""bot/reminders/picking.read_event_option: an `event` option's value is read once."""

from __future__ import annotations

import pytest

from bot.reminders.picking import read_event_option
from bot.store.countdown_models import EventRef, PackEventRef, ServerEventRef


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("heartstopper/2/premiere", PackEventRef("heartstopper", 2, "premiere")),
        (" server-event:42 ", ServerEventRef(42)),
        ("Watch party", "Watch party"),  # a name: matched by the picker
        ("a/b/c", "a/b/c"),  # not a reference, so a name too
    ],
)
def test_an_option_is_a_reference_or_a_name(
    value: str | None, wanted: EventRef | str | None
) -> None:
    assert read_event_option(value) == wanted
