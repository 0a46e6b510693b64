"""The reminder dispatcher: the outbox is the truth, APScheduler only says "wake up".

On start it re-posts anything a crash left half-sent (same nonce: Discord returns the first
message instead of a second), plans every active subscription into the outbox and schedules
one APScheduler `DateTrigger` wake-up per distinct due time, plus a periodic sweep. A
wake-up claims the due rows atomically, decides for each (post, stale, superseded), posts
through the paced fan-out and records the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, TypeVar

import aiohttp
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import render
from bot.limits import HOLD_RECHECK_SECONDS
from bot.reminders.fanout import Slot, fan_out
from bot.reminders.planner import wanted
from bot.reminders.targets import server_event_record, target_for
from bot.store.countdown_models import (
    Delivery,
    DeliveryKey,
    EventRef,
    PlannedDelivery,
    ServerEvent,
    ServerEventRef,
    SkipStatus,
    Subscription,
    Target,
    TargetState,
)
from bot.store.deliveries import MOVED_PAST_DETAIL, UNWANTED_DETAIL

if TYPE_CHECKING:
    from bot.client import FanBot

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0
HELD_DETAIL = "held: too many invalid requests in Discord's 10 minutes"
GROUP_COMMIT_SECONDS = 0.02  # how long a `sent` row waits for others to share its commit
JITTER_SECONDS = 0.5  # real seconds a wake-up may run late without a reminder going stale
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 2.0
RATE_LIMIT_RETRY_SECONDS = 1.0
WAKEUPS_AHEAD = 200
CLAIM_BATCH = 500
HISTORY_LOOKBACK = 50
RECENTLY_DELETED = 256
# Real seconds a claimed row may stay `sending` before its owner takes it back: longer
# than any post takes (discord.py's five tries, each after its 429 wait, and the store's
# patience for a locked writer), so only a row whose settling failed is ever taken back.
SENDING_LEASE_SECONDS = 120.0
REMOVED_REASON = "the bot was removed from the server"
ENDED_DETAIL = "the event had already ended"
STARTED_EARLY_DETAIL = "the event started early, before this post's time"
T = TypeVar("T")
SUMMARY_NAMES = 3  # milestones named in a fan-out's summary line before "and N more"

# What became of one post: the summary line counts them.
Outcome = Literal["posted", "paused", "failed", "retrying", "skipped"]

GONE_REASONS = {
    "cancelled": "the server event was cancelled",
    "deleted": "the server event was deleted",
    "missing": "the event is no longer in any content pack",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one claimed row: post it, or record why not."""

    delivery: Delivery
    post: bool
    status: SkipStatus = "skipped_stale"
    detail: str = ""


def decide(
    claimed: Sequence[Delivery], now: datetime, tolerance: timedelta = timedelta(0)
) -> list[Decision]:
    """Post the latest overdue reminder of each countdown if still in grace; skip the rest.

    A countdown's milestones and daily posts are one stream (one post a day: see
    `bot.reminders.planner`), so after an outage only its latest reminder goes out.
    `tolerance` is added to every grace window for the scheduler's own jitter (it matters
    only on a fast virtual clock).
    """
    streams: dict[tuple[int, EventRef], list[Delivery]] = defaultdict(list)
    for row in claimed:
        streams[(row.guild_id, row.event_ref)].append(row)
    decisions: list[Decision] = []
    for rows in streams.values():
        rows.sort(key=lambda r: r.due_at)
        latest = rows[-1]
        for row in rows[:-1]:
            decisions.append(
                Decision(row, False, "skipped_superseded", f"superseded by {latest.milestone}")
            )
        late = now - latest.due_at
        grace = latest.milestone.grace
        if late > grace + tolerance:
            detail = f"{_duration(late)} late, past its {_duration(grace)} grace"
            decisions.append(Decision(latest, False, "skipped_stale", detail))
        else:
            decisions.append(Decision(latest, True))
    return decisions


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def _log_batch(claimed: Sequence[Delivery], outcomes: Counter[Outcome], seconds: float) -> None:
    """One INFO line per dispatch batch: which milestones, what became of them, how long."""
    pairs = sorted({(str(row.event_ref), str(row.milestone)) for row in claimed})
    named = ", ".join(f"{ref} {milestone}" for ref, milestone in pairs[:SUMMARY_NAMES])
    if len(pairs) > SUMMARY_NAMES:
        named += f" and {len(pairs) - SUMMARY_NAMES} more"
    log.info(
        "fan-out finished: %s: %d posted, %d paused, %d failed, %d skipped, %d retrying, in %.1f s",
        named,
        outcomes["posted"],
        outcomes["paused"],
        outcomes["failed"],
        outcomes["skipped"],
        outcomes["retrying"],
        seconds,
    )


class ReminderService:
    """Plans, schedules and posts countdown reminders for one bot process."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._dispatch_lock = asyncio.Lock()
        self._recovered = False
        # Guilds whose countdowns were paused because the bot was removed: kept in memory
        # so that the start-up flood of GUILD_CREATE costs no query per guild.
        self._removed: set[int] = set()
        # Rows a crash left `sending`: look for their post before sending it again.
        self._maybe_posted: set[DeliveryKey] = set()
        # Guilds with countdowns to their own scheduled events: reconciled at start and
        # after a resume (kept in memory for the same reason as `_removed`).
        self._following: set[int] = set()
        # Events deleted lately, for a setup that read one just before (see `catch_up`).
        self._deleted: deque[int] = deque(maxlen=RECENTLY_DELETED)
        self.sending_lease = SENDING_LEASE_SECONDS
        self._stopping = False
        # Posts waiting to be recorded `sent`, and the task writing them (`_record_sent`).
        self._sent_queue: list[tuple[DeliveryKey, int, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None

    @property
    def shards(self) -> tuple[int, frozenset[int]] | None:
        """The shards this process serves, when it serves only some of them."""
        count, ids = self.bot.shard_count, self.bot.shard_ids
        if count is None or ids is None or set(ids) == set(range(count)):
            return None
        return count, frozenset(ids)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Rebuild everything from the outbox and start waking up."""
        self._removed = await self.bot.store.guilds.paused_for(REMOVED_REASON)
        self._following = await self.bot.store.server_events.tracked_guilds()
        self.scheduler.start()
        self.scheduler.add_job(
            self.sweep, IntervalTrigger(seconds=SWEEP_SECONDS), id="sweep", coalesce=True
        )
        await self.replan_all()
        self.scheduler.add_job(self.sweep, DateTrigger(), id="first-sweep")

    async def stop(self) -> None:
        """Stop waking up; a dispatch in progress finishes."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        async with self._dispatch_lock:
            pass  # a dispatch in progress has finished
        if self._recorder is not None:  # and so has the recording of its posts
            await asyncio.gather(self._recorder, return_exceptions=True)

    async def sweep(self) -> None:
        """Post whatever is due, then schedule the next wake-ups.

        Every scheduler job runs this: it never lets an error out (APScheduler would print a
        traceback), it logs it in one line; the next sweep tries again, and rows left
        `sending` are taken back when their claim's lease runs out.
        """
        try:
            await self.dispatch_due()
            await self.reschedule()
        except Exception as exc:  # a job must not die: the 30 s sweep comes back
            log.error("reminder sweep failed: %s: %s", type(exc).__name__, exc)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # The scheduler's shutdown cancels its running jobs: the outbox keeps the rows.
            log.debug("a reminder sweep was stopped by the shutdown")

    # ------------------------------------------------------------------ planning

    async def target_for(self, guild_id: int, ref: EventRef) -> Target | None:
        """What a guild's countdown `ref` counts down to, if the bot still knows it."""
        return await target_for(self.bot.store, guild_id, ref)

    async def plan(self, subscription: Subscription) -> list[PlannedDelivery]:
        """Bring one subscription's outbox rows in line with its settings and its target.

        Returns the reminders it wants. A target gone (cancelled or deleted server event,
        pack event removed) cancels the pending rows, saying why; for one that has ended
        nothing more is planned, and what is still pending is skipped when due.
        """
        target = await self.target_for(subscription.guild_id, subscription.event_ref)
        now = self.bot.clock.now()
        detail = UNWANTED_DETAIL
        if target is None or target.state in GONE_REASONS:
            planned: list[PlannedDelivery] = []
            detail = GONE_REASONS[target.state if target is not None else "missing"]
        elif target.state == "completed" or target.starts_at is None:
            return []
        else:
            planned = wanted(
                subscription, target.starts_at, now=now, started=target.state == "active"
            )
        await self.bot.store.deliveries.plan(
            subscription.guild_id,
            subscription.event_ref,
            planned,
            channel_id=subscription.channel_id,
            role_id=subscription.role_id,
            now=now,
            unwanted_detail=detail,
            moved_past_detail=STARTED_EARLY_DETAIL
            if target is not None and target.state == "active"
            else MOVED_PAST_DETAIL,
        )
        return planned

    async def replan_all(self) -> None:
        """Plan every active subscription (after start-up or a content pack update)."""
        for subscription in await self.bot.store.guilds.active(self.shards):
            await self.plan(subscription)
        await self.reschedule()

    async def reschedule(self) -> None:
        """One wake-up job per distinct due time, in real time on the bot's clock."""
        if not self.scheduler.running:
            return
        clock = self.bot.clock
        due_times = await self.bot.store.deliveries.next_due(clock.now(), self.shards)
        keep = {"sweep", "first-sweep", "wake-now", "take-back", "held"}
        for due in due_times[:WAKEUPS_AHEAD]:
            job_id = f"wake:{due.isoformat()}"
            keep.add(job_id)
            if self.scheduler.get_job(job_id) is None:
                self.scheduler.add_job(
                    self.sweep,
                    DateTrigger(run_date=clock.real_moment(due)),
                    id=job_id,
                    misfire_grace_time=None,
                )
        for job in self.scheduler.get_jobs():
            if job.id not in keep and not job.id.startswith("retry:"):
                job.remove()

    async def next_due(self) -> datetime | None:
        """When this process's next pending post is due, if it has one."""
        due = await self.bot.store.deliveries.next_due(self.bot.clock.now(), self.shards)
        return due[0] if due else None

    # ------------------------------------------------------------------ posting

    async def dispatch_due(self) -> int:
        """Claim and settle every due row; return how many were posted.

        Batches overlap: the next batch is claimed while the one before goes out, so the
        gate never waits for a batch's last posts to be recorded and the next claim made.
        A row released after a transient error is due again at once, so the loop stops
        after a short batch instead of retrying it here: its retry job comes back later.
        """
        posted = 0
        async with self._dispatch_lock:
            going: list[asyncio.Task[int]] = []  # at most the batch before and this one
            try:
                while not self._held():
                    started = time.monotonic()
                    claimed = await self._claim_batch(take_back=not going)
                    if not claimed:
                        break
                    going.append(asyncio.create_task(self._post_batch(claimed, started)))
                    if len(going) > 1:
                        posted += await going.pop(0)
                    if len(claimed) < CLAIM_BATCH:
                        break
                while going:
                    posted += await going.pop(0)
            except asyncio.CancelledError:  # shutdown: the batches still going stop too
                for task in going:
                    task.cancel()
                await asyncio.gather(*going, return_exceptions=True)
                raise
            except Exception:  # e.g. a claim failed: the batches going finish first
                for result in await asyncio.gather(*going, return_exceptions=True):
                    posted += result if isinstance(result, int) else 0
                raise
        return posted

    def _held(self) -> bool:
        """Whether the gate holds the fan-out (too many invalid requests): look again soon."""
        if self.bot.gate.holding:
            self._look_again_when_held()
            return True
        return False

    async def _claim_batch(self, *, take_back: bool) -> list[Delivery]:
        """Claim up to `CLAIM_BATCH` due rows, taking back those whose lease ran out.

        Nothing is taken back while a batch of ours is going (`take_back` False): its rows
        are `sending` and it may be slow (a fleet's small share, a hold), not dead.
        """
        now = self.bot.clock.now()
        store = self.bot.store.deliveries
        if not take_back:
            return await store.claim_due(now, limit=CLAIM_BATCH, shards=self.shards)
        # Rows still `sending` whose claim is older than the lease: settling them failed
        # (no dispatch of ours runs meanwhile), so they are taken back.
        expired = now - self.bot.clock.span(self.sending_lease)
        cutoff = None if not self._recovered else expired
        self._maybe_posted |= await store.in_flight(self.shards, cutoff)
        claimed = await store.claim_due(
            now,
            limit=CLAIM_BATCH,
            include_sending=not self._recovered,
            claimed_before=expired,
            shards=self.shards,
        )
        self._recovered = True
        return claimed

    async def _post_batch(self, claimed: Sequence[Delivery], started: float) -> int:
        """Skip what is no longer wanted, post the rest; log the batch; return posts made."""
        now = self.bot.clock.now()
        decisions = decide(claimed, now, self.bot.clock.span(JITTER_SECONDS))
        for skip in (d for d in decisions if not d.post):
            await self._settle(skip.delivery, self._skip(skip, now))
        to_post = [d.delivery for d in decisions if d.post]
        outcomes = await self._post_all(to_post)
        outcomes["skipped"] += len(decisions) - len(to_post)
        _log_batch(claimed, outcomes, time.monotonic() - started)
        return len(to_post)

    async def _post_all(self, rows: Sequence[Delivery]) -> Counter[Outcome]:
        """Post the rows through the paced fan-out; count what became of them.

        A row whose settling failed is counted as retrying: its owner takes it back later.
        """
        outcomes: Counter[Outcome] = Counter()

        async def post(row: Delivery, slot: Slot) -> None:
            outcomes[await self._settle(row, self._post(row, slot)) or "retrying"] += 1

        await fan_out(rows, post)
        return outcomes

    async def _skip(self, skip: Decision, now: datetime) -> None:
        await self.bot.store.deliveries.mark_skipped(
            skip.delivery.key, skip.status, skip.detail, now
        )

    async def _settle(self, row: Delivery, work: Awaitable[T]) -> T | None:
        """Run one row's settling; a failure is logged in one line and stops nothing else.

        The row then stays `sending` until its claim's lease runs out and the next dispatch
        takes it back, looking for its post in the channel before sending it again.
        """
        try:
            return await work
        except Exception as exc:  # one row's trouble must not abort the batch
            self._maybe_posted.add(row.key)
            if self.scheduler.running:  # come back for it when its lease has run out
                self.scheduler.add_job(
                    self.sweep,
                    DateTrigger(run_date=self.bot.clock.real_in(self.sending_lease + 1.0)),
                    id="take-back",
                    replace_existing=True,
                    misfire_grace_time=None,
                )
            log.error(
                "could not settle %s for %s in guild %s (taken back in %.0f s): %s: %s",
                row.milestone,
                row.event_ref,
                row.guild_id,
                self.sending_lease,
                type(exc).__name__,
                exc,
            )
            return None

    async def _post(self, row: Delivery, slot: Slot) -> Outcome:
        """Post one row, holding `slot` (the fan-out's pool) until Discord has answered.

        The pool bounds the work up to the answer; recording the post is left out, so a
        store slow to take its write lock does not keep the gate waiting.
        """
        if self.bot.gate.holding:  # held since the claim: give the row back untried
            await self.bot.store.deliveries.release(row.key, HELD_DETAIL, count_attempt=False)
            return "retrying"
        async with slot:
            sent = await self._send(row)
        if isinstance(sent, str):
            return sent
        await self._record_sent(row.key, sent)
        log.debug("posted %s for %s in guild %s", row.milestone, row.event_ref, row.guild_id)
        return "posted"

    async def _send(self, row: Delivery) -> Outcome | int:
        """Send one row's post: its message id, or what became of the row instead."""
        store = self.bot.store
        target = await self.target_for(row.guild_id, row.event_ref)
        now = self.bot.clock.now()
        if target is None or target.state in GONE_REASONS or target.starts_at is None:
            reason = GONE_REASONS[target.state if target is not None else "missing"]
            await store.deliveries.mark_failed(row.key, reason, now)
            return "failed"
        if target.state == "completed":
            await store.deliveries.mark_skipped(row.key, "skipped_stale", ENDED_DETAIL, now)
            return "skipped"
        embed = render.reminder(target, row.milestone, row.due_at)
        channel = self.bot.get_partial_messageable(row.channel_id, guild_id=row.guild_id)
        if row.key in self._maybe_posted or row.tried_due_at is not None:
            # An earlier try may have gone out with its answer lost. Discord's nonce check
            # covers only the last few minutes; the channel's history covers the rest.
            self._maybe_posted.discard(row.key)
            posted = await self._find_post(row, channel)
            if posted is not None:
                await store.deliveries.mark_sent(row.key, posted, self.bot.clock.now())
                log.info("found %s for guild %s already posted", row.milestone, row.guild_id)
                return "posted"
        mentions = discord.AllowedMentions.none()
        content = None
        if row.role_id is not None:
            content = f"<@&{row.role_id}>"
            mentions = discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(row.role_id)]
            )
        try:
            message = await channel.send(
                content=content, embed=embed, allowed_mentions=mentions, nonce=row.nonce
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._pause_for(row, exc)
            return "paused"
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            return await self._retry_later(row, exc)
        return message.id

    async def _record_sent(self, key: DeliveryKey, message_id: int) -> None:
        """Record a post as sent, in one transaction with the others finishing meanwhile.

        Group commit: a batch gathers for `GROUP_COMMIT_SECONDS` and while the one before is
        written, so a fan-out takes the database's write lock once per batch instead of once
        per post (several processes share that lock). Returns once this row is recorded;
        raises if it is not.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sent_queue.append((key, message_id, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._write_sent(), name="record-sent")
        await done

    async def _write_sent(self) -> None:
        while self._sent_queue:
            # Let the posts finishing meanwhile join: fewer, larger commits, so processes
            # sharing the database rarely meet at its write lock.
            await asyncio.sleep(GROUP_COMMIT_SECONDS)
            batch, self._sent_queue = self._sent_queue, []
            try:
                await self.bot.store.deliveries.mark_sent_many(
                    [(key, message_id) for key, message_id, _ in batch], self.bot.clock.now()
                )
            except Exception as exc:  # each row's waiter logs it and the row is taken back
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _find_post(self, row: Delivery, channel: discord.PartialMessageable) -> int | None:
        """The id of this row's post among the channel's recent messages, if it is there."""
        me = self.bot.user
        if me is None:
            return None
        title = row.milestone.headline
        stamps = {row.due_at, row.tried_due_at}  # its event may have moved since that try
        try:
            async for message in channel.history(limit=HISTORY_LOOKBACK):
                if message.author.id == me.id and any(
                    e.title == title and e.timestamp in stamps for e in message.embeds
                ):
                    return message.id
        except discord.HTTPException as exc:  # no Read Message History: the nonce must do
            log.info("could not read #%s's history: %s", row.channel_id, exc)
        return None

    async def _pause_for(self, row: Delivery, exc: discord.HTTPException) -> None:
        if isinstance(exc, discord.NotFound):
            reason = f"channel <#{row.channel_id}> no longer exists or I can't see it"
        else:
            reason = f"I lost permission to post in <#{row.channel_id}>"
        now = self.bot.clock.now()
        await self.bot.store.deliveries.mark_failed(row.key, f"{reason} ({exc.status})", now)
        await self.bot.store.guilds.pause(row.guild_id, reason, now, event_ref=row.event_ref)
        log.warning("paused guild %s: %s", row.guild_id, reason)

    async def _retry_later(self, row: Delivery, exc: BaseException) -> Outcome:
        now = self.bot.clock.now()
        detail = f"{type(exc).__name__}: {exc}"[:300]
        rate_limited = isinstance(exc, discord.HTTPException) and exc.status == 429
        if row.attempts >= MAX_ATTEMPTS and not rate_limited:
            await self.bot.store.deliveries.mark_failed(
                row.key, f"gave up after {row.attempts} tries: {detail}", now
            )
            log.error("gave up on %s for guild %s: %s", row.milestone, row.guild_id, detail)
            return "failed"
        # A 429 storm only delays a post: it never counts towards giving up.
        await self.bot.store.deliveries.release(row.key, detail, count_attempt=not rate_limited)
        if rate_limited:  # discord.py has already waited out retry_after
            delay = RATE_LIMIT_RETRY_SECONDS
        else:
            delay = RETRY_BASE_SECONDS * 2 ** (min(row.attempts, MAX_ATTEMPTS) - 1)
        log.warning(
            "will retry %s for guild %s in %.0f s: %s", row.milestone, row.guild_id, delay, detail
        )
        if self.scheduler.running:
            self.scheduler.add_job(
                self.sweep,
                DateTrigger(run_date=self.bot.clock.real_in(delay)),
                id=f"retry:{row.guild_id}:{row.event_ref}:{row.milestone}",
                replace_existing=True,
            )
        return "retrying"

    # ------------------------------------------------------------------ guild membership

    async def guild_removed(self, guild_id: int) -> None:
        """The bot left or was removed: pause the guild's countdowns."""
        count = await self.bot.store.guilds.pause(guild_id, REMOVED_REASON, self.bot.clock.now())
        if count:
            self._removed.add(guild_id)
            log.info("paused %d countdown(s) of guild %s: removed", count, guild_id)

    async def guild_joined(self, guild_id: int) -> None:
        """The bot is (back) in a guild: resume what its removal paused."""
        if guild_id not in self._removed:
            return
        self._removed.discard(guild_id)
        now = self.bot.clock.now()
        if await self.bot.store.guilds.resume(guild_id, now, only_reason=REMOVED_REASON):
            for subscription in await self.bot.store.guilds.for_guild(guild_id):
                if subscription.status == "active":
                    await self.plan(subscription)
            await self.reschedule()

    # ------------------------------------------------------------------ server events

    def follow(self, guild_id: int) -> None:
        """From now on keep this guild's scheduled events reconciled at start and resume."""
        self._following.add(guild_id)

    async def catch_up(self, guild: discord.Guild, event_id: int) -> None:
        """Apply what the gateway said of an event while a setup on it was under way.

        Setup reads the event over REST, then saves it and the countdown; an update or a
        deletion arriving in between found no countdown to apply to.
        """
        if event_id in self._deleted:
            await self.server_event_deleted(guild.id, event_id)
        elif (cached := guild.get_scheduled_event(event_id)) is not None:
            await self.server_event_changed(cached)

    def follows(self, guild_id: int) -> bool:
        """Whether the guild has countdowns to its own scheduled events."""
        return guild_id in self._following

    async def server_event_changed(self, event: discord.ScheduledEvent) -> None:
        """A scheduled event changed (gateway, or discord.py's cache): apply it to countdowns."""
        record = server_event_record(event, self.bot.clock.now(), counted=False)
        await self._apply(record)

    async def server_event_deleted(
        self, guild_id: int, event_id: int, state: TargetState = "deleted"
    ) -> None:
        """A scheduled event was deleted (or, gone from Discord's list, ended): re-plan."""
        now = self.bot.clock.now()
        if state == "deleted":
            self._deleted.append(event_id)
        await self._forget_link(guild_id, event_id, now)
        if await self.bot.store.server_events.mark_gone(guild_id, event_id, state, now):
            log.info("server event %s of guild %s is %s", event_id, guild_id, state)
            await self._replan_event(guild_id, ServerEventRef(event_id))

    async def reconcile(self, guild: discord.Guild) -> None:
        """Bring what the bot knows of the guild's followed events in line with Discord.

        Run at start and after a resume, so that a change made while the bot was away (and
        not replayed to it) is applied. A followed event Discord no longer lists was deleted,
        or, if its time had come, has ended (Discord lists only events still open).
        """
        known = await self.bot.store.server_events.open_events(guild.id)
        if not known:
            self._following.discard(guild.id)
            return
        try:
            current = await guild.fetch_scheduled_events(with_counts=True)
        except discord.HTTPException as exc:
            log.warning("could not list the scheduled events of guild %s: %s", guild.id, exc)
            return
        now = self.bot.clock.now()
        for event in current:
            if event.id in known:
                await self._apply(server_event_record(event, now, counted=True))
        for event_id in known.keys() - {event.id for event in current}:
            ended = known[event_id].starts_at <= now
            await self.server_event_deleted(guild.id, event_id, "completed" if ended else "deleted")

    async def reconcile_all(self, shard_id: int | None = None) -> None:
        """Reconcile every followed guild (of one shard, after it resumed)."""
        for guild_id in sorted(self._following):
            guild = self.bot.get_guild(guild_id)
            if guild is not None and (shard_id is None or guild.shard_id == shard_id):
                await self.reconcile(guild)

    async def _apply(self, record: ServerEvent) -> None:
        """Record a followed event's new state and re-plan its countdowns if anything moved."""
        if record.state in ("cancelled", "completed"):
            await self._forget_link(record.guild_id, record.event_id, record.updated_at)
        ref = record.ref
        if not await self.bot.store.guilds.to_event(ref, record.guild_id):
            return  # no countdown follows it: autocomplete reads discord.py's cache
        before = await self.bot.store.server_events.save(record)
        if before is None or (before.starts_at, before.state) != (record.starts_at, record.state):
            log.info(
                "server event %s of guild %s is %s, starting %s: re-planning its countdown",
                record.event_id,
                record.guild_id,
                record.state,
                record.starts_at.isoformat(),
            )
        await self._replan_event(record.guild_id, ref)

    async def _replan_event(self, guild_id: int, ref: EventRef) -> None:
        for subscription in await self.bot.store.guilds.to_event(ref, guild_id):
            if subscription.status == "active":
                await self.plan(subscription)
        await self.reschedule()
        self.wake_now()

    async def _forget_link(self, guild_id: int, event_id: int, now: datetime) -> None:
        """The event the bot made for a pack countdown is gone: the next setup makes another."""
        linked = await self.bot.store.guilds.linked_events(guild_id)
        if event_id in linked:
            await self.bot.store.guilds.set_scheduled_event(guild_id, linked[event_id], None, now)

    def _look_again_when_held(self) -> None:
        """Sweep again when the gate re-checks a held fan-out, not only at the 30 s sweep."""
        if self.scheduler.running:
            again = self.bot.clock.real_in(HOLD_RECHECK_SECONDS)
            self.scheduler.add_job(
                self.sweep,
                DateTrigger(run_date=again),
                id="held",
                replace_existing=True,
                misfire_grace_time=None,
            )

    def wake_now(self) -> None:
        """Sweep at once: a change may have made a post due now (an event started early)."""
        if self.scheduler.running:
            self.scheduler.add_job(self.sweep, DateTrigger(), id="wake-now", replace_existing=True)
