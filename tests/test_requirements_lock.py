"""requirements.lock, the pinned production install, agrees with pyproject's dependencies.

This compares names and version specifiers, offline; it does not re-resolve. To refresh the
lock after changing `dependencies`, see docs/operations.md ("Pinned requirements").
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

LOCK = REPO / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
DIRECT = "fanbot (pyproject.toml)"


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = (Requirement(text) for text in project["dependencies"])
    return {canonicalize_name(r.name): r for r in reqs}


def locked() -> tuple[dict[str, str], set[str]]:
    """Every pin in the lock, and the names pip-compile says pyproject asked for."""
    pins: dict[str, str] = {}
    direct: set[str] = set()
    current = ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = match[2]
        elif line.strip().lstrip("#").strip().removeprefix("via ").strip() == DIRECT:
            direct.add(current)
    return pins, direct


def test_the_lock_pins_exactly_the_declared_dependencies() -> None:
    pins, direct = locked()
    wanted = declared()
    assert direct == set(wanted), (
        "requirements.lock is out of sync with pyproject.toml's dependencies: "
        f"only in pyproject {sorted(set(wanted) - direct)}, "
        f"only in the lock {sorted(direct - set(wanted))}; regenerate it"
    )
    for name, requirement in wanted.items():
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {requirement}"
        )


def test_the_lock_holds_no_test_or_dev_tool() -> None:
    pins, _ = locked()
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = {
        canonicalize_name(Requirement(text).name)
        for group in project["optional-dependencies"].values()
        for text in group
    }
    assert extras.isdisjoint(pins), sorted(extras & set(pins))
