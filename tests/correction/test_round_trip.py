"""The loop end to end: select -> Label Studio tasks -> a Label Studio export -> corrections import -> train.

The human is simulated by writing the export Label Studio writes (Export > JSON: tasks with ``annotations``,
``predictions`` ids, ``completed_by``...) with the gold spans as each annotation's result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import OVERFIT, tiny_sentences

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.formats.jsonl import read_jsonl, write_jsonl
from specialize.models.specialist import Specialist


def _silver() -> list[Document]:
    """The tiny sentences as a weak teacher would label them: s0 calls Paris an ORG, s1 misses Smith."""
    docs = tiny_sentences()
    s0, s1 = docs[0], docs[1]
    docs[0] = Document(s0.text, [Span(s.start, s.end, "ORG" if s.label == "LOC" else s.label) for s in s0.spans], "s0")
    docs[1] = Document(s1.text, [s for s in s1.spans if s1.text[s.start : s.end] != "Smith"], "s1")
    return docs


def _label_studio_export(tasks: list[dict[str, Any]], gold: dict[str, Document], cancel: set[str]) -> list[Any]:
    out = []
    for i, task in enumerate(tasks):
        task_id, doc_id = 300 + i, task["data"]["doc_id"]
        doc = gold[doc_id]
        result = [
            {"value": {"start": s.start, "end": s.end, "text": doc.text[s.start : s.end], "labels": [s.label]},
             "id": f"r{task_id}-{j}", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"}
            for j, s in enumerate(doc.spans)
        ]  # fmt: skip
        cancelled = doc_id in cancel
        annotation = {
            "id": 900 + i, "completed_by": 1, "result": [] if cancelled else result, "was_cancelled": cancelled,
            "ground_truth": False, "created_at": "2024-05-02T09:00:00.000000Z",
            "updated_at": f"2024-05-02T09:{i:02d}:30.000000Z", "draft_created_at": None, "lead_time": 12.5,
            "prediction": {}, "result_count": 0, "unique_id": f"u-{i}", "import_id": None, "last_action": None,
            "task": task_id, "project": 1, "updated_by": 1, "parent_prediction": 700 + i, "parent_annotation": None,
            "last_created_by": None,
        }  # fmt: skip
        task_record = {
            "id": task_id, "annotations": [annotation], "file_upload": "abc-label_studio_tasks.json", "drafts": [],
            "predictions": [700 + i], "data": task["data"], "meta": {}, "created_at": "2024-05-01T08:00:00Z",
            "updated_at": "2024-05-02T09:00:00Z", "inner_id": i + 1, "total_annotations": int(not cancelled),
            "cancelled_annotations": int(cancelled), "total_predictions": 1, "comment_count": 0,
            "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 1, "updated_by": 1,
            "comment_authors": [],
        }  # fmt: skip
        out.append(task_record)
    return out


def test_select_export_import_train_uses_the_corrected_spans(tiny_specialist, tiny_base, tmp_path: Path, capsys):
    silver_path = tmp_path / "silver.jsonl"
    write_jsonl(_silver(), silver_path)
    tasks_dir = tmp_path / "round1"
    select = ["select", str(tiny_specialist), "--input", str(silver_path), "--n", "5"]
    assert main([*select, "--output", str(tasks_dir)]) == 0
    tasks = json.loads((tasks_dir / "label_studio_tasks.json").read_text())
    assert sorted(t["data"]["doc_id"] for t in tasks) == ["s0", "s1", "s2", "s3", "s4"]
    assert all(t["predictions"][0]["model_version"] == tiny_specialist.name for t in tasks)
    assert '<Label value="PER"' in (tasks_dir / "label_studio_config.xml").read_text()

    gold = {d.id: d for d in tiny_sentences() if d.id is not None}
    export = tmp_path / "project-1-at-2024-05-02.json"
    export.write_text(json.dumps(_label_studio_export(tasks, gold, cancel={"s4"})))
    corrected = tmp_path / "corrected.jsonl"
    assert main(["corrections", "import", str(export), "--output", str(corrected)]) == 0
    out = capsys.readouterr().out
    assert "4 documents accepted" in out and "1 cancelled" in out
    fixed = {d.id: d for d in read_jsonl(corrected)}
    assert sorted(fixed) == ["s0", "s1", "s2", "s3"]
    assert fixed["s1"].spans == gold["s1"].spans and fixed["s0"].meta["correction"]["task_id"] >= 300

    # Train on the silver file with the corrections: the corrected spans replace the silver ones.
    overfit = [f"--set={k}={v}" for k, v in {**OVERFIT, "model.base": str(tiny_base)}.items()]
    model_dir = tmp_path / "model"
    args = ["train", "--train", str(silver_path), "--corrections", str(corrected), "--output", str(model_dir)]
    assert main([*args, *overfit]) == 0
    card = (model_dir / "README.md").read_text()
    assert "corrected.jsonl" in card and "silver.jsonl" in card  # both files listed, with checksums
    predicted = Specialist.load(model_dir).predict([gold["s0"].text, gold["s1"].text])
    assert [s.key() for s in predicted[0]] == [s.key() for s in gold["s0"].spans]  # Paris: LOC, not silver's ORG
    assert [s.key() for s in predicted[1]] == [s.key() for s in gold["s1"].spans]  # Smith, which silver missed

    # The next round never offers a corrected document again.
    round2 = tmp_path / "round2"
    assert main([*select, "--output", str(round2), "--exclude", str(corrected)]) == 0
    assert [json.loads(line)["id"] for line in (round2 / "selected.jsonl").read_text().splitlines()] == ["s4"]


def test_with_corrections_replaces_silver_and_drops_corrected_unlabeled(tmp_path: Path) -> None:
    from specialize.config import DataConfig, TrainConfig
    from specialize.data.loading import LoadedData
    from specialize.tasks.spans import SpanTask
    from specialize.training.run import with_corrections

    silver = _silver()
    corrected = tmp_path / "corrected.jsonl"
    gold = tiny_sentences()
    write_jsonl([gold[1], Document("A new gold text about Paris", [Span(22, 27, "LOC")], "new")], corrected)
    data = LoadedData("train", "silver", silver)
    unlabeled = LoadedData("unlabeled", "texts", [Document(gold[1].text, id="u1"), Document("other", id="u2")])
    task = SpanTask()
    config = TrainConfig(data=DataConfig(corrections=str(corrected)))
    merged, left = with_corrections(task, data, config, unlabeled)
    assert [d.id for d in merged.documents] == ["s0", "s1", "s2", "s3", "s4", "new"]
    assert merged.documents[1].spans == gold[1].spans
    assert [p.source for p in merged.files()] == ["silver", str(corrected)]
    assert left is not None and [d.id for d in left.documents] == ["u2"]
    same, untouched = with_corrections(task, data, TrainConfig(), unlabeled)
    assert same is data and untouched is unlabeled
