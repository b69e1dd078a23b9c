"""Train the learned stage: ``python -m intents.train [--lang zh|en] [--check] [--out DIR]``.

Receives the sentence data (``intents/<lang>/*.yaml``, expanded), the paraphrase corpus
(``intents/corpus/<lang>/*.tsv``: ``intent<TAB>text``, written blind from the contract)
and the held-out sets used for calibration (``bench/data/holdout_<lang>.yaml`` and the
spent blind sets 2–4); emits ``intents/model/<lang>.json`` (``intents.classifier``).

Deterministic: the same sources give the same file (sorted inputs, a fixed solver, no
randomness). A logistic regression (scikit-learn, needed only here: ``pip install
'.[train]'``) over binary n-gram features; weights quantised to int8 per intent,
features rarer than ``MIN_COUNT`` dropped. The accepting threshold is the one that
scores best on the calibration sets, where a false action (a booking, order, call,
reminder or alarm nobody asked for) costs eight correct answers; action intents get a
threshold of their own. ``--check`` only says
whether the shipped model matches its sources (exit 1 if not).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.errors import IntentDataError
from intents import yamlcache
from intents.classifier import FORMAT, features
from intents.danger import DangerReader
from intents.data import data_dir, load_language
from intents.evaluation import load_cases
from intents.parser import IntentParser

MIN_COUNT = 2
C_VALUE = 4.0
MAX_ITER = 3000
FALSE_ACTION_COST = 8.0
ACTIONS = frozenset({
    "emergency", "book_service", "order_meal", "call_family", "set_reminder",
    "cancel_service", "cancel_meal", "medicine_out", "medicine_taken", "cancel_reminder",
    "yes", "no", "health_report", "companionship", "rate_service", "snooze",
})  # fmt: skip
"""Intents that send, record or change something the elder may not have asked for (yes
and no confirm or refuse a booking, an order, a cancellation; a health report and a
rating are recorded and relayed; companionship asks a volunteer to call)."""
_CALIBRATION = ("holdout", "blind2", "blind3", "blind4")
_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Example:
    """One labelled utterance, cleaned the way the parser cleans."""

    intent: str
    text: str


def sources(lang: str, root: Path | None = None) -> list[Path]:
    """Every file the model of ``lang`` is trained or calibrated from, sorted."""
    base = root or data_dir()
    files = [*sorted((base / lang).glob("*.yaml")), base / "slots.yaml"]
    files += sorted((base / "corpus" / lang).glob("*.tsv"))
    files += [base / "classifier.py", base / "train.py", base / "concepts" / f"{lang}.yaml"]
    files += [p for p in calibration_files(lang) if p.exists()]
    return files


def calibration_files(lang: str) -> list[Path]:
    """The spent held-out sets and the test cases the threshold is calibrated on."""
    spent = [_ROOT / "bench" / "data" / f"{name}_{lang}.yaml" for name in _CALIBRATION]
    return spent + sorted((_ROOT / "tests" / "data" / "intents" / lang).glob("*.yaml"))


def fingerprint(lang: str) -> str:
    """sha256 over the sources' names and bytes and the training settings."""
    digest = hashlib.sha256(f"{FORMAT} {MIN_COUNT} {C_VALUE} {MAX_ITER}".encode())
    for path in sources(lang):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def corpus(lang: str, parser: IntentParser, known: set[str]) -> list[Example]:
    """The paraphrase corpus, each line checked (file and line named on a mistake)."""
    out = []
    for path in sorted((data_dir() / "corpus" / lang).glob("*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2 or parts[0] not in known:
                raise IntentDataError(
                    f"{path}:{number}: expected `intent<TAB>text` with an intent of "
                    f"docs/intents.md, got {line[:60]!r}"
                )
            text = parser.clean(parts[1])
            if text:
                out.append(Example(parts[0], text))
    return out


def examples(lang: str) -> tuple[list[Example], list[Example], list[Example]]:
    """(training examples, calibration examples, the corpus fold held out to calibrate).

    The model decides only where the rules find nothing, so it is calibrated there: on
    the spent held-out sets and test cases the rules leave ``unknown``, and on a fifth of
    the corpus (chosen by a hash of the text) that the rules leave ``unknown``.
    """
    data = load_language(lang)
    parser = IntentParser(data, ZoneInfo("Asia/Shanghai"))
    known = set(data.slot_names) | {"unknown"}
    paraphrases = corpus(lang, parser, known)
    train = [Example(intent, parser.clean(text)) for intent, text in data.samples]
    train = sorted({e for e in train + paraphrases if e.text}, key=lambda e: (e.intent, e.text))
    rules = IntentParser(data, ZoneInfo("Asia/Shanghai"), danger=DangerReader.load(lang))
    held = [
        Example(case.intent, parser.clean(case.text))
        for path in calibration_files(lang)
        if path.exists()
        for case in load_cases(path)
        if rules.parse(case.text, case.now).intent == "unknown"
    ]
    fold = sorted(
        {e for e in paraphrases if _in_fold(e.text) and rules.parse(e.text).intent == "unknown"},
        key=lambda e: (e.intent, e.text),
    )
    return train, [e for e in held if e.text], fold


def _in_fold(text: str) -> bool:
    return hashlib.sha256(text.encode()).digest()[0] % 5 == 0


def train(lang: str) -> dict[str, object]:
    """Fit, calibrate and quantise the model of ``lang``; returns the file's content.

    Fitted once without the held-out fold to calibrate the threshold, then on everything.
    """
    train_set, held, fold = examples(lang)
    held_texts = {e.text for e in fold}
    first = fit(lang, [e for e in train_set if e.text not in held_texts])
    content = fit(lang, train_set)
    content["threshold"], content["action_threshold"] = calibrate(lang, first, held + fold)
    return content


def fit(lang: str, train_set: list[Example]) -> dict[str, object]:
    """A quantised logistic regression over ``train_set`` (threshold not yet set)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    spaced = lang != "zh"
    counts: Counter[str] = Counter()
    for example in train_set:
        counts.update(set(features(example.text, spaced)))
    names = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    index = {f: i for i, f in enumerate(names)}
    classes = sorted({e.intent for e in train_set})

    def matrix(items: Iterable[Example]) -> csr_matrix:
        rows, cols = [], []
        for r, example in enumerate(items):
            found = {index[f] for f in features(example.text, spaced) if f in index}
            rows += [r] * len(found)
            cols += sorted(found)
        shape = (r + 1 if rows else 0, len(names))
        return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)

    x = matrix(train_set)
    y = np.array([classes.index(e.intent) for e in train_set])
    model = LogisticRegression(C=C_VALUE, max_iter=MAX_ITER, solver="lbfgs", tol=1e-6)
    model.fit(x, y)
    weights = model.coef_.T  # features × intents
    scales = np.maximum(np.abs(weights).max(axis=0), 1e-9) / 127.0
    quantised = np.rint(weights / scales).astype(np.int8)
    keep = np.flatnonzero(np.abs(quantised).max(axis=1) > 0)
    return {
        "format": FORMAT,
        "lang": lang,
        "spaced": spaced,
        "classes": classes,
        "features": [names[i] for i in keep],
        "weights": base64.b64encode(quantised[keep].tobytes()).decode("ascii"),
        "scales": [round(float(s), 9) for s in scales],
        "bias": [round(float(b), 6) for b in model.intercept_],
        "threshold": 0.5,
        "action_threshold": 0.9,
        "actions": sorted(ACTIONS),
        "sources": fingerprint(lang),
        "examples": len(train_set),
    }


def calibrate(lang: str, content: dict[str, object], held: list[Example]) -> tuple[float, float]:
    """The accepting thresholds (other intents, action intents) that score best on the
    held-out examples: a right answer scores 1, a false action costs ``FALSE_ACTION_COST``."""
    from intents.classifier import IntentClassifier

    model = IntentClassifier.from_content(content, lang)
    guesses = [(e.intent, model.guess(e.text, top=1)[0]) for e in held]
    grid = [step / 100 for step in range(30, 100, 2)]
    best, best_score = (0.5, 0.9), float("-inf")
    for other in grid:
        for action in grid:
            score = 0.0
            for expected, guess in guesses:
                limit = action if guess.intent in ACTIONS else other
                said = guess.intent if guess.probability >= limit else "unknown"
                if said == expected:
                    score += 1
                elif said in ACTIONS:
                    score -= FALSE_ACTION_COST
            if score > best_score:
                best, best_score = (other, action), score
    return best


def model_path(lang: str) -> Path:
    """Where the model of ``lang`` is shipped."""
    return data_dir() / "model" / f"{lang}.json"


def shipped_matches(lang: str) -> bool:
    """Whether the shipped model was trained from the current sources."""
    try:
        raw = json.loads(model_path(lang).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(raw.get("sources") == fingerprint(lang))


def main(argv: list[str] | None = None) -> int:
    """Train (or check) the models."""
    args = argparse.ArgumentParser(prog="python -m intents.train", description=__doc__)
    args.add_argument("--lang", choices=["zh", "en"], action="append")
    args.add_argument("--check", action="store_true", help="only check the shipped models")
    args.add_argument("--out", type=Path, help="write the models here instead of intents/model")
    options = args.parse_args(argv)
    stale = []
    for lang in options.lang or ["zh", "en"]:
        if options.check:
            if not shipped_matches(lang):
                stale.append(lang)
            continue
        content = train(lang)
        path = options.out / f"{lang}.json" if options.out else model_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, ensure_ascii=False) + "\n", encoding="utf-8")
        size = path.stat().st_size / 1e6
        print(
            f"{lang}: {content['examples']} examples, {len(content['features'])} features, "  # type: ignore[arg-type]
            f"thresholds {content['threshold']} / {content['action_threshold']} (actions), "
            f"{size:.1f} MB → {path}"
        )
    if not options.check and not options.out:
        from ruamel.yaml import YAML

        kept = [p for lang in ("zh", "en") for p in sources(lang) if p.suffix == ".yaml"]
        kept = [p for p in kept if p.is_relative_to(data_dir())]
        written = yamlcache.write(kept, YAML(typ="safe", pure=True).load)
        print(f"parsed copies of {len(set(kept))} data files → {written}")
    if stale:
        print(f"stale model for {', '.join(stale)}: run `make model`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
