"""``python -m intents.train`` is deterministic: run here, it writes the model that ships."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from intents.train import model_path
from tests.support.paths import ROOT


def test_training_again_gives_the_shipped_model(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "intents.train", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for lang in ("zh", "en"):
        fresh = json.loads((tmp_path / f"{lang}.json").read_text(encoding="utf-8"))
        shipped = json.loads(model_path(lang).read_text(encoding="utf-8"))
        same = ("classes", "features", "sources", "threshold", "action_threshold")
        for key in same:
            assert fresh[key] == shipped[key], f"{lang}: {key} differs"
        for x, y in zip(fresh["bias"], shipped["bias"], strict=True):
            assert abs(x - y) < 1e-3, f"{lang}: bias differs"
        # int8 weights: a float rounding on another machine may move one quantum
        a, b = (base64.b64decode(m["weights"]) for m in (fresh, shipped))
        moved = sum(x != y for x, y in zip(a, b, strict=True))
        assert moved <= len(a) // 1000, f"{lang}: {moved} weights differ"
