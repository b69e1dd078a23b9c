"""Which speech model a device uses: ``--model DIR``, else the ``model_dir`` setting, else the
installed model of its language; checked, not loaded (the doctor and ``run`` share it)."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Paths, Settings
from audio.model_store import resolve_model


def model_folder(settings: Settings, paths: Paths, override: str = "") -> Path:
    """The checked model folder: ``--model DIR`` (as given), else ``model_dir`` (relative to
    ``XIAOAN_HOME``), else the installed model of the language."""
    configured = str(paths.home / settings.model_dir) if settings.model_dir else ""
    return Path(resolve_model(paths.models_dir, settings.lang, override or configured))
