"""Messages the bot creates or edits through any route: Discord's body rules, storing, editing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.emulator import rules
from bot.emulator.rest.answers import ApiError
from bot.emulator.state import Interaction, Json, Message, iso_now

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def check_body(emulator: Emulator, label: str, body: Json, *, creating: bool) -> None:
    """Refuse (and record as breaches) a body that breaks Discord's message limits."""
    problems = rules.message_problems(body, creating=creating)
    if problems:
        for problem in problems:
            emulator.breach(f"{label}: {problem}")
        code = 50006 if problems == ["Cannot send an empty message"] else 50035
        message = problems[0] if code == 50006 else "Invalid Form Body"
        raise ApiError(400, code, message, {"_errors": problems})


def store_message(
    emulator: Emulator,
    channel_id: int,
    body: Json,
    *,
    flags: int,
    interaction: Interaction | None = None,
    nonce: str | int | None = None,
) -> Message:
    """A new message by the bot in the channel, as `body` describes it."""
    guild_id = next((g.id for g in emulator.guilds.values() if channel_id in g.channels), None)
    message = Message(
        id=emulator.ids.next(),
        channel_id=channel_id,
        guild_id=guild_id,
        author=emulator.bot_user,
        content=body.get("content") or "",
        embeds=list(body.get("embeds") or []),
        components=list(body.get("components") or []),
        flags=flags,
        nonce=nonce,
        allowed_mentions=body.get("allowed_mentions"),
        webhook_id=emulator.application_id if interaction is not None else None,
        interaction_id=interaction.id if interaction is not None else None,
    )
    emulator.messages[message.id] = message
    return message


def apply_edit(message: Message, body: Json) -> None:
    """Change what `body` names (content, embeds, components, allowed mentions)."""
    if "content" in body:
        message.content = body["content"] or ""
    if "embeds" in body:
        message.embeds = list(body["embeds"] or [])
    if "components" in body:
        message.components = list(body["components"] or [])
    if "allowed_mentions" in body:
        message.allowed_mentions = body["allowed_mentions"]
    message.edited_timestamp = iso_now()
