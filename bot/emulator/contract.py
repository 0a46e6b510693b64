"""What the emulator asks of an API contract: the problems of one REST request, if any.

The real contract (Discord's OpenAPI description, validated with jsonschema) lives in
`tests/contract.py`, so that the shipped package imports only runtime dependencies.
"""

from __future__ import annotations

from typing import Any, Protocol


class RequestContract(Protocol):
    """Checks a REST request the bot sent against the API's description."""

    def check(self, method: str, path: str, body: Any) -> list[str]:
        """Every way `method path` with `body` breaks the contract (empty: it complies)."""
        ...
