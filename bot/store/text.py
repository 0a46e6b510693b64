"""Text folding for search: the same rule at import time and at query time."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Fold `text` for matching: no accents, no case, words separated by single spaces.

    "Thibàult  de MONTALEMBERT!" -> "thibault de montalembert"; punctuation, emoji and
    control characters become word breaks, so a query of only punctuation folds to "".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # casefold can produce characters that decompose further (rare, but cheap to redo).
    lowered = unicodedata.normalize("NFKD", bare.casefold())
    words: list[str] = []
    current: list[str] = []
    for ch in lowered:
        if ch.isalnum():
            current.append(ch)
        elif unicodedata.combining(ch):
            continue
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return " ".join(words)
