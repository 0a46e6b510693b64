"""The emulator's gateway: one `GatewaySession` per shard connection, kept by a `Gateway`.

It speaks the real protocol: HELLO, IDENTIFY, READY, GUILD_CREATE, HEARTBEAT/ACK, RESUME
with replay of what the client missed, and zlib-stream compression when asked for.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import zlib
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

log = logging.getLogger(__name__)

Json = dict[str, Any]

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_UNKNOWN_ERROR = 4000
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_SESSION_TIMED_OUT = 4009
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011
CLOSE_ABNORMAL = 1006  # never sent: what a client sees when the TCP connection just dies

REPLAY_BUFFER = 1000
# Discord's HEARTBEAT_ACK comes back after a network round trip, never within microseconds.
# discord.py's KeepAliveHandler records the send time in its own thread only once the send
# has completed; an ACK from a local process that answers at once is read before that, so
# the measured latency is the whole interval and it warns "Can't keep up, shard ID 0
# websocket is 41.3s behind" at every heartbeat. A short round trip, like a real network's,
# keeps the emulator faithful to what discord.py is written for.
HEARTBEAT_ACK_DELAY_SECONDS = 0.01

INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
MAX_GUILDS_PER_SHARD = 2500  # more on one connection: 4011 Sharding required


class Gateway:
    """The gateway's state: the open connections, the sessions, the IDENTIFY limit and a log.

    The log names what each client asked for, in order: "identify", "resume",
    "refused identify", "refused resume".
    """

    def __init__(self) -> None:
        self.identify_interval = 0.0  # >0: refuse IDENTIFYs closer than this (in seconds)
        self._last_identify: float | None = None
        self._sessions: dict[str, GatewaySession] = {}  # by id, oldest first
        self._connections: set[GatewayConnection] = set()
        self._log: list[str] = []

    @property
    def log(self) -> tuple[str, ...]:
        """What the clients asked for so far, in order (see the class docstring)."""
        return tuple(self._log)

    async def serve(self, connection: GatewayConnection) -> None:
        """Run `connection` until either side closes it."""
        self._connections.add(connection)
        try:
            await connection.serve()
        finally:
            self._connections.discard(connection)

    async def close_connections(self, code: int, reason: str) -> None:
        """Close every open connection with a close code."""
        for connection in list(self._connections):
            await connection.close(code, reason)

    def admit_identify(self) -> str | None:
        """Log an IDENTIFY; None if admitted, else the rule it breaks.

        max_concurrency 1: one IDENTIFY per `identify_interval`.
        """
        now = time.monotonic()
        last = self._last_identify
        if last is not None and now - last < self.identify_interval:
            self._log.append("refused identify")
            return (
                f"gateway: IDENTIFY {now - last:.2f} s after the previous one "
                f"(max_concurrency 1 allows one per {self.identify_interval:g} s)"
            )
        self._last_identify = now
        self._log.append("identify")
        return None

    def add_session(self, session: GatewaySession) -> None:
        """Keep a newly identified session, for events and for a RESUME."""
        self._sessions[session.id] = session

    def session_to_resume(self, session_id: str, seq: int) -> GatewaySession | None:
        """The session, if it still holds every event after `seq`; else None, logged as refused."""
        session = self._sessions.get(session_id)
        if session is None or (session.sent and session.sent[0]["s"] > seq + 1):
            self._log.append("refused resume")
            return None
        return session

    def note_resume(self) -> None:
        """Log a RESUME that took its session over."""
        self._log.append("resume")

    def forget_session_of(self, connection: GatewayConnection) -> None:
        """Forget the connection's session, events and all: its client must IDENTIFY again."""
        if connection.session is not None:
            self._sessions.pop(connection.session.id, None)

    def forget_all_sessions(self) -> None:
        """Forget every session, as Discord does once a bot has been away long enough."""
        self._sessions.clear()

    def session_for_guild(self, guild_id: int) -> GatewaySession | None:
        """The newest connected session of the guild's shard.

        Failing that, the newest one waiting for a RESUME, which keeps its events for replay.
        """
        owning = [s for s in self._sessions.values() if s.owns_guild(guild_id)]
        live = [s for s in owning if s.connection is not None]
        candidates = live or owning
        return candidates[-1] if candidates else None

    def live_shard_ids(self) -> set[int]:
        """The shards with a session that has a connection."""
        return {s.shard_id for s in self._sessions.values() if s.connection is not None}

    def live_connection(self, shard_id: int) -> GatewayConnection | None:
        """The connection of the shard's newest connected session, if there is one."""
        for session in reversed(list(self._sessions.values())):
            if session.shard_id == shard_id and session.connection is not None:
                return session.connection
        return None


class GatewaySession:
    """A shard's session: survives a dropped connection so the client can RESUME it."""

    def __init__(self, shard_id: int, shard_count: int, intents: int = 0) -> None:
        self.id = secrets.token_hex(16)
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.intents = intents  # as IDENTIFY gave them; a RESUME keeps them
        self.sequence = 0
        self.sent: deque[Json] = deque(maxlen=REPLAY_BUFFER)
        self.connection: GatewayConnection | None = None

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this shard receives the guild's events."""
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def wants(self, intent: int) -> bool:
        """Whether the client identified with `intent`."""
        return bool(self.intents & intent)

    async def dispatch(self, event: str, data: Json) -> None:
        """Send an event now, or keep it for replay if the client is away."""
        self.sequence += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": self.sequence, "d": data}
        self.sent.append(payload)
        if self.connection is not None:
            await self.connection.send(payload)

    def detach(self, connection: GatewayConnection) -> None:
        """Let go of a closed `connection`, unless another one resumed the session since."""
        if self.connection is connection:
            self.connection = None


class GatewayConnection:
    """One websocket connection; attaches to a new or resumed `GatewaySession`."""

    def __init__(
        self,
        emulator: Emulator,
        ws: web.WebSocketResponse,
        compress: bool,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.emulator = emulator
        self.ws = ws
        self.transport = transport
        self._compressor = zlib.compressobj() if compress else None
        self._send_lock = asyncio.Lock()
        self.session: GatewaySession | None = None
        self._acks: set[asyncio.Task[None]] = set()

    async def send(self, payload: Json) -> None:
        """Send one payload, compressed as one zlib-stream frame when asked for."""
        raw = orjson.dumps(payload)
        async with self._send_lock:
            if self.ws.closed:
                return
            try:
                if self._compressor is not None:
                    frame = self._compressor.compress(raw)
                    frame += self._compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(raw.decode())
            except (ConnectionError, RuntimeError):
                log.debug("gateway: send on a closing socket dropped")

    async def close(self, code: int, reason: str = "") -> None:
        """Close the socket with a Discord close code."""
        await self.ws.close(code=code, message=reason.encode())

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (the client sees 1006)."""
        if self.session is not None:
            self.session.detach(self)
        if self.transport is not None:
            self.transport.abort()

    async def serve(self) -> None:
        """Run the connection until either side closes it."""
        await self.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.emulator.heartbeat_ms}})
        try:
            async for msg in self.ws:
                if msg.type != WSMsgType.TEXT:
                    await self.close(CLOSE_UNKNOWN_ERROR, "text frames only")
                    break
                try:
                    payload = orjson.loads(msg.data)
                    op = payload["op"]
                except (ValueError, KeyError, TypeError):
                    await self.close(4002, "Error while decoding payload.")
                    break
                await self._handle(op, payload.get("d"))
        finally:
            if self.session is not None:
                self.session.detach(self)

    async def _handle(self, op: int, data: Any) -> None:
        if op == OP_HEARTBEAT:
            # Only the ACK is late: what the client sent after the heartbeat is read at once.
            ack = asyncio.create_task(self._ack_later(HEARTBEAT_ACK_DELAY_SECONDS))
            self._acks.add(ack)
            ack.add_done_callback(self._acks.discard)
        elif op == OP_IDENTIFY:
            await self._identify(data)
        elif op == OP_RESUME:
            await self._resume(data)
        elif op in (OP_PRESENCE, OP_VOICE_STATE, OP_REQUEST_MEMBERS):
            return
        else:
            await self.close(4001, "Unknown opcode.")

    async def _ack_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.send({"op": OP_HEARTBEAT_ACK})

    async def _identify(self, data: Json) -> None:
        emu = self.emulator
        if self.session is not None:
            await self.close(CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if data.get("token") != emu.token:
            await self.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if shard_count != emu.shard_count or not 0 <= shard_id < shard_count:
            await self.close(CLOSE_INVALID_SHARD, "Invalid shard.")
            return
        broken_rule = emu.gateway.admit_identify()
        if broken_rule is not None:
            emu.breach(broken_rule)
            await self.send({"op": OP_INVALID_SESSION, "d": False})
            return
        intents = data.get("intents")
        session = GatewaySession(shard_id, shard_count, intents if type(intents) is int else 0)
        guilds = [g for g in emu.guilds.values() if session.owns_guild(g.id)]
        if len(guilds) > MAX_GUILDS_PER_SHARD:
            await self.close(CLOSE_SHARDING_REQUIRED, "Sharding required.")
            return
        emu.gateway.add_session(session)
        session.connection = self
        self.session = session
        await session.dispatch(
            "READY",
            {
                "v": 10,
                "user": emu.bot_user.to_json(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "resume_gateway_url": emu.gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(emu.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
            },
        )
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", emu.guild_payload(guild))

    async def _resume(self, data: Json) -> None:
        emu = self.emulator
        if data.get("token") != emu.token:
            await self.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        seq = data.get("seq") or 0
        session = emu.gateway.session_to_resume(str(data.get("session_id")), seq)
        if session is None:
            await self.send({"op": OP_INVALID_SESSION, "d": False})
            return
        if session.connection is not None and session.connection is not self:
            await session.connection.close(CLOSE_UNKNOWN_ERROR, "Session resumed elsewhere.")
        session.connection = self
        self.session = session
        emu.gateway.note_resume()
        for payload in list(session.sent):
            if payload["s"] > seq:
                await self.send(payload)
        await session.dispatch("RESUMED", {})
