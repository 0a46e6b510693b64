"""Memory and start-up: N servers in one process with AutoShardedBot, against a bare client.

The emulator serves N generated servers from its own process (so its memory and CPU are
not counted). Each bot runs in a fresh process of its own, one after the other, and reports
its time from `start()` to `on_ready` and its resident memory (VmRSS) once ready. The bare
client is discord.py's AutoShardedClient with the same intents (guilds only) and shard count.

fanbot runs twice on the same database: its first start imports the bundled pack (validating
it loads pydantic and the pack schema, which the process keeps), and a restart finds the pack
unchanged and never loads the validator: what a bot that runs for months holds after a deploy
that changed no pack.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from typing import Any

from benchmarks.common import REPO, emulator_process


async def child(kind: str, emu: Any, shards: int, folder: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.memchild",
        kind,
        emu.api_base,
        emu.gateway_url,
        emu.token,
        str(shards),
        folder,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 600)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} bot failed: {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def measure(
    servers: int, shards: int, *, restart: bool = False
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The bare client, fanbot's first start and, with `restart`, fanbot started again."""
    async with emulator_process(servers, shards) as emu:
        with tempfile.TemporaryDirectory() as tmp:
            bare = await child("bare", emu, shards, tmp)
            ours = await child("fanbot", emu, shards, tmp)
            again = await child("fanbot", emu, shards, tmp) if restart else None
    return bare, ours, again


async def run(servers: int = 10_000, shards: int = 4, small: int | None = None) -> dict[str, Any]:
    """Both bots at `servers`; with `small`, again at that size for the cost per server."""
    bare, ours, again = await measure(servers, shards, restart=True)
    out: dict[str, Any] = {"servers": servers, "shards": shards}
    if small:
        bare_small, ours_small, _ = await measure(small, shards)
        extra = servers - small
        out["marginal_kib_per_server"] = {
            "bare": round((bare["rss_ready_kib"] - bare_small["rss_ready_kib"]) / extra, 2),
            "fanbot": round((ours["rss_ready_kib"] - ours_small["rss_ready_kib"]) / extra, 2),
        }
        out["rss_mib_at_small"] = {
            "servers": small,
            "bare": round(bare_small["rss_ready_kib"] / 1024, 1),
            "fanbot": round(ours_small["rss_ready_kib"] / 1024, 1),
        }
    assert again is not None
    for name, found in (("bare", bare), ("fanbot", ours), ("fanbot_restart", again)):
        out[name] = {
            "guilds_seen": found["guilds"],
            "ready_s": found["ready_s"],
            "rss_mib": round(found["rss_ready_kib"] / 1024, 1),
            "rss_at_start_mib": round(found["rss_before_kib"] / 1024, 1),
            "kib_per_server": round(
                (found["rss_ready_kib"] - found["rss_before_kib"]) / max(1, servers), 2
            ),
        }
    out["rss_ratio"] = round(ours["rss_ready_kib"] / bare["rss_ready_kib"], 3)
    out["rss_ratio_restart"] = round(again["rss_ready_kib"] / bare["rss_ready_kib"], 3)
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    print(json.dumps(asyncio.run(run(n, k, n // 4)), indent=2))
