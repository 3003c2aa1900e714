"""InLegalNER: the upstream JSONL read as documents, and its deterministic 70/10/20 split by record id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specialize.data import registry
from specialize.data.errors import DataFormatError, DatasetError
from specialize.data.splits import BY_ID, split_by_group, split_of

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "inlegalner_tiny.jsonl"


@pytest.fixture()
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "inlegalner").mkdir()
    shutil.copy(FIXTURE, tmp_path / "inlegalner" / "dev.jsonl")
    monkeypatch.setenv(registry.DATA_DIR_ENV, str(tmp_path))
    return tmp_path / "inlegalner" / "dev.jsonl"


def test_reader_keeps_ids_labels_and_exact_offsets(mirror: Path) -> None:
    docs = registry.load("inlegalner:all")
    assert [d.id for d in docs] == [str(i) for i in range(12)]
    first = docs[0]
    assert [(first.span_text(s), s.label) for s in first.spans] == [
        ("High Court Of Delhi At New Delhi", "COURT"),
        ("S.P. Jain", "LAWYER"),
    ]
    assert first.text.endswith("Advocate.\n")  # multi-line preambles keep their newlines
    assert (docs[8].span_text(docs[8].spans[0]), docs[8].spans[0].label) == ("Müller Fabrik GmbH", "PETITIONER")
    assert sum(len(d.spans) for d in docs) == 18 and docs[7].spans == []


def test_split_partitions_by_hashed_id_and_is_stable(mirror: Path) -> None:
    all_ids = [d.id for d in registry.load("inlegalner:all")]
    parts = {s: [d.id for d in registry.load(f"inlegalner:{s}")] for s in ("train", "dev", "test")}
    assert sorted((i for ids in parts.values() for i in ids), key=int) == all_ids  # disjoint and complete
    for split, ids in parts.items():
        assert all(split_of(i, salt="inlegalner") == split for i in ids)
    assert parts == {s: [d.id for d in registry.load(f"inlegalner:{s}")] for s in parts}
    # a record's part depends on its id only, not on which other records are in the file
    lines = mirror.read_text(encoding="utf-8").splitlines(keepends=True)
    mirror.write_text("".join(lines[5:]), encoding="utf-8")
    assert [d.id for d in registry.load("inlegalner:test")] == [i for i in parts["test"] if int(i) >= 5]


def test_split_by_id_needs_ids_and_bad_offsets_name_the_line(mirror: Path) -> None:
    docs = registry.load("inlegalner:all")
    docs[3].id = None
    with pytest.raises(DatasetError, match="1 documents have no id"):
        split_by_group(docs, "train", field=BY_ID)
    text = mirror.read_text(encoding="utf-8").replace('"end": 39', '"end": 40', 1)
    mirror.write_text(text, encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev.jsonl:1: entities\[0\]\.text"):
        registry.load("inlegalner:train")


@pytest.mark.skipif(not (Path.cwd().parent / "shared" / "data" / "inlegalner").is_dir(), reason="no mirror")
def test_real_split_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.DATA_DIR_ENV, raising=False)
    sizes = {s: len(registry.load(f"inlegalner:{s}")) for s in ("all", "train", "dev", "test")}
    assert sizes == {"all": 1074, "train": 755, "dev": 85, "test": 234}
