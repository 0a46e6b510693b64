"""bot/store/server_events.py: what the bot keeps of the servers' own scheduled events."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.store import Store
from bot.store.countdown_models import PackEventRef, ServerEvent, ServerEventRef
from tests.store.conftest import CLOCK_START

NOW = CLOCK_START


def event(**changes: object) -> ServerEvent:
    fields: dict[str, object] = {
        "guild_id": 1,
        "event_id": 100,
        "name": "Watch party",
        "description": None,
        "starts_at": NOW + timedelta(days=7),
        "ends_at": None,
        "state": "scheduled",
        "channel_id": 5,
        "location": None,
        "user_count": 4,
        "started_at": None,
        "updated_at": NOW,
    }
    fields.update(changes)
    return ServerEvent(**fields)  # type: ignore[arg-type]


async def test_save_returns_what_was_known_and_keeps_the_count(store: Store) -> None:
    assert await store.server_events.save(event()) is None
    moved = event(starts_at=NOW + timedelta(days=9), user_count=None)  # a gateway update
    before = await store.server_events.save(moved)
    assert before == event()
    found = await store.server_events.get(1, 100)
    assert found == dataclasses.replace(moved, user_count=4)


async def test_the_first_start_is_kept(store: Store) -> None:
    await store.server_events.save(event(state="active", started_at=NOW))
    await store.server_events.save(event(state="active", started_at=NOW + timedelta(hours=1)))
    found = await store.server_events.get(1, 100)
    assert found is not None and found.started_at == NOW


async def test_only_open_events_are_followed(store: Store) -> None:
    await store.server_events.save(event())
    await store.server_events.save(event(event_id=101))
    await store.server_events.save(event(event_id=102, state="completed"))
    assert set(await store.server_events.open_events(1)) == {100, 101}
    assert await store.server_events.mark_gone(1, 100, "deleted", NOW)
    assert not await store.server_events.mark_gone(1, 100, "deleted", NOW)  # only once
    assert not await store.server_events.mark_gone(1, 999, "deleted", NOW)  # never known
    assert not await store.server_events.mark_gone(1, 102, "deleted", NOW)  # already over
    assert set(await store.server_events.open_events(1)) == {101}
    gone = await store.server_events.get(1, 100)
    assert gone is not None and gone.state == "deleted"


async def test_tracked_guilds_are_those_counting_down_to_their_own_open_events(
    store: Store,
) -> None:
    for guild, event_id in ((1, 100), (3, 7), (4, 8)):
        await store.server_events.save(event(guild_id=guild, event_id=event_id))
    await store.server_events.save(event(guild_id=4, event_id=8, state="cancelled"))
    for guild, ref in (
        (1, ServerEventRef(100)),
        (2, PackEventRef("heartstopper", 2, "premiere")),
        (3, ServerEventRef(7)),
        (4, ServerEventRef(8)),
    ):
        await store.guilds.subscribe(
            guild, ref, channel_id=9, role_id=None, milestones="1d", now=NOW
        )
    await store.guilds.stop(3, ServerEventRef(7), NOW)
    assert await store.server_events.tracked_guilds() == {1}
