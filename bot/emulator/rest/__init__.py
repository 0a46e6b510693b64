"""Discord's REST API over the emulator's world: aiohttp routes and middlewares."""
