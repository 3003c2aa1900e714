"""The static-embedding student: overfits five sentences, saves and reloads, exports to ONNX for the torch-free
runtime with the same spans, and trains on a teacher's soft labels (through the CLI)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tests.conftest import build_tiny_base, tiny_sentences

from specialize.cli.main import main
from specialize.config import CONFIG_FILE, ModelConfig
from specialize.data.io import write_documents
from specialize.data.model_folder import FolderKind, read_model_folder
from specialize.data.tagging import SpanDecoder, iob2_labels
from specialize.export import export
from specialize.models.base import SpanPredictor
from specialize.models.resolve import load_model
from specialize.models.static_student import (
    MODEL_TYPE,
    StaticConfig,
    StaticStudent,
    StaticTagger,
    frequency_weights,
    pca_reduce,
)
from specialize.runtime import OnnxPredictor
from specialize.tasks.base import LabelScheme
from specialize.tasks.spans import SpanTask
from specialize.training.train_static import StaticArgs, static_training_args, train_static


@pytest.fixture(scope="module")
def vocab_base(tmp_path_factory):
    """conftest's tiny BERT (its tokenizer knows the vocabulary: a static student learns token identity)."""
    return build_tiny_base(tmp_path_factory.mktemp("static_base"), layers=2)


@pytest.fixture(scope="module")
def trained(vocab_base, tmp_path_factory):
    """(folder, student) of a static student overfit on the five sentences, gold labels only."""
    docs = tiny_sentences()
    output = tmp_path_factory.mktemp("static") / "student"
    training = static_training_args(
        epochs=40, batch_size=2, learning_rate=1e-2, head_learning_rate=1e-2, warmup_ratio=0.0, bf16=False
    )
    training.progress = False
    result = train_static(
        vocab_base, output, train=docs, dev=docs, static=StaticArgs(dim=24), training=training, n_bootstrap=0
    )
    return output, result.student


def _keys(predictions):
    return [[s.key() for s in spans] for spans in predictions]


def test_overfits_five_sentences(trained, sentences):
    _, student = trained
    assert isinstance(student, SpanPredictor)
    assert sorted(student.labels) == ["LOC", "ORG", "PER"]
    assert _keys(student.predict([d.text for d in sentences])) == [[s.key() for s in d.spans] for d in sentences]


def test_save_and_reload_give_the_same_predictions(trained, sentences):
    folder, student = trained
    texts = [d.text for d in sentences]
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == MODEL_TYPE and config["specialize"]["inference"]["word_shapes"] is True
    assert {"model.safetensors", "tokenizer.json", "README.md", "evaluation.json"} <= {p.name for p in folder.iterdir()}
    assert read_model_folder(folder).kind is FolderKind.STATIC
    # load_model dispatches on the folder's kind, so every command takes the folder.
    for reloaded in (StaticStudent.load(folder), load_model(folder)):
        assert isinstance(reloaded, StaticStudent)
        got = reloaded.predict(texts)
        expected = student.predict(texts)
        assert _keys(got) == _keys(expected)
        assert [s.score for d in got for s in d] == pytest.approx([s.score for d in expected for s in d], abs=1e-6)


def test_onnx_export_runs_in_the_torch_free_runtime_with_the_same_spans(trained, sentences, tmp_path):
    folder, student = trained
    texts = [d.text for d in sentences]
    result = export(folder, tmp_path / "onnx", check=sentences)
    assert result.numerics["max_abs_diff"] < 1e-4 and result.check is not None and result.check.passed
    predictor = OnnxPredictor.load(tmp_path / "onnx", threads=1)
    assert predictor.input_names == ["input_ids", "attention_mask", "token_type_ids"]
    got, expected = predictor.predict(texts), student.predict(texts)
    assert _keys(got) == _keys(expected)
    assert [s.score for d in got for s in d] == pytest.approx([s.score for d in expected for s in d], abs=1e-5)


def test_padding_does_not_change_a_window_logits():
    model = StaticTagger(StaticConfig(vocab_size=50, num_labels=5, dim=8, dilations=[1, 2]), None).eval()
    ids = torch.randint(5, 50, (1, 9))
    types = torch.randint(0, 7, (1, 9))
    alone = model(ids, torch.ones_like(ids), types).logits
    padded_ids = torch.cat([ids, torch.zeros(1, 6, dtype=torch.long)], dim=1)
    mask = torch.cat([torch.ones(1, 9), torch.zeros(1, 6)], dim=1).long()
    padded = model(padded_ids, mask, torch.cat([types, torch.zeros(1, 6, dtype=torch.long)], dim=1)).logits
    assert torch.allclose(alone, padded[:, :9], atol=1e-5)


def test_soft_label_training_through_the_cli(vocab_base, tmp_path, sentences):
    """A specialist teacher (untrained: only its label list and distributions matter here) and gold data."""
    labels = iob2_labels(["LOC", "ORG", "PER"])
    teacher = SpanTask().build(vocab_base, LabelScheme(labels), ModelConfig(), seed=0, name="teacher")
    teacher.save(tmp_path / "teacher")
    write_documents(sentences, tmp_path / "train.jsonl")
    out = tmp_path / "soft"
    argv = ["train-static", "--teacher", str(tmp_path / "teacher"), "--train", str(tmp_path / "train.jsonl")]
    argv += ["--soft", "--epochs", "2", "--dim", "16", "--batch-size", "2", "--bootstrap", "0", "--no-progress"]
    assert main([*argv, "--output", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["specialize"]["training"]["soft"] is True
    assert [config["id2label"][str(i)] for i in range(len(labels))] == labels  # the teacher's label list
    assert "KL to the teacher" in (out / "README.md").read_text()
    assert StaticStudent.load(out).predict(["Obama visited Paris ."]) is not None
    from specialize.command_configs import TrainStaticConfig
    from specialize.config import load_command_config

    saved = load_command_config(TrainStaticConfig, out / CONFIG_FILE)  # the resolved config, to rerun it
    assert (saved.distillation.soft, saved.static.dim, saved.training.epochs) == (True, 16, 2)


def test_unlabeled_texts_are_trained_on_with_soft_labels(vocab_base, tmp_path, sentences):
    """--unlabeled adds the teacher-labelled texts to every epoch (more steps), and the card names the source."""
    labels = iob2_labels(["LOC", "ORG", "PER"])
    teacher = SpanTask().build(vocab_base, LabelScheme(labels), ModelConfig(), seed=0, name="teacher")
    teacher.save(tmp_path / "teacher")
    write_documents(sentences, tmp_path / "train.jsonl")
    (tmp_path / "abstracts.txt").write_text("Obama met Merkel in Berlin .\nParis is far .\nIBM hired Alice .\n")
    argv = ["train-static", "--teacher", str(tmp_path / "teacher"), "--train", str(tmp_path / "train.jsonl")]
    argv += ["--epochs", "2", "--dim", "16", "--batch-size", "2", "--bootstrap", "0", "--no-progress"]
    steps = {}
    for name, extra in (("gold", []), ("more", ["--unlabeled", str(tmp_path / "abstracts.txt")])):
        assert main([*argv, "--soft", *extra, "--output", str(tmp_path / name)]) == 0
        steps[name] = json.loads((tmp_path / name / "config.json").read_text())["specialize"]["training"]
    n_gold = len(sentences)
    assert steps["gold"]["steps"] == 2 * -(-n_gold // 2)
    assert steps["more"]["steps"] == 2 * -(-(n_gold + 3) // 2)  # 3 unlabeled texts, one window each
    assert steps["more"]["unlabeled"] == {"source": str(tmp_path / "abstracts.txt"), "texts": 3, "windows": 3}
    record = json.loads((tmp_path / "more" / "training.json").read_text())  # what benchmarks read a run's cost from
    assert record["steps"] == steps["more"]["steps"] and record["train_seconds"] >= 0
    assert record["windows"] == n_gold + 3 and record["unlabeled"]["texts"] == 3
    card = (tmp_path / "more" / "README.md").read_text()
    assert "3 unlabeled texts" in card and "abstracts.txt" in card


def test_every_soft_training_window_carries_the_teacher_targets(vocab_base, tmp_path, sentences, monkeypatch):
    """What the trainer is given: gold and unlabeled windows alike with the teacher's distributions attached (a
    window list taken before the targets were attached trained on gold cross-entropy alone, unlabeled text on
    nothing: its batches gave a nan loss)."""
    from specialize.tasks.spans import SoftWindow
    from specialize.training.trainer import DistillationTrainer

    labels = iob2_labels(["LOC", "ORG", "PER"])
    teacher = SpanTask().build(vocab_base, LabelScheme(labels), ModelConfig(), seed=0, name="teacher")
    teacher.save(tmp_path / "teacher")
    seen = []
    original = DistillationTrainer.train
    monkeypatch.setattr(
        DistillationTrainer, "train", lambda self, features: seen.extend(features) or original(self, features)
    )
    training = static_training_args(epochs=1, batch_size=2)
    training.progress = False
    train_static(tmp_path / "teacher", tmp_path / "s", train=sentences, soft=True,
                 unlabeled=["Paris is far .", "IBM hired Alice ."], static=StaticArgs(dim=8), training=training,
                 n_bootstrap=0)  # fmt: skip
    assert len(seen) == len(sentences) + 2
    assert all(isinstance(w, SoftWindow) and w.teacher_positions for w in seen)


def test_kept_teacher_targets_are_read_back_by_the_next_static_student(vocab_base, tmp_path, sentences, monkeypatch):
    """--teacher-targets DIR (shared with distill): the second student of the same teacher on the same text is
    trained without asking the teacher again, and ends with the same weights; without --soft it is refused."""
    from specialize.inference.window_tagger import WindowTagger

    labels = iob2_labels(["LOC", "ORG", "PER"])
    teacher = SpanTask().build(vocab_base, LabelScheme(labels), ModelConfig(), seed=0, name="teacher")
    teacher.save(tmp_path / "teacher")
    write_documents(sentences, tmp_path / "train.jsonl")
    (tmp_path / "abstracts.txt").write_text("Obama met Merkel in Berlin .\nParis is far .\n")
    argv = ["train-static", "--teacher", str(tmp_path / "teacher"), "--train", str(tmp_path / "train.jsonl"), "--soft"]
    argv += ["--unlabeled", str(tmp_path / "abstracts.txt"), "--epochs", "1", "--dim", "8", "--bootstrap", "0"]
    argv += ["--teacher-targets", str(tmp_path / "targets"), "--no-progress"]
    calls: list[list[str]] = []
    scorer = WindowTagger.word_probabilities
    monkeypatch.setattr(WindowTagger, "word_probabilities", lambda self, t: calls.append(t) or scorer(self, t))
    assert main([*argv, "--output", str(tmp_path / "first")]) == 0
    asked = len(calls)
    assert asked > 0 and list((tmp_path / "targets").glob("*.npz"))
    assert main([*argv, "--output", str(tmp_path / "second")]) == 0
    assert len(calls) == asked  # the teacher labelled the texts once
    weights = [(tmp_path / name / "model.safetensors").read_bytes() for name in ("first", "second")]
    assert weights[0] == weights[1]
    saved = (tmp_path / "second" / CONFIG_FILE).read_text()
    assert "teacher_targets" in saved  # the rerunnable config keeps the store

    hard = [a for a in argv if a not in ("--soft", "--unlabeled", str(tmp_path / "abstracts.txt"))]
    assert main([*hard, "--output", str(tmp_path / "hard")]) != 0
    assert not (tmp_path / "hard").exists()


def test_unlabeled_texts_need_soft_labels(vocab_base, tmp_path, sentences, capsys):
    write_documents(sentences, tmp_path / "train.jsonl")
    (tmp_path / "texts.txt").write_text("Paris is far .\n")
    argv = ["train-static", "--teacher", str(vocab_base), "--train", str(tmp_path / "train.jsonl")]
    assert main([*argv, "--unlabeled", str(tmp_path / "texts.txt"), "--output", str(tmp_path / "x")]) != 0
    assert "add --soft" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_soft_labels_need_a_specialist_teacher(vocab_base, tmp_path, sentences):
    with pytest.raises(ValueError, match="soft labels need a specialist teacher"):
        train_static(vocab_base, tmp_path / "x", train=sentences, soft=True)


def test_pca_and_frequency_weights():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12))
    reduced = pca_reduce(vectors, 4)
    assert reduced.shape == (200, 4) and reduced.dtype == np.float32
    assert reduced.std() == pytest.approx(1.0, rel=1e-4)
    variances = reduced.var(axis=0)
    assert list(variances) == sorted(variances, reverse=True)  # principal axes in order
    weights = frequency_weights(np.array([0, 1000, 10, 1]))
    assert weights[0] == 1.0 and weights[1] < weights[2] < weights[3]


def _reference_viterbi(decoder: SpanDecoder, probs: np.ndarray) -> list[int]:
    log_probs = np.log(np.clip(probs, 1e-9, 1.0))
    score = log_probs[0] + decoder._start_penalty
    back = []
    for t in range(1, len(probs)):
        candidates = score[:, None] + decoder._transition_penalty
        back.append(candidates.argmax(axis=0))
        score = candidates.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1]


def test_decoder_fast_path_equals_viterbi():
    """The decoder returns the argmax when it is a valid sequence; that must be exactly Viterbi's answer."""
    labels = iob2_labels(["LOC", "ORG", "PER"])
    decoder = SpanDecoder(labels)
    rng = np.random.default_rng(0)
    valid_argmax = 0
    for _ in range(300):
        probs = rng.dirichlet(np.full(len(labels), 0.3), size=int(rng.integers(1, 12))).astype(np.float32)
        argmax = probs.argmax(axis=1)
        valid_argmax += bool(
            decoder._start_allowed[argmax[0]] and decoder._transition_allowed[argmax[:-1], argmax[1:]].all()
        )
        assert decoder.best_path(probs).tolist() == _reference_viterbi(decoder, probs)
    assert 30 < valid_argmax < 270  # both paths exercised
