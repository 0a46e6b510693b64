"""SIGKILL in the middle of a fan-out, restart on the same database: nothing lost, nothing twice.

The default suite runs a small version; FANBOT_HEAVY=1 runs the full one (500 servers,
20 kills), as `python benchmarks/reliability_crash.py` does with its figures printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hardening.crash_harness import CrashRun

HEAVY = os.environ.get("FANBOT_HEAVY") == "1"
SERVERS, KILLS = (500, 20) if HEAVY else (60, 3)


@pytest.mark.parametrize("storm", [False, True], ids=["kills", "kills+storm"])
async def test_killed_and_restarted_bot_posts_each_milestone_exactly_once(
    tmp_path: Path, storm: bool
) -> None:
    report = await CrashRun(tmp_path, servers=SERVERS, kills=KILLS, storm=storm, seed=4).run()
    print(report.summary())
    # Every kill hit a live bot in the middle of a fan-out (some posts still missing).
    assert (report.kills, report.kills_elsewhere) == (KILLS, 0), report.summary()
    assert report.restarts == KILLS + 1  # after each kill, and into the premiere phase
    assert report.posts_lost == 0, report.summary()
    assert report.posts_duplicated == 0, report.summary()
    assert report.outbox == {"sent": 2 * SERVERS}, report.summary()
    assert report.breaches == []
    assert report.storm_errors == []
    if storm:
        assert sum(report.faults.values()) > 10
        assert report.storm_actions > 0
