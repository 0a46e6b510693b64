"""/countdown: admins point the bot at a channel; it posts reminders before an event.

The event is one of the server's own Discord scheduled events (a watch party, a premiere,
a deadline) or a content pack's dated event. Which event an option means is decided in
`bot.reminders.picking`; what gets posted and when, in `bot.reminders`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import FanBot
from bot.errors import UserFacingError
from bot.reminders.milestones import (
    DEFAULT_DAILY_DAYS,
    MAX_DAILY_DAYS,
    MilestoneError,
    canonical,
    read_milestones,
)
from bot.reminders.picking import MAX_AHEAD, EventPicker, Picked, read_event_option
from bot.reminders.planner import DailyError, parse_daily_time, parse_zone
from bot.reminders.targets import target_for
from bot.store.countdown_models import EventRef, Subscription, Target
from bot.store.text import fold

log = logging.getLogger(__name__)

EVENT_DESCRIPTION = "Which event (default: the next upcoming one): a server event or a show's"
ZONES = sorted(available_timezones())
SERVER_EVENT_LENGTH = timedelta(hours=2)
MAX_LIVE_COUNTDOWNS = 10  # per server: countdowns with posts still to make


def _where(interaction: discord.Interaction[FanBot]) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Countdown(commands.GroupCog, group_name="countdown"):
    """Countdown posts for this server's events (admins only)."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        self.picker = EventPicker(bot)
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Check Manage Server on our side too: a server can override command permissions."""
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    # ------------------------------------------------------------------ helpers

    async def _subscription(self, guild: discord.Guild, value: str | None) -> Subscription:
        """The server's countdown an option names, or (left out) its next one."""
        guilds = self.bot.store.guilds
        mine = await guilds.for_guild(guild.id)
        if not mine:
            raise UserFacingError(
                "This server has no countdown yet. Start one with `/countdown setup`."
            )
        wanted = read_event_option(value)
        if value is not None and wanted is not None:
            typed = fold(value)
            for subscription in mine:  # a countdown's own reference (from autocomplete)
                target = await target_for(self.bot.store, guild.id, subscription.event_ref)
                if subscription.event_ref == wanted or (
                    target is not None and fold(target.name) == typed
                ):  # or its event's name, even if the event is gone
                    return subscription
            picked = await self.picker.pick(guild, wanted, self.bot.clock.now())
            found = await guilds.get(guild.id, picked.target.ref)
            if found is None:
                raise UserFacingError(
                    f"There is no countdown to {render.target_name(picked.target)} here. "
                    "`/countdown setup` starts one."
                )
            return found
        return await self._next_countdown(guild.id, mine)

    async def _next_countdown(self, guild_id: int, mine: list[Subscription]) -> Subscription:
        """The countdown whose event comes next; else the one changed last."""
        now = self.bot.clock.now()
        upcoming: list[tuple[datetime, Subscription]] = []
        for subscription in mine:
            target = await target_for(self.bot.store, guild_id, subscription.event_ref)
            if (
                subscription.status != "stopped"
                and target is not None
                and target.live
                and target.starts_at is not None
                and target.starts_at > now
            ):
                upcoming.append((target.starts_at, subscription))
        if upcoming:
            return min(upcoming, key=lambda pair: pair[0])[1]
        return max(mine, key=lambda s: s.updated_at)

    async def _target(self, subscription: Subscription) -> Target:
        target = await self.bot.reminders.target_for(subscription.guild_id, subscription.event_ref)
        if target is None:
            raise UserFacingError("That countdown's event is no longer in any content pack.")
        return target

    async def _status_embed(self, subscription: Subscription) -> discord.Embed:
        deliveries = self.bot.store.deliveries
        return render.countdown_status(
            await self._target(subscription),
            subscription,
            await deliveries.pending_for(subscription.guild_id, subscription.event_ref),
            await deliveries.history(subscription.guild_id, subscription.event_ref),
            self.bot.clock.now(),
        )

    @staticmethod
    def _check_target(guild: discord.Guild, picked: Picked, now: datetime) -> None:
        """Refuse an event that cannot be counted down to, saying why."""
        target = picked.target
        name = render.target_name(target)
        if target.state in ("cancelled", "deleted"):
            raise UserFacingError(f"{name} was cancelled: there is nothing to count down to.")
        if target.starts_at is None:
            raise UserFacingError(f"{name} has no exact date yet; nothing to count down to.")
        if target.state != "scheduled" or target.starts_at <= now:
            raise UserFacingError(
                f"{name} started {render.timestamp(target.starts_at, 'R')}: there is nothing "
                "left to count down to. Pick an upcoming event, or create one (Server menu → "
                "Create Event)."
            )
        if target.starts_at > now + MAX_AHEAD:
            raise UserFacingError(
                f"{name} is more than a year away ({render.timestamp(target.starts_at, 'D')}); "
                "set its countdown up within a year of it."
            )
        record = picked.record
        if record is not None and record.channel_id is not None:
            channel = guild.get_channel(record.channel_id)
            if channel is None or not channel.permissions_for(guild.me).view_channel:
                raise UserFacingError(
                    f"{name} happens in a channel I can't see. Let my role view "
                    f"<#{record.channel_id}>, or pick another event."
                )

    @staticmethod
    def _check_channel(guild: discord.Guild, channel: discord.abc.GuildChannel) -> None:
        """Refuse, with the precise reason, a channel the bot cannot post embeds in."""
        mine = channel.permissions_for(guild.me)
        missing = [
            label
            for label, ok in (
                ("View Channel", mine.view_channel),
                ("Send Messages", mine.send_messages),
                ("Embed Links", mine.embed_links),
            )
            if not ok
        ]
        if missing:
            raise UserFacingError(
                f"I can't post countdowns in {channel.mention}: I need "
                f"{' and '.join(missing)} there. Give my role those permissions in that "
                "channel, or pick another channel."
            )

    @staticmethod
    def _check_role(
        guild: discord.Guild, channel: discord.abc.GuildChannel, role: discord.Role
    ) -> None:
        """Refuse a role the bot must not or cannot ping."""
        if role.is_default():
            raise UserFacingError(
                "I won't ping @everyone. Create a role fans can opt into (e.g. Premiere Pings) "
                "and pick that one."
            )
        if role.managed:
            raise UserFacingError(
                f"{role.mention} belongs to an integration; pick a role fans hold."
            )
        if not role.mentionable and not channel.permissions_for(guild.me).mention_everyone:
            raise UserFacingError(
                f"I can't ping {role.mention}: make it mentionable (Server Settings → Roles → "
                f"Allow anyone to @mention this role), or give me “Mention @everyone, @here and "
                f"All Roles” in {channel.mention}."
            )

    async def _ensure_server_event(
        self, guild: discord.Guild, subscription: Subscription, picked: Picked
    ) -> str | None:
        """Create the server's Discord event for a pack's event once; say why not if we can't."""
        season, event = picked.season, picked.event
        if season is None or event is None or event.starts_at is None:
            return None
        if not guild.me.guild_permissions.manage_events:
            return None
        if subscription.scheduled_event_id is not None:
            try:
                await guild.fetch_scheduled_event(subscription.scheduled_event_id)
            except discord.NotFound:
                pass  # deleted by someone: make a new one
            except discord.HTTPException as exc:
                log.warning("could not check the server event in %s: %s", guild.id, exc)
                return f"I couldn't check the server event I made before ({exc.status})."
            else:
                return None
        platform = event.platform or season.platform or "online"
        try:
            created = await guild.create_scheduled_event(
                name=render.cut(f"{season.label}: {event.title}", 100),
                start_time=event.starts_at,
                end_time=event.starts_at + SERVER_EVENT_LENGTH,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=render.cut(platform, 100),
                description=render.cut(event.description or season.synopsis, 1000),
            )
        except discord.HTTPException as exc:
            log.warning("could not create the server event in %s: %s", guild.id, exc)
            return f"I couldn't create the server event ({exc.status})."
        await self.bot.store.guilds.set_scheduled_event(
            guild.id, subscription.event_ref, created.id, self.bot.clock.now()
        )
        return None

    async def _event_choices(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """The `event` option: this server's countdowns (but in setup), then upcoming events."""
        guild = interaction.guild
        if guild is None:
            return []
        now = self.bot.clock.now()
        choices: list[app_commands.Choice[str]] = []
        seen: set[EventRef] = set()
        command = interaction.command
        if command is not None and command.name != "setup":
            needle = current.strip().casefold()
            for subscription in await self.bot.store.guilds.for_guild(guild.id):
                target = await target_for(self.bot.store, guild.id, subscription.event_ref)
                if target is None or needle not in target.name.casefold():
                    continue
                label = self.picker.label(Picked(target))
                value = str(subscription.event_ref)
                choices.append(app_commands.Choice(name=label, value=value))
                seen.add(subscription.event_ref)
        for picked in await self.picker.choices(guild, current, now):
            value = str(picked.target.ref)
            if picked.target.ref not in seen and len(value) <= 100:
                choices.append(app_commands.Choice(name=self.picker.label(picked), value=value))
        return choices[:25]

    # ------------------------------------------------------------------ commands

    @app_commands.command(name="setup")
    @app_commands.describe(
        channel="Where to post the countdown (kept from before when left out)",
        role="A role to ping with each post (optional; it must be mentionable)",
        milestones="When to post, e.g. 7d,1d,1h,0 (default 30d,14d,7d,3d,1d,1h,0)",
        event=EVENT_DESCRIPTION,
        remove_role="Stop pinging the role set before",
    )
    async def setup(
        self,
        interaction: discord.Interaction[FanBot],
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        milestones: app_commands.Range[str, 1, 200] | None = None,
        event: str | None = None,
        remove_role: bool = False,
    ) -> None:
        """Start (or change) a countdown; what you leave out stays as it was."""
        guild = _where(interaction)
        # Picking a server event asks Discord for it: answer "thinking" first (3 s limit).
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        picked = await self.picker.pick(guild, read_event_option(event), now)
        self._check_target(guild, picked, now)
        target = picked.target
        ref = target.ref
        guilds = self.bot.store.guilds
        before = await guilds.get(guild.id, ref)
        starting = before is None or before.status == "stopped"
        if starting and await guilds.live_count(guild.id) >= MAX_LIVE_COUNTDOWNS:
            raise UserFacingError(
                f"This server already has {MAX_LIVE_COUNTDOWNS} countdowns running, the "
                "most I keep per server. `/countdown stop` one first."
            )
        post_in = channel or (guild.get_channel(before.channel_id) if before else None)
        if post_in is None:
            raise UserFacingError(
                "Which channel should I post in? Add `channel:`, e.g. `channel: #announcements`."
            )
        if role is not None and remove_role:
            raise UserFacingError("Pick a role or `remove_role`, not both.")
        role_id = None if remove_role else role.id if role else before.role_id if before else None
        given = milestones if milestones is not None else (before.milestones if before else None)
        try:
            chosen, repeats = read_milestones(given)
        except MilestoneError as exc:
            raise UserFacingError(str(exc)) from None
        assert target.starts_at is not None  # checked by _check_target
        self._check_channel(guild, post_in)
        kept_role = guild.get_role(role_id) if role_id is not None else None
        if kept_role is not None:
            self._check_role(guild, post_in, kept_role)
        if picked.record is not None:
            await self.bot.store.server_events.save(picked.record)
            self.bot.reminders.follow(guild.id)
        subscription = await guilds.subscribe(
            guild.id,
            ref,
            channel_id=post_in.id,
            role_id=role_id,
            milestones=canonical(chosen),
            now=now,
        )
        planned = await self.bot.reminders.plan(subscription)
        if picked.record is not None:
            await self.bot.reminders.catch_up(guild, picked.record.event_id)
        await self.bot.reminders.reschedule()
        problem = await self._ensure_server_event(guild, subscription, picked)
        subscription = await guilds.get(guild.id, ref) or subscription
        past = [str(p.milestone) for p in planned if p.due_at <= now and not p.late_ok]
        notes = self._setup_notes(before, subscription, past, repeats)
        if problem:
            notes.append(problem)
        log.info(
            "countdown %s: guild %s, event %s at %s, milestones %s",
            "set up" if before is None else "changed",
            guild.id,
            ref,
            target.starts_at.isoformat(),
            subscription.milestones,
        )
        embed = await self._status_embed(subscription)
        await interaction.followup.send("\n".join(notes), embed=embed, ephemeral=True)

    @staticmethod
    def _setup_notes(
        before: Subscription | None, after: Subscription, past: list[str], repeats: list[str]
    ) -> list[str]:
        """What a setup changed, and what the admin should know about their milestones."""
        if before is None:
            notes = ["Countdown set! Here is the plan."]
        else:
            changes = []
            if before.status != "active":
                changes.append("it is running again")
            if before.channel_id != after.channel_id:
                changes.append(f"posts move to <#{after.channel_id}>")
            if before.role_id != after.role_id:
                changes.append(
                    f"it now pings <@&{after.role_id}>" if after.role_id else "it pings nobody"
                )
            if before.milestones != after.milestones:
                changes.append(f"milestones are now {after.milestones.replace(',', ', ')}")
            notes = [f"Countdown updated: {_listing(changes)}." if changes else "Nothing changed."]
        if past and (before is None or before.milestones != after.milestones):
            notes.append(
                f"{_listing(past)} {'is' if len(past) == 1 else 'are'} already past, so "
                f"{'it' if len(past) == 1 else 'they'} won't be posted."
            )
        if repeats:
            notes.append(f"{_listing(repeats)} repeated another milestone; I kept one of each.")
        return notes

    @setup.autocomplete("event")
    async def _setup_event(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._event_choices(interaction, current)

    @app_commands.command(name="daily")
    @app_commands.describe(
        time="Local time of day for the post, e.g. 18:00 (or 'off' to stop daily posts)",
        timezone="Your server's time zone, e.g. Europe/London",
        days="Post daily during this many last days (default 14)",
        event=EVENT_DESCRIPTION,
    )
    async def daily(
        self,
        interaction: discord.Interaction[FanBot],
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[int, 1, MAX_DAILY_DAYS] = DEFAULT_DAILY_DAYS,
        event: str | None = None,
    ) -> None:
        """Add a daily "N days to go" post at a local time (one post a day at most)."""
        guild = _where(interaction)
        subscription = await self._subscription(guild, event)
        now = self.bot.clock.now()
        if time.strip().lower() == "off":
            updated = await self.bot.store.guilds.set_daily(
                guild.id, subscription.event_ref, time=None, timezone=None, days=None, now=now
            )
        else:
            zone_name = timezone or subscription.daily_timezone
            if zone_name is None:
                raise UserFacingError("Tell me the time zone too, e.g. `timezone: Europe/London`.")
            try:
                hour, minute = parse_daily_time(time)
                zone = parse_zone(zone_name)
            except DailyError as exc:
                raise UserFacingError(str(exc)) from None
            updated = await self.bot.store.guilds.set_daily(
                guild.id,
                subscription.event_ref,
                time=f"{hour:02d}:{minute:02d}",
                timezone=zone.key,
                days=days,
                now=now,
            )
        if updated is None:
            raise UserFacingError(
                "That countdown was just removed; start it with `/countdown setup`."
            )
        await self.bot.reminders.plan(updated)
        await self.bot.reminders.reschedule()
        daily = (
            f"daily posts at {updated.daily_time} {updated.daily_timezone}"
            if updated.daily_time
            else "daily posts off"
        )
        log.info("countdown changed: guild %s, event %s, %s", guild.id, updated.event_ref, daily)
        embed = await self._status_embed(updated)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @daily.autocomplete("timezone")
    async def _daily_zone(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().casefold().replace(" ", "_")
        found = [z for z in ZONES if needle in z.casefold()]
        return [app_commands.Choice(name=z, value=z) for z in found[:25]]

    @daily.autocomplete("event")
    async def _daily_event(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._event_choices(interaction, current)

    @app_commands.command(name="status")
    @app_commands.describe(event=EVENT_DESCRIPTION)
    async def status(
        self, interaction: discord.Interaction[FanBot], event: str | None = None
    ) -> None:
        """See a countdown: its settings, the next posts and how the last ones went."""
        guild = _where(interaction)
        subscription = await self._subscription(guild, event)
        embed = await self._status_embed(subscription)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @status.autocomplete("event")
    async def _status_event(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._event_choices(interaction, current)

    @app_commands.command(name="preview")
    @app_commands.describe(event=EVENT_DESCRIPTION)
    async def preview(
        self, interaction: discord.Interaction[FanBot], event: str | None = None
    ) -> None:
        """Show the next countdown post exactly as it will appear (only to you)."""
        guild = _where(interaction)
        subscription = await self._subscription(guild, event)
        upcoming = await self.bot.store.deliveries.pending_for(
            guild.id, subscription.event_ref, limit=1
        )
        if not upcoming:
            raise UserFacingError("There is no countdown post left to preview.")
        target = await self._target(subscription)
        row = upcoming[0]
        content = f"<@&{row.role_id}>" if row.role_id else None
        note = f"Next post, {render.timestamp(row.due_at, 'R')} in <#{row.channel_id}>:"
        await interaction.response.send_message(
            "\n".join(p for p in (note, content) if p),
            embed=render.reminder(target, row.milestone, row.due_at),
            ephemeral=True,
        )

    @preview.autocomplete("event")
    async def _preview_event(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._event_choices(interaction, current)

    @app_commands.command(name="stop")
    @app_commands.describe(event=EVENT_DESCRIPTION)
    async def stop(
        self, interaction: discord.Interaction[FanBot], event: str | None = None
    ) -> None:
        """Stop a countdown's posts; the history is kept."""
        guild = _where(interaction)
        subscription = await self._subscription(guild, event)
        cancelled = await self.bot.store.guilds.stop(
            guild.id, subscription.event_ref, self.bot.clock.now()
        )
        await self.bot.reminders.reschedule()
        log.info(
            "countdown stopped: guild %s, event %s, %d pending post(s) cancelled",
            guild.id,
            subscription.event_ref,
            cancelled,
        )
        plural = "" if cancelled == 1 else "s"
        await interaction.response.send_message(
            f"Countdown stopped: {cancelled} pending post{plural} cancelled. The history stays "
            "in `/countdown status`; `/countdown setup` starts again.",
            ephemeral=True,
        )

    @stop.autocomplete("event")
    async def _stop_event(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._event_choices(interaction, current)

    # ------------------------------------------------------------------ membership

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: pause its countdowns."""
        await self.bot.reminders.guild_removed(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """(Re)joined a server: resume what the removal paused."""
        await self.bot.reminders.guild_joined(guild.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Seen at start-up: it may have re-added the bot or changed events while it was off."""
        await self.bot.reminders.guild_joined(guild.id)
        if self.bot.reminders.follows(guild.id):
            await self.bot.reminders.reconcile(guild)

    @commands.Cog.listener()
    async def on_shard_resumed(self, shard_id: int) -> None:
        """Back after a gateway outage: apply what changed, in case it was not replayed."""
        await self.bot.reminders.reconcile_all(shard_id)

    # ------------------------------------------------------------------ scheduled events

    @commands.Cog.listener()
    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        """A server event moved, started, ended or was cancelled: its countdowns follow."""
        await self.bot.reminders.server_event_changed(after)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        """A server event was deleted: its countdowns' pending posts are cancelled."""
        await self.bot.reminders.server_event_deleted(event.guild_id, event.id)


async def setup(bot: FanBot) -> None:
    """Load the extension."""
    await bot.add_cog(Countdown(bot))
