"""``apply`` over hundreds of records: every record exactly once, resumable shards, JSONL/CSV/Parquet, Ray."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from specialize.cli.main import main
from specialize.data.document import Span
from specialize.data.errors import DataFormatError
from specialize.errors import OutputExistsError
from specialize.scale import apply

LABELS = ["O", "B-PER", "I-PER"]
WORDS = ["obama", "paris", "met", "smith", "in", "berlin"]


def make_every_word_a_person(base: Path, folder: Path) -> Path:
    """A specialist that tags every word B-PER (zero weights, biased head): deterministic and instant."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from specialize.data.features import InferenceSettings
    from specialize.models.specialist import Specialist

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForTokenClassification.from_pretrained(
        str(base), id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)}
    )
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 3.0, 0.0]))
    settings = InferenceSettings(
        word_shapes=False, cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id, pad_id=tokenizer.pad_token_id
    )
    Specialist(model, tokenizer, settings, name="every-word").save(folder)
    return folder


@pytest.fixture(scope="module")
def model_folder(tiny_base, tmp_path_factory) -> Path:
    return make_every_word_a_person(tiny_base, tmp_path_factory.mktemp("apply") / "every-word")


def text_of(i: int) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(i % 4 + 1))


def write_jsonl(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"d{i}", "text": text_of(i) if i % 50 else "", "n": i}) + "\n")
    return path


def read_output(folder: Path, suffix: str = "jsonl") -> list[dict]:
    records = []
    for part in sorted(folder.glob(f"part-*.{suffix}")):
        if suffix == "jsonl":
            records.extend(json.loads(line) for line in part.read_text(encoding="utf-8").splitlines())
        else:
            import pyarrow.parquet as pq

            records.extend(pq.read_table(part).to_pylist())
    return records


def check_every_record_once(records: list[dict], n: int) -> None:
    assert [r["id"] for r in records] == [f"d{i}" for i in range(n)]  # all, once each, in input order
    for r in records:
        assert [s["text"] for s in r["spans"]] == r["text"].split()  # every word a PER span, right offsets
        assert all(s["label"] == "PER" and 0 < s["score"] < 1 for s in r["spans"])


class Counting:
    """A fake predictor that counts the texts it sees and can fail on a given call."""

    name = "counting"

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.texts = 0
        self.calls = 0
        self.fail_on_call = fail_on_call

    @property
    def labels(self) -> list[str]:
        return ["X"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("simulated crash")
        self.texts += len(texts)
        return [[Span(0, len(t.split()[0]), "X", 0.9)] for t in texts]


def test_local_worker_processes_write_every_record_exactly_once(model_folder, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    start = time.perf_counter()
    result = apply(str(model_folder), source, tmp_path / "out", workers=2, shard_size=64, progress=False)
    print(f"local engine, 2 workers, 300 docs: {time.perf_counter() - start:.1f} s")
    assert (result.n_docs, result.n_shards, result.written_shards, result.skipped_shards) == (300, 5, 5, 0)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "_manifest.json",
        *(f"part-{i:05d}.jsonl" for i in range(5)),
    ]
    records = read_output(tmp_path / "out")
    check_every_record_once(records, 300)
    assert records[0]["spans"] == [] and records[7]["n"] == 7  # empty text kept; other fields kept
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["complete"] and manifest["n_docs"] == 300 and manifest["settings"]["shard_size"] == 64


def test_a_rerun_after_a_crash_redoes_only_the_unfinished_shards(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 250)
    out = tmp_path / "out"
    crashing = Counting(fail_on_call=4)  # batch_size 50 = shard size: shards 0-2 are done when it fails
    with pytest.raises(RuntimeError, match="simulated crash"):
        apply(crashing, source, out, workers=0, shard_size=50, batch_size=50, progress=False)
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-{i:05d}.jsonl" for i in range(3)]
    assert not json.loads((out / "_manifest.json").read_text())["complete"]
    (out / "part-00003.jsonl.tmp").write_text("half a shard")  # as a kill during a write would leave it
    resumed = Counting()
    result = apply(resumed, source, out, workers=0, shard_size=50, batch_size=50, progress=False)
    assert (result.written_shards, result.skipped_shards) == (2, 3)
    assert resumed.texts == 100 - 2  # only shards 3 and 4 (less their two empty texts) were predicted
    assert not list(out.glob("*.tmp"))
    assert [r["id"] for r in read_output(out)] == [f"d{i}" for i in range(250)]
    again = apply(Counting(), source, out, workers=0, shard_size=50, progress=False)
    assert (again.written_shards, again.skipped_shards) == (0, 5)


def test_a_rerun_over_changed_input_or_settings_is_refused(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 20)
    apply(Counting(), source, tmp_path / "out", workers=0, shard_size=8, progress=False)
    with pytest.raises(OutputExistsError, match=r"another run.*settings"):
        apply(Counting(), source, tmp_path / "out", workers=0, shard_size=5, progress=False)
    write_jsonl(source, 21)
    with pytest.raises(OutputExistsError, match=r"another run.*inputs"):
        apply(Counting(), source, tmp_path / "out", workers=0, shard_size=8, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not an apply output folder"):
        apply(Counting(), source, tmp_path / "other", workers=0, progress=False)


def test_csv_in_jsonl_out_and_a_folder_of_parquet_in_parquet_out(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    with open(tmp_path / "in.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "source"])
        writer.writerows([[f"d{i}", text_of(i) + "\nsecond line" * (i == 3), "web"] for i in range(30)])
    apply(Counting(), tmp_path / "in.csv", tmp_path / "csv_out", workers=0, shard_size=12, progress=False)
    records = read_output(tmp_path / "csv_out")
    assert [r["id"] for r in records] == [f"d{i}" for i in range(30)]
    assert records[3]["text"].endswith("\nsecond line") and records[0]["source"] == "web"

    folder = tmp_path / "parquet_in"
    folder.mkdir()
    for part in range(2):
        rows = range(part * 40, part * 40 + 40)
        table = pa.table({"id": [f"d{i}" for i in rows], "text": [text_of(i) for i in rows], "n": list(rows)})
        pq.write_table(table, folder / f"{part}.parquet")
    result = apply(Counting(), folder, tmp_path / "pq_out", workers=0, shard_size=25, progress=False)
    assert result.n_shards == 4 and (tmp_path / "pq_out" / "part-00003.parquet").is_file()
    table = pq.read_table(tmp_path / "pq_out" / "part-00000.parquet")
    assert table.schema.field("n").type == pa.int64()  # the input's column types are kept
    records = read_output(tmp_path / "pq_out", "parquet")
    assert [r["id"] for r in records] == [f"d{i}" for i in range(80)]
    assert records[5]["spans"][0] == {"start": 0, "end": len(records[5]["text"].split()[0]), "label": "X",
                                      "text": records[5]["text"].split()[0], "score": 0.9}  # fmt: skip


def test_a_record_without_text_is_an_error_naming_the_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine", "body": "a"}\n{"body": "no text"}\n')
    with pytest.raises(DataFormatError, match=r"in\.jsonl:2: .*no string 'text' field.*--text-field"):
        apply(Counting(), source, tmp_path / "out", workers=0, progress=False)
    assert apply(Counting(), source, tmp_path / "out2", workers=0, text_field="body", progress=False).n_docs == 2


def test_bad_arguments_are_clear_errors(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 3)
    with pytest.raises(ValueError, match="unknown engine"):
        apply(Counting(), source, tmp_path / "out", engine="spark")
    with pytest.raises(ValueError, match="pass a model spec"):
        apply(Counting(), source, tmp_path / "out", engine="ray")
    with pytest.raises(FileNotFoundError):
        apply(Counting(), tmp_path / "missing.jsonl", tmp_path / "out")


def test_apply_command(model_folder, tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    args = ["apply", str(model_folder), "-i", str(source), "-o", str(tmp_path / "out"), "--workers", "0"]
    assert main([*args, "--shard-size", "16", "--no-progress"]) == 0
    assert "40 documents in 3 shards" in capsys.readouterr().err
    check_every_record_once(read_output(tmp_path / "out"), 40)


def test_ray_engine_returns_every_record_exactly_once(model_folder, tmp_path):
    # About 20 s here (Ray start-up included), so not marked slow; skipped where ray is not installed.
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    source = write_jsonl(tmp_path / "in.jsonl", 300)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        start = time.perf_counter()
        result = apply(
            str(model_folder), source, tmp_path / "out", engine="ray", workers=2, shard_size=64, progress=False
        )
        print(f"ray engine, 2 actors, 300 docs: {time.perf_counter() - start:.1f} s")
    finally:
        ray.shutdown()
    assert (result.n_docs, result.n_shards, result.written_shards) == (300, 5, 5)
    check_every_record_once(read_output(tmp_path / "out"), 300)
