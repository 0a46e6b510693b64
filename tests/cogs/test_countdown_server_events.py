"""/countdown to a server's own Discord scheduled events, end to end through the emulator.

The bot's clock and the emulator's are one virtual clock, so that a moderator's event
"in three hours" plays out in seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.client import FanBot
from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator, populate_demo_world
from bot.emulator.rules import pinged
from bot.emulator.state import Overwrite, ScheduledEvent
from bot.local import running_bot
from bot.store.countdown_models import EventRef, PackEventRef, ServerEventRef
from tests.cogs.countdown_helpers import PREMIERE, PREMIERE_REF, headlines, posts, wait_for
from tests.cogs.helpers import visible_text
from tests.conftest import BUNDLED_CONTENT
from tests.hardening.crash_harness import bot_env
from tests.store.conftest import MINIMAL

START = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def world_at(emulator: Emulator, clock: Clock) -> DemoWorld:
    """The demo server, on an emulator that keeps the bot's (virtual) time."""
    emulator.clock = clock.now
    return populate_demo_world(emulator)


async def pending_codes(bot: FanBot, guild_id: int, ref: EventRef) -> dict[str, datetime]:
    """Due times of the countdown's pending posts, by milestone."""
    pending = await bot.store.deliveries.pending_for(guild_id, ref, 20)
    return {str(d.milestone): d.due_at for d in pending}


async def counting_down_to(
    emulator: Emulator, world: DemoWorld, name: str, starts_at: datetime, **options: str
) -> tuple[ScheduledEvent, EventRef]:
    """A moderator's event, and a countdown to it in #announcements as an admin sets it up."""
    event = await emulator.create_scheduled_event(world.guild, name, starts_at)
    ref = ServerEventRef(event.id)
    reply = await emulator.slash(
        "countdown setup", channel=world.announcements, event=str(ref), **options
    )
    assert "Countdown set" in reply.content, visible_text(reply)
    return event, ref


async def test_setup_on_a_server_event_posts_with_link_place_and_count(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1200)  # a real second is twenty minutes
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock):
        event = await emulator.create_scheduled_event(
            world.guild,
            "Rewatch party",
            clock.now() + timedelta(hours=3),
            channel=world.watch_party_channel,
            description="Season one, from the top.",
        )
        await emulator.add_interested(world.guild, event.id, world.fan)
        choices = await emulator.autocomplete("countdown setup", "event", "rewatch")
        assert choices[0]["value"] == f"server-event:{event.id}"
        assert choices[0]["name"].startswith("Rewatch party · ")
        reply = await emulator.slash(
            "countdown setup",
            channel=world.announcements,
            role=world.premiere_pings,
            milestones="2h,1h,0",
            event=choices[0]["value"],
        )
        assert "Countdown set" in reply.content, visible_text(reply)
        assert "Countdown to Rewatch party" in visible_text(reply)
        await wait_for(lambda: len(posts(emulator, world.guild)) == 3, what="three posts")
    sent = posts(emulator, world.guild)
    assert headlines(sent) == ["Two hours to go!", "One hour to go!", "It's here!"]
    url = f"https://discord.com/events/{world.guild.id}/{event.id}"
    for message in sent:
        embed = message.embeds[0]
        assert embed["url"] == url
        assert f"<#{world.watch_party_channel.id}>" in embed["description"]
        fields = {f["name"]: f["value"] for f in embed.get("fields", [])}
        assert fields["Interested"] == "1"
        assert message.content == f"<@&{world.premiere_pings.id}>"
        assert pinged(message.content, message.allowed_mentions) == {
            f"role:{world.premiere_pings.id}"
        }
    assert "<t:" in sent[0].embeds[0]["description"]  # when, in each reader's time zone


async def test_the_countdown_follows_the_event_moved_later_then_earlier(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        event = await emulator.create_scheduled_event(
            world.guild, "Fan-art deadline", START + timedelta(days=10)
        )
        await emulator.slash(
            "countdown setup",
            channel=world.announcements,
            milestones="7d,3d,1d,0",
            event="Fan-art deadline",
        )
        ref = ServerEventRef(event.id)
        before = await pending_codes(bot, world.guild.id, ref)
        assert before["0"] == START + timedelta(days=10)

        await emulator.update_scheduled_event(
            world.guild,
            event.id,
            starts_at=START + timedelta(days=20),
            ends_at=START + timedelta(days=20, hours=2),
        )
        await wait_for_due(bot, world.guild.id, ref, "0", START + timedelta(days=20))
        later = await pending_codes(bot, world.guild.id, ref)
        assert {k: v - before[k] for k, v in later.items()} == dict.fromkeys(
            before, timedelta(days=10)
        )

        await emulator.update_scheduled_event(
            world.guild,
            event.id,
            starts_at=START + timedelta(days=2),
            ends_at=START + timedelta(days=2, hours=2),
        )
        await wait_for_due(bot, world.guild.id, ref, "0", START + timedelta(days=2))
        earlier = await pending_codes(bot, world.guild.id, ref)
        assert set(earlier) == {"1d", "0"}
        history = await bot.store.deliveries.history(world.guild.id, ref, 10)
        status = visible_text(await emulator.slash("countdown status", event=str(ref)))
    moved_past = {str(h.milestone): h for h in history}
    assert {"7d", "3d"} <= set(moved_past)
    assert all(moved_past[m].status == "cancelled" for m in ("7d", "3d"))
    assert "the event moved" in (moved_past["7d"].detail or "")
    assert "Active" in status and str(int((START + timedelta(days=2)).timestamp())) in status


async def wait_for_due(bot: FanBot, guild_id: int, ref: EventRef, code: str, due: datetime) -> None:
    """Wait until the bot has re-planned `code` to `due` (a gateway event is on its way)."""
    for _ in range(200):
        if (await pending_codes(bot, guild_id, ref)).get(code) == due:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{code} was never re-planned to {due}")


@pytest.mark.parametrize("how", ["cancel", "delete"])
async def test_a_cancelled_or_deleted_event_cancels_its_posts(
    emulator: Emulator, settings: Settings, how: str
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        event, ref = await counting_down_to(
            emulator, world, "Quiz night", START + timedelta(days=3)
        )
        assert await pending_codes(bot, world.guild.id, ref)
        if how == "cancel":
            await emulator.update_scheduled_event(world.guild, event.id, status="canceled")
        else:
            await emulator.delete_scheduled_event(world.guild, event.id)
        for _ in range(200):
            if not await pending_codes(bot, world.guild.id, ref):
                break
            await asyncio.sleep(0.05)
        history = await bot.store.deliveries.history(world.guild.id, ref, 20)
        status = visible_text(await emulator.slash("countdown status", event="quiz night"))
    word = "cancelled" if how == "cancel" else "deleted"
    assert history and all(h.status == "cancelled" for h in history)
    assert all(h.detail == f"the server event was {word}" for h in history)
    assert f"Cancelled: the server event was {word}" in status
    assert "Nothing left to post" in status


async def test_changes_made_while_the_bot_was_away_are_applied_at_start(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        moved = await emulator.create_scheduled_event(
            world.guild, "Premiere party", START + timedelta(days=5)
        )
        gone = await emulator.create_scheduled_event(
            world.guild, "Cosplay day", START + timedelta(days=6)
        )
        for event in (moved, gone):
            await emulator.slash(
                "countdown setup", channel=world.announcements, event=f"server-event:{event.id}"
            )
    # The bot is offline: nothing reaches it (no session to replay to after a fresh start).
    emulator.gateway.forget_all_sessions()
    await emulator.update_scheduled_event(
        world.guild,
        moved.id,
        starts_at=START + timedelta(days=8),
        ends_at=START + timedelta(days=8, hours=2),
    )
    await emulator.delete_scheduled_event(world.guild, gone.id)
    async with running_bot(emulator, settings, clock=clock) as bot:
        moved_ref, gone_ref = (ServerEventRef(e.id) for e in (moved, gone))
        await wait_for_due(bot, world.guild.id, moved_ref, "0", START + timedelta(days=8))
        for _ in range(200):
            if not await pending_codes(bot, world.guild.id, gone_ref):
                break
            await asyncio.sleep(0.05)
        assert await pending_codes(bot, world.guild.id, gone_ref) == {}
        assert ("GET", f"/guilds/{world.guild.id}/scheduled-events") in {
            (method, path) for method, path, _ in emulator.recorder.requests
        }


async def test_a_resumed_gateway_is_followed_by_a_check_with_discord(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    listing = ("GET", f"/guilds/{world.guild.id}/scheduled-events")

    def listings() -> int:
        return sum((method, path) == listing for method, path, _ in emulator.recorder.requests)

    async with running_bot(emulator, settings, clock=clock) as bot:
        _, ref = await counting_down_to(emulator, world, "Book club", START + timedelta(days=4))
        before = listings()
        async with emulator.gateway_outage(4000):
            await asyncio.sleep(0.2)
        await wait_for(lambda: listings() > before, what="a check with Discord after RESUME")
        assert "resume" in emulator.gateway.log
        assert await pending_codes(bot, world.guild.id, ref)


async def test_an_event_started_early_posts_its_moment_at_once_and_once(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        event, ref = await counting_down_to(
            emulator, world, "Listening party", START + timedelta(hours=5), milestones="1h,0"
        )
        await emulator.update_scheduled_event(world.guild, event.id, status="active")
        await wait_for(lambda: len(posts(emulator, world.guild)) == 1, what="the early post")
        history = {
            str(h.milestone): h for h in await bot.store.deliveries.history(world.guild.id, ref)
        }
        status = visible_text(await emulator.slash("countdown status", event="Listening party"))
    assert "Under way: it started" in status
    assert history["1h"].detail == "the event started early, before this post's time"
    async with running_bot(emulator, settings, clock=clock):  # a restart sends nothing more
        await asyncio.sleep(0.05)
    assert headlines(posts(emulator, world.guild)) == ["It's here!"]
    assert history["0"].status == "sent"
    assert history["1h"].status == "cancelled"


async def test_a_pack_premiere_and_a_server_event_count_down_side_by_side(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(PREMIERE - timedelta(hours=3), speed=1200)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        event = await emulator.create_scheduled_event(
            world.guild, "Pre-show chat", PREMIERE - timedelta(minutes=90)
        )
        await emulator.slash(
            "countdown setup", channel=world.announcements, milestones="1h,0", event="Pre-show"
        )
        await emulator.slash(
            "countdown setup", channel=world.general, milestones="1h,0", event=str(PREMIERE_REF)
        )
        await wait_for(
            lambda: (
                len(posts(emulator, world.guild)) == 2
                and len(posts(emulator, world.guild, "general")) == 2
            ),
            what="both countdowns' posts",
        )
        server_history = await bot.store.deliveries.history(
            world.guild.id, ServerEventRef(event.id)
        )
    assert headlines(posts(emulator, world.guild)) == ["One hour to go!", "It's here!"]
    assert headlines(posts(emulator, world.guild, "general")) == ["One hour to go!", "It's here!"]
    assert "Pre-show chat" in posts(emulator, world.guild)[0].embeds[0]["description"]
    assert "Heartstopper" in posts(emulator, world.guild, "general")[0].embeds[0]["description"]
    assert {h.status for h in server_history} == {"sent"}


async def test_setup_keeps_what_it_is_not_told_and_says_what_changed(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock):
        await emulator.create_scheduled_event(world.guild, "Trivia", START + timedelta(days=5))
        first = await emulator.slash(
            "countdown setup",
            channel=world.announcements,
            role=world.premiere_pings,
            milestones="2d,1h",
            event="Trivia",
        )
        assert "Countdown set" in first.content
        again = await emulator.slash("countdown setup", milestones="7d,1d,24h,0", event="trivia")
        text = visible_text(again)
        assert "milestones are now 7d, 1d, 0" in again.content
        assert "7d is already past" in again.content
        assert "24h repeated another milestone" in again.content
        assert f"<@&{world.premiere_pings.id}>" in text  # the role is kept
        assert f"<#{world.announcements.id}>" in text  # and the channel
        same = await emulator.slash("countdown setup", event="Trivia")
        assert "Nothing changed" in same.content
        no_role = await emulator.slash("countdown setup", event="Trivia", remove_role=True)
        assert "it pings nobody" in no_role.content
        assert "nobody (no role set)" in visible_text(no_role)
        both = await emulator.slash(
            "countdown setup", event="Trivia", role=world.premiere_pings, remove_role=True
        )
        assert "not both" in both.content
        moved = await emulator.slash("countdown setup", event="Trivia", channel=world.general)
        assert f"posts move to <#{world.general.id}>" in moved.content


async def test_events_that_cannot_be_counted_down_to_are_refused_clearly(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    hidden = emulator.add_voice_channel(world.guild, "mods-only")
    bot_role = next(r for r in world.guild.roles.values() if r.managed)
    hidden.overwrites.append(Overwrite(bot_role.id, 0, deny=1 << 10))  # no View Channel
    async with running_bot(emulator, settings, clock=clock) as bot:
        far = await emulator.create_scheduled_event(
            world.guild, "Next year", START + timedelta(days=400)
        )
        secret = await emulator.create_scheduled_event(
            world.guild, "Mods meeting", START + timedelta(days=2), channel=hidden
        )
        running = await emulator.create_scheduled_event(
            world.guild, "Marathon", START + timedelta(hours=1)
        )
        await emulator.update_scheduled_event(world.guild, running.id, status="active")
        await emulator.create_scheduled_event(world.guild, "Fine", START + timedelta(days=2))
        doomed = await emulator.create_scheduled_event(
            world.guild, "Doomed", START + timedelta(days=2)
        )
        choices = await emulator.autocomplete("countdown setup", "event", "doomed")
        await emulator.delete_scheduled_event(world.guild, doomed.id)
        answers = {
            "far": await emulator.slash(
                "countdown setup", channel=world.announcements, event=f"server-event:{far.id}"
            ),
            "secret": await emulator.slash(
                "countdown setup", channel=world.announcements, event=f"server-event:{secret.id}"
            ),
            "running": await emulator.slash(
                "countdown setup", channel=world.announcements, event=f"server-event:{running.id}"
            ),
            "deleted": await emulator.slash(
                "countdown setup", channel=world.announcements, event=choices[0]["value"]
            ),
            "unknown": await emulator.slash(
                "countdown setup", channel=world.announcements, event="Bake-off"
            ),
            "no channel": await emulator.slash("countdown setup", event="Fine"),
        }
        assert await bot.store.guilds.for_guild(world.guild.id) == []  # nothing half-written
    assert all(reply.ephemeral for reply in answers.values())
    assert "more than a year away" in answers["far"].content
    assert "channel I can't see" in answers["secret"].content
    assert "nothing left to count down" in answers["running"].content
    assert "no longer exists" in answers["deleted"].content
    assert "don't know an event called “Bake-off”" in answers["unknown"].content
    assert "Which channel" in answers["no channel"].content


async def test_a_server_has_at_most_ten_running_countdowns(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock):
        for n in range(11):
            await emulator.create_scheduled_event(
                world.guild, f"Episode {n} watch", START + timedelta(days=2, hours=n)
            )
        for n in range(10):
            reply = await emulator.slash(
                "countdown setup", channel=world.announcements, event=f"Episode {n} watch"
            )
            assert "Countdown set" in reply.content
        refused = await emulator.slash(
            "countdown setup", channel=world.announcements, event="Episode 10 watch"
        )
        assert "already has 10 countdowns" in refused.content
        await emulator.slash("countdown stop", event="Episode 0 watch")
        allowed = await emulator.slash(
            "countdown setup", channel=world.announcements, event="Episode 10 watch"
        )
        assert "Countdown set" in allowed.content


async def test_the_next_upcoming_event_is_the_default_across_shows(
    emulator: Emulator, settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "heartstopper-s2.toml").write_text(
        (BUNDLED_CONTENT / "heartstopper-s2.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    premiere = (START + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (content / "mini.toml").write_text(
        MINIMAL
        + f"""
[[events]]
key = "premiere"
season = 1
kind = "premiere"
title = "Season 1 premiere"
starts_at = "{premiere}"
""",
        encoding="utf-8",
    )
    settings = dataclasses.replace(settings, content_dir=content)
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    del world.guild.scheduled_events[world.watch_party.id]  # only the packs' events
    async with running_bot(emulator, settings, clock=clock) as bot:
        shown = visible_text(await emulator.slash("premiere"))
        assert "Mini Show season 1 premiere" in shown
        by_show = await emulator.slash(
            "countdown setup", channel=world.announcements, event="Mini Show"
        )
        assert "Countdown to Mini Show season 1" in visible_text(by_show)
        await emulator.slash("countdown stop", event="mini-show/1/premiere")
        default = await emulator.slash("countdown setup", channel=world.announcements)
        assert "Countdown to Mini Show season 1" in visible_text(default)
        choices = await emulator.autocomplete("countdown setup", "event", "")
        assert [c["value"] for c in choices] == ["mini-show/1/premiere"]
        assert (
            await bot.store.guilds.get(world.guild.id, PackEventRef("mini-show", 1, "premiere"))
            is not None
        )


async def test_fanbot_run_in_another_process_follows_a_moved_event(
    emulator: Emulator, tmp_path: Path
) -> None:
    speed = 120  # a real second is two minutes
    clock = Clock(START, speed=speed)
    world = world_at(emulator, clock)
    env = bot_env(emulator, tmp_path / "fanbot.sqlite3", START)
    env["FANBOT_CLOCK_SPEED"] = str(speed)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await emulator.wait_until_connected(timeout=30)
        await wait_for(lambda: bool(emulator.commands.listing(None)), what="command sync")
        event = await emulator.create_scheduled_event(
            world.guild, "Finale watch", clock.now() + timedelta(minutes=40)
        )
        reply = await emulator.slash(
            "countdown setup",
            channel=world.announcements,
            milestones="30m,15m,0",
            event="Finale watch",
        )
        assert "Countdown set" in reply.content, visible_text(reply)
        await wait_for(lambda: len(posts(emulator, world.guild)) == 1, what="the 30m post")
        moved_to = event.scheduled_start_time + timedelta(minutes=20)
        await emulator.update_scheduled_event(
            world.guild, event.id, starts_at=moved_to, ends_at=moved_to + timedelta(hours=2)
        )
        await wait_for(lambda: len(posts(emulator, world.guild)) == 3, 60, "the moved posts")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    sent = posts(emulator, world.guild)
    assert headlines(sent) == ["30 minutes to go!", "15 minutes to go!", "It's here!"]
    moved_stamp = f"<t:{int(moved_to.timestamp())}:F>"
    assert moved_stamp in sent[1].embeds[0]["description"]
    # each post went out at the moved time (the bot's clock lags the test's by a little)
    assert sent[2].embeds[0]["timestamp"].startswith(moved_to.strftime("%Y-%m-%dT%H:%M"))


async def test_a_deletion_that_arrives_during_setup_is_not_lost(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        event = await emulator.create_scheduled_event(
            world.guild, "Vanishing act", START + timedelta(days=2)
        )
        # The gateway's delete reaches the bot after setup read the event over REST but
        # before its countdown was saved: nothing to apply it to yet.
        await bot.reminders.server_event_deleted(world.guild.id, event.id)
        ref = ServerEventRef(event.id)
        await emulator.slash("countdown setup", channel=world.announcements, event=str(ref))
        assert await pending_codes(bot, world.guild.id, ref) == {}
        status = visible_text(await emulator.slash("countdown status", event=str(ref)))
    assert "the server event was deleted" in status


async def test_an_event_that_ended_and_left_discords_list_is_finished_not_deleted(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock):
        event, ref = await counting_down_to(
            emulator, world, "Short stream", START + timedelta(hours=5)
        )
    # While the bot is away the event starts, ends, and Discord stops listing it.
    clock.skip_to(START + timedelta(hours=8))
    emulator.gateway.forget_all_sessions()
    del world.guild.scheduled_events[event.id]
    async with running_bot(emulator, settings, clock=clock) as bot:
        for _ in range(200):
            known = await bot.store.server_events.get(world.guild.id, event.id)
            if known is not None and known.state != "scheduled":
                break
            await asyncio.sleep(0.05)
        assert known is not None and known.state == "completed"
        status = visible_text(await emulator.slash("countdown status", event=str(ref)))
        history = await bot.store.deliveries.history(world.guild.id, ref, 10)
    assert "Finished" in status and "deleted" not in status
    assert all(h.detail != "the server event was deleted" for h in history)


async def test_a_failed_check_with_discord_changes_nothing(
    emulator: Emulator, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock):
        _, ref = await counting_down_to(emulator, world, "Panel", START + timedelta(days=3))
    emulator.gateway.forget_all_sessions()
    emulator.faults.inject_fault("GET", r"/guilds/\d+/scheduled-events", 500, times=10)
    async with running_bot(emulator, settings, clock=clock) as bot:
        await wait_for(
            lambda: "could not list the scheduled events" in caplog.text, what="the warning"
        )
        assert (await pending_codes(bot, world.guild.id, ref))["0"] == START + timedelta(days=3)


async def test_names_that_match_several_events_or_a_show_are_resolved_with_care(
    emulator: Emulator, settings: Settings
) -> None:
    clock = Clock(START, speed=1)
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock):
        for days in (2, 9):
            await emulator.create_scheduled_event(
                world.guild, "Movie night", START + timedelta(days=days)
            )
        await emulator.create_scheduled_event(
            world.guild, "Heartstopper rewatch", START + timedelta(days=3)
        )
        twice = await emulator.slash(
            "countdown setup", channel=world.announcements, event="movie night"
        )
        show = await emulator.slash(
            "countdown setup", channel=world.announcements, event="Heartstopper"
        )
        part = await emulator.slash("countdown setup", channel=world.announcements, event="rewatch")
    assert "2 of this server's events match" in twice.content
    assert "Heartstopper season 2" in show.content  # the show, not the rewatch
    assert "Countdown to Heartstopper rewatch" in visible_text(part)


async def test_one_post_a_day_through_the_autumn_clock_change(
    emulator: Emulator, settings: Settings
) -> None:
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # London's clocks go back at 02:00 on Sunday 29 October 2023; 01:30 happens twice.
    start = datetime(2023, 10, 26, 12, tzinfo=UTC)
    clock = Clock(start, speed=36_000)  # ten hours a second
    world = world_at(emulator, clock)
    async with running_bot(emulator, settings, clock=clock) as bot:
        _, ref = await counting_down_to(
            emulator, world, "Halloween watch", datetime(2023, 11, 1, 20, tzinfo=UTC),
            milestones="3d,1h,0",
        )  # fmt: skip
        await emulator.slash(
            "countdown daily", time="01:30", timezone="Europe/London", days=5, event=str(ref)
        )
        await wait_for(
            lambda: len(posts(emulator, world.guild)) == 7, within=40, what="seven posts"
        )
        history = await bot.store.deliveries.history(world.guild.id, ref, 20)
    sent = posts(emulator, world.guild)
    days = [
        datetime.fromisoformat(m.embeds[0]["timestamp"]).astimezone(london).date() for m in sent
    ]
    assert headlines(sent) == [
        "5 days to go!",
        "4 days to go!",
        "Three days to go!",  # 29 October, at the first 01:30, instead of "3 days to go!"
        "2 days to go!",
        "Tomorrow!",
        "One hour to go!",
        "It's here!",
    ]
    assert len(set(days[:5])) == 5  # one post on each day before the event's
    assert all(h.status == "sent" for h in history)
