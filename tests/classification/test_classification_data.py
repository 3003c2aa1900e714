"""Labelled-text readers (JSONL, CSV) with file:line errors, the deterministic split, and the two datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from specialize.data.classification import (
    LabelledText,
    is_multi_label,
    label_set,
    split_of,
)
from specialize.data.errors import DataFormatError
from specialize.data.io import read_labelled

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_jsonl_label_and_labels_records(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(
        '{"text": "a", "label": "X"}\n\n{"id": 7, "text": "b", "labels": ["X", "Y", "X"], "meta": {"k": 1}}\n'
        '{"text": "c", "labels": []}\n'
    )
    texts = read_labelled(path)
    assert [(t.text, t.labels, t.id) for t in texts] == [
        ("a", ["X"], "train:1"),
        ("b", ["X", "Y"], "7"),
        ("c", [], "train:3"),
    ]
    assert texts[1].meta == {"k": 1}
    assert is_multi_label(texts) and label_set(texts) == ["X", "Y"]
    assert not is_multi_label(texts[:1])


@pytest.mark.parametrize(
    ("line", "field"),
    [('{"text": "a"}', "label"), ('{"label": "X"}', "text"), ('{"text": "a", "labels": [1]}', "labels")],
)
def test_jsonl_errors_name_file_line_and_field(tmp_path, line, field):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "X"}\n' + line + "\n")
    with pytest.raises(DataFormatError) as info:
        read_labelled(path)
    assert info.value.line == 2 and info.value.field == field and str(path) in str(info.value)


def test_csv_with_multi_label_cells_and_meta(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,text,labels,source\n1,"first, note",Surgery|Urology,web\n2,"second\nline",,web\n')
    texts = read_labelled(path)
    assert texts[0] == LabelledText("first, note", ["Surgery", "Urology"], "1", {"source": "web"})
    assert texts[1].text == "second\nline" and texts[1].labels == []


def test_csv_without_a_label_column_is_an_error_at_line_1(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("text,category\nhello,A\n")
    with pytest.raises(DataFormatError, match=r"notes.csv:1: no column 'label'"):
        read_labelled(path)


def test_unknown_source_lists_the_datasets(tmp_path):
    with pytest.raises(FileNotFoundError, match="mtsamples-specialty"):
        read_labelled(tmp_path / "missing.jsonl")


def test_split_is_deterministic_and_roughly_80_10_10():
    splits = [split_of(f"text {i}") for i in range(5000)]
    assert splits == [split_of(f"text {i}") for i in range(5000)]
    share = {s: splits.count(s) / len(splits) for s in ("train", "dev", "test")}
    assert 0.77 < share["train"] < 0.83 and 0.08 < share["dev"] < 0.12 and 0.08 < share["test"] < 0.12


needs_shared = pytest.mark.skipif(not (SHARED / "mtsamples").is_dir(), reason="shared/data mirror not present")


@needs_shared
def test_mtsamples_is_deduplicated_multi_label_and_split_by_text(monkeypatch):
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(SHARED))
    splits = {s: read_labelled(f"mtsamples-specialty:{s}") for s in ("train", "dev", "test")}
    texts = [t.text for part in splits.values() for t in part]
    assert len(texts) == len(set(texts)) == 2357  # 4,966 non-empty rows, 2,357 distinct transcriptions
    assert sum(len(t.labels) > 1 for part in splits.values() for t in part) == 2148
    assert 200 < len(splits["test"]) < 280 and 35 <= len(label_set(splits["train"])) <= 40


@needs_shared
def test_cuad_passages_and_negatives_are_split_by_contract(monkeypatch):
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(SHARED))
    splits = {s: read_labelled(f"cuad-clauses:{s}") for s in ("train", "dev", "test")}
    contracts = {s: {t.meta["contract"] for t in part} for s, part in splits.items()}
    assert not contracts["train"] & contracts["test"] and not contracts["dev"] & contracts["test"]
    assert sum(len(c) for c in contracts.values()) == 510
    test = splits["test"]
    assert len(label_set(test)) >= 35
    negatives = [t for t in test if not t.labels]
    assert 0 < len(negatives) <= len(test) - len(negatives)
