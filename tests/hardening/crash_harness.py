"""Kill the real bot (a subprocess) with SIGKILL in the middle of a fan-out, again and again.

The emulator runs in this process with many fan servers, each subscribed (through the store
API, before the first start) with the milestones "1h,0": half to the Heartstopper premiere,
half to a watch party of their own (a Discord scheduled event starting at the same moment,
so that both kinds of countdown fan out together and are reconciled at every start). The bot
runs as `python -m bot run` on one database. Phase one is the "1h" fan-out, phase two the
premiere itself; in each, the bot is killed at random moments after it starts posting and
restarted on the same database with its virtual clock carrying on from where it died, until
every post of that phase is out. Then every server must hold exactly one post per milestone
and the outbox must show every row sent.

With `storm`, the emulator also injects route and global 429s, 500/502/503 (some of them
after the message was stored), slow answers and gateway drops throughout.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.emulator import Emulator, Guild
from bot.emulator.state import EVENT_EXTERNAL, ScheduledEvent
from bot.store import Store
from bot.store.countdown_models import EventRef, ServerEvent
from tests.cogs.countdown_helpers import PREMIERE, PREMIERE_REF, posts
from tests.conftest import BUNDLED_CONTENT, REPO

MILESTONES = "1h,0"
HEADLINES = {"1h": "One hour to go!", "0": "It's here!"}
LEAD_SECONDS = 3.0  # virtual seconds (clock at real speed) before each phase's due time
PHASE_TIMEOUT = 240.0
SENDS = r"/channels/\d+/messages"
OPEN = ("pending", "sending")


@dataclass
class CrashReport:
    """What one crash run did and found."""

    servers: int
    kills: int = 0  # SIGKILLs that hit a live bot while some posts of the phase were missing
    kills_elsewhere: int = 0  # ... that hit a bot already gone, or after the fan-out
    restarts: int = 0
    storm_actions: int = 0  # gateway faults the storm loop caused
    storm_errors: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    posts_expected: int = 0
    posts_lost: int = 0
    posts_duplicated: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    breaches: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line of figures."""
        faults = sum(self.faults.values())
        return (
            f"{self.servers} servers, {self.posts_expected} posts expected, "
            f"{self.kills} SIGKILLs mid fan-out ({self.kills_elsewhere} elsewhere), "
            f"{self.restarts} restarts, {faults} faults injected, "
            f"{self.storm_actions} gateway faults, storm errors {self.storm_errors} "
            f"({dict(sorted(self.faults.items()))}), lost {self.posts_lost}, duplicated "
            f"{self.posts_duplicated}, outbox {self.outbox}, {self.seconds:.1f} s"
        )


def bot_env(emulator: Emulator, db: Path, clock_start: datetime) -> dict[str, str]:
    """The environment of one bot process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FANBOT_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DISCORD_TOKEN=emulator.token,
        DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url,
        FANBOT_DB=str(db),
        FANBOT_CONTENT_DIR=str(BUNDLED_CONTENT),
        FANBOT_CLOCK_START=clock_start.isoformat(),
        FANBOT_CLOCK_SPEED="1",
        FANBOT_GLOBAL_RATE_LIMIT="50",
        FANBOT_LOG_LEVEL="WARNING",
    )
    return env


class CrashRun:
    """One run: the emulator, the database, the bot process and the kill schedule."""

    def __init__(
        self,
        workdir: Path,
        *,
        servers: int,
        kills: int,
        storm: bool,
        seed: int,
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.workdir = workdir
        self.db = workdir / "fanbot.sqlite3"
        self.random = random.Random(seed)
        self.storm = storm
        self.say = say
        self.kills_wanted = kills
        self.emulator = Emulator(global_rate_limit=50)
        self.guilds: list[Guild] = []
        self.report = CrashReport(servers=servers)
        self.process: asyncio.subprocess.Process | None = None
        self.virtual_now = PREMIERE - timedelta(hours=1, seconds=LEAD_SECONDS)
        self._started_real = 0.0
        self._starts = 0

    # ------------------------------------------------------------------ set-up

    def watch_party(self, guild: Guild) -> ServerEvent:
        """A scheduled event of the guild's own, at the premiere, as the bot records it."""
        event = ScheduledEvent(
            id=self.emulator.ids.next(),
            guild_id=guild.id,
            name="Watch party",
            scheduled_start_time=PREMIERE,
            scheduled_end_time=PREMIERE + timedelta(hours=2),
            entity_type=EVENT_EXTERNAL,
            location="Our sofa",
            creator=self.emulator.users[guild.owner_id],
        )
        guild.scheduled_events[event.id] = event
        return ServerEvent(
            guild_id=guild.id,
            event_id=event.id,
            name=event.name,
            description=None,
            starts_at=PREMIERE,
            ends_at=event.scheduled_end_time,
            state="scheduled",
            channel_id=None,
            location=event.location,
            user_count=0,
            started_at=None,
            updated_at=self.virtual_now,
        )

    async def subscribe_everyone(self) -> None:
        """Each server subscribes, as /countdown setup would, before the bot ever starts."""
        for i in range(self.report.servers):
            self.guilds.append(self.emulator.add_guild(f"Fan Server {i}"))
        store = await Store.open(self.db)
        try:
            for i, guild in enumerate(self.guilds):
                ref: EventRef = PREMIERE_REF
                if i % 2:
                    party = self.watch_party(guild)
                    await store.server_events.save(party)
                    ref = party.ref
                await store.guilds.subscribe(
                    guild.id,
                    ref,
                    channel_id=self.emulator.channel(guild, "announcements").id,
                    role_id=None,
                    milestones=MILESTONES,
                    now=self.virtual_now,
                )
        finally:
            await store.close()

    # ------------------------------------------------------------------ the process

    async def start_bot(self) -> None:
        """Start a bot process whose clock shows `virtual_now`."""
        self._starts += 1
        if self._starts > 1:
            self.report.restarts += 1
        log = (self.workdir / f"bot-{self._starts:02d}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.workdir,
            env=bot_env(self.emulator, self.db, self.virtual_now),
            stdout=log,
            stderr=log,
        )
        log.close()
        self._started_real = time.monotonic()

    async def stop_bot(self, sig: signal.Signals = signal.SIGKILL) -> bool:
        """Stop the process; the next start's clock carries on from this moment.

        True when the signal reached a running process and is what ended it.
        """
        process = self.process
        if process is None:
            return False
        hit = process.returncode is None
        if hit:
            process.send_signal(sig)
        code = await asyncio.wait_for(process.wait(), 30)
        self.virtual_now += timedelta(seconds=time.monotonic() - self._started_real)
        self.process = None
        return hit and code == -sig

    # ------------------------------------------------------------------ checks

    def post_count(self, milestone: str) -> int:
        """Servers whose announcements hold at least one post for `milestone`."""
        title = HEADLINES[milestone]
        return sum(
            1
            for guild in self.guilds
            if any(
                m.embeds and m.embeds[0].get("title") == title for m in posts(self.emulator, guild)
            )
        )

    def total_posts(self) -> int:
        """Every post the bot made, in every server."""
        return sum(len(posts(self.emulator, guild)) for guild in self.guilds)

    async def outbox(self) -> dict[str, int]:
        """The outbox's rows by status, read beside the running bot."""
        store = await Store.open(self.db)
        try:
            return await store.deliveries.counts()
        finally:
            await store.close()

    # ------------------------------------------------------------------ phases

    async def phase(self, milestone: str, kills: int) -> None:
        """Start the bot, kill it `kills` times mid-fan-out, then let it finish the phase."""
        want_sent = self.report.servers * (1 if milestone == "1h" else 2)
        fan_out_seconds = self.report.servers / 47.5
        for _ in range(kills):
            before = self.total_posts()
            await self.start_bot()
            deadline = time.monotonic() + PHASE_TIMEOUT
            while self.total_posts() == before and time.monotonic() < deadline:
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"the bot exited early; see {self.workdir}")
                await asyncio.sleep(0.01)
            await asyncio.sleep(self.random.uniform(0, min(1.5, fan_out_seconds * 0.6)))
            missing = self.post_count(milestone) < self.report.servers
            if await self.stop_bot() and missing:
                self.report.kills += 1
            else:
                self.report.kills_elsewhere += 1
            self.say(
                f"  kill {self.report.kills}: {self.post_count(milestone)}/"
                f"{self.report.servers} servers have their {milestone} post"
            )
        await self.start_bot()
        deadline = time.monotonic() + PHASE_TIMEOUT
        while time.monotonic() < deadline:
            counts = await self.outbox()
            settled = sum(n for status, n in counts.items() if status not in OPEN)
            if settled >= want_sent:  # every row of the phase sent, or given up on
                break
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"the bot exited; see the logs in {self.workdir}")
            await asyncio.sleep(0.2)
        await self.stop_bot()

    async def storm_loop(self) -> None:
        """Faults throughout.

        15% of the posts fail at random (429s, 5xx, slow answers); for one second in every
        four the global limit drops to 10 requests/s (a 429 storm); every two seconds the
        gateway connection drops one way or another.
        """
        emu = self.emulator
        emu.faults.set_chaos("POST", SENDS, 0.15, seed=self.random.randrange(1 << 30))
        rounds = 0
        while True:
            rounds += 1
            emu.limits.global_rate_limit = 10 if rounds % 8 in (1, 2) else 50
            if emu.gateway.live_shard_ids() and rounds % 4 == 0:
                choice = self.random.choice(["op7", "4000", "1006", "op9"])
                try:
                    if choice == "op7":
                        await emu.gateway_reconnect()
                    elif choice == "op9":
                        await emu.invalidate_session(resumable=True)
                    else:
                        await emu.drop_gateway(int(choice))
                    self.report.storm_actions += 1
                except Exception as exc:  # recorded: the test fails on any
                    self.report.storm_errors.append(f"{choice}: {type(exc).__name__}: {exc}")
            await asyncio.sleep(0.5)

    async def run(self) -> CrashReport:
        """The whole run; returns the figures."""
        started = time.monotonic()
        await self.emulator.start()
        storm: asyncio.Task[None] | None = None
        try:
            await self.subscribe_everyone()
            if self.storm:
                storm = asyncio.create_task(self.storm_loop())
            first = (self.kills_wanted + 1) // 2
            await self.phase("1h", first)
            self.virtual_now = max(self.virtual_now, PREMIERE - timedelta(seconds=LEAD_SECONDS))
            await self.phase("0", self.kills_wanted - first)
        finally:
            if storm is not None:
                if storm.done() and not storm.cancelled() and storm.exception():
                    self.report.storm_errors.append(f"the storm loop died: {storm.exception()!r}")
                storm.cancel()
            await self.stop_bot()
            await self.emulator.stop()
        self.report.faults = Counter(self.emulator.faults_injected)
        limited = self.emulator.limits.rate_limited
        if limited:
            self.report.faults["429 from the global or route limits"] = limited
        self.report.breaches = list(self.emulator.breaches)
        self.report.outbox = await self.outbox()
        self.report.posts_expected = 2 * self.report.servers
        for guild in self.guilds:
            titles = Counter(
                m.embeds[0].get("title") for m in posts(self.emulator, guild) if m.embeds
            )
            for title in HEADLINES.values():
                if titles[title] == 0:
                    self.report.posts_lost += 1
                self.report.posts_duplicated += max(0, titles[title] - 1)
        self.report.seconds = time.monotonic() - started
        return self.report
