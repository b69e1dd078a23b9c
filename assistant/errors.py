"""The assistant's exception tree.

::

    AssistantError            anything the assistant reports to a person (exit code 1)
    ├── ConfigError           a settings file or variable is wrong (exit code 2)
    │   └── ScheduleError     a reminder schedule has mistakes (each with file and line)
    ├── IntentDataError       the sentence data shipped with the package is broken (exit 3)
    ├── ResponseDataError     the reply texts shipped with the package are broken (exit 3)
    ├── StorageError          the local database cannot be opened or written (exit 4)
    │   └── DiskFullError     ... because the disk is full (only emergencies are recorded)
    ├── ModelError            a speech model is missing, partial, corrupt or uninstallable (exit 5)
    ├── AudioDeviceError      no microphone or speaker, or the one configured is gone (exit 6)
    ├── AudioFileError        a WAV file cannot be read (exit 1)
    └── SpeechOutError        espeak-ng gave no audio for a reply (the loop logs it, goes on)

Third-party errors are translated into these at the boundary; ``assert`` is used only for
programmer mistakes. Every message names the file (and line, when there is one) and the fix.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for errors that are shown to a person instead of a traceback."""

    exit_code = 1


class ConfigError(AssistantError):
    """A configuration file or environment variable is invalid."""

    exit_code = 2


class ScheduleError(ConfigError):
    """A reminder schedule (the family's file, or the platform's copy) has mistakes.

    ``problems`` holds one line per mistake (``FILE, line N: what is wrong: the fix``);
    the message is all of them, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class IntentDataError(AssistantError):
    """Intent sentence data (YAML under ``intents/<lang>/``) is invalid."""

    exit_code = 3


class ResponseDataError(AssistantError):
    """Reply texts (YAML under ``skills/responses/``) are invalid."""

    exit_code = 3


class StorageError(AssistantError):
    """The local database (``$XIAOAN_HOME/data/xiaoan.db``) cannot be opened or written."""

    exit_code = 4


class DiskFullError(StorageError):
    """The disk is full: nothing but an emergency (and its sending) may be written, so that
    the room left is kept for calls for help (``assistant.storage.space``)."""


class ModelError(AssistantError):
    """A speech model folder is missing, partial or corrupt, or cannot be installed.

    The message names the folder (or archive) and the fix, e.g. ``assistant models install zh``.
    """

    exit_code = 5


class AudioDeviceError(AssistantError):
    """There is no audio input or output device, or the configured one cannot be opened."""

    exit_code = 6


class AudioFileError(AssistantError):
    """A WAV file cannot be read (missing, not WAV, or an unsupported sample format)."""


class SpeechOutError(AssistantError):
    """espeak-ng gave no audio for a reply (the loop logs it and goes on)."""
