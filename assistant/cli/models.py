"""``assistant models …``: the speech models installed below ``$XIAOAN_HOME/models``.

Verbs: ``list`` (each language of the manifest: installed or not, pinned, purpose),
``install LANG`` (download from the manifest's URL or ``--url``, resumable; or ``--from``
a local zip or folder: the same verification either way), ``verify [LANG ...]`` (every
file hashed; exit code 5 when anything differs) and ``remove LANG``. ``--json`` prints one
JSON object per line. Failures are ``ModelError`` (exit code 5); a language the manifest
does not have is a usage error (exit code 2, naming the languages it has). Only these
commands download; the assistant itself never does.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.shared import JsonOption, emit

if TYPE_CHECKING:
    from audio.model_download import Progress as ProgressCallback
    from audio.model_store import InstalledModel, ModelStore, VerifyReport

app = typer.Typer(help="Speech models: list, install, verify, remove.", no_args_is_help=True)
LangArg = Annotated[
    str, typer.Argument(help="The language: zh, en (or ko, for tests); voice-zh, voice-en: "
                        "a neural voice.")
]  # fmt: skip


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Each language's model: installed or not, pinned or unpinned, its purpose."""
    store = _store()
    installed = {model.lang: model for model in store.installed()}
    for lang, entry in store.manifest.items():
        model = installed.get(lang)
        row = {"lang": lang, "name": entry.name, "installed": model is not None,
               "installed_name": model.name if model else None, "pinned": entry.pinned,
               "purpose": entry.purpose, "folder": str(store.folder(lang))}  # fmt: skip
        emit(row if as_json else _list_line(row, model))
    for lang in sorted(set(installed) - set(store.manifest)):
        model = installed[lang]
        emit({**model.to_json(), "in_manifest": False} if as_json
               else f"{lang}  {model.name or '?'}  installed, not in the manifest")  # fmt: skip


@app.command()
def install(
    lang: LangArg,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="A local .zip archive or model folder (a USB stick)."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Download from this URL (a local mirror).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Install a model: downloaded (resumable) or --from a local zip or folder, verified first.

    Every file is checked before the model replaces the installed one; a refused model
    changes nothing."""
    if source is not None and url is not None:
        raise typer.BadParameter("give --from or --url, not both")
    if lang.startswith("voice-"):  # a neural voice: voice-zh, voice-en
        emit(_install_voice(lang.removeprefix("voice-"), source, url, as_json))
        return
    store = _store()
    _known(store, lang)
    if source is not None:
        model = store.install_from(lang, source)
    else:
        with _progress(store.entry(lang).name, url or store.entry(lang).url) as progress:
            model = store.download(lang, url, progress=progress)
    emit(model.to_json() if as_json else _installed_line(model))


@app.command()
def verify(
    langs: Annotated[
        list[str] | None, typer.Argument(help="Languages; without them, every installed one.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Hash every file of installed models; exit code 5 when any file differs."""
    from assistant.errors import ModelError

    store = _store()
    for lang in langs or []:
        _known(store, lang, "LANGS")
    targets = langs or [model.lang for model in store.installed()]
    if not targets:
        raise ModelError(
            f"no speech models are installed in {store.models_dir}: run "
            "`assistant models install zh`"
        )
    failed = [lang for lang in targets if not _verify_one(store, lang, as_json)]
    if failed:
        fixes = "; ".join(f"`assistant models install {lang}`" for lang in failed)
        raise ModelError(f"verification failed for {', '.join(failed)}: reinstall with {fixes}")


def _install_voice(
    lang: str, source: Path | None, url: str | None, as_json: bool
) -> str | dict[str, Any]:
    from assistant.config import load_settings
    from audio.voice_store import VoiceStore

    _, paths = load_settings()
    store = VoiceStore(paths.home / "voices")
    if source is not None:
        voice = store.install_from(lang, source)
    else:
        official = store.voices().get(lang)
        if official is None:
            store.download(lang, url)  # refused: names the known ones
        assert official is not None
        with _progress(official.name, url or official.url) as progress:
            voice = store.download(lang, url, progress)
    if as_json:
        return voice.to_json()
    return f"voice-{lang}: {voice.model.stem} installed in {voice.model.parent}; replies use it"


@app.command()
def remove(lang: LangArg, as_json: JsonOption = False) -> None:
    """Delete an installed model (or voice: voice-zh)."""
    if lang.startswith("voice-"):
        from assistant.config import load_settings
        from audio.voice_store import VoiceStore

        _, paths = load_settings()
        folder = VoiceStore(paths.home / "voices").remove(lang.removeprefix("voice-"))
        emit({"lang": lang, "removed": str(folder)} if as_json else f"{lang}: removed {folder}")
        return
    store = _store()
    if not store.folder(lang).is_dir():
        _known(store, lang)  # an installed model not in the manifest may still be removed
    store.remove(lang)
    folder = store.folder(lang)
    emit({"lang": lang, "removed": str(folder)} if as_json else f"{lang}: removed {folder}")


def _store() -> ModelStore:
    from assistant.config import load_settings
    from audio.model_store import ModelStore

    _, paths = load_settings()
    return ModelStore(paths.models_dir)


def _known(store: ModelStore, lang: str, hint: str = "LANG") -> None:
    """A usage error (exit code 2) when the manifest has no model for ``lang``."""
    if lang not in store.manifest:
        raise typer.BadParameter(
            f"there is no speech model for `{lang}`: known: {', '.join(store.manifest)}",
            param_hint=hint,
        )


def _verify_one(store: ModelStore, lang: str, as_json: bool) -> bool:
    """Verify one language and print the outcome; whether it passed."""
    from assistant.errors import ModelError

    try:
        report = store.verify(lang)
    except ModelError as err:
        emit({"lang": lang, "ok": False, "error": str(err)} if as_json else f"{lang}: {err}")
        return False
    if as_json:
        emit(report.to_json())
    else:
        emit(_report_lines(report))
    return report.ok


def _report_lines(report: VerifyReport) -> str:
    against = "the manifest (pinned)" if report.pinned else "its install record (unpinned)"
    if report.ok:
        return f"{report.lang}: ok: {report.name}, {report.checked} files match {against}"
    lines = [f"{report.lang}: FAILED: {report.name} in {report.folder}, checked against {against}"]
    lines += [f"  {problem.describe()}" for problem in report.problems]
    return "\n".join(lines)


def _list_line(row: dict[str, Any], model: InstalledModel | None) -> str:
    state = "not installed"
    if model is not None:
        state = "installed" if model.name in (row["name"], "") else f"installed: {model.name}"
    pinned = "pinned" if row["pinned"] else "unpinned"
    return f"{row['lang']:<3} {row['name']:<28} {state:<14} {pinned:<9} {row['purpose']}"


def _installed_line(model: InstalledModel) -> str:
    line = f"{model.lang}: installed {model.name} in {model.folder} "
    line += f"({model.files} files, {model.size / 1e6:.1f} MB"
    if model.pinned:
        return line + ", every file matches the manifest)"
    return line + "; UNPINNED: no trusted sha256 list exists, the sha256 found were recorded)"


@contextmanager
def _progress(name: str, url: str) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal; else one line saying what happens."""
    if not sys.stderr.isatty():
        sys.stderr.write(f"downloading {name} from {url} (if it stops, run this again)\n")
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(name, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
