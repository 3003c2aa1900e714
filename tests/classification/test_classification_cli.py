"""The CLI for text classification: train --task classification (TOML + flags), evaluate, predict."""

from __future__ import annotations

import json

import pytest

from specialize.cli.main import main

ROWS = [
    ("the doctor treated the patient with the drug", "clinical"),
    ("the patient has cancer and a syndrome", "clinical"),
    ("the team met the player in paris", "sport"),
    ("the player works for the team in london", "sport"),
]


@pytest.fixture(scope="module")
def trained(tiny_base, tmp_path_factory):
    root = tmp_path_factory.mktemp("cls_cli")
    (root / "train.jsonl").write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in ROWS))
    (root / "config.toml").write_text(
        '[model]\ntask = "classification"\npooling = "max"\n'
        "[training]\nepochs = 30\nbatch_size = 1\nlearning_rate = 3e-3\nhead_learning_rate = 1e-2\n"
        "warmup_ratio = 0.0\nbf16 = false\nthreads = 1\n"
    )
    train = str(root / "train.jsonl")
    code = main(
        [
            "train", "--train", train, "--dev", train, "--test", train, "--base", str(tiny_base),
            "--config", str(root / "config.toml"), "--no-progress", "--output", str(root / "model"),
        ]
    )  # fmt: skip
    assert code == 0
    return root


def test_train_from_toml_writes_a_classifier_folder(trained):
    config = json.loads((trained / "model" / "config.json").read_text())
    assert config["specialize"]["task"] == "classification"
    assert config["specialize"]["classifier"]["pooling"] == "max"
    assert (trained / "model" / "README.md").is_file()


def test_evaluate_prints_accuracy_and_f1_and_writes_records(trained, capsys):
    out = trained / "scores.json"
    code = main(["evaluate", str(trained / "model"), "--data", str(trained / "train.jsonl"), "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "macro F1" in printed and "clinical" in printed
    record = json.loads(out.read_text())[0]
    assert record["accuracy"] == 1.0 and record["macro_f1_ci"] is not None and record["task"] == "classification"


def test_predict_writes_labels_and_scores_per_text(trained):
    inputs = trained / "texts.jsonl"
    inputs.write_text(json.dumps({"id": "x1", "text": ROWS[2][0]}) + "\n")
    out = trained / "labels.jsonl"
    assert main(["predict", str(trained / "model"), "--input", str(inputs), "--output", str(out)]) == 0
    line = json.loads(out.read_text())
    assert line["id"] == "x1" and line["labels"] == ["sport"] and set(line["scores"]) == {"clinical", "sport"}


def test_task_flag_overrides_the_config(tiny_base, tmp_path):
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in ROWS))
    code = main(
        [
            "train", "--task", "classification", "--train", str(tmp_path / "t.jsonl"), "--base", str(tiny_base),
            "--epochs", "1", "--threads", "1", "--no-progress", "--output", str(tmp_path / "m"),
        ]
    )  # fmt: skip
    assert code == 0 and json.loads((tmp_path / "m" / "config.json").read_text())["specialize"]["task"] == (
        "classification"
    )


def test_predict_keeps_every_input_field(trained):
    """Issue #15 item 7: classifier predictions keep the input record's other fields."""
    inputs = trained / "fields.jsonl"
    record = {"id": "x2", "text": ROWS[2][0], "extra": 1, "source": "forum"}
    inputs.write_text(json.dumps(record) + "\n")
    out = trained / "fields.out.jsonl"
    assert main(["predict", str(trained / "model"), "--input", str(inputs), "--output", str(out)]) == 0
    line = json.loads(out.read_text())
    assert {k: line[k] for k in record} == record and line["labels"] == ["sport"]
