"""bot.terminal: what the bot posted, rendered for a terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.emulator.state import FLAG_EPHEMERAL, FLAG_LOADING, Message, User
from bot.terminal import (
    clean_markdown,
    format_time,
    relative_time,
    render_buttons,
    render_message,
    visible_width,
    wrap,
)

PREMIERE = datetime(2023, 8, 3, 7, 0, tzinfo=UTC)
STAMP = int(PREMIERE.timestamp())
NOW = datetime(2023, 7, 22, 7, 0, tzinfo=UTC)
BOT = User(1, "fanbot", bot=True)


def message(**fields: Any) -> Message:
    return Message(id=10, channel_id=20, guild_id=30, author=BOT, **fields)


def premiere_embed() -> dict[str, Any]:
    return {
        "author": {"name": "Heartstopper season 2"},
        "title": "Heartstopper season 2 premiere",
        "description": f"<t:{STAMP}:F> (<t:{STAMP}:R>)",
        "color": 0xE8A33D,
        "fields": [
            {"name": "Countdown", "value": "12 days to go", "inline": True},
            {"name": "Storylines", "value": "• Paris\n• ||Charlie's mental health||"},
        ],
        "footer": {"text": "Source: the article · 9 July 2023"},
    }


def pager() -> list[dict[str, Any]]:
    return [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 2, "label": "◀ Previous", "custom_id": "a", "disabled": True},
                {"type": 2, "style": 2, "label": "Next ▶", "custom_id": "b"},
            ],
        }
    ]


# ---------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("F", "Thursday 3 August 2023 07:00 UTC"),
        ("f", "3 August 2023 07:00 UTC"),
        ("D", "3 August 2023"),
        ("d", "2023-08-03"),
        ("t", "07:00 UTC"),
        ("T", "07:00:00 UTC"),
    ],
)
async def test_format_time_styles(style: str, expected: str) -> None:
    assert format_time(PREMIERE, style) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(days=12, hours=3), "in 12 days"),
        (timedelta(days=1), "in a day"),
        (timedelta(hours=5), "in 5 hours"),
        (timedelta(seconds=10), "in a few seconds"),
        (timedelta(minutes=-1), "a minute ago"),
        (timedelta(days=-3), "3 days ago"),
        (timedelta(days=-60), "2 months ago"),
        (timedelta(days=-2 * 365), "2 years ago"),
    ],
)
async def test_relative_time(delta: timedelta, expected: str) -> None:
    assert relative_time(NOW + delta, NOW) == expected


async def test_timestamps_in_text() -> None:
    text = f"<t:{STAMP}:F> (<t:{STAMP}:R>) on <t:{STAMP}:D>"
    assert clean_markdown(text, now=NOW) == (
        "Thursday 3 August 2023 07:00 UTC (in 12 days) on 3 August 2023"
    )


async def test_relative_timestamp_without_now_is_spelled_out() -> None:
    assert clean_markdown(f"<t:{STAMP}:R>") == "Thursday 3 August 2023 07:00 UTC"


# ---------------------------------------------------------------- markdown


async def test_bold_loses_its_asterisks_without_colour() -> None:
    assert clean_markdown("**Kit Connor** as *Nick*") == "Kit Connor as Nick"


async def test_bold_becomes_ansi_with_colour() -> None:
    assert clean_markdown("**Kit**", color=True) == "\x1b[1mKit\x1b[0m"


async def test_spoilers_stay_readable() -> None:
    assert clean_markdown("• ||Charlie's mental health||") == "• [spoiler: Charlie's mental health]"


async def test_escaped_markdown_is_unescaped_and_not_styled() -> None:
    assert clean_markdown(r"\*not italic\* snake\_case under_score") == (
        "*not italic* snake_case under_score"
    )


async def test_links_show_their_address() -> None:
    text = "[Watch or see it here](https://example.org/trailer)"
    assert clean_markdown(text) == "Watch or see it here (https://example.org/trailer)"


async def test_mentions_use_known_names_and_keep_unknown_ones() -> None:
    names = {5: "@Premiere Pings", 6: "#announcements"}
    assert clean_markdown("<@&5> in <#6> by <@7>", names=names) == (
        "@Premiere Pings in #announcements by <@7>"
    )


async def test_headings_and_subtext_drop_their_markers() -> None:
    assert clean_markdown("# Big\n-# small\n> quoted") == "Big\nsmall\n▎ quoted"


# ---------------------------------------------------------------- wrapping


async def test_wrap_respects_the_width() -> None:
    text = " ".join(["word"] * 60)
    lines = wrap(text, 30)
    assert len(lines) > 1
    assert all(visible_width(line) <= 30 for line in lines)
    assert " ".join(lines).split() == text.split()


async def test_wrap_ignores_ansi_and_carries_styles_across_lines() -> None:
    text = clean_markdown("**" + " ".join(["bold"] * 20) + "**", color=True)
    lines = wrap(text, 24)
    assert all(visible_width(line) <= 24 for line in lines)
    assert all(line.startswith("\x1b[1m") and line.endswith("\x1b[0m") for line in lines)


async def test_wide_characters_take_two_columns() -> None:
    assert visible_width("🍂ab") == 4
    assert visible_width("\x1b[1mab\x1b[0m") == 2


# ---------------------------------------------------------------- messages


async def test_embed_block() -> None:
    text = render_message(message(embeds=[premiere_embed()]), now=NOW)
    assert text.splitlines() == [
        "│ Heartstopper season 2",
        "│ Heartstopper season 2 premiere",
        "│ Thursday 3 August 2023 07:00 UTC (in 12 days)",
        "│",
        "│ Countdown: 12 days to go",
        "│ Storylines:",
        "│   • Paris",
        "│   • [spoiler: Charlie's mental health]",
        "│",
        "│ Source: the article · 9 July 2023",
    ]


async def test_plain_output_has_no_ansi_and_colour_output_has() -> None:
    plain = render_message(message(content="**hi**", embeds=[premiere_embed()]), now=NOW)
    coloured = render_message(
        message(content="**hi**", embeds=[premiere_embed()]), now=NOW, color=True
    )
    assert "\x1b" not in plain
    assert "\x1b[1mhi\x1b[0m" in coloured
    assert "\x1b[38;2;232;163;61m" in coloured  # the embed's colour bar


async def test_every_line_fits_the_width() -> None:
    embed = premiere_embed()
    embed["description"] = " ".join(["Heartstopper"] * 40)
    text = render_message(message(content=" ".join(["fan"] * 50), embeds=[embed]), width=40)
    assert all(visible_width(line) <= 40 for line in text.splitlines())


async def test_buttons_with_the_disabled_one_marked() -> None:
    assert render_buttons(pager()) == "[ ◀ Previous (disabled) ] [ Next ▶ ]"
    text = render_message(message(content="Cast", components=pager()))
    assert text.splitlines()[-1] == "[ ◀ Previous (disabled) ] [ Next ▶ ]"


async def test_link_buttons_show_their_address() -> None:
    row = [
        {"type": 1, "components": [{"type": 2, "style": 5, "label": "Watch", "url": "https://x.y"}]}
    ]
    assert render_buttons(row) == "[ Watch ↗ https://x.y ]"


async def test_ephemeral_and_loading_markers() -> None:
    text = render_message(message(content="Not found.", flags=FLAG_EPHEMERAL))
    assert text.splitlines() == ["(only you can see this)", "Not found."]
    assert "thinking" in render_message(message(flags=FLAG_LOADING))


async def test_two_embeds_are_separated() -> None:
    text = render_message(message(embeds=[{"title": "One"}, {"title": "Two"}]))
    assert text.splitlines() == ["│ One", "", "│ Two"]


async def test_embed_url_images_and_timestamp() -> None:
    embed = {
        "title": "Trailer",
        "url": "https://example.org/t",
        "image": {"url": "https://example.org/i.png"},
        "timestamp": PREMIERE.isoformat(),
        "footer": {"text": "Netflix"},
    }
    assert render_message(message(embeds=[embed])).splitlines() == [
        "│ Trailer",
        "│ https://example.org/t",
        "│ [image: https://example.org/i.png]",
        "│",
        "│ Netflix · 3 August 2023 07:00 UTC",
    ]


async def test_empty_message() -> None:
    assert render_message(message()) == "(empty message)"
