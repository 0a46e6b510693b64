"""Records -> Discord embeds and text. Pure functions: no I/O, no clock, easy to test.

Every embed built here stays inside Discord's limits whatever a content pack holds: text is
cut cleanly at a word with an ellipsis, and long lists are split into pages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import discord
from discord.utils import escape_markdown

from bot.content.records import (
    CastFilter,
    Casting,
    CharacterProfile,
    Event,
    Note,
    PackInfo,
    PersonProfile,
    Quote,
    Season,
    Source,
    Storyline,
)
from bot.moments import day_text
from bot.reminders.milestones import AT_START, DEFAULT_DAILY_DAYS, PostMilestone
from bot.store.countdown_models import Delivery, Subscription, Target

COLOUR = discord.Colour(0xE8A33D)

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
FIELDS_MAX = 25
CAST_LINES_PER_PAGE = 20


STATUS_LABEL = {"returning": "returning", "new": "new this season"}
FILTER_TITLE = {"all": "Cast", "returning": "Returning cast", "new": "New cast"}
EVENT_LABEL = {
    "premiere": "Premiere",
    "trailer": "Trailer",
    "first_look": "First look",
    "first_scene": "First scene",
    "announcement": "Announcement",
}


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: drop that word
        space = head.rfind(" ")
        if space > limit // 2:
            head = head[:space]
    return head.rstrip(" ,;:.-") + "…"


def spoiler(text: str, limit: int) -> str:
    """`text` cut to fit `limit` with the spoiler bars included."""
    return f"||{cut(text, limit - 4)}||"


def echo(text: str, limit: int = 80) -> str:
    """User input shown back safely: markdown escaped, one line, short."""
    flat = " ".join(text.split())
    return escape_markdown(cut(flat, limit)) or "(nothing)"


def timestamp(moment: datetime, style: str) -> str:
    """Discord's timestamp markup, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def source_line(source: Source) -> str:
    """A short credit: "Source: <title> (publisher, date)"."""
    parts = [source.title, source.publisher, _date(source)]
    return cut("Source: " + " · ".join(p for p in parts if p), FOOTER_MAX)


def _date(source: Source) -> str | None:
    if source.published is None:
        return None
    return day_text(source.published)


def _embed(title: str, description: str = "", *, url: str | None = None) -> discord.Embed:
    return discord.Embed(
        title=cut(title, TITLE_MAX),
        description=cut(description, DESCRIPTION_MAX) if description else None,
        colour=COLOUR,
        url=url,
    )


def _add_field(embed: discord.Embed, name: str, value: str, *, inline: bool = False) -> None:
    """Add a field if it fits: non-empty, within the per-field and whole-embed limits."""
    name, value = cut(name, FIELD_NAME_MAX), cut(value, FIELD_VALUE_MAX)
    if not name or not value or len(embed.fields) >= FIELDS_MAX:
        return
    if len(embed) + len(name) + len(value) > EMBED_TOTAL_MAX - FOOTER_MAX // 8:
        return
    embed.add_field(name=name, value=value, inline=inline)


def _footer(embed: discord.Embed, text: str) -> discord.Embed:
    room = EMBED_TOTAL_MAX - len(embed)
    if room > 20:
        embed.set_footer(text=cut(text, min(FOOTER_MAX, room)))
    return embed


def _role(casting: Casting) -> str:
    if casting.character_name is None:
        return "role not named in the source"
    return casting.character_name


# ---------------------------------------------------------------- cast and people


def cast_line(casting: Casting) -> str:
    """One line of /cast: "**Kit Connor** as Nick Nelson · returning"."""
    name = escape_markdown(casting.person_name)
    role = _role(casting)
    role_text = f"as {escape_markdown(role)}" if casting.character_name else f"({role})"
    return f"**{name}** {role_text} · {STATUS_LABEL[casting.status]}"


def cast_page_count(castings: Sequence[Casting]) -> int:
    """How many pages /cast needs for `castings`."""
    return max(1, math.ceil(len(castings) / CAST_LINES_PER_PAGE))


def cast_page(
    season: Season, castings: Sequence[Casting], status: CastFilter, page: int
) -> discord.Embed:
    """One page of the cast list; `page` is clamped to the pages there are."""
    pages = cast_page_count(castings)
    page = min(max(page, 0), pages - 1)
    shown = castings[page * CAST_LINES_PER_PAGE : (page + 1) * CAST_LINES_PER_PAGE]
    lines = [cut(cast_line(c), 190) for c in shown]
    body = "\n".join(lines) if lines else "No one in this list yet."
    embed = _embed(f"{FILTER_TITLE[status]} · {season.label}", body)
    footer = f"{len(castings)} in all"
    if pages > 1:
        footer = f"Page {page + 1} of {pages} · {footer}"
    sources = {c.source.title for c in shown}
    if len(sources) == 1:
        footer += f" · {source_line(shown[0].source)}"
    return _footer(embed, footer)


def character(season: Season, profile: CharacterProfile) -> discord.Embed:
    """Who plays a character, what is known of them, and their storylines."""
    embed = _embed(profile.name, profile.about or "The sources say little about them so far.")
    embed.set_author(name=cut(season.label, 256))
    for casting in profile.castings:
        detail = STATUS_LABEL[casting.status].capitalize()
        if casting.note:
            detail += f". {casting.note}"
        _add_field(embed, f"Played by {casting.person_name}", detail)
    if profile.storylines:
        titles = "\n".join(
            f"• ||{escape_markdown(s.title)}||" if s.spoiler else f"• {escape_markdown(s.title)}"
            for s in profile.storylines
        )
        _add_field(embed, "Storylines", titles)
    return _footer(embed, source_line(profile.source))


def person(profile: PersonProfile) -> discord.Embed:
    """An actor's roles in the loaded seasons, what the sources say, and their words."""
    embed = _embed(profile.name, profile.about or "")
    for season, casting in profile.castings:
        if casting.character_name is None:
            detail = f"{_role(casting).capitalize()} · {STATUS_LABEL[casting.status]}"
        else:
            role = escape_markdown(casting.character_name)
            detail = f"as **{role}** · {STATUS_LABEL[casting.status]}"
        if casting.note:
            detail += f"\n{casting.note}"
        _add_field(embed, season.label, detail)
    for quote in profile.quotes[:3]:
        _add_field(embed, "In their words", quote_text(quote))
    return _footer(embed, source_line(profile.source))


def quote_text(quote: Quote) -> str:
    """A quote with who said it and where."""
    where = f" ({quote.context})" if quote.context else ""
    return cut(f"“{quote.text}” — {quote.speaker}{where}", FIELD_VALUE_MAX)


# ---------------------------------------------------------------- plot


def synopsis(
    season: Season, storylines: Sequence[Storyline], notes: Sequence[Note]
) -> discord.Embed:
    """The season at a glance: synopsis, the storylines by title, and notable facts."""
    embed = _embed(f"What happens in {season.label}?", season.synopsis)
    if storylines:
        lines = "\n".join(
            f"• ||{escape_markdown(s.title)}||" if s.spoiler else f"• {escape_markdown(s.title)}"
            for s in storylines
        )
        _add_field(embed, "Storylines (ask /plot with one for more)", lines)
    for note in notes:
        _add_field(embed, "Did you know?", note.text)
    return _footer(embed, source_line(season.source))


def storyline(season: Season, item: Storyline) -> discord.Embed:
    """One storyline; its summary hidden behind spoiler bars when the pack marks it so."""
    summary = spoiler(item.summary, DESCRIPTION_MAX) if item.spoiler else item.summary
    embed = _embed(item.title, summary)
    embed.set_author(name=cut(season.label, 256))
    if item.characters:
        _add_field(embed, "Featuring", ", ".join(item.characters))
    footer = source_line(item.source)
    if item.spoiler:
        footer = "Contains spoilers · " + footer
    return _footer(embed, footer)


# ---------------------------------------------------------------- dates


def _days(delta_seconds: float) -> int:
    """Whole days, rounded as Discord rounds its relative timestamps."""
    return round(abs(delta_seconds) / 86_400)


def countdown_phrase(starts_at: datetime, now: datetime) -> str:
    """A short phrase such as "12 days to go" or "Out now: it premiered 3 days ago."."""
    seconds = (starts_at - now).total_seconds()
    days = _days(seconds)
    if seconds > 0:
        if seconds < 86_400:
            return "Less than a day to go!"
        return f"{days} day{'s' if days != 1 else ''} to go"
    if days == 0:
        return "Out now: it premiered today."
    if days >= 365:  # as Discord's own relative timestamps count
        years = round(days / 365)
        return f"Out now: it premiered {years} year{'s' if years != 1 else ''} ago."
    return f"Out now: it premiered {days} day{'s' if days != 1 else ''} ago."


def premiere(season: Season, event: Event | None, now: datetime) -> discord.Embed:
    """When the season arrives, in every reader's own time zone, and how long to go."""
    if event is None:
        return _embed(f"{season.label}: premiere", "The sources don't give a premiere date yet.")
    platform = event.platform or season.platform
    if event.starts_at is None:
        when = event.date_text or "date not announced"
        embed = _embed(f"{season.label} premieres {when}", event.description or "")
    else:
        embed = _embed(
            f"{season.label} premiere",
            f"{timestamp(event.starts_at, 'F')} ({timestamp(event.starts_at, 'R')})",
        )
        _add_field(embed, "Countdown", countdown_phrase(event.starts_at, now), inline=True)
    if platform:
        _add_field(embed, "Where", platform, inline=True)
    if event.description and event.starts_at is not None:
        _add_field(embed, "Details", event.description)
    return _footer(embed, source_line(event.source))


def _event_when(event: Event) -> str:
    if event.starts_at is not None:
        return timestamp(event.starts_at, "D")
    return event.date_text or "date not given"


def trailers(season: Season, events: Sequence[Event]) -> discord.Embed:
    """The trailer, first look and first scene, with links where the sources give them."""
    embed = _embed(f"Trailers and first looks · {season.label}")
    if not events:
        embed.description = "Nothing has been shown yet."
    for event in events:
        lines = [_event_when(event)]
        if event.description:
            lines.append(event.description)
        if event.url:
            lines.append(f"[Watch or see it here]({event.url})")
        _add_field(embed, f"{EVENT_LABEL[event.kind]}: {event.title}", "\n".join(lines))
    sources = sorted({e.source.title for e in events})
    if len(sources) == 1:
        return _footer(embed, source_line(events[0].source))
    return embed


# ---------------------------------------------------------------- about and errors


def target_name(target: Target) -> str:
    """How a target is named in bold: a server event's name is a moderator's text."""
    return escape_markdown(cut(target.name, 100)) if target.is_server_event else target.name


def reminder(target: Target, milestone: PostMilestone, due_at: datetime) -> discord.Embed:
    """A countdown post: the milestone, what it counts down to, when and where.

    The embed carries its due time as its timestamp, which also lets the bot recognise
    its own post in a channel's history after a crash. A server event's post links to it.
    """
    name = f"**{target_name(target)}**"
    where = f" {target.where}" if target.where else ""
    if target.starts_at is None:
        text = f"{name} arrives{where} soon."
    elif milestone == AT_START and target.is_server_event:
        text = f"{name} is starting now{where}! Come along."
    elif milestone == AT_START:
        text = f"{name} is out now{where}! Enjoy, and no spoilers for the others."
    else:
        when = f"{timestamp(target.starts_at, 'F')} ({timestamp(target.starts_at, 'R')})"
        verb = "starts" if target.is_server_event else "arrives"
        text = f"{name} {verb}{where} {when}."
    embed = _embed(milestone.headline, text, url=target.url)
    embed.timestamp = due_at
    if target.is_server_event and target.description:
        _add_field(embed, "Details", cut(target.description, 300))
    if target.user_count:
        _add_field(embed, "Interested", f"{target.user_count:,}", inline=True)
    if target.url:
        _add_field(embed, "Event", f"[Open it in Discord]({target.url})", inline=True)
    return _footer(embed, "Countdown by fanbot")


def _delivery_outcome(row: Delivery) -> str:
    when = f" {timestamp(row.settled_at, 'R')}" if row.settled_at else ""
    if row.status == "sent" and row.message_id is not None:
        link = f"https://discord.com/channels/{row.guild_id}/{row.channel_id}/{row.message_id}"
        return f"sent{when} · [jump to it]({link})"
    label = {
        "skipped_stale": "skipped, too late",
        "skipped_superseded": "skipped, a later one went out",
        "cancelled": "cancelled",
        "failed": "failed",
    }.get(row.status, row.status)
    return f"{label}{when}" + (f": {row.detail}" if row.detail else "")


def countdown_state(target: Target, subscription: Subscription, now: datetime) -> str:
    """One line on where a countdown stands: active, paused, finished, cancelled..."""
    if target.state == "cancelled":
        return "Cancelled: the server event was cancelled, so nothing more will be posted"
    if target.state == "deleted":
        return "Cancelled: the server event was deleted, so nothing more will be posted"
    if subscription.status == "stopped":
        return "Stopped (the history is kept below)"
    if subscription.status == "paused":
        return f"Paused: {subscription.pause_reason or 'no reason recorded'}"
    if target.state == "active" and target.starts_at is not None:
        return f"Under way: it started {timestamp(target.starts_at, 'R')}"
    if target.state == "completed" or (target.starts_at is not None and target.starts_at <= now):
        when = f" {timestamp(target.starts_at, 'R')}" if target.starts_at else ""
        return f"Finished: its time came{when}"
    return "Active"


def countdown_status(
    target: Target,
    subscription: Subscription,
    upcoming: Sequence[Delivery],
    recent: Sequence[Delivery],
    now: datetime,
) -> discord.Embed:
    """A server's countdown: its settings, the next posts and how the last ones went."""
    state = countdown_state(target, subscription, now)
    ping = f"<@&{subscription.role_id}>" if subscription.role_id else "nobody (no role set)"
    lines = [f"**Status:** {state}"]
    if target.starts_at is not None:
        lines.append(
            f"**When:** {timestamp(target.starts_at, 'F')} ({timestamp(target.starts_at, 'R')})"
            + (f" {target.where}" if target.where else "")
        )
    lines += [
        f"**Channel:** <#{subscription.channel_id}> · **Pings:** {ping}",
        f"**Milestones:** {subscription.milestones.replace(',', ', ')}",
    ]
    if subscription.daily_time:
        days = subscription.daily_days or DEFAULT_DAILY_DAYS
        lines.append(
            f"**Daily post:** {subscription.daily_time} {subscription.daily_timezone}, "
            f"the last {days} days (one post a day: a milestone on the same day replaces it)"
        )
    event_url = target.url or (
        f"https://discord.com/events/{subscription.guild_id}/{subscription.scheduled_event_id}"
        if subscription.scheduled_event_id
        else None
    )
    if event_url:
        lines.append(f"**Server event:** [open it]({event_url})")
    embed = _embed(f"Countdown to {target_name(target)}", "\n".join(lines))
    if state != "Active" and not state.startswith("Paused") and not upcoming:
        upcoming_text = "Nothing left to post."
    elif upcoming:
        upcoming_text = "\n".join(
            f"• {r.milestone.headline} {timestamp(r.due_at, 'F')} ({timestamp(r.due_at, 'R')})"
            for r in upcoming
        )
    else:
        upcoming_text = "Nothing scheduled."
    _add_field(embed, "Next posts", upcoming_text)
    if recent:
        _add_field(
            embed,
            "Last posts",
            "\n".join(f"• {r.milestone.headline}: {_delivery_outcome(r)}" for r in recent),
        )
    if target.starts_at is not None:
        _footer(embed, f"{target.title}: {utc_text(target.starts_at)}")
    return embed


def utc_text(moment: datetime) -> str:
    """A moment in UTC, written the same on every platform: "Thursday 3 August 2023, 07:00 UTC"."""
    utc = moment.astimezone(UTC)
    return f"{utc:%A} {day_text(utc)}, {utc:%H:%M} UTC"


def short_utc_text(moment: datetime) -> str:
    """A moment in UTC, short, the same on every platform: "4 Dec 2026, 19:00 UTC"."""
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"


def about(version: str, packs: Sequence[PackInfo], seasons: Sequence[Season]) -> discord.Embed:
    """What fanbot is, what it knows and where that comes from."""
    embed = _embed(
        "About fanbot",
        "I answer questions about a show's cast and plot, and count down to premieres. "
        "Everything I say comes from the sources listed below. Try `/cast`, `/character`, "
        "`/plot` or `/premiere`.",
    )
    for pack in packs:
        sources = "\n".join(f"• {source_line(s).removeprefix('Source: ')}" for s in pack.sources)
        _add_field(embed, f"{pack.title} (pack {pack.name} v{pack.version})", sources or "—")
    if seasons:
        _add_field(embed, "Seasons", ", ".join(s.label for s in seasons))
    return _footer(embed, f"fanbot {version}")


def not_found(kind: str, text: str, season: Season, suggestions: Sequence[str]) -> str:
    """The ephemeral answer when nothing matches, with the closest names to try."""
    message = f"I couldn't find a {kind} called “{echo(text)}” in {season.label}."
    if suggestions:
        names = ", ".join(f"**{escape_markdown(s)}**" for s in suggestions)
        message += f" Did you mean {names}?"
    else:
        message += " Start typing and pick one of the suggestions."
    return message


def actor_not_character(name: str, season: Season) -> str:
    """The answer when someone asks /character for an actor's name."""
    return (
        f"**{escape_markdown(name)}** is in the cast of {season.label}, not a character: "
        f"try `/actor name: {escape_markdown(name)}`."
    )


def no_season(text: str | None) -> str:
    """The answer when the show/season asked for is not loaded."""
    if text:
        return f"I don't know a show or season called “{echo(text)}”. Pick one from the list."
    return "No show is loaded yet. An admin can add a content pack (see the README)."
