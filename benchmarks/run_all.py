"""`make bench`: run every benchmark, print the table, write benchmarks/results.json.

`--smoke` runs each script with tiny sizes (CI, tests/test_benchmarks_smoke.py): the
figures mean nothing then; it only proves the scripts still run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import bench_commands, bench_fanout, bench_memory, bench_store
from benchmarks.common import REPO, machine, table

FULL: dict[str, dict[str, Any]] = {
    "commands": {"n": 500, "rounds": 4},
    "store": {"people": 100_000, "characters": 100_000, "typed": 300},
    "fanout": {"servers": 5000, "limit": 500.0, "lead": 20.0},
    "fanout2": {"servers": 5000, "limit": 500.0, "lead": 20.0, "processes": 2},
    "fanout4": {"servers": 5000, "limit": 500.0, "lead": 25.0, "processes": 4},
    "memory": {"servers": 10_000, "shards": 4, "small": 2500},
}
SMOKE: dict[str, dict[str, Any]] = {
    "commands": {"n": 5, "rounds": 1},
    "store": {"people": 1500, "characters": 1500, "typed": 20},
    "fanout": {"servers": 40, "limit": 100.0, "lead": 5.0},
    "fanout2": {"servers": 40, "limit": 100.0, "lead": 6.0, "processes": 2},
    "memory": {"servers": 20, "shards": 1, "small": None},
}


STEPS: dict[str, Callable[..., Coroutine[Any, Any, dict[str, Any]]]] = {
    "commands": bench_commands.run,
    "store": bench_store.run,
    "fanout": bench_fanout.run,
    "fanout2": bench_fanout.run,
    "fanout4": bench_fanout.run,
    "memory": bench_memory.run,
}


async def isolated(name: str, sizes: dict[str, Any]) -> dict[str, Any]:
    """Run one benchmark in a fresh process, so that none inherits another's heap or loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.run_all",
        "--one",
        name,
        json.dumps(sizes),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark {name} failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def verdict(ok: bool, text: str) -> str:
    return f"{text}: {'met' if ok else 'NOT met'}"


def band(interval: list[float]) -> str:
    """A ratio's 95% noise band, e.g. "(1.13-1.16)"."""
    return f"({interval[0]:.2f}-{interval[1]:.2f})"


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    out: list[tuple[str, str, str, str]] = []
    c = r["commands"]
    for what, label in (("slash", "/character"), ("autocomplete", "/character autocomplete")):
        f = c[what]
        out.append(
            (
                f"{label} round trip, median",
                f"{f['fanbot']['median_ms']:.2f} ms",
                f"{f['bare']['median_ms']:.2f} ms (bare)",
                verdict(
                    f["median_ratio"] <= 1.10,
                    f"<= 1.10x, {f['median_ratio']:.2f}x {band(f['median_ratio_95'])}",
                ),
            )
        )
        if what == "slash":
            out.append(
                (
                    "bare bot sending fanbot's embed, median",
                    f"{f['bare_embed']['median_ms']:.2f} ms",
                    f"{f['bare']['median_ms']:.2f} ms (bare)",
                    f"{f['embed_cost_ratio']:.2f}x {band(f['embed_cost_ratio_95'])}: "
                    "what the embed itself costs",
                )
            )
            out.append(
                (
                    f"{label} against that bot, median",
                    f"{f['fanbot']['median_ms']:.2f} ms",
                    f"{f['bare_embed']['median_ms']:.2f} ms (bare, embed)",
                    f"{f['over_bare_embed_ratio']:.2f}x {band(f['over_bare_embed_ratio_95'])}: "
                    "what fanbot's own work adds",
                )
            )
        out.append(
            (
                f"{label} round trip, p99",
                f"{f['fanbot']['p99_ms']:.2f} ms",
                f"{f['bare']['p99_ms']:.2f} ms (bare)",
                f"{f['p99_ratio']:.2f}x",
            )
        )
        out.append(
            (
                f"{label}, cache off, median",
                f"{f['fanbot_uncached']['median_ms']:.2f} ms",
                f"{f['bare']['median_ms']:.2f} ms (bare)",
                f"{f['uncached_median_ratio']:.2f}x (for information)",
            )
        )
    s = r["store"]
    n = f"{s['characters'] // 1000}k+{s['people'] // 1000}k"
    out.append(
        (
            f"autocomplete p99, {n} names",
            f"{s['autocomplete']['p99_ms']:.2f} ms",
            f"{s['raw_sqlite3']['p99_ms']:.2f} ms (raw sqlite3)",
            verdict(
                s["autocomplete"]["p99_ms"] <= 5 and s["p99_ratio"] <= 2,
                f"<= 5 ms and <= 2x, {s['p99_ratio']:.2f}x",
            ),
        )
    )
    out.append(
        (
            "autocomplete median",
            f"{s['autocomplete']['median_ms']:.2f} ms",
            f"{s['raw_sqlite3']['median_ms']:.2f} ms (raw sqlite3)",
            f"{s['median_ratio']:.2f}x",
        )
    )
    if s["short_misses"]:
        out.append(
            (
                "autocomplete, 2-letter misses",
                f"{s['short_misses']['p99_ms']:.2f} ms p99",
                "-",
                "worst case, outside the mix",
            )
        )
    out.append(
        (
            "pack load + import",
            f"{s['load_s']:.2f} s + {s['import_s']:.2f} s",
            f"{s['pack_mb']} MB of TOML",
            "reported",
        )
    )
    out.append(("database size", f"{s['db_mb']} MB", f"FTS5 index {s['fts_mb']} MB", "reported"))
    for key in ("fanout", "fanout2", "fanout4"):
        if key in r:
            out.extend(fanout_rows(r[key]))
    m = r["memory"]
    label = f"{m['servers']} servers, {m['shards']} shards"
    for start, mine, ratio in (
        ("first start, imports the pack", m["fanbot"], m["rss_ratio"]),
        ("restart, pack unchanged", m["fanbot_restart"], m["rss_ratio_restart"]),
    ):
        out.append(
            (
                f"RSS when ready, {label} ({start})",
                f"{mine['rss_mib']} MiB",
                f"{m['bare']['rss_mib']} MiB (bare)",
                verdict(ratio <= 1.15, f"<= 1.15x, {ratio:.2f}x"),
            )
        )
    if "marginal_kib_per_server" in m:
        k = m["marginal_kib_per_server"]
        out.append(
            ("RSS per extra server", f"{k['fanbot']} KiB", f"{k['bare']} KiB (bare)", "reported")
        )
    out.append(
        (
            "time to ready",
            f"{m['fanbot']['ready_s']:.2f} s",
            f"{m['bare']['ready_s']:.2f} s (bare)",
            "reported",
        )
    )
    return out


def fanout_rows(f: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Two rows of one fan-out: its combined rate, and 429s / duplicates / rows sent."""
    n = f.get("processes", 1)
    who = "1 process" if n == 1 else f"{n} processes, one token"
    target = 0.95 if n == 1 else 0.90
    ok = f["rate_limited_429"] == 0 and f["duplicates"] == 0
    return [
        (
            f"fan-out to {f['servers']} servers, {who}",
            f"{f['achieved_per_s']:.1f}/s in {f['span_s']:.2f} s",
            f"limit {f['limit_per_s']:g}/s (floor {f['floor_s']:.2f} s)",
            verdict(
                f["achieved_of_limit"] >= target,
                f">= {target:.0%}, {f['achieved_of_limit']:.1%}",
            ),
        ),
        (
            f"fan-out 429s / duplicates / sent, {who}",
            f"{f['rate_limited_429']} / {f['duplicates']} / {f['outbox'].get('sent', 0)}",
            "-",
            verdict(ok and f["outbox"].get("sent", 0) == f["servers"], "0 / 0 / all"),
        ),
    ]


async def main(smoke: bool, out: Path) -> dict[str, Any]:
    sizes = SMOKE if smoke else FULL
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": smoke,
        "machine": machine(),
        "sizes": sizes,
    }
    for name in sizes:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = await isolated(name, sizes[name])
        results[name]["took_s"] = round(time.perf_counter() - started, 1)
    results["table"] = [list(row) for row in rows(results)]
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_all", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check the scripts run")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json")
    parser.add_argument("--one", nargs=2, metavar=("NAME", "SIZES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        name, sizes = args.one
        print(json.dumps(asyncio.run(STEPS[name](**json.loads(sizes)))))
        sys.exit(0)
    found = asyncio.run(main(args.smoke, args.out))
    args.out.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"machine: {found['machine']['cpu']}, {found['machine']['cores']} cores")
    print(table([(row[0], row[1], row[2], row[3]) for row in found["table"]]))
    print(f"written to {args.out}")
