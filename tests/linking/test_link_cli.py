"""``specialize train-linker`` and ``specialize link`` end to end with a tiny random BERT encoder."""

from __future__ import annotations

import json
from pathlib import Path

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.io import read_documents, write_documents

TRAIN = Path(__file__).parents[1] / "fixtures" / "data" / "linking_train.pubtator"


def test_train_linker_then_link_jsonl(tiny_base: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "linker"
    args = ["train-linker", "--train", str(TRAIN), "--encoder", str(tiny_base), "--output", str(folder)]
    assert main([*args, "--threads", "1"]) == 0
    assert "7 strings of 6 concepts from 13 mentions (1 without an id skipped)" in capsys.readouterr().err
    text = "Renal failure and kidney failures after aspirin (no id here)."
    spans = [Span(0, 13, "Disease"), Span(18, 33, "Disease"), Span(40, 47, "Chemical")]
    write_documents([Document(text, spans, id="q1", meta={"source": "x"})], tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    assert main(["link", str(folder), "--input", str(tmp_path / "in.jsonl"), "--output", str(out)]) == 0
    assert "linked 3 of 3 spans in 1 documents" in capsys.readouterr().err
    record = json.loads(out.read_text())
    assert record["id"] == "q1" and record["meta"]["source"] == "x"
    assert [(s["text"], s["kb_id"]) for s in record["spans"]][1:] == [
        ("kidney failures", "D051437"),
        ("aspirin", "D001241"),
    ]
    assert [link["source"] for link in record["meta"]["links"]] == ["similarity", "dictionary", "dictionary"]
    assert read_documents(out)[0].spans[2].kb_id == "D001241"
    # Dictionary only, to standard output: the unseen string stays unlinked.
    assert main(["link", str(folder), "--input", str(tmp_path / "in.jsonl"), "--method", "dictionary"]) == 0
    assert "kb_id" not in json.loads(capsys.readouterr().out)["spans"][0]


def test_link_with_ner_finds_spans_first(tiny_specialist: Path, tmp_path: Path, capsys) -> None:
    # The tiny specialist has memorised conftest's sentences; the linker learns ids for two of its cities.
    train = [
        Document("Obama visited Paris .", [Span(14, 19, "LOC", kb_id="Q90")]),
        Document("Merkel met Smith in Berlin .", [Span(20, 26, "LOC", kb_id="Q64")]),
    ]
    write_documents(train, tmp_path / "train.jsonl")
    folder = tmp_path / "linker"
    assert main(["train-linker", "--train", str(tmp_path / "train.jsonl"), "--no-encoder", "-o", str(folder)]) == 0
    (tmp_path / "texts.txt").write_text("Obama visited Paris .\nJones lives near the river in Berlin .\n")
    out = tmp_path / "linked.jsonl"
    code = main(
        ["link", str(folder), "--ner", str(tiny_specialist), "--input", str(tmp_path / "texts.txt"), "-o", str(out)]
    )
    assert code == 0
    docs = read_documents(out)
    assert [[(d.span_text(s), s.label, s.kb_id) for s in d.spans] for d in docs] == [
        [("Obama", "PER", None), ("Paris", "LOC", "Q90")],
        [("Jones", "PER", None), ("Berlin", "LOC", "Q64")],
    ]


def test_link_without_spans_is_a_clear_error(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "linker"
    assert main(["train-linker", "--train", str(TRAIN), "--no-encoder", "-o", str(folder)]) == 0
    write_documents([Document("No spans here.", id="a")], tmp_path / "in.jsonl")
    assert main(["link", str(folder), "--input", str(tmp_path / "in.jsonl")]) == 2
    assert "no document has spans to link" in capsys.readouterr().err
    assert main(["link", str(tmp_path), "--input", str(tmp_path / "in.jsonl")]) == 2
    assert "not a linker folder" in capsys.readouterr().err
