"""Correction tasks out (Label Studio, Prodigy), annotations back as gold with provenance, gold over silver."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from specialize.data.corrections import (
    CorrectedIndex,
    import_corrections,
    merge_corrections,
    without_corrected,
    write_correction_tasks,
    write_corrections,
)
from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats.jsonl import read_jsonl
from specialize.data.formats.label_studio import label_studio_task, labeling_config
from specialize.data.formats.prodigy import prodigy_task
from specialize.errors import OutputExistsError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"


def _doc(text: str, *spans: tuple[str, str], doc_id: str | None = None, score: float | None = None) -> Document:
    out = []
    for word, label in spans:
        start = text.index(word)
        out.append(Span(start, start + len(word), label, score))
    return Document(text, out, id=doc_id)


def test_label_studio_export_accepted_cancelled_unannotated_and_extra_annotations() -> None:
    docs, report = import_corrections(FIXTURES / "label_studio_export.json")
    assert [d.id for d in docs] == ["s0", "s2", "label-studio:105"]
    assert report.tasks == 5 and report.accepted == 3
    assert report.not_used == {"cancelled": 1, "not annotated": 1, "extra annotations": 1}
    # Only span results are read; choices and relations are counted.
    assert report.skipped_results == {"results of type choices": 1, "results of type relation": 1}
    obama, acme, empty = docs
    assert [(obama.span_text(s), s.label) for s in obama.spans] == [("Obama", "PER"), ("Paris", "LOC")]
    # Task 103 has two annotations: the later one (ORG + Jones) wins over the earlier PER.
    assert [(acme.span_text(s), s.label) for s in acme.spans] == [("Acme", "ORG"), ("Jones", "PER")]
    assert empty.spans == []  # accepted with no regions: a document without entities
    assert obama.meta["correction"] == {
        "tool": "label-studio",
        "doc_id": "s0",
        "annotator": "ann@example.org",  # completed_by as a user object (older exports)
        "time": "2024-05-02T09:14:39.910334Z",
        "task_id": 101,
        "annotation_id": 31,
        "lead_time": 28.43,
        "source": "label_studio_export.json",
    }
    assert acme.meta["correction"]["annotator"] == 3  # completed_by as a user id (recent exports)
    assert empty.meta["correction"]["doc_id"] is None  # the task carried no document id: match by text
    assert report.annotators == {"ann@example.org": 1, "3": 1, "2": 1}


def test_ground_truth_annotation_is_preferred(tmp_path: Path) -> None:
    text = "Obama visited Paris"
    base = {"was_cancelled": False, "completed_by": 1}
    older_truth = {**base, "ground_truth": True, "updated_at": "2024-01-01T00:00:00Z",
                   "result": [{"type": "labels", "value": {"start": 0, "end": 5, "labels": ["PER"]}}]}  # fmt: skip
    newer = {**base, "updated_at": "2024-06-01T00:00:00Z", "result": []}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"text": text}, "annotations": [newer, older_truth]}]))
    (doc,), _ = import_corrections(path)
    assert [s.label for s in doc.spans] == ["PER"]


def test_label_studio_span_text_mismatch_names_the_task_and_field(tmp_path: Path) -> None:
    bad = {"type": "labels", "value": {"start": 0, "end": 5, "text": "Paris", "labels": ["PER"]}}
    path = tmp_path / "export.json"
    task = {"id": 7, "data": {"text": "Obama visited Paris"}, "annotations": [{"result": [bad]}]}
    path.write_text(json.dumps([task]))
    with pytest.raises(DataFormatError, match=r"\[0\]\.annotations\[0\]\.result\[0\]\.text"):
        import_corrections(path)


def test_not_an_export_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "silver.jsonl"
    path.write_text(json.dumps({"text": "Obama", "spans": []}) + "\n")
    with pytest.raises(DataFormatError, match="neither a Label Studio export"):
        import_corrections(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        import_corrections(tmp_path / "missing.json")


def test_prodigy_answers_latest_wins_and_only_accept_is_gold(tmp_path: Path) -> None:
    a = prodigy_task(_doc("Obama visited Paris", ("Obama", "PER"), doc_id="d1"), confidence=0.4, model_version="m")
    b = prodigy_task(_doc("Merkel met Smith", ("Merkel", "PER"), doc_id="d2"), confidence=0.3, model_version="m")
    c = prodigy_task(_doc("the river", doc_id="d3"), confidence=0.2, model_version="m")
    records = [
        {**a, "answer": "reject", "_timestamp": 100, "_annotator_id": "ds-alice"},
        {**a, "spans": [*a["spans"], {"start": 14, "end": 19, "label": "LOC"}], "answer": "accept",
         "_timestamp": 200, "_annotator_id": "ds-bob"},
        {**b, "answer": "reject", "_timestamp": 150},
        {**c, "answer": "ignore", "_timestamp": 160},
    ]  # fmt: skip
    path = tmp_path / "db-out.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    docs, report = import_corrections(path)
    assert [d.id for d in docs] == ["d1"]
    assert [(docs[0].span_text(s), s.label) for s in docs[0].spans] == [("Obama", "PER"), ("Paris", "LOC")]
    assert report.not_used == {"superseded": 1, "rejected": 1, "ignored": 1}
    provenance = docs[0].meta["correction"]
    assert provenance["tool"] == "prodigy" and provenance["annotator"] == "ds-bob" and provenance["doc_id"] == "d1"
    assert provenance["time"].startswith("1970-01-01T00:03:20")


def test_prodigy_bad_answer_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "db-out.jsonl"
    path.write_text(json.dumps({"text": "x", "answer": "accept"}) + "\n" + json.dumps({"text": "y", "answer": "ok"}))
    with pytest.raises(DataFormatError, match=r"db-out.jsonl:2: answer: answer is 'ok'"):
        import_corrections(path)


def test_tasks_carry_predictions_scores_and_ids() -> None:
    doc = _doc("Obama visited Paris", ("Obama", "PER"), ("Paris", "LOC"), doc_id="d1", score=0.7)
    task = label_studio_task(doc, confidence=0.42, model_version="tiny-v1")
    assert task["data"] == {"text": "Obama visited Paris", "doc_id": "d1"}
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "tiny-v1" and prediction["score"] == 0.42
    first = prediction["result"][0]
    assert first["value"] == {"start": 0, "end": 5, "text": "Obama", "labels": ["PER"]}
    assert first["type"] == "labels" and first["from_name"] == "label" and first["to_name"] == "text"
    assert first["score"] == 0.7

    p_task = prodigy_task(doc, confidence=0.42, model_version="tiny-v1")
    assert [t["text"] for t in p_task["tokens"]] == ["Obama", "visited", "Paris"]
    paris = {"start": 14, "end": 19, "label": "LOC", "token_start": 2, "token_end": 2, "score": 0.7}
    assert p_task["spans"][1] == paris
    assert p_task["meta"] == {"doc_id": "d1", "model_version": "tiny-v1", "score": 0.42}
    assert isinstance(p_task["_input_hash"], int) and -(2**31) <= p_task["_task_hash"] < 2**31
    # A span that cuts a token keeps its offsets but gets no token indices.
    cut = prodigy_task(_doc("Obamacare", ("Obama", "PER")), confidence=None, model_version="m")
    assert "token_start" not in cut["spans"][0]


def test_labeling_config_is_xml_with_every_label() -> None:
    root = ET.fromstring(labeling_config(["Disease", 'A&B "x"']))
    labels = root.find("Labels")
    assert labels is not None and labels.get("name") == "label" and labels.get("toName") == "text"
    assert [e.get("value") for e in labels] == ["Disease", 'A&B "x"']
    text = root.find("Text")
    assert text is not None and text.get("value") == "$text"


def test_write_tasks_never_overwrites(tmp_path: Path) -> None:
    docs = [_doc("Obama visited Paris", ("Obama", "PER"), doc_id="d1")]
    paths = write_correction_tasks(docs, [0.5], tmp_path / "round1", labels=["PER"], model_version="m")
    assert sorted(p.name for p in paths.values()) == sorted(p.name for p in (tmp_path / "round1").iterdir())
    assert json.loads(paths["label_studio"].read_text())[0]["data"]["doc_id"] == "d1"
    with pytest.raises(FileExistsError, match="new --output folder"):
        write_correction_tasks(docs, [0.5], tmp_path / "round1", labels=["PER"], model_version="m")


def test_merge_prefers_corrected_by_id_then_text() -> None:
    silver = [
        _doc("Obama visited Paris", ("Obama", "LOC"), doc_id="a"),
        _doc("Merkel met Smith", doc_id="b"),
        _doc("Acme hired Jones", ("Acme", "PER"), doc_id="c"),
        _doc("Merkel met Smith", doc_id="b-copy"),  # the same text again
    ]
    by_id = _doc("Obama visited Paris", ("Obama", "PER"), ("Paris", "LOC"), doc_id="a")
    by_text = _doc("Merkel met Smith", ("Merkel", "PER"), ("Smith", "PER"), doc_id="elsewhere:9")
    new = _doc("Berlin is big", ("Berlin", "LOC"), doc_id="z")
    merged, report = merge_corrections(silver, [by_id, by_text, new])
    assert [d.id for d in merged] == ["a", "elsewhere:9", "c", "elsewhere:9", "z"]
    assert merged[0].spans == by_id.spans and merged[2] is silver[2]
    assert report.replaced == {"id": 1, "text": 2} and report.added == 1
    assert "2 silver documents kept" not in report.summary() and "1 silver documents kept" in report.summary()
    merged, report = merge_corrections(silver, [new], add_unmatched=False)
    assert merged == silver and report.added == 0


def test_provenance_doc_id_decides_id_matching() -> None:
    """A corrected document made from a task without a document id matches by text only, never by its own id."""
    silver = [_doc("Obama visited Paris", doc_id="label-studio:105")]
    corrected = _doc("Another text entirely", doc_id="label-studio:105")
    corrected.meta["correction"] = {"doc_id": None}
    assert CorrectedIndex.of([corrected]).match(silver[0]) is None
    assert without_corrected(silver, [corrected]) == silver


def test_write_corrections_updates_its_own_file_and_refuses_others(tmp_path: Path) -> None:
    docs, _ = import_corrections(FIXTURES / "label_studio_export.json")
    out = tmp_path / "corrected.jsonl"
    assert write_corrections(docs, out) == (3, 0)
    newer = Document(docs[0].text, [], id="s0", meta={"correction": {"doc_id": "s0", "tool": "x"}})
    assert write_corrections([newer], out) == (3, 1)
    back = read_jsonl(out)
    assert [d.id for d in back] == ["s0", "s2", "label-studio:105"] and back[0].spans == []
    foreign = tmp_path / "silver.jsonl"
    foreign.write_text(json.dumps({"id": "x", "text": "a", "spans": []}) + "\n")
    with pytest.raises(OutputExistsError, match="not written by `specialize corrections import`"):
        write_corrections(docs, foreign)


def test_cli_merge_writes_a_new_training_file(tmp_path: Path, capsys) -> None:
    from specialize.cli.main import main
    from specialize.data.formats.jsonl import write_jsonl

    silver = [_doc("Obama visited Paris", ("Obama", "LOC"), doc_id="a"), _doc("Merkel met Smith", doc_id="b")]
    write_jsonl(silver, tmp_path / "silver.jsonl")
    write_jsonl([_doc("Obama visited Paris", ("Obama", "PER"), doc_id="a")], tmp_path / "corrected.jsonl")
    args = ["corrections", "merge", "--silver", str(tmp_path / "silver.jsonl"), "--corrected"]
    out = tmp_path / "train.jsonl"
    assert main([*args, str(tmp_path / "corrected.jsonl"), "--output", str(out)]) == 0
    assert "1 replaced their silver version (1 by id)" in capsys.readouterr().out
    assert [[s.label for s in d.spans] for d in read_jsonl(out)] == [["PER"], []]
    assert main([*args, str(tmp_path / "corrected.jsonl"), "--output", str(out)]) == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err
