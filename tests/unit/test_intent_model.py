"""The shipped intent model: trained from the sources in the tree, small, and refused
with the fix named when its file is damaged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assistant.errors import IntentDataError
from intents import yamlcache
from intents.classifier import IntentClassifier
from intents.data import data_dir, load_language
from intents.train import model_path, shipped_matches

LANGS = ("zh", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_the_shipped_model_matches_its_sources(lang: str) -> None:
    assert shipped_matches(lang), f"intents/model/{lang}.json is stale: run `make model`"


@pytest.mark.parametrize("lang", LANGS)
def test_the_model_is_small_and_knows_every_intent(lang: str) -> None:
    assert model_path(lang).stat().st_size <= 10_000_000
    model = IntentClassifier.load(lang)
    assert set(model.classes) == set(load_language(lang).slot_names) | {"unknown"}
    assert 0 < model.threshold <= model.action_threshold < 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: "not json",
        lambda raw: json.dumps({**raw, "format": 99}),
        lambda raw: json.dumps({**raw, "lang": "fr"}),
        lambda raw: json.dumps({**raw, "weights": raw["weights"][:-8]}),
        lambda raw: json.dumps({k: v for k, v in raw.items() if k != "scales"}),
    ],
)
def test_a_damaged_model_is_refused_naming_the_fix(tmp_path: Path, damage: object) -> None:
    raw = json.loads(model_path("en").read_text(encoding="utf-8"))
    path = tmp_path / "en.json"
    path.write_text(damage(raw), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(IntentDataError, match="make model") as caught:
        IntentClassifier.load("en", path)
    assert str(path) in str(caught.value)


def test_a_guess_ranks_probabilities_that_sum_to_at_most_one() -> None:
    model = IntentClassifier.load("zh")
    guesses = model.guess("帮我订一份明天的午饭", top=len(model.classes))
    assert guesses[0].intent == "order_meal"
    assert abs(sum(g.probability for g in guesses) - 1) < 1e-6
    assert [g.probability for g in guesses] == sorted(
        (g.probability for g in guesses), reverse=True
    )


def test_the_parsed_copies_of_the_data_files_are_current() -> None:
    kept = json.loads(yamlcache.cache_path().read_text(encoding="utf-8"))
    files = sorted((data_dir() / "zh").glob("*.yaml")) + sorted((data_dir() / "en").glob("*.yaml"))
    for path in [*files, data_dir() / "slots.yaml", *sorted((data_dir() / "concepts").glob("*"))]:
        key = path.relative_to(data_dir()).as_posix()
        assert kept[key]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), key


def test_a_stale_or_broken_copy_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = data_dir() / "zh" / "yes.yaml"
    fake = tmp_path / "yaml.json"
    fake.write_text(json.dumps({"zh/yes.yaml": {"sha256": "0" * 64, "json": "{}"}}))
    monkeypatch.setattr(yamlcache, "cache_path", lambda: fake)
    assert yamlcache.read(source, lambda text: "parsed") == "parsed"
    fake.write_text("{not json")
    yamlcache._entries.cache_clear()
    assert yamlcache.read(source, lambda text: "parsed") == "parsed"
    yamlcache._entries.cache_clear()
