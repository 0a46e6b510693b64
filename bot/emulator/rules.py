"""Discord's rules for message bodies, checked the way Discord checks them.

Each check returns a list of problems (empty when the body is fine). The emulator answers a
body with problems as Discord does (400, code 50035) and records the breach.
"""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_NAME_MAX = 256
CHOICES_MAX = 25
CHOICE_TEXT_MAX = 100
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100

_USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
_ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_problems(embeds: list[Json]) -> list[str]:
    """Every way `embeds` breaks Discord's embed limits."""
    problems: list[str] = []
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"embeds: {len(embeds)} embeds, at most {EMBEDS_MAX}")
    total = 0
    for i, embed in enumerate(embeds):
        title = _text(embed.get("title"))
        description = _text(embed.get("description"))
        if len(title) > EMBED_TITLE_MAX:
            problems.append(f"embeds[{i}].title: {len(title)} characters, at most 256")
        if len(description) > EMBED_DESCRIPTION_MAX:
            problems.append(f"embeds[{i}].description: {len(description)} characters, at most 4096")
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(f"embeds[{i}].fields: {len(fields)} fields, at most 25")
        total += len(title) + len(description)
        for j, fld in enumerate(fields):
            name, value = _text(fld.get("name")), _text(fld.get("value"))
            if not name.strip():
                problems.append(f"embeds[{i}].fields[{j}].name: empty")
            if not value.strip():
                problems.append(f"embeds[{i}].fields[{j}].value: empty")
            if len(name) > FIELD_NAME_MAX:
                problems.append(
                    f"embeds[{i}].fields[{j}].name: {len(name)} characters, at most 256"
                )
            if len(value) > FIELD_VALUE_MAX:
                problems.append(
                    f"embeds[{i}].fields[{j}].value: {len(value)} characters, at most 1024"
                )
            total += len(name) + len(value)
        footer = _text((embed.get("footer") or {}).get("text"))
        author = _text((embed.get("author") or {}).get("name"))
        if len(footer) > FOOTER_MAX:
            problems.append(f"embeds[{i}].footer.text: {len(footer)} characters, at most 2048")
        if len(author) > AUTHOR_NAME_MAX:
            problems.append(f"embeds[{i}].author.name: {len(author)} characters, at most 256")
        total += len(footer) + len(author)
    if total > EMBED_TOTAL_MAX:
        problems.append(f"embeds: {total} characters in all, at most {EMBED_TOTAL_MAX}")
    return problems


def message_problems(body: Json, *, creating: bool) -> list[str]:
    """Every way a message body breaks Discord's rules (`creating`: it must not be empty)."""
    problems: list[str] = []
    content = _text(body.get("content"))
    if len(content) > CONTENT_MAX:
        problems.append(f"content: {len(content)} characters, at most {CONTENT_MAX}")
    embeds = body.get("embeds") or []
    problems.extend(embed_problems(embeds))
    for row in body.get("components") or []:
        for component in row.get("components", []):
            label = _text(component.get("label"))
            custom_id = _text(component.get("custom_id"))
            if len(label) > BUTTON_LABEL_MAX:
                problems.append(f"components: label {label[:20]!r}… longer than 80")
            if len(custom_id) > CUSTOM_ID_MAX:
                problems.append(f"components: custom_id {custom_id[:20]!r}… longer than 100")
    if creating and not content.strip() and not embeds and not body.get("components"):
        problems.append("Cannot send an empty message")
    return problems


def choice_problems(choices: list[Json]) -> list[str]:
    """Every way an autocomplete answer breaks Discord's rules."""
    problems: list[str] = []
    if len(choices) > CHOICES_MAX:
        problems.append(f"choices: {len(choices)} choices, at most {CHOICES_MAX}")
    for i, choice in enumerate(choices):
        name, value = choice.get("name"), choice.get("value")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_TEXT_MAX:
            problems.append(f"choices[{i}].name: must be 1 to 100 characters")
        if isinstance(value, str) and len(value) > CHOICE_TEXT_MAX:
            problems.append(f"choices[{i}].value: must be at most 100 characters")
    return problems


def pinged(content: str, allowed_mentions: Json | None) -> set[str]:
    """Who a message with `content` would notify: "everyone", "user:<id>", "role:<id>".

    Without `allowed_mentions` Discord notifies everything the content names.
    """
    users = set(_USER_MENTION.findall(content))
    roles = set(_ROLE_MENTION.findall(content))
    everyone = "@everyone" in content or "@here" in content
    if allowed_mentions is None:
        parse = ["users", "roles", "everyone"]
        allowed_users: set[str] = set()
        allowed_roles: set[str] = set()
    else:
        parse = list(allowed_mentions.get("parse") or [])
        allowed_users = {str(u) for u in allowed_mentions.get("users") or []}
        allowed_roles = {str(r) for r in allowed_mentions.get("roles") or []}
    result: set[str] = set()
    if everyone and "everyone" in parse:
        result.add("everyone")
    for user in users:
        if "users" in parse or user in allowed_users:
            result.add(f"user:{user}")
    for role in roles:
        if "roles" in parse or role in allowed_roles:
            result.add(f"role:{role}")
    return result
