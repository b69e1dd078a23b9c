"""Reminders (above the relay): the family's schedule and each reminder's life.

The schedule file and its values checked (``schedule_file``, ``schedule_values``), the
schedule in force (``schedule_store``, ``schedule_sync`` from the platform), fire times
(``planner``), firing and recording (``firing``), opened and installed for the commands
(``device``), and reminders in words (``words``).
"""
