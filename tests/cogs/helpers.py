"""Reading the bot's replies the way a fan would see them."""

from __future__ import annotations

from bot.emulator import Emulator, Message
from bot.emulator.rules import pinged


def visible_text(message: Message) -> str:
    """Everything a reader sees in a message: content, embed titles, text and fields."""
    parts = [message.content]
    for embed in message.embeds:
        parts.append(embed.get("title", ""))
        parts.append(embed.get("description", ""))
        parts.append((embed.get("author") or {}).get("name", ""))
        for field in embed.get("fields", []):
            parts.extend((field["name"], field["value"]))
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def assert_nobody_pinged(emulator: Emulator) -> None:
    """Every message the bot sent set allowed_mentions, and none would notify anyone."""
    for message in emulator.messages.values():
        assert message.allowed_mentions is not None, f"no allowed_mentions on {message.content!r}"
        text = message.content + "".join(str(e) for e in message.embeds)
        assert pinged(text, message.allowed_mentions) == set()
