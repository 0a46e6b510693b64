"""Shared pieces of the benchmarks: statistics, the stand-alone emulator, RSS, the table."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord

REPO = Path(__file__).resolve().parents[1]


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p99 and max of durations, in milliseconds."""
    return {
        "n": len(seconds),
        "median_ms": round(statistics.median(seconds) * 1000, 3),
        "p99_ms": round(pct(seconds, 99) * 1000, 3),
        "max_ms": round(max(seconds) * 1000, 3),
    }


def ratio_interval(
    ours: Sequence[float], base: Sequence[float], resamples: int = 400
) -> list[float]:
    """A 95% bootstrap interval of median(ours) / median(base): how far noise moves a ratio.

    Round trips of alternating rounds are not independent draws, so take it as the width of
    the noise, not as an exact probability.
    """
    dice = random.Random(0)
    ratios = [
        statistics.median(dice.choices(ours, k=len(ours)))
        / statistics.median(dice.choices(base, k=len(base)))
        for _ in range(resamples)
    ]
    return [round(pct(ratios, 2.5), 3), round(pct(ratios, 97.5), 3)]


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size of a process, from /proc (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc status")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    import sqlite3

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "discord.py": discord.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


@dataclass
class EmulatorProcess:
    """`python -m bot.emulator --stats` in a child process."""

    process: asyncio.subprocess.Process
    api_base: str
    gateway_url: str
    token: str

    async def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"stats\n")
        await self.process.stdin.drain()
        while True:  # skip what is left of the banner
            line = await asyncio.wait_for(self.process.stdout.readline(), 60)
            if not line:
                raise RuntimeError("the emulator stopped")
            if line.startswith(b"{"):
                result: dict[str, Any] = json.loads(line)
                return result


@contextlib.asynccontextmanager
async def emulator_process(
    guilds: int, shards: int = 1, rate_limit: float | None = None
) -> AsyncIterator[EmulatorProcess]:
    """Start the stand-alone emulator with `guilds` generated servers; stop it on exit."""
    args = ["--port", "0", "--guilds", str(guilds), "--shards", str(shards), "--stats"]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        *args,
        "--quiet",
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=2**20,
    )
    assert process.stdout is not None
    found: dict[str, str] = {}
    try:
        while len(found) < 3:
            line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
            if not line:
                raise RuntimeError("the emulator stopped before printing its addresses")
            name, sep, value = line.strip().partition("=")
            if sep and name.startswith("DISCORD_"):
                found[name] = value
        yield EmulatorProcess(
            process,
            found["DISCORD_API_BASE"],
            found["DISCORD_GATEWAY_URL"],
            found["DISCORD_TOKEN"],
        )
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def until_ready(client: discord.Client, runner: asyncio.Task[None], seconds: float) -> None:
    """Wait until `client` is ready, or fail as soon as `runner` (its `start` task) stops.

    `wait_until_ready` raises if it runs before `start` has begun logging in, and from
    Python 3.12 `asyncio.wait_for` runs its coroutine at once: waiting in a task created
    after `runner` lets `runner` go first.
    """
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {runner, ready}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        ready.cancel()
    if runner in done:
        raise RuntimeError("the bot stopped while starting") from runner.exception()
    if ready not in done:
        raise TimeoutError(f"the bot was not ready within {seconds:g} s")


def table(rows: Sequence[tuple[str, str, str, str]]) -> str:
    """A plain-text table: figure, ours, baseline, target."""
    header = ("figure", "fanbot", "baseline", "target / verdict")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
