"""Settings: defaults, the site file, environment variables; errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ConfigError


def test_defaults_and_paths_derive_from_home(tmp_path: Path) -> None:
    settings, paths = load_settings({"XIAOAN_HOME": str(tmp_path)})
    assert settings == Settings()
    assert settings.timezone == "Asia/Shanghai"
    assert paths.config_file == tmp_path / "config.yaml"
    assert paths.models_dir.parent == tmp_path


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("lang: zh\ntimezone: Asia/Urumqi\n")
    env = {"XIAOAN_HOME": str(tmp_path), "XIAOAN_LANG": "en"}
    settings, _ = load_settings(env)
    assert (settings.lang, settings.timezone) == ("en", "Asia/Urumqi")


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("lang: fr\n\nlog_levle: INFO\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({"XIAOAN_HOME": str(tmp_path)}, strict=True)
    message = str(caught.value)
    assert "line 1" in message
    assert "write one of: zh, en" in message
    assert "line 3" in message
    assert "did you mean `log_level`" in message


def test_bad_environment_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="XIAOAN_TIMEZONE"):
        load_settings({"XIAOAN_HOME": str(tmp_path), "XIAOAN_TIMEZONE": "Nowhere"}, strict=True)


def test_file_that_is_not_yaml(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("lang: [zh\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings({"XIAOAN_HOME": str(tmp_path)}, strict=True)


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("XIAOAN_PLATFORM_URL", "http://platform.example.org", "https://"),
        ("XIAOAN_PLATFORM_URL", "https://[::1", "write a URL"),
        ("XIAOAN_PLATFORM_URL", "https://host:99999", "write a URL"),
        ("XIAOAN_DEVICE_SECRET", "abc", "at least 32"),
        ("XIAOAN_DEVICE_SECRET", "a" * 33, "even number"),
        ("XIAOAN_DEVICE_ID", "小安一号", "letters, digits"),
        ("XIAOAN_RETRY_MAX_S", "3600", "at most 300"),
        ("XIAOAN_FOLLOWUP_TIMEOUT_S", "soon", "number of seconds"),
        ("XIAOAN_RETENTION_DAYS", "-1", "whole number of days"),
        # what passes validation must work: no infinities, no waits beyond reason
        ("XIAOAN_REQUEST_TIMEOUT_S", "inf", "finite number"),
        ("XIAOAN_EMERGENCY_ACK_TIMEOUT_S", "nan", "finite number"),
        ("XIAOAN_EMERGENCY_ACK_TIMEOUT_S", "1e300", "at most 600"),
        ("XIAOAN_HEARTBEAT_S", "1e9", "at most 86400"),
        ("XIAOAN_RETENTION_DAYS", "²", "whole number of days"),
        ("XIAOAN_RETENTION_DAYS", "99999999999999999999", "from 1 to 3650"),
        ("XIAOAN_WAKE_REPEATS", "1000000", "from 1 to 100000"),
    ],
)
def test_platform_settings_are_checked(tmp_path: Path, name: str, value: str, fix: str) -> None:
    with pytest.raises(ConfigError, match=name) as caught:
        load_settings({"XIAOAN_HOME": str(tmp_path), name: value}, strict=True)
    assert fix in str(caught.value)


def test_typed_settings_and_the_secret_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("emergency_ack_timeout_s: 45\nretention_days: 7\n")
    secret = tmp_path / "device_secret"
    secret.write_text("ab" * 16 + "\n")
    secret.chmod(0o600)
    settings, _ = load_settings({"XIAOAN_HOME": str(tmp_path)})
    assert settings.emergency_ack_timeout_s == 45.0
    assert settings.retention_days == 7
    assert settings.device_secret == "ab" * 16
    assert "ab" * 16 not in repr(settings)


def test_a_mistake_leaves_its_setting_at_the_default_and_is_listed(tmp_path: Path) -> None:
    """A typo never keeps XiaoAn from starting (issue 15): the rest is in force."""
    (tmp_path / "config.yaml").write_text(
        "speach_rate: 120\nlang: en\nrequest_timeout_s: .inf\n", encoding="utf-8"
    )
    settings, _ = load_settings({"XIAOAN_HOME": str(tmp_path), "XIAOAN_SPEECH_RATE": "9"})
    assert settings.lang == "en"
    assert settings.request_timeout_s == Settings().request_timeout_s
    assert settings.speech_rate == Settings().speech_rate
    assert len(settings.problems) == 3
    assert "line 1" in settings.problems[0]
    assert "did you mean `speech_rate`" in settings.problems[0]
    assert "XIAOAN_SPEECH_RATE" in settings.problems[2]


def test_a_file_that_cannot_be_used_at_all_leaves_every_default(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("a: &x [1]\nb: *x\n", encoding="utf-8")
    settings, _ = load_settings({"XIAOAN_HOME": str(tmp_path)})
    assert settings == Settings()
    assert "alias" in settings.problems[0]
    assert "every setting of it is at its default" in settings.problems[0]


def test_the_home_is_made_and_kept_private(tmp_path: Path) -> None:
    from assistant.config import Paths
    from assistant.storage.database import Database

    home = tmp_path / "new" / "home"
    Database(home / "data" / "xiaoan.db").create()
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o700"
    home.chmod(0o755)
    Paths(home).make_private()
    assert oct(home.stat().st_mode & 0o777) == "0o700"


def test_a_home_under_a_user_that_does_not_exist_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="XIAOAN_HOME `~nosuchuser/x`"):
        load_settings({"XIAOAN_HOME": "~nosuchuser/x"})
