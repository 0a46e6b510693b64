"""Countdown reminders: milestones -> outbox rows -> APScheduler wake-ups -> posts."""
