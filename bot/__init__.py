"""fanbot: a Discord bot for TV-show fan communities."""

__version__ = "0.1.0"
