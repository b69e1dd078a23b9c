"""Dialogue scripts, one YAML file per skill and language (``tests/data/dialogues``), run
against the real assistant and, where the script has one, the reference platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.dialogue.machine import Say
from tests.support.dialogue_harness import Harness, harness, load_scripts

SCRIPTS = load_scripts("zh") + load_scripts("en")


@pytest.mark.parametrize(("name", "script"), SCRIPTS, ids=[n for n, _ in SCRIPTS])
def test_dialogue(name: str, script: dict[str, Any], tmp_path: Path) -> None:
    lang = name.split("/")[0]
    now = str(script.get("now", "2026-11-22T10:00:00+08:00"))
    with harness(tmp_path, lang, now, script.get("platform", "up"),
                 script.get("settings"), script.get("schedule", "")) as h:  # fmt: skip
        for menu_day, meals in (script.get("menu") or {}).items():
            assert h.admin is not None
            h.admin.put_menu(str(menu_day), meals)
        for number, turn in enumerate(script["turns"], 1):
            says = _act(h, turn)
            _check(h, turn, says, f"{name} turn {number}")


def _act(h: Harness, turn: dict[str, Any]) -> list[Say]:
    if "say" in turn:
        return h.say(str(turn["say"]))
    if "wait" in turn:
        return h.wait(float(turn["wait"]))
    if "send" in turn:
        return h.send()
    if "press" in turn:  # the help button
        return h.assistant.dialogue.pressed()
    if "hold" in turn:  # the help button held down
        return h.assistant.dialogue.held()
    if "restart" in turn:
        h.restart()
        return []
    if "off" in turn:  # XiaoAn is killed, time passes, and it starts again
        h.clock.advance(float(turn["off"]))
        h.restart()
        return []
    if "faults" in turn:
        assert h.admin is not None
        h.admin.set_faults(**turn["faults"])
        return []
    if "acknowledge" in turn:  # a person at the care centre acknowledges the newest alarm
        return h.acknowledge(**(turn["acknowledge"] or {}))
    if "provider" in turn:
        assert h.admin is not None
        newest = h.stored()[0]
        h.admin.set_status(newest["id"], **turn["provider"])
        return []
    raise AssertionError(f"unknown turn {turn}")


def _check(h: Harness, turn: dict[str, Any], says: list[Say], where: str) -> None:
    keys = [s.key for s in says]
    text = " ".join(s.text for s in says)
    if "replies" in turn:
        assert keys == list(turn["replies"]), f"{where}: said {keys}: {text}"
    for part in turn.get("contains", []):
        assert str(part) in text, f"{where}: `{part}` not in: {text}"
    for part in turn.get("not_contains", []):
        assert str(part) not in text, f"{where}: `{part}` in: {text}"
    if "prompts" in turn:  # reminders said (their keys vary: reminder.medicine, .again…)
        assert sum(1 for s in says if s.reminders) == turn["prompts"], f"{where}: {text}"
    if "emphasis" in turn:
        assert [s.emphasis for s in says] == list(turn["emphasis"]), f"{where}: {says}"
    if "expects_answer" in turn:
        assert h.assistant.dialogue.expects_answer == turn["expects_answer"], where
    if "state" in turn:
        assert h.assistant.dialogue.state.value == turn["state"], where
    if "pending" in turn:
        assert h.assistant.outbox.counts()["pending"] == turn["pending"], where
    if "stored" in turn:
        _check_stored(h, turn["stored"], where)
    for kind, status in (turn.get("status_of") or {}).items():
        found = [r["status"] for r in h.stored() if r["kind"] == kind]
        assert found == list(status), f"{where}: {kind} statuses {found}"
    if "stored_kinds" in turn:
        assert [r["kind"] for r in h.stored()] == list(turn["stored_kinds"]), where
    if "stored_count" in turn:
        assert len(h.stored()) == turn["stored_count"], where


def _check_stored(h: Harness, expected: dict[str, Any], where: str) -> None:
    """The newest stored request of the expected kind."""
    found = [r for r in h.stored() if r["kind"] == expected["kind"]]
    assert found, f"{where}: no {expected['kind']} stored"
    newest = found[0]
    for name, value in (expected.get("fields") or {}).items():
        assert newest["fields"].get(name) == value, f"{where}: {name} = {newest['fields']}"
    for part in expected.get("summary", []):
        assert part in newest["summary"], f"{where}: `{part}` not in {newest['summary']}"
