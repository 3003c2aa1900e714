"""A run that ends with a model finding nothing warns loudly (issue #15, item 10): 1 epoch on 300 sentences
ended with dev F1 0.000 and said nothing."""

from __future__ import annotations

import json
import random

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.io import write_documents
from specialize.training.args import TrainingArgs
from specialize.training.run_health import check_training_run
from specialize.training.trainer import TrainingHistory


class Finds:
    def __init__(self, n: int) -> None:
        self.n = n

    def predict(self, texts):
        return [["span"] * self.n for _ in texts]


def _history(f1s: list[float], steps: int) -> TrainingHistory:
    history = TrainingHistory(evaluations=[{"f1": f} for f in f1s], steps=steps)
    history.best_f1 = max(f1s) if f1s else None
    return history


def test_dev_f1_zero_warns_with_the_steps_and_what_to_try():
    history = _history([0.0, 0.0], steps=19)
    message = check_training_run(Finds(0), history, TrainingArgs(epochs=1, batch_size=16), windows=300)
    assert message is not None and history.warnings == [message]
    assert "best dev F1 0.000 over its 2 evaluation(s)" in message
    assert "19 optimizer steps on 300 training windows (1 epoch(s) of 19 steps at batch size 16)" in message
    assert "too few steps" in message and "--epochs 27" in message and "--batch-size such as 4" in message


def test_a_model_that_finds_something_passes():
    assert check_training_run(Finds(0), _history([0.0, 0.2], 19), TrainingArgs(), windows=300) is None
    assert check_training_run(Finds(0), _history([0.03], 19), TrainingArgs(), windows=300) is not None  # chance
    assert check_training_run(Finds(1), _history([], 19), TrainingArgs(), windows=300, train_texts=["a"]) is None


def test_without_dev_it_asks_the_model_about_its_training_texts():
    history = _history([], steps=4)
    message = check_training_run(Finds(0), history, TrainingArgs(), windows=60, train_texts=["a", "b"])
    assert message is not None and "not one span predicted on 2 of its own training texts" in message


def test_many_steps_point_at_the_data_not_the_steps():
    message = check_training_run(Finds(0), _history([0.0], 5000), TrainingArgs(), windows=80000)
    assert message is not None and "too few steps" not in message and "same types" in message


def test_train_cli_prints_the_warning_and_keeps_it_in_training_json(tiny_base, tmp_path, capsys):
    """The issue's run in small: one epoch on sentences that are mostly O ends with the head predicting O
    everywhere (dev F1 0.000 for every seed tried)."""
    rng = random.Random(0)
    plain = ["the", "a", "of", "in", "to", "and", "was", "is", "at", "for", "on", "with", "from", "near", "city"]
    docs = []
    for _ in range(48):
        words = [rng.choice(plain) for _ in range(14)]
        k = rng.randrange(14)
        words[k] = rng.choice(["paris", "london", "berlin"])
        start = sum(len(w) + 1 for w in words[:k])
        docs.append(Document(" ".join(words), [Span(start, start + len(words[k]), "LOC")]))
    write_documents(docs, tmp_path / "train.jsonl")
    data = str(tmp_path / "train.jsonl")
    argv = ["train", "--train", data, "--dev", data, "--base", str(tiny_base), "--no-progress", "--epochs", "1"]
    argv += ["--batch-size", "2", "--set", "training.bf16=false", "--output", str(tmp_path / "m")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "WARNING: THIS MODEL FINDS (ALMOST) NOTHING: best dev F1 0.000" in printed
    assert "24 optimizer steps on 48 training windows" in printed and "too few steps" in printed
    assert json.loads((tmp_path / "m" / "training.json").read_text())["warnings"]
