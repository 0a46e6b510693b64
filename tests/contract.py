"""Discord's OpenAPI description as a contract for every REST body the bot sends.

It lives under tests/ because it needs jsonschema, a test dependency: `enforce_on(emulator)`
plugs it into the emulator's request recorder, which shows it every request the bot sends.

`Contract.load(path)` reads Discord's `openapi.json` (OpenAPI 3.1, JSON Schema 2020-12).
`check(method, path, body)` finds the operation the request path names and validates the
body against its `application/json` request schema. The spec's `#/components/...` refs are
rewritten to point into one registry resource, so any operation's schema validates alone.

One known, harmless difference is forgiven: discord.py sends the ids in `allowed_mentions`
as JSON integers where the spec types snowflakes as strings; those are compared as strings.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.emulator import Emulator
from bot.emulator.rest.recording import RecordedRequest

SPEC_ENV = "DISCORD_OPENAPI_SPEC"
SPEC_URI = "urn:discord-openapi"
_SEGMENT = re.compile(r"\{[^/}]+\}")


@dataclass(frozen=True, slots=True)
class _Operation:
    template: str
    pattern: re.Pattern[str]
    method: str
    validator: Draft202012Validator | None


def _rewrite_refs(node: Any) -> Any:
    """Point every local `$ref` at the registry resource that holds the whole spec."""
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out["$ref"] = SPEC_URI + ref
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _stringify_mention_ids(node: Any) -> Any:
    """`allowed_mentions.users/roles` ids as strings, wherever they appear in the body."""
    if isinstance(node, list):
        return [_stringify_mention_ids(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _stringify_mention_ids(v) for k, v in node.items()}
    mentions = out.get("allowed_mentions")
    if isinstance(mentions, dict):
        for key in ("users", "roles"):
            ids = mentions.get(key)
            if isinstance(ids, list):
                mentions[key] = [str(i) if isinstance(i, int) else i for i in ids]
    return out


def _depth(error: ValidationError) -> int:
    """How far into the body an error (or any error under it) reached."""
    return max([len(error.absolute_path), *(_depth(e) for e in error.context)])


class Contract:
    """The request-body schemas of Discord's REST API, by method and path."""

    def __init__(self, spec: dict[str, Any], source: str = "openapi.json") -> None:
        self.source = source
        rewritten = _rewrite_refs(spec)
        resource = Resource.from_contents(rewritten, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._operations: list[_Operation] = []
        for template, item in rewritten.get("paths", {}).items():
            literal = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            pattern = re.compile(_SEGMENT.sub("[^/]+", literal))
            for method, operation in item.items():
                if method == "parameters" or not isinstance(operation, dict):
                    continue
                content = (operation.get("requestBody") or {}).get("content") or {}
                schema = (content.get("application/json") or {}).get("schema")
                validator = (
                    Draft202012Validator(schema, registry=self._registry)
                    if schema is not None
                    else None
                )
                self._operations.append(_Operation(template, pattern, method.upper(), validator))
        # Literal segments win over parameters: /messages/@original before /messages/{id}.
        self._operations.sort(key=lambda op: (op.template.count("{"), -len(op.template)))

    @classmethod
    def load(cls, path: Path | str) -> Contract:
        """Read the OpenAPI file at `path`."""
        with Path(path).open(encoding="utf-8") as handle:
            return cls(json.load(handle), source=str(path))

    def route(self, method: str, path: str) -> str | None:
        """The spec's path template that `method path` calls, if the spec has it."""
        operation = self._find(method, path)
        return operation.template if operation is not None else None

    def _find(self, method: str, path: str) -> _Operation | None:
        for operation in self._operations:
            if operation.method == method.upper() and operation.pattern.fullmatch(path):
                return operation
        return None

    def check(self, method: str, path: str, body: Any) -> list[str]:
        """Every way the request breaks the spec, each naming the route (empty: it complies)."""
        operation = self._find(method, path)
        if operation is None:
            return [f"{method} {path}: no such route in Discord's API description"]
        if operation.validator is None or body is None:
            return []
        instance = _stringify_mention_ids(body)
        error = best_match(operation.validator.iter_errors(instance))
        if error is None:
            return []
        while error.context:  # inside anyOf/oneOf: the branch that matched furthest
            error = max(error.context, key=_depth)
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        message = error.message
        if len(message) > 200:
            shown = repr(error.instance)[:60]
            message = f"fails {error.validator}={error.validator_value!r} (value {shown}…)"
        return [f"{method} {operation.template}: at {where}: {message}"]

    def enforce_on(self, emulator: Emulator) -> None:
        """Record a breach in `emulator` for every way a request it receives breaks the spec."""

        def check(request: RecordedRequest) -> None:
            for problem in self.check(request.method, request.path, request.body):
                emulator.breach(f"contract: {problem}")

        emulator.recorder.listen(check)


VENDORED_SPEC = Path(__file__).resolve().parent / "discord-api-spec" / "openapi.json"
_OFF = {"off", "no", "none", "0", "false"}


class SpecMissingError(Exception):
    """DISCORD_OPENAPI_SPEC names a file that is not there."""


def spec_path() -> Path | None:
    """The OpenAPI file to check against: DISCORD_OPENAPI_SPEC, else the vendored copy.

    `DISCORD_OPENAPI_SPEC=off` (or an empty value) turns the check off; a path that names no
    file raises `SpecMissingError` rather than silently checking nothing.
    """
    raw = os.environ.get(SPEC_ENV)
    if raw is None:
        return VENDORED_SPEC
    raw = raw.strip()
    if not raw or raw.lower() in _OFF:
        return None
    path = Path(raw)
    if not path.is_file():
        raise SpecMissingError(f"{SPEC_ENV}={raw} names no file (set it to 'off' to skip)")
    return path


@cache
def contract_from_env() -> Contract | None:
    """The contract `spec_path()` names, loaded once; None when the check is off."""
    path = spec_path()
    return None if path is None else Contract.load(path)
