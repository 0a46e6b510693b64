"""/countdown: admins point the bot at a channel; it posts reminders before a premiere."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import FanBot
from bot.errors import UserFacingError
from bot.reminders.milestones import MilestoneError, canonical, parse_milestones
from bot.reminders.planner import (
    DEFAULT_DAILY_DAYS,
    MAX_DAILY_DAYS,
    DailyError,
    EventRef,
    parse_daily_time,
    parse_zone,
)
from bot.store.countdown_models import Subscription
from bot.store.models import Event, Season

log = logging.getLogger(__name__)

EVENT_DESCRIPTION = "Which event to count down to (default: the current season's premiere)"
ZONES = sorted(available_timezones())
SERVER_EVENT_LENGTH = timedelta(hours=2)


def _bot(interaction: discord.Interaction) -> FanBot:
    return interaction.client  # type: ignore[return-value]


async def event_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Dated events of the loaded seasons that match what the admin typed."""
    content = _bot(interaction).store.content
    choices: list[app_commands.Choice[str]] = []
    needle = current.strip().casefold()
    for season in await content.seasons():
        for item in await content.events(season.id):
            if item.starts_at is None:
                continue
            name = render.cut(f"{season.label}: {item.title} ({item.starts_at:%-d %b %Y})", 100)
            ref = str(EventRef.of(season, item))
            if needle in name.casefold() and len(ref) <= 100:
                choices.append(app_commands.Choice(name=name, value=ref))
    return choices[:25]


def _where(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Countdown(commands.GroupCog, group_name="countdown"):
    """Premiere countdown posts for this server (admins only)."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Check Manage Server on our side too: a server can override command permissions."""
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    # ------------------------------------------------------------------ helpers

    async def _event(self, ref: str | None) -> tuple[Season, Event, str]:
        """The event an admin named (an autocomplete value), or the current premiere."""
        service = self.bot.reminders
        if ref:
            found = await service.event_for(ref) if ref.count("/") == 2 else None
            if found is None:
                raise UserFacingError(
                    f"I don't know the event “{render.echo(ref)}”. Pick one from the list."
                )
            season, event = found
            return season, event, ref
        content = self.bot.store.content
        current = await content.resolve_season()
        premiere = await content.premiere(current.id) if current is not None else None
        if current is None or premiere is None:
            raise UserFacingError("No loaded show has a premiere date to count down to.")
        return current, premiere, str(EventRef.of(current, premiere))

    async def _subscription(self, guild_id: int, ref: str | None) -> Subscription:
        """The server's subscription to the named event, or its only one."""
        guilds = self.bot.store.guilds
        if ref:
            found = await guilds.get(guild_id, ref)
        else:
            mine = [s for s in await guilds.for_guild(guild_id) if s.status != "stopped"]
            mine = mine or await guilds.for_guild(guild_id)
            found = mine[0] if mine else None
        if found is None:
            raise UserFacingError(
                "This server has no countdown yet. Start one with `/countdown setup`."
            )
        return found

    async def _status_embed(self, subscription: Subscription) -> discord.Embed:
        found = await self.bot.reminders.event_for(subscription.event_ref)
        if found is None:
            raise UserFacingError("That countdown's event is no longer in any content pack.")
        season, event = found
        deliveries = self.bot.store.deliveries
        return render.countdown_status(
            season,
            event,
            subscription,
            await deliveries.pending_for(subscription.guild_id, subscription.event_ref),
            await deliveries.history(subscription.guild_id, subscription.event_ref),
            self.bot.clock.now(),
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
        self, guild: discord.Guild, subscription: Subscription, season: Season, event: Event
    ) -> str | None:
        """Create the server's Discord event for the premiere once; say why not if we can't."""
        if event.starts_at is None or not guild.me.guild_permissions.manage_events:
            return None
        if subscription.scheduled_event_id is not None:
            try:
                await guild.fetch_scheduled_event(subscription.scheduled_event_id)
            except discord.NotFound:
                pass  # deleted by someone: make a new one
            else:
                return None
        platform = event.platform or season.platform or "online"
        try:
            created = await guild.create_scheduled_event(
                name=render.cut(f"{season.label} premiere", 100),
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

    # ------------------------------------------------------------------ commands

    @app_commands.command(name="setup")
    @app_commands.autocomplete(event=event_autocomplete)
    @app_commands.describe(
        channel="Where to post the countdown",
        role="A role to ping with each post (optional; it must be mentionable)",
        milestones="When to post, e.g. 7d,1d,1h,0 (default 30d,14d,7d,3d,1d,1h,0)",
        event=EVENT_DESCRIPTION,
    )
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        milestones: app_commands.Range[str, 1, 200] | None = None,
        event: str | None = None,
    ) -> None:
        """Start (or change) this server's countdown posts."""
        guild = _where(interaction)
        season, found, ref = await self._event(event)
        now = self.bot.clock.now()
        if found.starts_at is None:
            raise UserFacingError(f"{found.title} has no exact date yet; nothing to count down to.")
        if found.starts_at <= now:
            raise UserFacingError(
                f"{season.label} premiered {render.timestamp(found.starts_at, 'R')}: "
                "there is nothing left to count down to."
            )
        try:
            chosen = canonical(parse_milestones(milestones))
        except MilestoneError as exc:
            raise UserFacingError(str(exc)) from None
        self._check_channel(guild, channel)
        if role is not None:
            self._check_role(guild, channel, role)
        await interaction.response.defer(ephemeral=True, thinking=True)
        subscription = await self.bot.store.guilds.subscribe(
            guild.id,
            ref,
            channel_id=channel.id,
            role_id=role.id if role else None,
            milestones=chosen,
            now=now,
        )
        await self.bot.reminders.plan(subscription)
        await self.bot.reminders.reschedule()
        problem = await self._ensure_server_event(guild, subscription, season, found)
        subscription = await self._subscription(guild.id, ref)
        embed = await self._status_embed(subscription)
        text = "Countdown set! Here is the plan." + (f" {problem}" if problem else "")
        await interaction.followup.send(text, embed=embed, ephemeral=True)

    @app_commands.command(name="daily")
    @app_commands.autocomplete(event=event_autocomplete)
    @app_commands.describe(
        time="Local time of day for the post, e.g. 18:00 (or 'off' to stop daily posts)",
        timezone="Your server's time zone, e.g. Europe/London",
        days="Post daily during this many last days (default 14)",
        event=EVENT_DESCRIPTION,
    )
    async def daily(
        self,
        interaction: discord.Interaction,
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[int, 1, MAX_DAILY_DAYS] = DEFAULT_DAILY_DAYS,
        event: str | None = None,
    ) -> None:
        """Add a daily "N days to go" post at a local time during the last days."""
        guild = _where(interaction)
        subscription = await self._subscription(guild.id, event)
        now = self.bot.clock.now()
        if time.strip().lower() == "off":
            updated = await self.bot.store.guilds.set_daily(
                guild.id, subscription.event_ref, time=None, timezone=None, days=None, now=now
            )
        else:
            if timezone is None:
                raise UserFacingError("Tell me the time zone too, e.g. `timezone: Europe/London`.")
            try:
                hour, minute = parse_daily_time(time)
                zone = parse_zone(timezone)
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
        assert updated is not None
        await self.bot.reminders.plan(updated)
        await self.bot.reminders.reschedule()
        embed = await self._status_embed(updated)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @daily.autocomplete("timezone")
    async def _daily_zone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().casefold().replace(" ", "_")
        found = [z for z in ZONES if needle in z.casefold()]
        return [app_commands.Choice(name=z, value=z) for z in found[:25]]

    @app_commands.command(name="status")
    @app_commands.autocomplete(event=event_autocomplete)
    @app_commands.describe(event=EVENT_DESCRIPTION)
    async def status(self, interaction: discord.Interaction, event: str | None = None) -> None:
        """See the countdown: its settings, the next posts and how the last ones went."""
        guild = _where(interaction)
        subscription = await self._subscription(guild.id, event)
        embed = await self._status_embed(subscription)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="preview")
    @app_commands.autocomplete(event=event_autocomplete)
    @app_commands.describe(event=EVENT_DESCRIPTION)
    async def preview(self, interaction: discord.Interaction, event: str | None = None) -> None:
        """Show the next countdown post exactly as it will appear (only to you)."""
        guild = _where(interaction)
        subscription = await self._subscription(guild.id, event)
        upcoming = await self.bot.store.deliveries.pending_for(
            guild.id, subscription.event_ref, limit=1
        )
        found = await self.bot.reminders.event_for(subscription.event_ref)
        if not upcoming or found is None:
            raise UserFacingError("There is no countdown post left to preview.")
        season, item = found
        row = upcoming[0]
        content = f"<@&{row.role_id}>" if row.role_id else None
        note = f"Next post, {render.timestamp(row.due_at, 'R')} in <#{row.channel_id}>:"
        await interaction.response.send_message(
            "\n".join(p for p in (note, content) if p),
            embed=render.reminder(season, item, row.milestone, row.due_at),
            ephemeral=True,
        )

    @app_commands.command(name="stop")
    @app_commands.autocomplete(event=event_autocomplete)
    @app_commands.describe(event=EVENT_DESCRIPTION)
    async def stop(self, interaction: discord.Interaction, event: str | None = None) -> None:
        """Stop this server's countdown posts; the history is kept."""
        guild = _where(interaction)
        subscription = await self._subscription(guild.id, event)
        cancelled = await self.bot.store.guilds.stop(
            guild.id, subscription.event_ref, self.bot.clock.now()
        )
        await self.bot.reminders.reschedule()
        plural = "" if cancelled == 1 else "s"
        await interaction.response.send_message(
            f"Countdown stopped: {cancelled} pending post{plural} cancelled. The history stays "
            "in `/countdown status`; `/countdown setup` starts again.",
            ephemeral=True,
        )

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
        """Seen at start-up: it may have re-added the bot while it was offline."""
        await self.bot.reminders.guild_joined(guild.id)


async def setup(bot: FanBot) -> None:
    """Load the extension."""
    await bot.add_cog(Countdown(bot))
