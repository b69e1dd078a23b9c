"""The intent contract in docs/intents.md: equal to the shared one, and what the data holds.

docs/intents.md holds a copy of ``../shared/spec/intents.md``'s table (section
``CONTRACT``) and the intents the project adds (section ``ADDED``). Together they must
name exactly the intents that have sentence data in both languages (``unknown`` aside:
it is what nothing matched), each with the slots ``intents/slots.yaml`` declares.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from intents.data import LanguageData, load_language

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "intents.md"
SHARED = ROOT.parent / "shared" / "spec" / "intents.md"
CONTRACT = "## The intent contract (copied from `../shared/spec/intents.md`)"
ADDED = "## Intents this project adds to the contract"
LANGS = ("zh", "en")
FALLBACK = "unknown"
"""The contract's intent for "nothing fits": it has no sentence data."""
BUILT_INS = frozenset({"gap", "number"})
"""hassil lists that only match and fill no slot (docs/intents.md)."""
_SLOT = re.compile(r"(\w+)\s*(?::.*|\(.*\))?", re.S)
"""A part of a slots cell that names a slot: ``meal``, ``kind: …``, ``service (as above)``."""


def section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next ``## `` heading."""
    assert heading in text, f"{DOCS}: no section {heading!r}"
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def table_lines(text: str) -> list[str]:
    """The lines of the markdown table(s) in ``text``, trailing spaces dropped."""
    return [line.rstrip() for line in text.splitlines() if line.startswith("|")]


def rows(text: str) -> dict[str, list[str]]:
    """Intent → its row's cells (meaning, slots, examples), from an intent table."""
    found: dict[str, list[str]] = {}
    for line in table_lines(text):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] in ("intent", "") or set(cells[0]) <= {"-", ":"}:
            continue  # the header and the separator
        assert cells[0] not in found, f"{DOCS}: {cells[0]} twice"
        assert len(cells) == 4, f"{DOCS}: {line}"
        found[cells[0]] = cells[1:]
    return found


def slots_of(cell: str) -> set[str]:
    """The slots a table's slots cell names: ``—`` none; else the word that starts each
    ``;``-separated part (a part that does not start with one continues the one before:
    ``what: free text, …; left out when not said``)."""
    if cell in ("—", "-", ""):
        return set()
    names = set()
    for part in cell.split(";"):
        m = _SLOT.fullmatch(part.strip())
        if m:
            names.add(m.group(1))
    assert names, f"{DOCS}: no slot named in {cell!r}"
    return names


def docs_rows() -> dict[str, list[str]]:
    """The contract's rows and the project's added rows of docs/intents.md."""
    text = DOCS.read_text(encoding="utf-8")
    contract, added = rows(section(text, CONTRACT)), rows(section(text, ADDED))
    assert FALLBACK in contract, f"{DOCS}: the contract has no `{FALLBACK}`"
    assert not contract.keys() & added.keys(), "an added intent repeats the contract's"
    return {**contract, **added}


@pytest.fixture(scope="module", params=LANGS)
def data(request: pytest.FixtureRequest) -> LanguageData:
    return load_language(str(request.param))


def test_every_intent_of_the_table_has_sentence_data_and_no_other(data: LanguageData) -> None:
    named = set(docs_rows()) - {FALLBACK}
    with_data = set(data.hassil.intents)
    assert named - with_data == set(), f"intents/{data.lang}/: no sentences for these"
    assert with_data - named == set(), f"{DOCS}: not in the table"
    assert FALLBACK not in with_data
    for intent in named:
        assert data.origin[intent].parent.name == data.lang, intent


def test_every_intent_of_the_table_declares_its_slots() -> None:
    declared = load_language("zh").slot_names  # intents/slots.yaml, one for both languages
    table = {intent: slots_of(cells[1]) for intent, cells in docs_rows().items()}
    table.pop(FALLBACK)
    assert set(table) == set(declared)
    for intent, slots in table.items():
        assert slots == set(declared[intent]), f"{intent}: table vs intents/slots.yaml"


def test_the_data_fills_only_the_slots_of_the_table(data: LanguageData) -> None:
    table = {intent: slots_of(cells[1]) for intent, cells in docs_rows().items()}
    for block in data.blocks:
        filled = {c.slot for c in block.captures} | set(block.slots)
        assert filled - BUILT_INS <= table.get(block.intent, set()), block.source


@pytest.mark.skipif(not SHARED.exists(), reason=f"no {SHARED} beside the checkout")
def test_the_docs_copy_equals_the_shared_contract() -> None:
    shared = table_lines(SHARED.read_text(encoding="utf-8"))
    copy = table_lines(section(DOCS.read_text(encoding="utf-8"), CONTRACT))
    assert shared, f"{SHARED}: no table"
    assert copy == shared, f"{DOCS}: the contract's table differs from {SHARED}"


def test_slot_cells_are_read_as_documented() -> None:
    assert slots_of("—") == set()
    assert slots_of("meal; date") == {"meal", "date"}
    assert slots_of("service (as above)") == {"service"}
    assert slots_of("kind: fall, medical, fire") == {"kind"}
    assert slots_of('measure: weight, symptom; value: "140/90", "7.8"') == {"measure", "value"}
    assert slots_of("what: free text, as said; left out when not said") == {"what"}
