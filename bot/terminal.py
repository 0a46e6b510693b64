"""What the bot posted, rendered for a terminal. Pure functions: no I/O, no clock.

Discord markdown is lightly cleaned (bold without asterisks, spoilers shown as
`[spoiler: …]`, `<t:…>` timestamps spelled out in UTC), embeds become indented blocks
behind a bar, and buttons read `[ ◀ Previous ] [ Next ▶ ]`. ANSI styling only with
`color=True`; the plain output is stable enough for tests to assert on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.emulator.state import Message
from bot.moments import day_text

Json = dict[str, Any]

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
ITALIC = "\x1b[3m"
BAR = "│ "
EPHEMERAL_NOTE = "(only you can see this)"
LOADING_NOTE = "fanbot is thinking…"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_MENTION = re.compile(r"<(@&|@!?|#)(\d+)>")
_LINK = re.compile(r"\[([^\]\n]+)\]\((<?https?://[^)\s]+>?)\)")
_UNESCAPE = re.compile(r"\\([\\*_~|`>#\-\[\]()])")
# (pattern, ANSI style) applied in order; the plain form keeps only the inner text.
_STYLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\*\*(.+?)\*\*"), BOLD),
    (re.compile(r"__(.+?)__"), "\x1b[4m"),
    (re.compile(r"~~(.+?)~~"), "\x1b[9m"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), ITALIC),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), ITALIC),
)
# Escaped characters hide in the private-use area while the styles are applied.
_SHELTER = 0xE000
_SHELTERED = re.compile("[\ue000-\ue07f]")
_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)

_MONTH_SECONDS = 30.44 * 86_400
_YEAR_SECONDS = 365.25 * 86_400


# ---------------------------------------------------------------- time


def format_time(moment: datetime, style: str = "f", now: datetime | None = None) -> str:
    """A Discord timestamp style (t T d D f F R) spelled out in UTC."""
    moment = moment.astimezone(UTC)
    clock = f"{moment:%H:%M} UTC"
    day = day_text(moment)
    if style == "t":
        return clock
    if style == "T":
        return f"{moment:%H:%M:%S} UTC"
    if style == "d":
        return f"{moment:%Y-%m-%d}"
    if style == "D":
        return day
    if style == "F" or (style == "R" and now is None):
        return f"{moment:%A} {day} {clock}"
    if style == "R" and now is not None:
        return relative_time(moment, now)
    return f"{day} {clock}"


def relative_time(moment: datetime, now: datetime) -> str:
    """Relative time as Discord shows `<t:…:R>`: "in 12 days", "2 years ago"."""
    seconds = (moment - now).total_seconds()
    amount = _amount(abs(seconds))
    return f"in {amount}" if seconds >= 0 else f"{amount} ago"


def _amount(seconds: float) -> str:
    minutes, hours, days = seconds / 60, seconds / 3600, seconds / 86_400
    if seconds < 45:
        return "a few seconds"
    if seconds < 90:
        return "a minute"
    if minutes < 45:
        return _plural(round(minutes), "minute")
    if minutes < 90:
        return "an hour"
    if hours < 22:
        return _plural(round(hours), "hour")
    if hours < 36:
        return "a day"
    if days < 26:
        return _plural(round(days), "day")
    if days < 45:
        return "a month"
    if days < 320:
        return _plural(round(seconds / _MONTH_SECONDS), "month")
    if days < 548:
        return "a year"
    return _plural(round(seconds / _YEAR_SECONDS), "year")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


# ---------------------------------------------------------------- markdown


def clean_markdown(
    text: str,
    *,
    now: datetime | None = None,
    names: Mapping[int, str] | None = None,
    color: bool = False,
) -> str:
    """Discord markdown made readable: styles, spoilers, links, timestamps, mentions."""
    text = _UNESCAPE.sub(lambda m: chr(_SHELTER + ord(m[1])), text)
    text = _TIMESTAMP.sub(lambda m: _timestamp(m, now), text)
    text = _MENTION.sub(lambda m: (names or {}).get(int(m[2]), m[0]), text)
    text = _LINK.sub(lambda m: f"{m[1]} ({m[2].strip('<>')})", text)
    for pattern, style in _STYLES:
        text = pattern.sub(_styler(style if color else None), text)
    text = _SPOILER.sub(lambda m: f"[spoiler: {m[1]}]", text)
    lines = [_line(line, color) for line in text.split("\n")]
    return _SHELTERED.sub(lambda m: chr(ord(m[0]) - _SHELTER), "\n".join(lines))


def _timestamp(match: re.Match[str], now: datetime | None) -> str:
    try:
        moment = datetime.fromtimestamp(int(match[1]), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return match[0]
    return format_time(moment, match[2] or "f", now)


def _styler(style: str | None) -> Callable[[re.Match[str]], str]:
    def apply(match: re.Match[str]) -> str:
        return f"{style}{match[1]}{RESET}" if style else match[1]

    return apply


def _line(line: str, color: bool) -> str:
    """Headings, subtext and quotes: their markers dropped (or shown as a bar)."""
    heading = re.match(r"#{1,3} (.*)", line)
    if heading:
        return _style(heading[1], BOLD, color)
    subtext = re.match(r"-# (.*)", line)
    if subtext:
        return _style(subtext[1], DIM, color)
    if line.startswith("> "):
        return "▎ " + line[2:]
    return line


def _style(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text else text


# ---------------------------------------------------------------- wrapping


def visible_width(text: str) -> int:
    """Columns `text` takes on a terminal: ANSI codes take none, wide characters two."""
    plain = _ANSI.sub("", text)
    width = 0
    for char in plain:
        if unicodedata.combining(char) or char in "\u200b\u200d\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def wrap(text: str, width: int) -> list[str]:
    """Word-wrap `text` (which may hold ANSI codes) to `width` columns, line by line."""
    width = max(width, 10)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_carry_styles(_wrap_line(paragraph, width)))
    return lines


def _wrap_line(line: str, width: int) -> list[str]:
    if visible_width(line) <= width:
        return [line]
    indent = re.match(r"\s*(?:[•\-*▎] )?", _ANSI.sub("", line))
    hang = " " * (len(indent[0]) if indent else 0)
    if len(hang) > width // 2:
        hang = ""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if visible_width(candidate) <= width or not current.strip():
            current = candidate
            continue
        out.append(current)
        current = hang + word
    out.append(current)
    return [piece for long in out for piece in _hard_break(long, width)]


def _hard_break(line: str, width: int) -> list[str]:
    """Split a line still wider than `width` (a long URL) into chunks."""
    if visible_width(line) <= width or _ANSI.search(line):
        return [line]
    return [line[i : i + width] for i in range(0, len(line), width)]


def _carry_styles(lines: list[str]) -> list[str]:
    """End every styled line with a reset and reopen its styles on the next line."""
    active = ""
    result: list[str] = []
    for line in lines:
        opened = active + line
        for code in _ANSI.findall(line):
            active = "" if code == RESET else active + code
        result.append(opened + RESET if active else opened)
    return result


# ---------------------------------------------------------------- messages


def render_message(
    message: Message,
    *,
    width: int = 100,
    now: datetime | None = None,
    names: Mapping[int, str] | None = None,
    color: bool = False,
) -> str:
    """The whole message for a terminal: notes, content, embeds, then buttons."""
    blocks: list[list[str]] = []
    if message.ephemeral:
        blocks.append([_style(EPHEMERAL_NOTE, DIM, color)])
    if message.loading:
        blocks.append([_style(LOADING_NOTE, DIM, color)])
    if message.content:
        text = clean_markdown(message.content, now=now, names=names, color=color)
        blocks.append(wrap(text, width))
    for index, embed in enumerate(message.embeds):
        lines = render_embed(embed, width=width, now=now, names=names, color=color)
        blocks.append(["", *lines] if index else lines)
    buttons = render_buttons(message.components, color=color)
    if buttons:
        blocks.append(wrap(buttons, width))
    if not blocks:
        blocks.append([_style("(empty message)", DIM, color)])
    return "\n".join(line for block in blocks for line in block)


def render_embed(
    embed: Json,
    *,
    width: int = 100,
    now: datetime | None = None,
    names: Mapping[int, str] | None = None,
    color: bool = False,
) -> list[str]:
    """One embed as lines behind a bar: author, title, description, fields, footer."""
    inner = max(width - len(BAR), 10)

    def text(value: object) -> str:
        return clean_markdown(str(value), now=now, names=names, color=color)

    body: list[str] = []
    author = (embed.get("author") or {}).get("name")
    if author:
        body.extend(wrap(_style(text(author), DIM, color), inner))
    if embed.get("title"):
        body.extend(wrap(_style(text(embed["title"]), BOLD, color), inner))
    if embed.get("url"):
        body.extend(wrap(_style(str(embed["url"]), DIM, color), inner))
    if embed.get("description"):
        body.extend(wrap(text(embed["description"]), inner))
    fields = embed.get("fields") or []
    if fields and body:
        body.append("")
    for field in fields:
        body.extend(_field(text(field.get("name", "")), text(field.get("value", "")), inner, color))
    for kind in ("image", "thumbnail"):
        url = (embed.get(kind) or {}).get("url")
        if url:
            body.extend(wrap(f"[{kind}: {url}]", inner))
    footer = _footer_text(embed, now)
    if footer:
        if body:
            body.append("")
        body.extend(wrap(_style(text(footer), DIM, color), inner))
    bar = _bar(embed.get("color"), color)
    return [f"{bar}{line}".rstrip() for line in body]


def _field(name: str, value: str, width: int, color: bool) -> list[str]:
    """A field as "name: value", or the name and the value indented below it."""
    label = _style(f"{name}:", BOLD, color)
    if "\n" not in value:
        return wrap(f"{label} {value}", width)
    lines = [label]
    for line in wrap(value, width - 2):
        lines.append(f"  {line}")
    return lines


def _footer_text(embed: Json, now: datetime | None) -> str:
    parts = []
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(str(footer))
    stamp = embed.get("timestamp")
    if stamp:
        try:
            parts.append(format_time(datetime.fromisoformat(stamp), "f", now))
        except ValueError:
            parts.append(str(stamp))
    return " · ".join(parts)


def _bar(colour: object, color: bool) -> str:
    if not color or not isinstance(colour, int):
        return BAR
    red, green, blue = (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF
    return f"\x1b[38;2;{red};{green};{blue}m{BAR}{RESET}"


def render_buttons(components: list[Json], *, color: bool = False) -> str:
    """Buttons and menus, one row per line: `[ ◀ Previous ] [ Next ▶ ]`."""
    rows = []
    for row in components:
        items = [_component(item, color) for item in row.get("components", [])]
        if items:
            rows.append(" ".join(items))
    return "\n".join(rows)


def _component(item: Json, color: bool) -> str:
    if item.get("type") == 3:
        label = item.get("placeholder") or "choose…"
        return f"[ {label} ▾ ]"
    emoji = (item.get("emoji") or {}).get("name") if not (item.get("emoji") or {}).get("id") else ""
    label = " ".join(part for part in (emoji, item.get("label")) if part) or "button"
    if item.get("url"):
        label += f" ↗ {item['url']}"
    if item.get("disabled"):
        return _style(f"[ {label} (disabled) ]", DIM, color)
    return f"[ {label} ]"
