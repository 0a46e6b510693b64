"""Guild scheduled events: REST as Discord documents it, and the gateway events they fire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import pytest
from discord import Permissions

from bot.emulator import DemoWorld, Emulator, EmulatorError
from bot.emulator.state import CHANNEL_STAGE, CHANNEL_VOICE, ScheduledEvent
from bot.endpoints import point_discord_at

NOW = datetime(2023, 7, 22, 7, 0, tzinfo=UTC)
SOON = NOW + timedelta(days=3)
INTENT_GUILDS = 1
INTENT_EVENTS = 1 << 16


@pytest.fixture
def now(emulator: Emulator) -> datetime:
    """The emulator's clock stands still at NOW."""
    emulator.clock = lambda: NOW
    return NOW


@pytest.fixture
async def http(emulator: Emulator, now: datetime) -> AsyncIterator[Rest]:
    async with aiohttp.ClientSession() as session:
        yield Rest(emulator, session)


@pytest.fixture
def manager(world: DemoWorld) -> DemoWorld:
    """The bot may manage events in the demo server."""
    bot_role = next(r for r in world.guild.roles.values() if r.managed)
    bot_role.permissions |= Permissions(manage_events=True).value
    return world


class Rest:
    """Calls to the emulator's REST API as the bot."""

    def __init__(self, emulator: Emulator, session: aiohttp.ClientSession) -> None:
        self.emulator, self.session = emulator, session

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {self.emulator.token}"}
        url = f"{self.emulator.api_base}{path}"
        async with self.session.request(method, url, json=body, headers=headers) as r:
            return r.status, (await r.json() if r.status != 204 else await r.read())


def external(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Fan-art deadline",
        "privacy_level": 2,
        "scheduled_start_time": SOON.isoformat(),
        "scheduled_end_time": (SOON + timedelta(hours=2)).isoformat(),
        "entity_type": 3,
        "entity_metadata": {"location": "Online"},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def events_path(world: DemoWorld, event_id: int | None = None) -> str:
    path = f"/guilds/{world.guild.id}/scheduled-events"
    return path if event_id is None else f"{path}/{event_id}"


# ---------------------------------------------------------------- REST


async def test_create_get_and_list(http: Rest, manager: DemoWorld) -> None:
    status, created = await http.call("POST", events_path(manager), external(description="Draw"))
    assert status == 200, created
    assert created["name"] == "Fan-art deadline"
    assert created["status"] == 1 and created["entity_type"] == 3 and created["channel_id"] is None
    assert created["entity_metadata"] == {"location": "Online"}
    assert created["scheduled_start_time"] == "2023-07-25T07:00:00+00:00"
    assert created["creator_id"] == str(http.emulator.bot_user.id)
    assert "user_count" not in created
    event_id = int(created["id"])
    assert manager.guild.scheduled_events[event_id].description == "Draw"
    status, fetched = await http.call("GET", events_path(manager, event_id))
    assert status == 200 and fetched == created
    for flag in ("true", "1", "True"):
        _, counted = await http.call(
            "GET", f"{events_path(manager, event_id)}?with_user_count={flag}"
        )
        assert counted["user_count"] == 0
    _, listed = await http.call("GET", f"{events_path(manager)}?with_user_count=false")
    assert [e["id"] for e in listed] == [str(manager.watch_party.id), str(event_id)]
    assert "user_count" not in listed[0]
    _, listed = await http.call("GET", f"{events_path(manager)}?with_user_count=1")
    assert listed[0]["user_count"] == 3


async def test_voice_and_stage_events_need_their_kind_of_channel(
    http: Rest, manager: DemoWorld
) -> None:
    stage = http.emulator.add_voice_channel(manager.guild, "Stage of the Globe", stage=True)
    voice = manager.watch_party_channel
    assert (voice.type, stage.type) == (CHANNEL_VOICE, CHANNEL_STAGE)
    for kind, channel in ((2, voice), (1, stage)):
        body = external(entity_type=kind, channel_id=str(channel.id), scheduled_end_time=...)
        body["entity_metadata"] = {"location": "ignored"}
        status, created = await http.call("POST", events_path(manager), body)
        assert status == 200, created
        assert created["channel_id"] == str(channel.id)
        assert created["entity_metadata"] is None and created["scheduled_end_time"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ...}, "name"),
        ({"privacy_level": ...}, "privacy_level"),
        ({"scheduled_start_time": ...}, "scheduled_start_time"),
        ({"entity_type": ...}, "entity_type"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"description": "x" * 1001}, "description"),
        ({"privacy_level": 1}, "privacy_level"),
        ({"entity_type": 7}, "entity_type"),
        ({"scheduled_start_time": "next tuesday"}, "scheduled_start_time"),
        (
            {"scheduled_start_time": (NOW - timedelta(minutes=1)).isoformat()},
            "scheduled_start_time",
        ),
        ({"scheduled_end_time": SOON.isoformat()}, "scheduled_end_time"),
        ({"scheduled_end_time": ...}, "scheduled_end_time"),
        ({"entity_metadata": ...}, "entity_metadata"),
        ({"entity_metadata": {"location": "x" * 101}}, "entity_metadata"),
        ({"channel_id": "1"}, "channel_id"),
        ({"entity_type": 2}, "channel_id"),
        ({"entity_type": 2, "channel_id": "nope"}, "channel_id"),
        ({"entity_type": 1, "channel_id": "WATCH_PARTY"}, "channel_id"),
        ({"entity_type": 2, "channel_id": "GENERAL"}, "channel_id"),
        ({"status": 2}, "status"),
    ],
)
async def test_create_refuses_invalid_bodies(
    http: Rest, manager: DemoWorld, changes: dict[str, Any], field: str
) -> None:
    ids = {"WATCH_PARTY": str(manager.watch_party_channel.id), "GENERAL": str(manager.general.id)}
    if changes.get("channel_id") in ids:
        changes = {**changes, "channel_id": ids[changes["channel_id"]]}
    before = dict(manager.guild.scheduled_events)
    status, answer = await http.call("POST", events_path(manager), external(**changes))
    assert status == 400, answer
    assert (answer["code"], answer["message"]) == (50035, "Invalid Form Body")
    assert field in answer["errors"]
    leaf = answer["errors"][field]
    while "_errors" not in leaf:
        leaf = next(iter(leaf.values()))
    assert leaf["_errors"][0]["message"]
    assert manager.guild.scheduled_events == before
    http.emulator.breaches.clear()  # with DISCORD_OPENAPI_SPEC set, bad bodies are breaches too


async def test_create_needs_manage_events_and_a_known_guild(http: Rest, world: DemoWorld) -> None:
    status, answer = await http.call("POST", events_path(world), external())
    assert (status, answer["code"]) == (403, 50013)
    status, answer = await http.call("POST", "/guilds/1/scheduled-events", external())
    assert (status, answer["code"]) == (404, 10004)


async def test_at_most_100_open_events(http: Rest, manager: DemoWorld) -> None:
    for number in range(98):  # with the watch party: 99 (the REST route limit is 50/s)
        await http.emulator.create_scheduled_event(manager.guild, f"Quiz {number}", SOON)
    status, _ = await http.call("POST", events_path(manager), external())
    assert status == 200
    status, answer = await http.call("POST", events_path(manager), external())
    assert (status, answer["code"]) == (400, 30038)
    await http.emulator.update_scheduled_event(manager.guild, manager.watch_party.id, status=4)
    status, _ = await http.call("POST", events_path(manager), external())
    assert status == 200


async def test_unknown_event(http: Rest, manager: DemoWorld) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        status, answer = await http.call(method, events_path(manager, 42), {})
        assert (status, answer["code"], answer["message"]) == (
            404,
            10070,
            "Unknown Guild Scheduled Event",
        )


async def test_modify_and_the_status_transitions(http: Rest, manager: DemoWorld) -> None:
    _, created = await http.call("POST", events_path(manager), external())
    path = events_path(manager, int(created["id"]))
    later = (SOON + timedelta(days=1)).isoformat()
    status, changed = await http.call(
        "PATCH", path, {"name": "Fan-art gallery", "scheduled_end_time": later}
    )
    assert status == 200, changed
    assert (changed["name"], changed["scheduled_end_time"]) == ("Fan-art gallery", later)
    assert changed["entity_metadata"] == {"location": "Online"}
    for refused in (3, 9):  # (1, its status already, changes nothing)
        status, answer = await http.call("PATCH", path, {"status": refused})
        assert (status, answer["code"]) == (400, 50035)
        assert "status" in answer["errors"]
    assert (await http.call("PATCH", path, {"status": 2}))[1]["status"] == 2
    status, answer = await http.call("PATCH", path, {"status": 4})
    assert (status, answer["code"]) == (400, 50035)
    assert (await http.call("PATCH", path, {"status": 3}))[1]["status"] == 3
    status, answer = await http.call("PATCH", path, {"name": "Again"})
    assert (status, answer["code"], answer["message"]) == (
        400,
        180000,
        "Cannot update a finished event",
    )
    _, other = await http.call("POST", events_path(manager), external())
    other_path = events_path(manager, int(other["id"]))
    assert (await http.call("PATCH", other_path, {"status": 4}))[1]["status"] == 4
    assert (await http.call("PATCH", other_path, {"status": 2}))[1]["code"] == 180000
    http.emulator.breaches.clear()  # with DISCORD_OPENAPI_SPEC set, bad bodies are breaches too


async def test_modify_checks_times_and_entity_type_changes(http: Rest, manager: DemoWorld) -> None:
    party = manager.watch_party
    path = events_path(manager, party.id)
    status, answer = await http.call(
        "PATCH", path, {"scheduled_start_time": (NOW - timedelta(hours=1)).isoformat()}
    )
    assert (status, list(answer["errors"])) == (400, ["scheduled_start_time"])
    status, answer = await http.call("PATCH", path, {"entity_type": 3})
    assert status == 400
    assert set(answer["errors"]) == {"channel_id", "entity_metadata", "scheduled_end_time"}
    status, answer = await http.call("PATCH", path, {"entity_metadata": {"location": "Park"}})
    assert status == 200 and answer["entity_metadata"] is None  # discarded for VOICE
    end = (party.scheduled_start_time + timedelta(hours=3)).isoformat()
    move = {
        "entity_type": 3,
        "channel_id": None,
        "entity_metadata": {"location": "The park"},
        "scheduled_end_time": end,
    }
    status, answer = await http.call("PATCH", path, move)
    assert status == 200, answer
    assert (answer["entity_type"], answer["channel_id"]) == (3, None)
    assert answer["entity_metadata"] == {"location": "The park"}
    status, answer = await http.call("PATCH", path, {"entity_type": 2})
    assert (status, list(answer["errors"])) == (400, ["channel_id"])
    back = {"entity_type": 2, "channel_id": str(manager.watch_party_channel.id)}
    status, answer = await http.call("PATCH", path, back)
    assert status == 200 and answer["entity_metadata"] is None
    assert manager.guild.scheduled_events[party.id].interested == party.interested


async def test_modify_and_delete_need_manage_events(http: Rest, world: DemoWorld) -> None:
    path = events_path(world, world.watch_party.id)
    assert (await http.call("PATCH", path, {"name": "Mine"}))[0] == 403
    assert (await http.call("DELETE", path))[0] == 403
    assert (await http.call("GET", path))[0] == 200


async def test_delete(http: Rest, manager: DemoWorld) -> None:
    path = events_path(manager, manager.watch_party.id)
    status, body = await http.call("DELETE", path)
    assert (status, body) == (204, b"")
    assert manager.guild.scheduled_events == {}
    assert (await http.call("GET", path))[0] == 404


# ---------------------------------------------------------------- gateway


class _Listener(discord.Client):
    """A bare discord.py client that records the scheduled events it hears about."""

    def __init__(self, intents: discord.Intents) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.heard: asyncio.Queue[tuple[str, discord.ScheduledEvent]] = asyncio.Queue()

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        await self.heard.put(("create", event))

    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        await self.heard.put(("update", after))

    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        await self.heard.put(("delete", event))

    async def next(self) -> tuple[str, discord.ScheduledEvent]:
        return await asyncio.wait_for(self.heard.get(), 5)


@pytest.fixture
async def listener(emulator: Emulator, world: DemoWorld, now: datetime) -> AsyncIterator[_Listener]:
    point_discord_at(emulator.api_base, emulator.gateway_url)
    client = _Listener(discord.Intents(guilds=True, guild_scheduled_events=True))
    task = asyncio.create_task(client.start(emulator.token))
    await emulator.wait_until_connected()
    await client.wait_until_ready()
    yield client
    await client.close()
    await task


async def test_discord_py_hears_a_moderators_events(
    emulator: Emulator, world: DemoWorld, listener: _Listener
) -> None:
    guild = listener.get_guild(world.guild.id)
    assert guild is not None
    party = guild.get_scheduled_event(world.watch_party.id)
    assert party is not None and party.channel_id == world.watch_party_channel.id
    assert party.entity_type is discord.EntityType.voice
    created = await emulator.create_scheduled_event(world.guild, "Quiz", SOON, location="Globe")
    kind, event = await listener.next()
    assert (kind, event.id, event.name, event.location) == ("create", created.id, "Quiz", "Globe")
    assert event.start_time == SOON and event.end_time == SOON + timedelta(hours=2)
    assert event.entity_type is discord.EntityType.external
    await emulator.update_scheduled_event(
        world.guild, created.id, starts_at=SOON + timedelta(hours=1)
    )
    kind, event = await listener.next()
    assert (kind, event.start_time) == ("update", SOON + timedelta(hours=1))
    await emulator.update_scheduled_event(world.guild, created.id, status="active")
    kind, event = await listener.next()
    assert (kind, event.status) == ("update", discord.EventStatus.active)
    await emulator.delete_scheduled_event(world.guild, created.id)
    kind, event = await listener.next()
    assert (kind, event.id) == ("delete", created.id)
    assert guild.get_scheduled_event(created.id) is None


async def test_discord_py_creates_and_hears_its_own_event(
    emulator: Emulator, manager: DemoWorld, listener: _Listener
) -> None:
    guild = listener.get_guild(manager.guild.id)
    assert guild is not None
    made = await guild.create_scheduled_event(
        name="Premiere",
        start_time=SOON,
        end_time=SOON + timedelta(hours=1),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Netflix",
    )
    kind, event = await listener.next()
    assert (kind, event.id, event.location) == ("create", made.id, "Netflix")
    with pytest.raises(discord.HTTPException) as refused:
        await guild.create_scheduled_event(
            name="Too late",
            start_time=NOW - timedelta(days=1),
            end_time=NOW,
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="Netflix",
        )
    assert refused.value.code == 50035
    assert "scheduled_start_time" in refused.value.text
    fetched = await guild.fetch_scheduled_event(made.id, with_counts=True)
    assert fetched.user_count == 0
    await made.delete()
    kind, event = await listener.next()
    assert (kind, event.id) == ("delete", made.id)


async def _raw_session(
    emulator: Emulator, http: aiohttp.ClientSession, intents: int
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{emulator.gateway_url}?v=10&encoding=json")
    await ws.receive_json(timeout=5)  # HELLO
    identify = {"token": emulator.token, "intents": intents, "properties": {}, "shard": [0, 1]}
    await ws.send_json({"op": 2, "d": identify})
    assert (await ws.receive_json(timeout=5))["t"] == "READY"
    assert (await ws.receive_json(timeout=5))["t"] == "GUILD_CREATE"
    return ws


async def test_interested_users_are_dispatched(
    emulator: Emulator, world: DemoWorld, now: datetime
) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await _raw_session(emulator, http, INTENT_GUILDS | INTENT_EVENTS)
        party = world.watch_party
        await emulator.remove_interested(world.guild, party.id, world.fan)
        removed = await ws.receive_json(timeout=5)
        assert removed["t"] == "GUILD_SCHEDULED_EVENT_USER_REMOVE"
        assert removed["d"] == {
            "guild_scheduled_event_id": str(party.id),
            "user_id": str(world.fan.id),
            "guild_id": str(world.guild.id),
        }
        await emulator.remove_interested(world.guild, party.id, world.fan)  # already not
        await emulator.add_interested(world.guild, party.id, world.fan)
        assert (await ws.receive_json(timeout=5))["t"] == "GUILD_SCHEDULED_EVENT_USER_ADD"
        assert world.fan.id in party.interested and len(party.interested) == 3
        stranger = emulator.add_user("stranger")
        with pytest.raises(EmulatorError, match="not a member"):
            await emulator.add_interested(world.guild, party.id, stranger)
        await ws.close()


async def test_no_dispatch_without_the_intent(
    emulator: Emulator, world: DemoWorld, now: datetime
) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await _raw_session(emulator, http, INTENT_GUILDS)
        session = emulator.gateway.session_for_guild(world.guild.id)
        assert session is not None
        sent = len(session.sent)
        event = await emulator.create_scheduled_event(world.guild, "Quiz", SOON)
        await emulator.add_interested(world.guild, event.id, world.fan)
        await emulator.update_scheduled_event(world.guild, event.id, name="Big quiz")
        await emulator.delete_scheduled_event(world.guild, event.id)
        assert len(session.sent) == sent
        await ws.send_json({"op": 1, "d": sent})
        assert (await ws.receive_json(timeout=5))["op"] == 11  # nothing came before the ACK
        await ws.close()


async def test_events_of_an_offline_bot_stay_in_the_world(
    emulator: Emulator, world: DemoWorld, now: datetime
) -> None:
    assert emulator.gateway.session_for_guild(world.guild.id) is None
    event = await emulator.create_scheduled_event(
        world.guild, "Quiz", SOON, channel=world.watch_party_channel
    )
    await emulator.update_scheduled_event(world.guild, event.id, status="active")
    await emulator.add_interested(world.guild, event.id, world.fan)
    assert world.guild.scheduled_events[event.id].status == 2
    assert world.guild.scheduled_events[event.id].interested == {world.fan.id}


# ---------------------------------------------------------------- the test API


async def test_test_api_builds_events_like_a_moderator(
    emulator: Emulator, world: DemoWorld, now: datetime
) -> None:
    stage = emulator.add_voice_channel(world.guild, "Stage of the Globe", stage=True)
    on_stage = await emulator.create_scheduled_event(
        world.guild, "Q&A", SOON, channel=stage, description="Ask anything", by=world.admin
    )
    assert (on_stage.entity_type, on_stage.channel_id, on_stage.location) == (1, stage.id, None)
    assert on_stage.creator.id == world.admin.id
    outside = await emulator.create_scheduled_event(world.guild, "Meet-up", SOON)
    assert (outside.entity_type, outside.location) == (3, "Online")
    assert outside.scheduled_end_time == SOON + timedelta(hours=2)
    moved = await emulator.update_scheduled_event(
        world.guild, on_stage.id, location="The park", name="Picnic"
    )
    assert (moved.entity_type, moved.channel_id, moved.location) == (3, None, "The park")
    assert moved.scheduled_end_time == SOON + timedelta(hours=2)
    back = await emulator.update_scheduled_event(
        world.guild, on_stage.id, channel=world.watch_party_channel
    )
    assert (back.entity_type, back.location) == (2, None)
    assert world.guild.scheduled_events[on_stage.id] is back


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"starts_at": NOW - timedelta(days=1)}, "scheduled_start_time: Cannot schedule"),
        ({"status": "completed"}, "cannot go from SCHEDULED"),
        ({"status": "soon"}, "not an event status"),
        ({"name": ""}, "name: Must be 1 to 100"),
        ({"colour": "red"}, "cannot change colour"),
        ({"ends_at": NOW}, "scheduled_end_time: Must be after"),
    ],
)
async def test_test_api_refuses_what_discord_would(
    emulator: Emulator, world: DemoWorld, now: datetime, changes: dict[str, Any], error: str
) -> None:
    with pytest.raises(EmulatorError, match=error):
        await emulator.update_scheduled_event(world.guild, world.watch_party.id, **changes)


async def test_test_api_refusals(emulator: Emulator, world: DemoWorld, now: datetime) -> None:
    with pytest.raises(EmulatorError, match="nick may not manage events"):
        await emulator.create_scheduled_event(world.guild, "Mine", SOON, by=world.fan)
    with pytest.raises(EmulatorError, match="channel_id: Must be a voice channel"):
        await emulator.create_scheduled_event(world.guild, "Here", SOON, channel=world.general)
    with pytest.raises(EmulatorError, match="has no scheduled event 1"):
        await emulator.delete_scheduled_event(world.guild, 1)
    canceled = await emulator.update_scheduled_event(world.guild, world.watch_party.id, status=4)
    with pytest.raises(EmulatorError, match="Cannot update a finished event"):
        await emulator.update_scheduled_event(world.guild, canceled.id, name="Back")
    with pytest.raises(EmulatorError, match="is over"):
        await emulator.add_interested(world.guild, canceled.id, world.fan)


async def test_the_demo_watch_party(emulator: Emulator, now: datetime) -> None:
    from bot.emulator import populate_demo_world

    world = populate_demo_world(emulator)
    party = world.watch_party
    assert isinstance(party, ScheduledEvent)
    assert party.scheduled_start_time == datetime(2023, 7, 29, 19, 0, tzinfo=UTC)
    assert (party.entity_type, party.channel_id) == (2, world.watch_party_channel.id)
    assert party.description and len(party.interested) == 3
    payload = emulator.guild_payload(world.guild)
    assert [e["name"] for e in payload["guild_scheduled_events"]] == ["Watch party"]
