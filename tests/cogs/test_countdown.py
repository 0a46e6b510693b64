"""/countdown end to end: admin commands, posts on a fast virtual clock, failures."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from discord import Permissions

from bot.client import FanBot
from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.emulator.rules import pinged
from bot.emulator.state import Overwrite
from bot.local import running_bot
from tests.cogs.countdown_helpers import (
    PREMIERE,
    PREMIERE_REF,
    add_fan_server,
    headlines,
    posts,
    settled_history,
    wait_for,
)
from tests.cogs.helpers import visible_text
from tests.conftest import BUNDLED_CONTENT

FOUR_MILESTONES = "2d,1d,12h,0"


def frozen_at(moment_before_premiere: timedelta) -> Clock:
    """A clock standing (almost) still at PREMIERE - the given lead."""
    return Clock(PREMIERE - moment_before_premiere, speed=1)


async def test_the_demo_watch_party_is_the_default_countdown(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings):
        reply = await emulator.slash("countdown setup", channel=world.announcements)
    assert "Countdown set" in reply.content
    assert "Countdown to Watch party" in visible_text(reply)


async def test_setup_refuses_a_premiere_long_past(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    del world.guild.scheduled_events[world.watch_party.id]  # nothing upcoming at all
    async with running_bot(emulator, settings):
        default = await emulator.slash("countdown setup", channel=world.announcements)
        named = await emulator.slash(
            "countdown setup", channel=world.announcements, event="Heartstopper"
        )
    assert default.ephemeral and named.ephemeral
    # Nothing upcoming: the answer says how to make an event or see the demo.
    assert "nothing upcoming" in default.content
    assert "Create Event" in default.content and "make run" in default.content
    assert "nothing left to count down" in named.content


async def test_non_admin_is_refused_even_if_the_server_overrides(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))):
        for command in ("countdown status", "countdown stop", "countdown preview"):
            reply = await emulator.slash(command, by=world.fan)
            assert reply.ephemeral
            assert "Manage Server" in reply.content
        reply = await emulator.slash("countdown setup", channel=world.announcements, by=world.fan)
        assert "Manage Server" in reply.content


async def test_setup_status_preview_stop(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))):
        reply = await emulator.slash(
            "countdown setup", channel=world.announcements, role=world.premiere_pings
        )
        text = visible_text(reply)
        assert reply.ephemeral
        assert "Countdown set" in text
        assert "One week to go!" in text  # the next post of the default milestones
        assert f"<#{world.announcements.id}>" in text
        status = visible_text(await emulator.slash("countdown status"))
        assert "Active" in status
        assert "30d, 14d, 7d, 3d, 1d, 1h, 0" in status
        preview = await emulator.slash("countdown preview")
        assert preview.ephemeral
        assert preview.embeds[0]["title"] == "One week to go!"
        assert f"<@&{world.premiere_pings.id}>" in preview.content
        assert pinged(preview.content, preview.allowed_mentions) == set()
        stopped = await emulator.slash("countdown stop")
        assert "5 pending posts cancelled" in stopped.content
        status = visible_text(await emulator.slash("countdown status"))
        assert "Stopped" in status


async def test_setup_again_updates_instead_of_duplicating(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))) as bot:
        await emulator.slash("countdown setup", channel=world.announcements)
        await emulator.slash("countdown setup", channel=world.general, milestones="1d, 1h")
        subscriptions = await bot.store.guilds.for_guild(world.guild.id)
        assert len(subscriptions) == 1
        assert subscriptions[0].channel_id == world.general.id
        pending = await bot.store.deliveries.pending_for(world.guild.id, PREMIERE_REF, 10)
        assert [str(p.milestone) for p in pending] == ["1d", "1h"]
        assert {p.channel_id for p in pending} == {world.general.id}


async def test_bad_milestones_show_the_accepted_form(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))):
        reply = await emulator.slash(
            "countdown setup", channel=world.announcements, milestones="soon, 7 days"
        )
    assert reply.ephemeral
    assert "soon" in reply.content
    assert "30d,7d,1d,1h,0" in reply.content


async def test_setup_refuses_what_the_bot_cannot_do(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    bot_role = next(r for r in world.guild.roles.values() if r.managed)
    world.general.overwrites.append(
        Overwrite(bot_role.id, 0, deny=Permissions(embed_links=True).value)
    )
    quiet = emulator.add_role(world.guild, "Quiet", mentionable=False)
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))):
        no_embeds = await emulator.slash("countdown setup", channel=world.general)
        assert "Embed Links" in no_embeds.content
        not_pingable = await emulator.slash(
            "countdown setup", channel=world.announcements, role=quiet
        )
        assert "can't ping" in not_pingable.content
        everyone = await emulator.slash(
            "countdown setup", channel=world.announcements, role=world.guild.everyone
        )
        assert "won't ping @everyone" in everyone.content
        status = await emulator.slash("countdown status")
        assert "no countdown yet" in status.content


async def test_setup_creates_one_server_event(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    bot_role = next(r for r in world.guild.roles.values() if r.managed)
    bot_role.permissions |= Permissions(manage_events=True).value
    clock = frozen_at(timedelta(days=10))
    emulator.clock = clock.now  # Discord refuses events in the past: one "now" for both
    known = set(world.guild.scheduled_events)
    async with running_bot(emulator, settings, clock=clock) as bot:
        await emulator.slash("countdown setup", channel=world.announcements)
        await emulator.slash("countdown setup", channel=world.announcements, milestones="1d")
        status = visible_text(await emulator.slash("countdown status"))
        [created] = [e for e in world.guild.scheduled_events.values() if e.id not in known]
        # The event the bot made is the same countdown, never a second one.
        choices = await emulator.autocomplete("countdown setup", "event", "")
        assert f"server-event:{created.id}" not in {c["value"] for c in choices}
        again = await emulator.slash(
            "countdown setup", channel=world.announcements, event=f"server-event:{created.id}"
        )
        assert "Countdown to Heartstopper season 2" in visible_text(again)
        assert [s.event_ref for s in await bot.store.guilds.for_guild(world.guild.id)] == [
            PREMIERE_REF
        ]
    events = [e for e in world.guild.scheduled_events.values() if e.id not in known]
    assert len(events) == 1
    assert events[0].location == "Netflix"
    assert events[0].scheduled_start_time == PREMIERE
    assert f"discord.com/events/{world.guild.id}/{events[0].id}" in status


async def test_every_milestone_once_in_order_to_many_servers(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    servers = [add_fan_server(emulator, f"Fan Server {i}") for i in range(6)]
    # Almost three days before the premiere, twelve virtual hours per real second.
    clock = Clock(PREMIERE - timedelta(days=2, hours=18), speed=43_200)
    async with running_bot(emulator, settings, clock=clock) as bot:
        for i, (guild, role) in enumerate(servers):
            await emulator.slash(
                "countdown setup",
                in_guild=guild,
                channel=emulator.channel(guild, "announcements"),
                role=role if i % 2 == 0 else None,
                milestones=FOUR_MILESTONES,
            )
        await wait_for(
            lambda: all(len(posts(emulator, g)) == 4 for g, _ in servers),
            within=40,
            what="four posts in every server",
        )
        sent = [row for guild, _ in servers for row in await settled_history(bot, guild, 4)]
        counts = await bot.store.deliveries.counts(PREMIERE_REF)
    assert counts == {"sent": 24}
    jitter = clock.span(0.5)  # what the dispatcher allows a wake-up to run late
    for row in sent:  # never early, and taken on time by the bot's clock
        assert row.claimed_at is not None
        assert row.due_at <= row.claimed_at <= row.due_at + row.milestone.grace + jitter
    for i, (guild, role) in enumerate(servers):
        messages = posts(emulator, guild)
        assert headlines(messages) == [
            "Two days to go!",
            "One day to go!",
            "Twelve hours to go!",
            "It's here!",
        ]
        for message in messages:
            who = pinged(message.content, message.allowed_mentions)
            assert who == ({f"role:{role.id}"} if i % 2 == 0 else set())


async def test_429_storm_during_fan_out_loses_nothing(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    servers = [add_fan_server(emulator, f"Fan Server {i}") for i in range(12)]
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(seconds=3))) as bot:
        for guild, _ in servers:
            await emulator.slash(
                "countdown setup",
                in_guild=guild,
                channel=emulator.channel(guild, "announcements"),
                milestones="0",
            )
        emulator.limits.global_rate_limit = 4  # a third of what the fan-out wants: 429s
        await wait_for(
            lambda: all(len(posts(emulator, g)) == 1 for g, _ in servers),
            within=60,
            what="one post in every server",
        )
        for guild, _ in servers:
            await settled_history(bot, guild, 1)
        counts = await bot.store.deliveries.counts(PREMIERE_REF)
    assert emulator.limits.rate_limited > 0
    assert counts == {"sent": 12}
    assert all(headlines(posts(emulator, g)) == ["It's here!"] for g, _ in servers)


async def test_restart_mid_countdown_neither_repeats_nor_loses(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    clock = Clock(PREMIERE - timedelta(days=2, hours=18), speed=43_200)
    async with running_bot(emulator, settings, clock=clock):
        await emulator.slash(
            "countdown setup", channel=world.announcements, milestones=FOUR_MILESTONES
        )
        await wait_for(lambda: len(posts(emulator, world.guild)) >= 2, what="two posts")
        resume_at = clock.now()
    # A new bot on the same database, its clock carrying on from where the first stopped.
    async with running_bot(emulator, settings, clock=Clock(resume_at, speed=43_200)):
        await wait_for(lambda: len(posts(emulator, world.guild)) >= 4, what="all four posts")
    assert headlines(posts(emulator, world.guild)) == [
        "Two days to go!",
        "One day to go!",
        "Twelve hours to go!",
        "It's here!",
    ]


async def test_late_start_inside_grace_posts_only_the_latest(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=3))):
        await emulator.slash("countdown setup", channel=world.announcements, milestones="2d,1d")
    # Offline until an hour after the 1d milestone (grace: 2.4 hours).
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(hours=23))) as bot:
        history = await settled_history(bot, world.guild, 2)
        status = visible_text(await emulator.slash("countdown status"))
    assert headlines(posts(emulator, world.guild)) == ["One day to go!"]
    assert {str(h.milestone): h.status for h in history} == {
        "1d": "sent",
        "2d": "skipped_superseded",
    }
    assert "a later one went out" in status


async def test_late_start_outside_grace_posts_nothing_and_says_so(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=3))):
        await emulator.slash("countdown setup", channel=world.announcements, milestones="2d,1d")
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(hours=18))) as bot:
        await bot.reminders.dispatch_due()
        history = await bot.store.deliveries.history(world.guild.id, PREMIERE_REF, 5)
        status = visible_text(await emulator.slash("countdown status"))
    assert posts(emulator, world.guild) == []
    assert {str(h.milestone): h.status for h in history} == {
        "1d": "skipped_stale",
        "2d": "skipped_superseded",
    }
    assert "too late" in status


async def test_deleted_channel_pauses_that_server_only(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    other, _ = add_fan_server(emulator, "Other Fans")
    clock = Clock(PREMIERE - timedelta(days=1, hours=12), speed=43_200)
    async with running_bot(emulator, settings, clock=clock) as bot:
        for guild in (world.guild, other):
            await emulator.slash(
                "countdown setup",
                in_guild=guild,
                channel=emulator.channel(guild, "announcements"),
                milestones="1d,0",
            )
        del world.guild.channels[world.announcements.id]
        await wait_for(lambda: len(posts(emulator, other)) == 2, what="the other server's posts")
        subscription = await bot.store.guilds.get(world.guild.id, PREMIERE_REF)
        status = visible_text(await emulator.slash("countdown status", in_guild=world.guild))
    assert subscription is not None
    assert subscription.status == "paused"
    assert "no longer exists" in (subscription.pause_reason or "")
    assert "Paused" in status


async def test_lost_permission_pauses_and_setup_resumes(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    bot_role = next(r for r in world.guild.roles.values() if r.managed)
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(hours=25))) as bot:
        await emulator.slash("countdown setup", channel=world.announcements, milestones="1d,0")
        world.announcements.overwrites.append(
            Overwrite(bot_role.id, 0, deny=Permissions(send_messages=True).value)
        )
    # An hour later the 1d reminder is due, but the bot may no longer post there.
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(hours=24))) as bot:
        await _eventually_status(bot, world, "paused")
        subscription = await bot.store.guilds.get(world.guild.id, PREMIERE_REF)
        assert subscription is not None
        assert "lost permission" in (subscription.pause_reason or "")
        history = await bot.store.deliveries.history(world.guild.id, PREMIERE_REF, 5)
        assert [(str(h.milestone), h.status) for h in history] == [("1d", "failed")]
        world.announcements.overwrites.clear()
        await emulator.channel_changed(world.announcements)
        await wait_for(
            lambda: not bot.get_channel(world.announcements.id).overwrites,  # type: ignore[union-attr]
            what="the bot to see the channel change",
        )
        await emulator.slash("countdown setup", channel=world.announcements, milestones="1d,0")
        resumed = await bot.store.guilds.get(world.guild.id, PREMIERE_REF)
        assert resumed is not None
        assert resumed.status == "active"
    assert posts(emulator, world.guild) == []


async def test_removed_server_pauses_and_rejoining_resumes(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))) as bot:
        await emulator.slash("countdown setup", channel=world.announcements)
        await emulator.remove_bot_from(world.guild)
        await wait_for(lambda: bool(bot.get_guild(world.guild.id) is None), what="GUILD_DELETE")
        await _eventually_status(bot, world, "paused")
        await emulator.add_bot_to(world.guild)
        await _eventually_status(bot, world, "active")


async def _eventually_status(bot: FanBot, world: DemoWorld, expected: str) -> None:
    for _ in range(200):
        subscription = await bot.store.guilds.get(world.guild.id, PREMIERE_REF)
        if subscription is not None and subscription.status == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the subscription never became {expected}")


async def test_daily_posts_at_a_local_time(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))) as bot:
        no_countdown = await emulator.slash("countdown daily", time="18:00", timezone="UTC")
        assert "no countdown yet" in no_countdown.content
        await emulator.slash("countdown setup", channel=world.announcements, milestones="1d")
        bad_zone = await emulator.slash("countdown daily", time="18:00", timezone="Mars/Base")
        assert "IANA" in bad_zone.content
        bad_time = await emulator.slash("countdown daily", time="6pm", timezone="Europe/London")
        assert "HH:MM" in bad_time.content
        zones = await emulator.autocomplete("countdown daily", "timezone", "london", time="18:00")
        assert {"name": "Europe/London", "value": "Europe/London"} in zones
        reply = await emulator.slash(
            "countdown daily", time="18:00", timezone="Europe/London", days=3
        )
        assert "18:00 Europe/London" in visible_text(reply)
        pending = await bot.store.deliveries.pending_for(world.guild.id, PREMIERE_REF, 10)
        assert [(str(p.milestone), p.due_at.isoformat()) for p in pending] == [
            ("daily:3", "2023-07-31T17:00:00+00:00"),  # 18:00 in London, summer time
            ("daily:2", "2023-08-01T17:00:00+00:00"),
            ("1d", "2023-08-02T17:00:00+00:00"),  # one post a day: 1d takes the daily slot
        ]
    at_six = Clock(datetime(2023, 7, 31, 17, 0, 30, tzinfo=UTC), speed=1)
    async with running_bot(emulator, settings, clock=at_six) as bot:
        await wait_for(lambda: len(posts(emulator, world.guild)) == 1, what="the daily post")
        off = await emulator.slash("countdown daily", time="off")
        assert "Daily post" not in visible_text(off)
        pending = await bot.store.deliveries.pending_for(world.guild.id, PREMIERE_REF, 10)
        assert [str(p.milestone) for p in pending] == ["1d"]
    assert headlines(posts(emulator, world.guild)) == ["3 days to go!"]


async def test_a_pack_update_that_moves_the_premiere_reschedules(
    emulator: Emulator, world: DemoWorld, settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    pack = (BUNDLED_CONTENT / "heartstopper-s2.toml").read_text(encoding="utf-8")
    (content / "heartstopper-s2.toml").write_text(pack, encoding="utf-8")
    settings = dataclasses.replace(settings, content_dir=content)
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))):
        await emulator.slash("countdown setup", channel=world.announcements, milestones="1d,0")
    moved = pack.replace("2023-08-03T07:00:00Z", "2023-08-10T07:00:00Z")
    assert moved != pack
    (content / "heartstopper-s2.toml").write_text(moved, encoding="utf-8")
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=10))) as bot:
        pending = await bot.store.deliveries.pending_for(world.guild.id, PREMIERE_REF, 5)
    assert [(str(p.milestone), p.due_at) for p in pending] == [
        ("1d", datetime(2023, 8, 9, 7, tzinfo=UTC)),
        ("0", datetime(2023, 8, 10, 7, tzinfo=UTC)),
    ]


async def test_a_server_error_is_retried_later_not_lost(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=3))):
        await emulator.slash("countdown setup", channel=world.announcements, milestones="0")
    emulator.faults.inject_fault("POST", r"^/channels/\d+/messages$", 503, times=1)
    just_after = Clock(PREMIERE + timedelta(seconds=5), speed=1)
    async with running_bot(emulator, settings, clock=just_after) as bot:
        history = await settled_history(bot, world.guild, 1)
    assert [(str(h.milestone), h.status, h.attempts) for h in history] == [("0", "sent", 2)]
    bodies = [
        b for m, p, b in emulator.recorder.requests if m == "POST" and p.endswith("/messages")
    ]
    assert len(bodies) == 2
    assert all(b["enforce_nonce"] is True for b in bodies)
    assert bodies[0]["nonce"] == bodies[1]["nonce"]  # the same nonce: never a second post


async def test_a_long_rate_limit_storm_delays_but_never_drops(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=3))):
        await emulator.slash("countdown setup", channel=world.announcements, milestones="0")
    # Every try of the post meets a 429 for longer than the bot's five tries would last.
    emulator.faults.inject_fault(
        "POST",
        r"^/channels/\d+/messages$",
        429,
        times=6,
        body={"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
    )
    just_after = Clock(PREMIERE + timedelta(seconds=5), speed=1)
    async with running_bot(emulator, settings, clock=just_after) as bot:
        history = await settled_history(bot, world.guild, 1, within=60)
    assert [(str(h.milestone), h.status) for h in history] == [("0", "sent")]


async def test_a_post_whose_answer_was_lost_is_found_not_repeated(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(days=3))):
        await emulator.slash("countdown setup", channel=world.announcements, milestones="0")
    # Discord stores the post but the answer is lost, and its nonce memory has expired.
    emulator.faults.inject_fault("POST", r"^/channels/\d+/messages$", 503, times=1, after=True)
    emulator.nonce_window = 0
    just_after = Clock(PREMIERE + timedelta(seconds=5), speed=1)
    async with running_bot(emulator, settings, clock=just_after) as bot:
        history = await settled_history(bot, world.guild, 1)
    [post] = posts(emulator, world.guild)
    assert [(str(h.milestone), h.status, h.message_id) for h in history] == [("0", "sent", post.id)]
    assert post.embeds[0]["timestamp"].startswith("2023-08-03T07:00:00")
