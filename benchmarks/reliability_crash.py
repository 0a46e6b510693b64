"""The crash suite at full size, with its figures printed (docs/reliability.md quotes them).

    PYTHONPATH=. python benchmarks/reliability_crash.py [--servers 500] [--kills 20] [--seed 4]

Runs twice: SIGKILLs only, then SIGKILLs with 429 storms, 5xx and gateway drops throughout.
Exits 1 if any post was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from tests.hardening.crash_harness import CrashReport, CrashRun


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    reports: list[tuple[str, CrashReport]] = []
    for storm in (False, True):
        name = "kills + storm" if storm else "kills"
        say(f"{name}: {args.servers} servers, {args.kills} SIGKILLs")
        with tempfile.TemporaryDirectory() as tmp:
            run = CrashRun(
                Path(tmp),
                servers=args.servers,
                kills=args.kills,
                storm=storm,
                seed=args.seed,
                say=say,
            )
            reports.append((name, await run.run()))
        say(f"{name}: {reports[-1][1].summary()}")
    bad = [r for _, r in reports if r.posts_lost or r.posts_duplicated or r.breaches]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
