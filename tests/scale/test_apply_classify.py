"""``apply`` with a text classifier: every record once with ``labels`` and ``scores`` as ``classify()`` gives
them, in JSONL and Parquet shards, resumable, from worker processes and from Ray actors."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from tests.scale.test_apply import Counting, read_output
from tests.tiny_classifier import TEXTS, train_tiny_classifier

from specialize.cli.main import main
from specialize.models.predict import predict as classify
from specialize.scale import apply

LABELS = ["business", "clinical", "sport"]


@pytest.fixture(scope="module")
def classifier_folder(tiny_base, tmp_path_factory) -> Path:
    return train_tiny_classifier(tiny_base, tmp_path_factory.mktemp("apply-cls") / "tiny-topics")


def text_of(i: int) -> str:
    return "" if i % 10 == 9 else TEXTS[i % len(TEXTS)].text  # every tenth text blank


def write_jsonl(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"d{i}", "text": text_of(i), "n": i}) + "\n")
    return path


def check_like_classify(records: list[dict], n: int, folder: Path) -> None:
    assert [r["id"] for r in records] == [f"d{i}" for i in range(n)]  # all, once each, in input order
    assert [r["n"] for r in records] == list(range(n))  # the input's fields are kept
    expected = {r["text"]: r for r in classify(folder, [t.text for t in TEXTS])}
    for r in records:
        if not r["text"]:
            assert r["labels"] == [] and not r["scores"]  # blank: nothing to classify, no model call
            continue
        assert r["labels"] == expected[r["text"]]["labels"]
        assert r["scores"] == pytest.approx(expected[r["text"]]["scores"], abs=1e-5)


def test_local_run_in_two_shards_writes_labels_and_scores_like_classify(classifier_folder, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 30)
    result = apply(str(classifier_folder), source, tmp_path / "out", workers=0, shard_size=16, progress=False)
    assert (result.n_docs, result.n_shards, result.written_shards) == (30, 2, 2)
    records = read_output(tmp_path / "out")
    check_like_classify(records, 30, classifier_folder)
    assert {tuple(r["labels"]) for r in records} == {("clinical",), ("sport",), ("business",), ()}
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["complete"] and manifest["task"] == "classification"
    assert manifest["fields"] == ["labels", "scores"]


def test_worker_processes_load_the_classifier(classifier_folder, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    result = apply(str(classifier_folder), source, tmp_path / "out", workers=2, shard_size=16, progress=False)
    assert (result.n_shards, result.written_shards) == (3, 3)
    check_like_classify(read_output(tmp_path / "out"), 40, classifier_folder)


class CountingClassifier(Counting):
    """A fake single-label classifier (probabilities from the text's length) that counts the texts it sees
    and fails on a given call, as the span test's ``Counting`` does."""

    multi_label = False

    @property
    def labels(self) -> list[str]:
        return ["long", "short"]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        super().predict(texts)  # counts, and raises on the failing call
        return np.array([[0.8, 0.2] if len(t) > 35 else [0.3, 0.7] for t in texts])

    def decide(self, probabilities: np.ndarray) -> list[list[str]]:
        return [[self.labels[int(np.argmax(row))]] for row in probabilities]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:  # type: ignore[override]
        return self.decide(self.predict_proba(texts))


def test_a_rerun_after_a_crash_classifies_only_the_unfinished_shards(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 50)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="simulated crash"):  # shard size = batch size: shards 0-2 are done
        apply(CountingClassifier(fail_on_call=4), source, out, workers=0, shard_size=10, batch_size=10, progress=False)
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-{i:05d}.jsonl" for i in range(3)]
    resumed = CountingClassifier()
    result = apply(resumed, source, out, workers=0, shard_size=10, batch_size=10, progress=False)
    assert (result.written_shards, result.skipped_shards) == (2, 3)
    assert resumed.texts == 20 - 2  # only shards 3 and 4, less their blank texts
    records = read_output(out)
    assert [r["id"] for r in records] == [f"d{i}" for i in range(50)]
    long_text = next(r for r in records if len(r["text"]) > 35)
    assert long_text["labels"] == ["long"] and long_text["scores"] == {"long": 0.8, "short": 0.2}


def test_parquet_shards_hold_a_labels_list_and_a_scores_struct(tmp_path, caplog):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [text_of(i) for i in range(12)]
    table = pa.table({"id": [f"d{i}" for i in range(12)], "text": texts, "labels": [["gold"] for _ in texts]})
    pq.write_table(table, tmp_path / "in.parquet")
    with caplog.at_level(logging.WARNING, logger="specialize.scale.apply"):
        apply(CountingClassifier(), tmp_path / "in.parquet", tmp_path / "out", workers=0, shard_size=5, progress=False)
    assert "['labels'] fields; the output replaces them" in caplog.text  # gold labels do not vanish silently
    table = pq.read_table(tmp_path / "out" / "part-00000.parquet")
    assert table.schema.field("labels").type == pa.list_(pa.string())
    assert table.schema.field("scores").type == pa.struct([("long", pa.float64()), ("short", pa.float64())])
    records = read_output(tmp_path / "out", "parquet")
    assert [r["id"] for r in records] == [f"d{i}" for i in range(12)]
    assert records[0]["labels"] == ["long"] and records[0]["scores"] == {"long": 0.8, "short": 0.2}
    assert records[9]["labels"] == [] and records[9]["scores"] is None  # the blank text


def test_apply_command_on_a_classifier_folder(classifier_folder, tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", 20)
    args = ["apply", str(classifier_folder), "-i", str(source), "-o", str(tmp_path / "out"), "--workers", "0"]
    assert main([*args, "--shard-size", "8", "--no-progress"]) == 0
    assert "20 documents in 3 shards" in capsys.readouterr().err
    check_like_classify(read_output(tmp_path / "out"), 20, classifier_folder)


def test_ray_engine_with_a_classifier(classifier_folder, tmp_path):
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    source = write_jsonl(tmp_path / "in.jsonl", 60)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        result = apply(
            str(classifier_folder), source, tmp_path / "out", engine="ray", workers=2, shard_size=25, progress=False
        )
    finally:
        ray.shutdown()
    assert (result.n_docs, result.n_shards, result.written_shards) == (60, 3, 3)
    check_like_classify(read_output(tmp_path / "out"), 60, classifier_folder)
