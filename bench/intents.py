"""Benchmark of the intent engine: accuracy, safety, slots, latency, start-up.

Prints, per language and per case set (the test cases under ``tests/data/intents/<lang>/``
and each held-out set ``bench/data/*_<lang>.yaml``), each as typed and "as recognised"
(spaces between words, 10 % of Mandarin characters replaced by a homophone; English in
lower case without punctuation and 10 % of words replaced by a homophone):
accuracy per intent, emergency recall, false-emergency rate, slot accuracy, and parse
latency (median, p99); then, on the public sets others wrote
(``../shared/benchmarks/external/``: measured, never trained on), accuracy and recall per
intent on the mapped sets and, on the negatives, false emergencies and false actions (a
booking, order, call or reminder nobody asked for) over all rows and over the rows
without a ``maybe:`` note, each listed; then start-up time (import + data load) in a
fresh interpreter and the memory the parser adds.

    python bench/intents.py [--lang zh|en] [--failures] [--seed N] [--external DIR] [FILES...]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

# This file is named like the `intents` package: run as a script, its own folder must not
# shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


from intents import IntentParser  # noqa: E402
from intents.evaluation import Case, load_cases  # noqa: E402
from intents.homophones import syllable  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_EN_HOMOPHONES = {
    "to": "two", "two": "too", "for": "four", "four": "for", "right": "write",
    "hear": "here", "here": "hear", "know": "no", "no": "know", "eight": "ate",
    "one": "won", "son": "sun", "meet": "meat", "week": "weak", "hour": "our",
    "our": "hour", "by": "buy", "buy": "by", "there": "their", "their": "there",
    "blue": "blew", "flu": "flew", "pills": "pils", "nurse": "nurs", "please": "pleas",
    "help": "halp", "fell": "fel", "fire": "fier", "pain": "pane", "i'm": "im",
}  # fmt: skip


@dataclass
class Scores:
    """Counts over one run of cases."""

    total: int = 0
    correct: int = 0
    emergencies: int = 0
    emergencies_found: int = 0
    others: int = 0
    false_emergencies: int = 0
    slots: int = 0
    slots_right: int = 0

    def add(self, case: Case, intent: str, slot_errors: int) -> None:
        """Count one parsed case."""
        self.total += 1
        self.correct += intent == case.intent
        if case.intent == "emergency":
            self.emergencies += 1
            self.emergencies_found += intent == "emergency"
        else:
            self.others += 1
            self.false_emergencies += intent == "emergency"
        self.slots += len(case.slots)
        self.slots_right += len(case.slots) - slot_errors


def pct(part: int, whole: int) -> str:
    """A percentage, or n/a."""
    return f"{100 * part / whole:6.2f} %" if whole else "   n/a  "


def homophone_table() -> dict[str, list[str]]:
    """Toneless pinyin → common characters (GB2312 level 1) with that sound."""
    table: dict[str, list[str]] = {}
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                char = bytes([high, low]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            table.setdefault(syllable(char), []).append(char)
    return table


def as_recognised_zh(table: dict[str, list[str]], rng: random.Random) -> Callable[[str], str]:
    """Spaces between words and 10 % homophones, as a recogniser's output might look."""

    def transform(text: str) -> str:
        chars = [c for c in text if not c.isspace() and c not in "，。！？、,.!?"]
        out: list[str] = []
        for i, char in enumerate(chars):
            if "\u4e00" <= char <= "\u9fff" and rng.random() < 0.10:
                sound = syllable(char)
                others = [c for c in table.get(sound, []) if c != char]
                char = rng.choice(others) if others else char
            if i and rng.random() < 0.45:
                out.append(" ")
            out.append(char)
        return "".join(out)

    return transform


def as_recognised_en(rng: random.Random) -> Callable[[str], str]:
    """Lower case, no punctuation, 10 % of words replaced by a homophone."""

    def transform(text: str) -> str:
        words = "".join(c for c in text.lower() if c.isalnum() or c in " '").split()
        return " ".join(_EN_HOMOPHONES.get(w, w) if rng.random() < 0.10 else w for w in words)

    return transform


def run(
    parser: IntentParser,
    cases: Sequence[Case],
    transform: Callable[[str], str] | None,
    failures: list[str] | None,
) -> tuple[Scores, Counter[str], Counter[str], list[float]]:
    """Parse every case; return scores, per-intent totals and hits, latencies (ms)."""
    scores, per, per_ok, latencies = Scores(), Counter[str](), Counter[str](), []
    for case in cases:
        text = transform(case.text) if transform else case.text
        start = time.perf_counter()
        result = parser.parse(text, case.now)
        latencies.append((time.perf_counter() - start) * 1000)
        wrong = case.slot_errors(result) if result.intent == case.intent else []
        scores.add(
            case, result.intent, len(wrong) if result.intent == case.intent else len(case.slots)
        )
        per[case.intent] += 1
        per_ok[case.intent] += result.intent == case.intent
        if failures is not None and (result.intent != case.intent or wrong):
            failures.append(f"  {case.intent} → {result.intent} {text!r} {wrong or ''}")
    return scores, per, per_ok, latencies


def report(
    title: str, scores: Scores, per: Counter[str], per_ok: Counter[str], ms: list[float]
) -> None:
    """Print one block of figures."""
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    print(f"\n== {title}: {scores.total} utterances")
    print(f"   intent accuracy      {pct(scores.correct, scores.total)}")
    print(f"   emergency recall     {pct(scores.emergencies_found, scores.emergencies)}"
          f"  ({scores.emergencies_found}/{scores.emergencies})")  # fmt: skip
    print(f"   false emergency      {pct(scores.false_emergencies, scores.others)}"
          f"  ({scores.false_emergencies}/{scores.others})")  # fmt: skip
    print(f"   slot accuracy        {pct(scores.slots_right, scores.slots)}"
          f"  ({scores.slots_right}/{scores.slots})")  # fmt: skip
    print(f"   parse latency        median {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms")
    row = [f"{name} {per_ok[name]}/{per[name]}" for name in sorted(per)]
    print("   per intent: " + ", ".join(row))


FALSE_ACTIONS = frozenset({"book_service", "order_meal", "call_family", "set_reminder"})
"""What the external README counts as a false action on its negatives."""


def external(parser: IntentParser, folder: Path, lang: str, failures: bool) -> None:
    """Figures on the public sets written by others (never trained on)."""
    mapped, negatives = folder / f"{lang}.tsv", folder / f"negatives.{lang}.tsv"
    if mapped.exists():
        rows = _tsv(mapped)
        per, per_ok, wrong = Counter[str](), Counter[str](), []
        for row in rows:
            said = parser.parse(row["text"]).intent
            per[row["expected_intent"]] += 1
            per_ok[row["expected_intent"]] += said == row["expected_intent"]
            if said != row["expected_intent"]:
                wrong.append(f"  {row['expected_intent']} → {said} {row['text']!r}")
        print(f"\n== {lang} external mapped ({mapped.name}): {len(rows)} utterances")
        print(f"   intent accuracy      {pct(sum(per_ok.values()), len(rows))}")
        print("   recall per intent: "
              + ", ".join(f"{k} {per_ok[k]}/{per[k]}" for k in sorted(per)))  # fmt: skip
        if failures:
            print("\n".join(wrong))
    if not negatives.exists():
        return
    rows = _tsv(negatives)
    parsed = [(row, parser.parse(row["text"]).intent) for row in rows]
    plain = [(row, said) for row, said in parsed if not row.get("human_note")]
    print(f"\n== {lang} external negatives ({negatives.name}): {len(rows)} utterances "
          f"({len(plain)} without a maybe: note)")  # fmt: skip
    for title, subset in (("all rows", parsed), ("without a note", plain)):
        emergencies = [(r, s) for r, s in subset if s == "emergency"]
        actions = [(r, s) for r, s in subset if s in FALSE_ACTIONS]
        unknown = sum(s == "unknown" for _, s in subset)
        print(f"   {title:15s} unknown {pct(unknown, len(subset))}, "
              f"false emergency {pct(len(emergencies), len(subset))} ({len(emergencies)}), "
              f"false action {pct(len(actions), len(subset))} ({len(actions)})")  # fmt: skip
    for row, said in parsed:
        if said == "emergency" or said in FALSE_ACTIONS or (failures and said != "unknown"):
            note = f" [{row['human_note']}]" if row.get("human_note") else ""
            print(f"  unknown → {said} {row['text']!r}{note}")


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def startup_seconds(lang: str) -> float:
    """Import + data load in a fresh interpreter, in seconds."""
    code = (
        "import time; t = time.perf_counter(); from zoneinfo import ZoneInfo; "
        "from intents import IntentParser; "
        f"IntentParser.load({lang!r}, ZoneInfo('Asia/Shanghai')); "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def case_sets(lang: str, files: Iterable[str]) -> dict[str, list[Case]]:
    """The named sets of cases to run."""
    if files:
        return {"given files": [c for f in files for c in load_cases(Path(f))]}
    sets = {"test cases": [c for f in sorted((ROOT / "tests/data/intents" / lang).glob("*.yaml"))
                           for c in load_cases(f)]}  # fmt: skip
    for held_out in sorted((ROOT / "bench/data").glob(f"*_{lang}.yaml")):
        sets[f"held-out {held_out.stem}"] = list(load_cases(held_out))
    return sets


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--lang", choices=["zh", "en"], action="append")
    args.add_argument("--failures", action="store_true", help="list every wrong case")
    args.add_argument("--seed", type=int, default=7)
    args.add_argument(
        "--external",
        type=Path,
        default=ROOT.parent / "shared" / "benchmarks" / "external",
        help="folder of the public sets (default ../shared/benchmarks/external)",
    )
    args.add_argument("files", nargs="*")
    options = args.parse_args(argv)
    table = homophone_table()
    for lang in options.lang or ["zh", "en"]:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        parser = IntentParser.load(lang, ZoneInfo("Asia/Shanghai"))
        for name, cases in case_sets(lang, options.files).items():
            rng = random.Random(options.seed)
            noisy = as_recognised_zh(table, rng) if lang == "zh" else as_recognised_en(rng)
            for variant, transform in (("as typed", None), ("as recognised", noisy)):
                failures: list[str] | None = [] if options.failures else None
                run(parser, cases[:50], transform, None)  # warm-up
                report(f"{lang} {name}, {variant}", *run(parser, cases, transform, failures))
                if failures:
                    print("\n".join(failures))
        if not options.files:
            external(parser, options.external, lang, options.failures)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(f"\n== {lang} peak memory grown while loading and parsing: {grown:.0f} MB")
        print(f"\n== {lang} start-up (import + data load): {startup_seconds(lang):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
