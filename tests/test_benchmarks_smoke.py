"""The benchmarks at tiny sizes, so that they cannot rot. Figures are not checked: only that
every script runs and reports what the table needs."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tests.conftest import REPO


async def test_every_benchmark_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.run_all",
        "--smoke",
        "--out",
        str(out),
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["smoke"] is True
    assert {"commands", "store", "fanout", "memory", "machine", "table"} <= results.keys()
    assert results["fanout"]["outbox"] == {"sent": results["fanout"]["servers"]}
    assert results["fanout"]["duplicates"] == 0
    assert results["memory"]["fanbot"]["guilds_seen"] == results["memory"]["servers"]
    assert "fan-out" in stdout.decode()
