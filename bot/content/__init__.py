"""What the bot knows about shows: the content pack format and the records it shows.

Nothing here touches the database: `bot.store` imports packs and returns these records.
"""
