"""Presidio's synthetic PII set: the reader keeps template ids, and the split never shares a template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specialize.data.document import Document
from specialize.data.errors import DatasetError
from specialize.data.io import read_documents
from specialize.data.splits import split_by_group, split_of

FIXTURE = Path(__file__).parents[1] / "fixtures" / "data" / "presidio_tiny.json"


def test_reader_keeps_template_ids_and_offsets() -> None:
    docs = read_documents(FIXTURE)
    assert [d.meta["template_id"] for d in docs] == [1, 1, 2, 3, 4, 4]
    assert docs[0].span_text(docs[0].spans[0]) == "Ada Lovelace"
    assert docs[3].spans == []


def test_split_is_deterministic_and_by_group() -> None:
    assert split_of(87, salt="presidio-template") == split_of(87, salt="presidio-template")
    keys = range(2000)
    parts = [split_of(k, salt="s") for k in keys]
    share = {p: parts.count(p) / len(parts) for p in ("train", "dev", "test")}
    assert share["train"] == pytest.approx(0.7, abs=0.04)
    assert share["dev"] == pytest.approx(0.1, abs=0.03)
    assert share["test"] == pytest.approx(0.2, abs=0.03)
    assert split_of(5, salt="s", percents=(100, 0)) == "train"
    assert split_of(5, salt="s", percents=(0, 0)) == "test"
    with pytest.raises(ValueError, match="train \\+ dev <= 100"):
        split_of(5, percents=(90, 20))


def test_split_by_group_partitions_the_documents() -> None:
    docs = [Document(f"t{i}", id=str(i), meta={"template_id": i % 30}) for i in range(300)]
    parts = {s: split_by_group(docs, s, field="template_id", salt="x") for s in ("train", "dev", "test")}
    assert sum(len(p) for p in parts.values()) == len(docs)
    groups = {s: {d.meta["template_id"] for d in p} for s, p in parts.items()}
    assert not (groups["train"] & groups["test"]) and not (groups["train"] & groups["dev"])
    with pytest.raises(DatasetError, match="no meta field 'template_id'"):
        split_by_group([Document("x", id="a")], "train", field="template_id")
    with pytest.raises(ValueError, match="unknown split"):
        split_by_group(docs, "holdout", field="template_id")


def test_registry_splits_a_mirror_copy_by_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "presidio_synth_pii"
    mirror.mkdir()
    shutil.copy(FIXTURE, mirror / "synth_dataset_v2.json")
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    everything = read_documents("presidio-pii:all")
    parts = {s: read_documents(f"presidio-pii:{s}") for s in ("train", "dev", "test")}
    assert sorted(d.text for p in parts.values() for d in p) == sorted(d.text for d in everything)
    for split, docs in parts.items():
        assert all(split_of(d.meta["template_id"], salt="presidio-template") == split for d in docs)
    # the alias and the dataset's own name are the same data
    assert [d.text for d in read_documents("presidio-synth-pii:test")] == [d.text for d in parts["test"]]
