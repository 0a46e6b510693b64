"""The console's prompt on a terminal: line editing, history, a completion menu."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.playground.completion import ConsoleCompleter

if TYPE_CHECKING:
    from bot.playground.console import Console

HISTORY_FILE = Path.home() / ".fanbot_history"


class History(FileHistory):
    """The lines typed, kept in a file; only in memory where the file cannot be written."""

    def store_string(self, string: str) -> None:
        """Append `string` to the file; a read-only home must not end the console."""
        with contextlib.suppress(OSError):
            super().store_string(string)


def prompt_session(console: Console, history: Path = HISTORY_FILE) -> PromptSession[str]:
    """A prompt whose TAB opens a menu of what `console` may complete, with `history`."""
    return PromptSession(
        completer=ConsoleCompleter(console), history=History(history), complete_while_typing=False
    )


@contextlib.contextmanager
def printing_above_the_prompt() -> Iterator[TextIO]:
    """A stream that prints above the line being typed; the log's lines go there too.

    Log handlers keep the stream they were made with, so those writing to the terminal are
    pointed at the stream for as long as it is in use.
    """
    terminal = (sys.stdout, sys.stderr)
    with patch_stdout(raw=True):
        handlers = [
            (handler, handler.stream)
            for handler in logging.getLogger().handlers
            if isinstance(handler, logging.StreamHandler) and handler.stream in terminal
        ]
        for handler, _ in handlers:
            handler.setStream(sys.stderr)
        try:
            yield sys.stdout
        finally:
            for handler, stream in handlers:
                handler.setStream(stream)
