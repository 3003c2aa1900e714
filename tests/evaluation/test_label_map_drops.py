"""Spans a label map or a label filter drops are counted and reported everywhere (issue #15, item 8):
`--label-map conll` dropped 247 spans without counting them."""

from __future__ import annotations

import json

import pytest

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.io import write_documents

spacy = pytest.importorskip("spacy")

TEXTS = ["Obama visited Paris on Monday .", "Merkel met Smith in Berlin on Friday at noon ."]


@pytest.fixture(scope="module")
def rule_pipeline(tmp_path_factory):
    """A spaCy pipeline whose "ner" is an entity ruler: OntoNotes labels, no trained model needed."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    words = {"PERSON": ["Obama", "Merkel", "Smith"], "GPE": ["Paris", "Berlin"], "DATE": ["Monday", "Friday"]}
    ruler.add_patterns([{"label": label, "pattern": w} for label, ws in words.items() for w in ws])
    ruler.add_patterns([{"label": "TIME", "pattern": "noon"}])
    path = tmp_path_factory.mktemp("rules") / "nlp"
    nlp.to_disk(path)
    return path


def test_label_counts_the_spans_the_label_map_drops_per_type(rule_pipeline, tmp_path, capsys):
    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(TEXTS) + "\n")
    out = tmp_path / "out.jsonl"
    argv = ["label", "-t", f"spacy:{rule_pipeline}", "--label-map", "conll", "-i", str(inputs), "-o", str(out)]
    assert main([*argv, "--no-progress", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["rejected"] == {"unmapped_label:DATE": 2, "unmapped_label:TIME": 1}
    assert stats["spans"] == 5  # 3 PER + 2 LOC kept
    assert main([*argv, "--no-progress"]) == 0
    assert "rejected    unmapped_label:DATE 2, unmapped_label:TIME 1" in capsys.readouterr().out


def test_evaluate_reports_the_predicted_spans_the_label_map_dropped(rule_pipeline, tmp_path, capsys):
    gold = [
        Document(TEXTS[0], [Span(0, 5, "PER"), Span(14, 19, "LOC")]),
        Document(TEXTS[1], [Span(0, 6, "PER"), Span(11, 16, "PER"), Span(20, 26, "LOC")]),
    ]
    write_documents(gold, tmp_path / "gold.jsonl")
    out = tmp_path / "scores.json"
    argv = ["evaluate", f"spacy:{rule_pipeline}", "--label-map", "conll", "--data", str(tmp_path / "gold.jsonl")]
    assert main([*argv, "--bootstrap", "0", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "the label map dropped 3 spans (types it does not map): DATE 2, TIME 1" in printed
    (record,) = json.loads(out.read_text())
    assert record["dropped_by_label_map"] == {"DATE": 2, "TIME": 1} and record["f1"] == 1.0


def test_train_notes_the_spans_data_labels_drops_in_the_output_and_the_model_card(tiny_base, tmp_path, capsys):
    from tests.conftest import tiny_sentences

    write_documents(tiny_sentences(), tmp_path / "train.jsonl")
    argv = ["train", "--train", str(tmp_path / "train.jsonl"), "--base", str(tiny_base), "--no-progress"]
    argv += ["--set", "data.labels=PER,LOC", "--set", "training.epochs=1", "--set", "training.bf16=false"]
    assert main([*argv, "--output", str(tmp_path / "m")]) == 0
    note = f"train data {tmp_path / 'train.jsonl'}: dropped 2 spans (types not in data.labels): ORG 2"
    assert f"note: {note}" in capsys.readouterr().out
    card = (tmp_path / "m" / "README.md").read_text()
    assert f"Dropped from {tmp_path / 'train.jsonl'} on reading (2 spans)" in card
