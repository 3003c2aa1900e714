"""Classifier distillation on tiny data: a teacher classifier trained in code, a 1-layer student from its layers."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.classification.test_text_classifier import MULTI, SINGLE
from tests.conftest import OVERFIT, WORDS, overfit_config

from specialize.cli.main import main
from specialize.config import TrainConfig, load_config
from specialize.data.classification import LabelledText
from specialize.errors import DataError
from specialize.models.text_classifier import TextClassifier, build_sequence_classifier
from specialize.tasks.registry import task_of
from specialize.training.distill import DistillationArgs, distill
from specialize.training.losses import binary_kd_loss, multi_label_distillation_loss
from specialize.training.train import TrainResult, train

TEXTS = [t.text for t in SINGLE]
# Texts the teacher never saw, mixing the cues of several labels: its answers there depend on all its layers, so a
# student made of one of them disagrees until it is distilled (on the training texts alone it would not).
_rng = random.Random(1)
MIXED = [" ".join(_rng.choice(WORDS[:-1]) for _ in range(_rng.randint(2, 6))) for _ in range(30)]


def _config(tiny_base: Path, **overrides: object) -> TrainConfig:
    # One thread: on a busy machine, torch's spinning OpenMP workers make tiny models many times slower.
    return overfit_config(tiny_base, **{"model.task": "classification", "training.threads": 1, **overrides})


def _student_config(**overrides: object) -> TrainConfig:
    # No model.base: the student starts from the teacher's layers.
    return load_config(overrides={**OVERFIT, "model.task": "classification", "training.threads": 1, **overrides})


def _agreement(a: list[list[str]], b: list[list[str]]) -> float:
    return float(np.mean([sorted(x) == sorted(y) for x, y in zip(a, b, strict=True)]))


def _undistilled(teacher: TrainResult, layers: list[int]) -> TextClassifier:
    """The student before distillation: the teacher's embeddings, ``layers`` and head, untrained together."""
    t = teacher.specialist
    model = build_sequence_classifier(teacher.output, t.labels, multi_label=t.multi_label, layers=layers)
    return TextClassifier(model, t.hf_tokenizer, replace(t.settings), name="undistilled")


@pytest.fixture(scope="module")
def teacher(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A 3-layer single-label classifier overfit on five texts (no dev set: the last, surest weights are kept)."""
    folder = tmp_path_factory.mktemp("cls_teacher") / "teacher"
    result = train(_config(tiny_base), folder, train_documents=SINGLE, n_bootstrap=0)
    assert result.specialist.predict(TEXTS) == [t.labels for t in SINGLE]
    return result


def test_binary_kd_loss_is_the_per_label_bernoulli_kl_times_t_squared():
    teacher = np.array([[0.9, 0.2, 0.5], [0.05, 0.7, 0.3]])
    student_logits = np.array([[1.0, -0.5, 0.2], [-2.0, 0.3, 1.5]])
    for t in (1.0, 2.0, 4.0):
        p = 1 / (1 + np.exp(-np.log(teacher / (1 - teacher)) / t))
        q = 1 / (1 + np.exp(-student_logits / t))
        expected = t * t * np.mean(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)))
        got = binary_kd_loss(torch.tensor(student_logits), torch.tensor(teacher), t).item()
        assert got == pytest.approx(expected, rel=1e-5)
    logits = torch.randn(4, 3)
    assert binary_kd_loss(logits, torch.sigmoid(logits), 3.0).item() == pytest.approx(0.0, abs=1e-5)


def test_multi_label_loss_mixes_kd_on_every_window_with_bce_on_gold_windows_only():
    logits = torch.randn(3, 2)
    teacher_probs = torch.rand(3, 2)
    mask = torch.tensor([True, True, True])
    gold = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    has_gold = torch.tensor([True, True, False])  # the second text's gold is "no label", the third has none
    args = DistillationArgs(temperature=2.0, alpha=0.25)
    kd = binary_kd_loss(logits, teacher_probs, 2.0).item()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits[:2], gold[:2]).item()
    got = multi_label_distillation_loss(logits, teacher_probs, mask, gold, has_gold, args).item()
    assert got == pytest.approx(0.25 * kd + 0.75 * bce, rel=1e-5)
    no_gold = torch.zeros(3, dtype=torch.bool)
    assert multi_label_distillation_loss(logits, teacher_probs, mask, gold, no_gold, args).item() == (
        pytest.approx(kd, rel=1e-5)
    )


def test_student_from_one_teacher_layer_reproduces_the_teacher_and_reloads(teacher, tmp_path):
    texts = TEXTS + MIXED
    expected = teacher.specialist.predict(texts)
    assert _agreement(_undistilled(teacher, [2]).predict(texts), expected) < 0.8  # so there is something to learn
    result = distill(
        teacher.output,
        _student_config(),
        tmp_path / "student",
        unlabeled=texts,
        test=SINGLE,
        student_layers=[2],
        n_bootstrap=20,
        throughput_repeats=1,
    )
    assert result.targets.details["targets"] == "window"  # same tokenizer: the teacher read the student's own windows
    assert result.student.model.config.num_hidden_layers == 1
    assert result.student.predict(texts) == expected
    teacher_record, student_record = result.records
    assert (teacher_record["role"], student_record["role"]) == ("teacher", "student")
    assert student_record["agreement"]["f1"] == 1.0 and student_record["agreement"]["exact_match"] == 1.0
    assert student_record["accuracy"] == 1.0 and student_record["macro_f1_ci"] is not None
    assert [m["docs_per_s"] > 0 for m in result.throughput["models"]] == [True, True]

    reloaded = TextClassifier.load(result.output)
    assert reloaded.predict(texts) == expected
    np.testing.assert_allclose(reloaded.predict_proba(texts), result.student.predict_proba(texts), atol=1e-5)
    card = (result.output / "README.md").read_text()
    assert "## Distillation" in card and "`teacher`" in card and "temperature 2" in card
    assert "layers [2] of the teacher" in card and "| unlabeled | (texts) |" in card and "exact match" in card
    config = json.loads((result.output / "config.json").read_text())
    info = config["specialize"]["training"]["distillation"]
    assert info["teacher"] == "teacher" and info["targets"] == "window" and math.isclose(info["temperature"], 2.0)
    assert json.loads((result.output / "distillation.json").read_text())["records"][1]["agreement"]["f1"] == 1.0


def test_multi_label_student_learns_from_gold_and_teacher_and_picks_its_threshold_on_dev(tiny_base, tmp_path):
    overrides = {"model.pooling": "max", "training.epochs": 80}
    multi = train(_config(tiny_base, **overrides), tmp_path / "teacher", train_documents=MULTI, n_bootstrap=0)
    texts = [t.text for t in MULTI] + MIXED
    expected = multi.specialist.predict(texts)
    assert expected[: len(MULTI)] == [t.labels for t in MULTI]
    assert _agreement(_undistilled(multi, [2]).predict(texts), expected) < 0.95
    # Dev: the mixed texts with the teacher's labels, so checkpoint and threshold are picked for agreement.
    dev = [LabelledText(text, labels) for text, labels in zip(MIXED, expected[len(MULTI) :], strict=True)]
    result = distill(
        multi.specialist,  # in memory: the student's weights come from a temporary copy
        _student_config(**{"training.epochs": 60}),
        tmp_path / "student",
        gold=MULTI,
        unlabeled=MIXED,
        dev=dev,
        args=DistillationArgs(temperature=1.0, alpha=0.5),
        student_layers=[2],
        n_bootstrap=0,
        throughput_repeats=0,
    )
    student = result.student
    assert student.multi_label and student.settings.pooling == "max"  # the teacher's, as the config kept defaults
    assert student.settings.threshold_source == "dev"
    assert student.predict(texts) == expected
    assert TextClassifier.load(result.output).predict(texts) == expected
    card = (result.output / "README.md").read_text()
    assert "chosen on dev micro F1" in card and "| train | (in memory) |" in card and "per-label binary KL" in card


def test_a_tfidf_teacher_teaches_a_fresh_student_through_whole_text_targets_and_hard_labels(tiny_base, tmp_path):
    from specialize.models.tfidf_baseline import TfidfBaseline

    tfidf = TfidfBaseline(c=100.0).fit(SINGLE * 2)  # twice: min_df 2 keeps every word
    assert tfidf.predict(TEXTS) == [t.labels for t in SINGLE]
    assert task_of(tfidf).name == "classification"
    for soft in (True, False):
        result = distill(
            tfidf,
            _student_config(**{"training.epochs": 40}),
            tmp_path / f"student-{soft}",
            unlabeled=TEXTS,
            args=DistillationArgs(soft=soft),
            student_base=tiny_base,
            n_bootstrap=0,
            throughput_repeats=0,
        )
        assert (result.targets.details.get("targets") == "text") if soft else (result.targets.kind == "hard")
        assert result.student.labels == ["business", "clinical", "sport"]
        assert result.student.predict(TEXTS) == tfidf.predict(TEXTS)


def test_an_exported_teacher_reads_the_student_windows_of_a_fresh_student(teacher, tiny_base, tmp_path):
    from specialize.export import export

    exported = export(teacher.output, tmp_path / "onnx", check=SINGLE).output
    assert task_of(str(exported)).name == "classification"
    result = distill(
        exported,
        _student_config(**{"training.epochs": 40}),
        tmp_path / "student",
        unlabeled=TEXTS,
        student_base=tiny_base,  # an exported folder has no torch weights to start from
        n_bootstrap=0,
        throughput_repeats=0,
    )
    assert result.targets.details["targets"] == "window" and type(result.teacher).__name__ == "OnnxClassifier"
    assert result.student.predict(TEXTS) == teacher.specialist.predict(TEXTS)


def test_cli_distills_a_classifier_folder(teacher, tmp_path, capsys):
    (tmp_path / "texts.txt").write_text("\n".join(TEXTS + MIXED) + "\n")
    (tmp_path / "test.jsonl").write_text(
        "".join(json.dumps({"text": t.text, "label": t.labels[0]}) + "\n" for t in SINGLE)
    )
    code = main(
        [
            "distill", "--teacher", str(teacher.output), "--unlabeled", str(tmp_path / "texts.txt"),
            "--test", str(tmp_path / "test.jsonl"), "--layers", "2", "--temperature", "1.5", "--epochs", "40",
            "--batch-size", "1", "--threads", "1", "--set", "training.learning_rate=3e-3",
            "--set", "training.head_learning_rate=1e-2", "--set", "training.warmup_ratio=0",
            "--set", "training.bf16=false",
            "--bootstrap", "20", "--repeats", "1", "--no-progress", "--output", str(tmp_path / "student"),
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "agreement with the teacher F1 1.0000" in printed and "macro F1" in printed and "docs/s" in printed
    config = json.loads((tmp_path / "student" / "config.json").read_text())
    assert config["specialize"]["task"] == "classification"
    assert math.isclose(config["specialize"]["training"]["distillation"]["temperature"], 1.5)
    assert config["specialize"]["training"]["model"]["layers"] == [2]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--task", "ner"], "is a text classifier"),
        (["--label-map", "conll"], "a model folder's labels are its own"),
        (["--format", "conll"], "data.format = 'conll' applies to span"),
        (["--set", "data.labels=clinical"], "data.labels"),
    ],
)
def test_cli_refuses_span_only_options_for_a_classifier_teacher(teacher, tmp_path, capsys, flags, message):
    (tmp_path / "texts.txt").write_text("\n".join(TEXTS) + "\n")
    args = ["distill", "--teacher", str(teacher.output), "--unlabeled", str(tmp_path / "texts.txt")]
    assert main([*args, *flags, "--output", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_task_comes_from_the_teacher_and_gold_labels_must_be_the_teachers(teacher, tiny_specialist, tmp_path):
    assert task_of(str(teacher.output)).name == "classification"
    assert task_of(f"hf:{teacher.output}").name == "classification"
    assert task_of(str(tiny_specialist)).name == "ner"
    with pytest.raises(DataError, match=r"labels \['legal'\].*teacher.*lacks"):
        distill(teacher.output, _student_config(), tmp_path / "y", gold=[LabelledText("x", ["legal"])])
    assert not (tmp_path / "y").exists()
