"""The speed benchmark on tiny models and data: every record field, a fresh process per model."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest

from specialize.cli.benchmark import _thread_counts
from specialize.data.io import write_documents
from specialize.evaluation.speed import PER_THREAD_FIELDS, format_speed_table, model_kind
from specialize.export import export


@pytest.fixture(scope="module")
def folders(tiny_specialist, tmp_path_factory):
    """(specialist folder, exported folder, gold data file) for a tiny specialist trained briefly."""
    from tests.conftest import tiny_sentences

    root = tmp_path_factory.mktemp("speed")
    docs = tiny_sentences()
    shutil.copytree(tiny_specialist, root / "model")
    export(root / "model", root / "onnx", int8=True)
    write_documents(docs, root / "gold.jsonl")
    return root / "model", root / "onnx", root / "gold.jsonl"


def test_benchmark_cli_writes_a_record_per_model_with_every_field(folders, tmp_path, capsys):
    from specialize.cli.main import main

    specialist, exported, gold = folders
    out = tmp_path / "bench.json"
    models = [str(exported), f"hf-pipeline:{specialist}"]
    code = main(["benchmark", *models, "--data", str(gold), "--repeats", "1", "--warmup", "0", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "tokens/s" in printed and "peak RSS MB" in printed and "hf-pipeline:model" in printed
    records = json.loads(out.read_text())
    assert [r["kind"] for r in records] == ["onnx", "hf-pipeline"]
    for record in records:
        for key in ("model", "f1", "per_type_f1", "size_mb", "n_docs", "n_tokens", "command", "machine"):
            assert record[key] is not None, key
        for key in PER_THREAD_FIELDS:
            assert set(record[key]) == {"1"} and record[key]["1"] > 0, key
        assert record["n_docs"] == 5 and record["n_tokens"] == 30 and record["size_mb"] > 0
        assert 0.0 <= record["f1"] <= 1.0
        assert record["p95_ms"]["1"] >= record["p50_ms"]["1"]
    # The exported model's process never loaded torch: its peak memory is a torch-free deployment's.
    assert records[0]["torch_imported"] is False and records[1]["torch_imported"] is True
    assert records[0]["peak_rss_mb"]["1"] < records[1]["peak_rss_mb"]["1"]
    assert records[1]["f1"] == 1.0  # the overfit specialist through the plain transformers pipeline
    # The resolved config beside the --json runs the same benchmark again.
    from specialize.command_configs import BenchmarkConfig
    from specialize.config import load_command_config

    config = load_command_config(BenchmarkConfig, tmp_path / "bench.json.config.toml")
    assert (config.benchmark.models, config.benchmark.repeats, config.benchmark.threads) == (models, 1, [1])


def test_speed_table_has_a_row_per_model_and_thread_count():
    record = {
        "model": "m",
        "threads": [1, 2],
        "f1": None,
        "size_mb": 1.5,
        "n_docs": 3,
        "n_tokens": 9,
        "repeats": 1,
        "latency_docs": 3,
        **{f: {"1": 1.0, "2": 2.0} for f in PER_THREAD_FIELDS},
    }
    table = format_speed_table([record])
    assert len(table.splitlines()) == 5  # title, header, rule, two rows
    assert " - " in table.splitlines()[3]  # no gold F1


def test_model_kinds_and_thread_parsing(folders):
    specialist, exported, _ = folders
    assert model_kind(str(specialist)) == "specialist"
    assert model_kind(str(exported)) == "onnx"
    assert model_kind("spacy:en_core_web_sm") == "spacy"
    assert model_kind(f"hf-pipeline:{specialist}") == "hf-pipeline"
    assert _thread_counts("1,2") == [1, 2]
    with pytest.raises(argparse.ArgumentTypeError):
        _thread_counts("0")
