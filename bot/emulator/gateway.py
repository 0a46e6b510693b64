"""The emulator's gateway: one `GatewaySession` per shard connection.

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


class GatewaySession:
    """A shard's session: survives a dropped connection so the client can RESUME it."""

    def __init__(
        self, emulator: Emulator, shard_id: int, shard_count: int, intents: int = 0
    ) -> None:
        self.emulator = emulator
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
        if self.session is not None and self.session.connection is self:
            self.session.connection = None
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
            if self.session is not None and self.session.connection is self:
                self.session.connection = None

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
        now = time.monotonic()
        if emu.last_identify is not None and now - emu.last_identify < emu.identify_interval:
            # max_concurrency 1: one IDENTIFY per interval, or the session is refused.
            emu.gateway_log.append("refused identify")
            emu.breach(
                f"gateway: IDENTIFY {now - emu.last_identify:.2f} s after the previous one "
                f"(max_concurrency 1 allows one per {emu.identify_interval:g} s)"
            )
            await self.send({"op": OP_INVALID_SESSION, "d": False})
            return
        emu.last_identify = now
        emu.gateway_log.append("identify")
        intents = data.get("intents")
        session = GatewaySession(emu, shard_id, shard_count, intents if type(intents) is int else 0)
        guilds = [g for g in emu.guilds.values() if session.owns_guild(g.id)]
        if len(guilds) > MAX_GUILDS_PER_SHARD:
            await self.close(CLOSE_SHARDING_REQUIRED, "Sharding required.")
            return
        emu.sessions[session.id] = session
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
        session = emu.sessions.get(str(data.get("session_id")))
        if data.get("token") != emu.token:
            await self.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        seq = data.get("seq") or 0
        if session is None or (session.sent and session.sent[0]["s"] > seq + 1):
            emu.gateway_log.append("refused resume")
            await self.send({"op": OP_INVALID_SESSION, "d": False})
            return
        if session.connection is not None and session.connection is not self:
            await session.connection.close(CLOSE_UNKNOWN_ERROR, "Session resumed elsewhere.")
        session.connection = self
        self.session = session
        emu.gateway_log.append("resume")
        for payload in list(session.sent):
            if payload["s"] > seq:
                await self.send(payload)
        await session.dispatch("RESUMED", {})
