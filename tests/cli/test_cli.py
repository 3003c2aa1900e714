"""The CLI end to end on tiny data: train, evaluate (side by side, JSON records), predict (JSONL out)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from specialize.cli.main import main
from specialize.data.io import write_documents


@pytest.fixture(scope="module")
def trained(tiny_base, tmp_path_factory):
    from tests.conftest import tiny_sentences

    root = tmp_path_factory.mktemp("cli")
    write_documents(tiny_sentences(), root / "train.conll")
    (root / "config.toml").write_text(
        "[training]\nepochs = 40\nbatch_size = 1\nlearning_rate = 3e-3\nhead_learning_rate = 1e-2\n"
        "warmup_ratio = 0.0\nbf16 = false\n"
    )
    code = main(
        [
            "train", "--train", str(root / "train.conll"), "--dev", str(root / "train.conll"),
            "--base", str(tiny_base), "--config", str(root / "config.toml"), "--set", "training.seed=1",
            "--no-progress", "--output", str(root / "model"),
        ]
    )  # fmt: skip
    assert code == 0
    return root


def test_train_writes_a_model_folder(trained):
    folder = trained / "model"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "evaluation.json"):
        assert (folder / name).is_file(), name
    config = json.loads((folder / "config.json").read_text())
    assert config["specialize"]["training"]["training"]["seed"] == 1  # --set override reached the config


def test_evaluate_prints_models_side_by_side_and_writes_records(trained, capsys):
    out_json = trained / "scores.json"
    model = str(trained / "model")
    code = main(["evaluate", model, model, "--data", str(trained / "train.conll"), "--json", str(out_json)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "model" in printed and "model#2" in printed and "micro" in printed
    records = json.loads(out_json.read_text())
    assert [r["model"] for r in records] == ["model", "model#2"]
    for key in ("dataset", "split", "model", "f1", "f1_ci", "per_type", "command", "machine"):
        assert key in records[0]
    assert records[0]["f1"] == pytest.approx(1.0)


def test_predict_writes_jsonl_with_offsets_labels_and_scores(trained):
    inputs = trained / "texts.jsonl"
    inputs.write_text(json.dumps({"id": "d1", "text": "Obama visited Paris .", "meta": {"source": "x"}}) + "\n")
    out = trained / "pred.jsonl"
    assert main(["predict", str(trained / "model"), "--input", str(inputs), "--output", str(out)]) == 0
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["id"] == "d1" and record["meta"] == {"source": "x"}
    assert [(s["start"], s["end"], s["label"], s["text"]) for s in record["spans"]] == [
        (0, 5, "PER", "Obama"),
        (14, 19, "LOC", "Paris"),
    ]
    assert all(0 < s["score"] <= 1 for s in record["spans"])


def test_bad_config_key_is_a_clear_error(trained, capsys):
    bad = trained / "bad.toml"
    bad.write_text("[training]\nepoch = 3\n")
    code = main(["train", "--train", str(trained / "train.conll"), "--config", str(bad), "--output", "x"])
    assert code == 2
    assert "unknown key 'training.epoch'; did you mean 'training.epochs'?" in capsys.readouterr().err


def test_missing_model_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "nope"), "--input", str(tmp_path)]) == 2
    assert "neither an existing folder nor a known spec" in capsys.readouterr().err


def test_module_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "specialize", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("train", "evaluate", "predict"):
        assert command in result.stdout


def test_several_training_sources_and_kept_labels(tmp_path, caplog):
    """--train twice concatenates both files; data.labels drops the other types, counted, and the card lists both."""
    import logging

    from specialize.config import load_config
    from specialize.data.document import Document, Span
    from specialize.tasks.spans import SpanTask

    first = [Document("Obama visited Paris .", [Span(0, 5, "PER"), Span(14, 19, "LOC")])]
    second = [Document("Merkel met Biden in Berlin .", [Span(0, 6, "PER"), Span(11, 16, "PER"), Span(20, 26, "LOC")])]
    write_documents(first, tmp_path / "a.jsonl")
    write_documents(second, tmp_path / "b.jsonl")
    (tmp_path / "config.toml").write_text(
        f'[data]\ntrain = ["{tmp_path / "a.jsonl"}", "{tmp_path / "b.jsonl"}"]\nlabels = ["PER"]\n'
    )
    config = load_config(tmp_path / "config.toml")
    assert config.data.train == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]
    with caplog.at_level(logging.INFO, logger="specialize.tasks.spans"):
        data = SpanTask().load("train", config.data.train, config.data)
    assert [d.text for d in data.documents] == [first[0].text, second[0].text]
    assert [[s.label for s in d.spans] for d in data.documents] == [["PER"], ["PER", "PER"]]
    assert [p.source for p in data.files()] == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]
    assert all(p.sha256 and len(p.sha256) == 64 for p in data.files())
    assert "{'LOC': 1}" in caplog.text  # each file's dropped spans are counted, none silently
    assert data.dropped == {"LOC": 2} and [p.dropped for p in data.files()] == [{"LOC": 1}, {"LOC": 1}]
    # On the command line, --train repeats.
    from specialize.cli.main import build_parser

    args = build_parser().parse_args(["train", "--train", "a", "--train", "b", "--output", "x"])
    assert args.config_flags.overrides(args)["data.train"] == ["a", "b"]
    args = build_parser().parse_args(["train", "--train", "a", "--output", "x"])
    assert args.config_flags.overrides(args)["data.train"] == "a"


def test_predict_keeps_every_input_field_of_jsonl_and_csv(trained):
    """Issue #15 item 7: predict dropped fields other than id, text and meta (apply kept them)."""
    inputs = trained / "fields.jsonl"
    record = {"id": "d1", "body": "Obama visited Paris .", "extra": 1, "nested": {"a": [1, 2]}, "meta": {"m": 2}}
    inputs.write_text(json.dumps(record) + "\n")
    out = trained / "fields.out.jsonl"
    argv = ["predict", str(trained / "model"), "--input", str(inputs), "--output", str(out), "--text-field", "body"]
    assert main(argv) == 0
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert {k: line[k] for k in record} == record  # every input field, the text field included
    assert line["text"] == record["body"] and [s["text"] for s in line["spans"]] == ["Obama", "Paris"]

    csv_input = trained / "fields.csv"
    csv_input.write_text("id,text,source,year\nc1,Obama visited Paris .,news,2001\n")
    assert main(["predict", str(trained / "model"), "--input", str(csv_input), "--output", str(out)]) == 0
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["id"] == "c1" and line["meta"] == {"source": "news", "year": "2001"}


def test_evaluate_limit_and_sample_score_part_of_the_data_and_say_so(trained, capsys):
    """Issue #15 item 14: --limit / --sample --seed for evaluate, recorded in the records."""
    out = trained / "part.json"
    model, data = str(trained / "model"), str(trained / "train.conll")
    assert main(["evaluate", model, "--data", data, "--limit", "2", "--bootstrap", "0", "--json", str(out)]) == 0
    assert "on 2 documents" in capsys.readouterr().out
    (record,) = json.loads(out.read_text())
    assert record["n_docs"] == 2 and record["data_selection"] == "first 2 of 5 (--limit 2)"
    argv = ["evaluate", model, "--data", data, "--sample", "3", "--seed", "7", "--bootstrap", "0", "--json", str(out)]
    assert main(argv) == 0
    (record,) = json.loads(out.read_text())
    assert record["n_docs"] == 3 and record["data_selection"] == "3 of 5 sampled with seed 7 (--sample 3)"


def test_train_limit_is_a_config_key_noted_in_the_model_card(tiny_base, tmp_path, capsys):
    """Issue #15 item 14: train --limit N trains on the first N documents and the card says so."""
    from tests.conftest import tiny_sentences

    write_documents(tiny_sentences(), tmp_path / "train.jsonl")
    argv = ["train", "--train", str(tmp_path / "train.jsonl"), "--base", str(tiny_base), "--no-progress"]
    argv += [
        "--limit",
        "2",
        "--set",
        "training.epochs=1",
        "--set",
        "training.bf16=false",
        "--output",
        str(tmp_path / "m"),
    ]
    assert main(argv) == 0
    note = f"train data {tmp_path / 'train.jsonl'}: first 2 of 5 (--limit 2) documents used"
    assert f"note: {note}" in capsys.readouterr().out
    card = (tmp_path / "m" / "README.md").read_text()
    assert f"- {note}" in card
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["specialize"]["training"]["data"]["limit"] == 2


HELPS = ["evaluate", "label", "predict", "export", "apply", "audit", "link", "serve", "benchmark", "report", "review"]
HELPS += ["redact", "train-linker", "bases", "corrections import", "corrections merge"]


@pytest.mark.parametrize("command", HELPS)
def test_help_has_no_doubled_percent_nor_none_defaults(command, capsys):
    """Issue #15 item 17: '95%%' in evaluate --help; '(default: start a local one) (default: None)' in label's."""
    with pytest.raises(SystemExit):
        main([*command.split(), "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "%%" not in text and "(default: None)" not in text and not re.search(r"\(default: [^)]*\) \(default:", text)
    if command == "evaluate":
        assert "95% bootstrap intervals" in text and "(default: 1000)" in text  # real defaults still shown


def test_results_print_intervals_with_the_places_of_the_score(capsys):
    """Issue #15 item 17: train printed 'F1 0.3243 [0.243902, 0.432432]'."""
    from types import SimpleNamespace

    from specialize.cli.train import print_result

    record = {"split": "dev", "dataset": "d", "f1": 0.324324, "f1_ci": [0.243902, 0.432432], "precision": 0.24,
              "recall": 0.5}  # fmt: skip
    history = SimpleNamespace(train_seconds=1.0, best_f1=0.3243, warnings=[])
    print_result(SimpleNamespace(output="m", evaluation=[record], history=history, notes=[]))
    assert "F1 0.3243 [0.2439, 0.4324] P 0.2400 R 0.5000" in capsys.readouterr().out
