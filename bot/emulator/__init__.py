"""A Discord-compatible server for tests, benchmarks and the local playground."""

from bot.emulator.commands import EmulatorError
from bot.emulator.server import Emulator, RuleBreach
from bot.emulator.state import Channel, Guild, Message, Role, ScheduledEvent, User
from bot.emulator.world import DemoWorld, populate_demo_world

__all__ = [
    "Channel",
    "DemoWorld",
    "Emulator",
    "EmulatorError",
    "Guild",
    "Message",
    "Role",
    "RuleBreach",
    "ScheduledEvent",
    "User",
    "populate_demo_world",
]
