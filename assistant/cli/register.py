"""``assistant register --platform URL --code PAIRING_CODE``: pair the device.

The provider makes a one-time pairing code on the platform; the technician types it here.
The device sends it (``POST /v1/pair``, the one unsigned call of the contract), gets its
id and a fresh secret, writes the secret into ``device_secret_file`` (mode 0600,
atomically) and the URL and id into ``config.yaml``, then proves the pairing with a signed
heartbeat. The secret is never printed or logged.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``register`` to the ``assistant`` command."""
    app.command("register")(register_device)


def register_device(
    platform: Annotated[
        str, typer.Option("--platform", help="The care platform's URL (https://…).")
    ],
    code: Annotated[
        str, typer.Option("--code", help="The pairing code the platform gave (e.g. K7Q4-M2PX).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Pair this device with the care platform using a one-time code."""
    from assistant import __version__
    from assistant.config import check_setting, load_settings, read_secret, write_setting
    from assistant.errors import ConfigError
    from assistant.relay.platform import Fetched, client_for, pair
    from assistant.storage.files import write_private

    if not platform.strip():
        raise ConfigError("--platform is empty: give the care platform's URL (https://…)")
    check_setting("platform_url", platform)
    settings, paths = load_settings()
    answer = pair(platform, code, settings.request_timeout_s)
    device_id, secret = answer["device_id"], answer["secret"]
    secret_file = paths.home / settings.device_secret_file
    write_private(secret_file, (secret + "\n").encode("ascii"))
    read_secret(secret_file)  # written as it must be read: 0600, valid
    write_setting("platform_url", platform)
    write_setting("device_id", device_id)
    paired = replace(settings, platform_url=platform, device_id=device_id, device_secret=secret)
    client = client_for(paired)
    assert client is not None, "all three settings were just set"
    proof = client.heartbeat({"uptime_s": 0, "version": __version__})
    verified = isinstance(proof, Fetched)
    result = {"device_id": device_id, "platform_url": platform, "secret_file": str(secret_file),
              "verified": verified, "error": None if verified else str(proof)}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(f"paired as {device_id} with {platform}; secret in {secret_file} (mode 0600)")
        refused = f"but a signed heartbeat was refused: {proof} (run `assistant doctor`)"
        typer.echo("a signed heartbeat was accepted: the pairing works" if verified else refused)
        typer.echo("restart the service to use it: sudo systemctl restart xiaoan")
    if not verified:
        raise typer.Exit(1)
