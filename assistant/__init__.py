"""XiaoAn (小安) on the device: commands, supervision, wiring, the dialogue, reminders, the
relay to the care platform, and the base they stand on (settings, errors, storage, values).
The layers and where to add what: ``docs/architecture.md``."""

__version__ = "0.1.0"
