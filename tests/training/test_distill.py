"""Distillation on tiny data: soft labels from a specialist, hard labels from rules, the loss, and the CLI."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.conftest import OVERFIT, tiny_sentences
from transformers import AutoModelForTokenClassification

from specialize.cli.main import main
from specialize.config import TrainConfig, load_config
from specialize.data.alignment import TokenizedDocument, map_word_probabilities
from specialize.data.document import Document, Span
from specialize.data.io import write_documents
from specialize.models.specialist import Specialist
from specialize.tasks.base import LabelScheme
from specialize.tasks.spans import SpanTask
from specialize.training.distill import DistillationArgs, distill
from specialize.training.losses import distillation_loss, kd_loss
from specialize.training.train import TrainResult, train


def build_specialist(base, labels, model_cfg, *, seed, name):
    return SpanTask().build(base, LabelScheme(list(labels)), model_cfg, seed=seed, name=name)


# The overfitting recipe of tests/conftest.py, on one thread: a training job shares the CPU.
FAST = {**OVERFIT, "training.threads": 1}


def _config(**overrides: object) -> TrainConfig:
    return load_config(overrides={**FAST, **overrides})


def _keys(predictions: Sequence[Sequence[Span]]) -> list[list[tuple[int, int, str]]]:
    return [sorted(s.key() for s in spans) for spans in predictions]


class WordListTeacher:
    """A rule-based SpanPredictor: every whitespace token found in ``words`` is an entity of its type."""

    name = "word-list"

    def __init__(self, words: dict[str, str]):
        self.words = words

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.words.values()))

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [
            [
                Span(m.start(), m.end(), self.words[m.group()])
                for m in re.finditer(r"\S+", text)
                if m.group() in self.words
            ]
            for text in texts
        ]


@pytest.fixture(scope="module")
def teacher(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A 3-layer specialist overfit on the five sentences.

    No dev set on purpose: dev selection would keep the first checkpoint at F1 1.0, the least confident one,
    whose near-ties (0.58 ORG vs 0.42 PER) a student cannot be expected to reproduce; the last weights are sure.
    """
    config = _config(**{"model.base": str(tiny_base), "training.epochs": 40})
    folder = tmp_path_factory.mktemp("teacher") / "teacher"
    sentences = tiny_sentences()
    result = train(config, folder, train_documents=sentences, n_bootstrap=0)
    assert _keys(result.specialist.predict([d.text for d in sentences])) == _keys([d.spans for d in sentences])
    return result


def test_kd_loss_is_zero_for_identical_distributions_at_any_temperature():
    logits = torch.randn(5, 7)
    probs = torch.softmax(logits, dim=-1)
    for temperature in (1.0, 2.0, 5.0):
        assert kd_loss(logits, probs, temperature).item() == pytest.approx(0.0, abs=1e-5)
        assert kd_loss(logits + 3.0, probs, temperature).item() == pytest.approx(0.0, abs=1e-5)  # shift-invariant


def test_kd_loss_tempers_both_sides_and_scales_by_t_squared():
    teacher_probs = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05]])
    student_logits = np.array([[0.1, 1.0, -0.5], [2.0, 0.0, 1.0]])
    for t in (1.0, 2.0, 4.0):
        p = teacher_probs ** (1 / t)
        p /= p.sum(axis=1, keepdims=True)
        q = np.exp(student_logits / t)
        q /= q.sum(axis=1, keepdims=True)
        expected = t * t * np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=1))
        got = kd_loss(torch.tensor(student_logits), torch.tensor(teacher_probs), t).item()
        assert got == pytest.approx(expected, rel=1e-5)
    # Higher temperatures flatten both distributions, so the unscaled KL shrinks; T^2 makes up for the gradient.
    low = kd_loss(torch.tensor(student_logits), torch.tensor(teacher_probs), 1.0).item()
    high = kd_loss(torch.tensor(student_logits), torch.tensor(teacher_probs), 8.0).item() / 64
    assert high < low


def test_distillation_loss_mixes_kd_and_gold_and_uses_kd_alone_on_unlabeled_positions():
    logits = torch.randn(1, 4, 3)
    teacher_probs = torch.softmax(torch.randn(1, 4, 3), dim=-1)
    mask = torch.tensor([[False, True, True, False]])
    args = DistillationArgs(temperature=2.0, alpha=0.25)
    kd = kd_loss(logits[mask], teacher_probs[mask], 2.0)
    unlabeled = torch.full((1, 4), -100)
    assert distillation_loss(logits, teacher_probs, mask, unlabeled, args).item() == pytest.approx(kd.item())
    gold = torch.tensor([[-100, 2, 0, -100]])
    ce = torch.nn.functional.cross_entropy(logits[0, 1:3], gold[0, 1:3])
    mixed = distillation_loss(logits, teacher_probs, mask, gold, args).item()
    assert mixed == pytest.approx(0.25 * kd.item() + 0.75 * ce.item(), rel=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        DistillationArgs(alpha=1.5).validate()


def test_teacher_probabilities_map_onto_a_finer_student_tokenization():
    labels = ["O", "B-LOC", "I-LOC"]

    def doc(offsets: list[tuple[int, int]]) -> TokenizedDocument:
        return TokenizedDocument("New-York x", [], [], [], list(range(len(offsets))), offsets)

    teacher_doc = doc([(0, 8), (9, 10)])  # the teacher sees "New-York" as one word
    student_doc = doc([(0, 3), (3, 4), (4, 8), (9, 10)])
    probs = np.array([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05]], dtype=np.float32)
    mapped = map_word_probabilities(teacher_doc, probs, student_doc, labels)
    np.testing.assert_allclose(mapped[0], [0.1, 0.8, 0.1])
    np.testing.assert_allclose(mapped[1], [0.1, 0.0, 0.9])  # continues the entity: B-LOC mass moves to I-LOC
    np.testing.assert_allclose(mapped[3], [0.9, 0.05, 0.05])


def test_student_from_the_teacher_keeps_its_head_shape_rows_and_chosen_layers(teacher):
    model_cfg = load_config(overrides={"model.layers": "0,2"}).model
    labels = teacher.specialist.label_list
    student = build_specialist(teacher.output, labels, model_cfg, seed=1, name="student")
    t_model, s_model = teacher.specialist.model, student.model
    assert s_model.config.num_hidden_layers == 2 and s_model.config.type_vocab_size == 7
    torch.testing.assert_close(s_model.classifier.weight, t_model.classifier.weight)
    torch.testing.assert_close(
        s_model.bert.embeddings.token_type_embeddings.weight, t_model.bert.embeddings.token_type_embeddings.weight
    )
    t_layer2 = t_model.bert.encoder.layer[2].output.dense.weight
    torch.testing.assert_close(s_model.bert.encoder.layer[1].output.dense.weight, t_layer2)


def test_soft_distillation_student_predicts_what_the_teacher_predicts(teacher, tmp_path):
    sentences = tiny_sentences()
    texts = [d.text for d in sentences]
    result = distill(
        teacher.specialist,
        _config(**{"training.epochs": 40}),
        tmp_path / "student",
        unlabeled=texts,
        test=sentences,
        n_bootstrap=20,
        throughput_repeats=1,
    )
    assert len(result.student.model.bert.encoder.layer) == 2  # every other layer of the 3-layer teacher
    assert _keys(result.student.predict(texts)) == _keys(teacher.specialist.predict(texts))
    teacher_record, student_record = result.records
    assert (teacher_record["role"], student_record["role"]) == ("teacher", "student")
    assert student_record["agreement"]["f1"] == 1.0 and student_record["f1_ci"] is not None
    assert [m["model"] for m in result.throughput["models"]] == ["teacher", "student"]
    assert all(m["docs_per_s"] > 0 and m["tokens_per_s"] > 0 for m in result.throughput["models"])
    folder = result.output
    card = (folder / "README.md").read_text()
    assert "## Distillation" in card and "`teacher`" in card and "agreement with teacher" in card
    report = json.loads((folder / "distillation.json").read_text())
    assert report["distillation"]["teacher"] == "teacher" and report["throughput"]["threads"] == 1
    assert json.loads((folder / "evaluation.json").read_text())[0]["f1"] == 1.0
    reloaded = Specialist.load(folder)
    assert _keys(reloaded.predict(texts)) == _keys(teacher.specialist.predict(texts))


def test_soft_labels_alone_teach_a_fresh_student(teacher, tiny_base, tmp_path):
    # A random-weight student knows nothing: whatever it gets right came from the teacher's distributions.
    texts = [d.text for d in tiny_sentences()]
    result = distill(
        teacher.specialist,
        _config(**{"training.epochs": 40}),
        tmp_path / "student",
        unlabeled=texts,
        student_base=tiny_base,
        student_layers=[0, 1],
        n_bootstrap=0,
        throughput_repeats=0,
    )
    assert result.student.label_list == teacher.specialist.label_list
    assert _keys(result.student.predict(texts)) == _keys(teacher.specialist.predict(texts))


def test_hard_labels_from_a_rule_based_teacher(tiny_base, tmp_path):
    sentences = tiny_sentences()
    texts = [d.text for d in sentences]
    rules = WordListTeacher({d.span_text(s): s.label for d in sentences for s in d.spans})
    config = _config(**{"model.base": str(tiny_base), "training.epochs": 40})
    result = distill(
        rules, config, tmp_path / "student", unlabeled=texts, args=DistillationArgs(soft=False), throughput_repeats=0
    )
    assert result.student.labels == ["LOC", "ORG", "PER"]
    assert _keys(result.student.predict(texts)) == _keys(rules.predict(texts))
    assert result.throughput is None and result.records == []
    card = (result.output / "README.md").read_text()
    assert "hard labels" in card and "teacher-labelled" in card


def test_unlabeled_text_from_several_files_is_read_in_order_and_each_file_named(tiny_base, tmp_path):
    sentences = tiny_sentences()
    texts = [d.text for d in sentences]
    (tmp_path / "first.txt").write_text("\n".join(texts[:2]) + "\n")
    (tmp_path / "second.txt").write_text("\n".join(texts[2:]) + "\n")
    rules = WordListTeacher({d.span_text(s): s.label for d in sentences for s in d.spans})
    config = _config(**{"model.base": str(tiny_base), "training.epochs": 40})
    sources = [str(tmp_path / "first.txt"), tmp_path / "second.txt"]
    result = distill(
        rules, config, tmp_path / "student", unlabeled=sources, args=DistillationArgs(soft=False), throughput_repeats=0
    )
    # Every text of both files was labelled and learned, not the two paths as two texts.
    assert _keys(result.student.predict(texts)) == _keys(rules.predict(texts))
    card = (result.output / "README.md").read_text()
    assert "first.txt" in card and "second.txt" in card


def test_a_list_of_strings_is_texts_unless_every_entry_names_a_source(tmp_path):
    from specialize.training.run_data import is_source_list

    (tmp_path / "notes.txt").write_text("Aspirin helps.\n")
    assert is_source_list(["bc2gm:train", "anatem:dev", str(tmp_path / "notes.txt")])
    assert is_source_list([tmp_path / "missing.txt"])  # a Path is a source; reading it then fails, naming it
    assert not is_source_list(["Paris is in France.", "bc2gm:train"])
    assert not is_source_list(["Paris", "Ratio 3:1 at noon"])
    assert not is_source_list([])


def test_unlabeled_text_by_dataset_name_drops_its_labels_and_keeps_its_file_and_checksum(tmp_path, monkeypatch):
    from specialize.training.run_data import load_unlabeled

    (tmp_path / "bc2gm").mkdir()
    (tmp_path / "bc2gm" / "train.tsv").write_text("Insulin\tB-GENE\nlevels\tO\n\nTP53\tB-GENE\nbinds\tO\n")
    (tmp_path / "notes.txt").write_text("Aspirin helps.\n")
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(tmp_path))
    data = load_unlabeled(SpanTask(), ["bc2gm:train", str(tmp_path / "notes.txt")], "text")
    assert data is not None and data.texts == ["Insulin levels", "TP53 binds", "Aspirin helps."]
    assert all(not d.spans for d in data.items) and data.annotations() == 0
    rows = [part.describe() for part in data.files()]
    assert [r["path"] for r in rows] == [str(tmp_path / "bc2gm" / "train.tsv"), str(tmp_path / "notes.txt")]
    assert all(len(r["sha256"]) == 64 for r in rows) and "dropped" not in rows[0]


def test_a_config_list_entry_that_names_nothing_is_refused(tmp_path):
    from specialize.command_configs import DistillConfig
    from specialize.config import load_command_config
    from specialize.errors import ConfigError

    config = tmp_path / "distill.toml"
    config.write_text('[distillation]\nteacher = "t"\nunlabeled = ["bc2gm:train", "notes.txt"]\n')
    with pytest.raises(ConfigError, match=r"distillation.unlabeled\[1\] = 'notes.txt'.*fix the path or the name"):
        load_command_config(DistillConfig, config)


def test_soft_labels_need_a_specialist_teacher_with_the_same_labels(teacher, tmp_path):
    rules = WordListTeacher({"Paris": "LOC"})
    with pytest.raises(ValueError, match="use hard labels"):
        distill(rules, _config(), tmp_path / "x", unlabeled=["Paris"])
    with pytest.raises(ValueError, match=r"label list to equal the teacher's.*use hard labels"):
        SpanTask().check_soft_teacher(teacher.specialist, LabelScheme(["O", "B-LOC", "I-LOC"]))
    gold = [Document("Zorblax", [Span(0, 7, "DRUG")])]
    with pytest.raises(ValueError, match=r"entity types \['DRUG'\]"):
        distill(teacher.specialist, _config(), tmp_path / "y", gold=gold)


def test_cli_distill_end_to_end(teacher, tmp_path, capsys):
    sentences = tiny_sentences()
    (tmp_path / "texts.txt").write_text("\n".join(d.text for d in sentences) + "\n")
    write_documents(sentences, tmp_path / "test.conll")
    code = main(
        [
            "distill", "--teacher", str(teacher.output), "--unlabeled", str(tmp_path / "texts.txt"),
            "--test", str(tmp_path / "test.conll"), "--layers", "0,2", "--temperature", "1.5", "--epochs", "40",
            "--batch-size", "1", "--threads", "1", "--set", "training.learning_rate=3e-3",
            "--set", "training.head_learning_rate=1e-2", "--set", "training.warmup_ratio=0",
            "--set", "training.bf16=false",
            "--bootstrap", "20", "--repeats", "1", "--no-progress", "--output", str(tmp_path / "student"),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "agreement with the teacher F1 1.0000" in printed and "docs/s" in printed
    config = json.loads((tmp_path / "student" / "config.json").read_text())
    distillation = config["specialize"]["training"]["distillation"]
    assert distillation["teacher"] == "teacher" and math.isclose(distillation["temperature"], 1.5)
    assert config["specialize"]["training"]["model"]["layers"] == [0, 2]
    assert (tmp_path / "student" / "distillation.md").read_text().startswith("# Teacher vs student")
    from specialize.command_configs import DistillConfig
    from specialize.config import CONFIG_FILE, load_command_config

    saved = load_command_config(DistillConfig, tmp_path / "student" / CONFIG_FILE)  # the resolved config
    assert (saved.distillation.teacher, saved.distillation.temperature) == (str(teacher.output), 1.5)
    assert (saved.model.layers, saved.training.learning_rate, saved.evaluation.speed_repeats) == ([0, 2], 3e-3, 1)


def test_cli_distill_hard_labels_from_a_gazetteer_spec(tiny_base, tmp_path, capsys):
    sentences = tiny_sentences()
    terms: dict[str, list[str]] = {}
    for d in sentences:
        for span in d.spans:
            terms.setdefault(span.label, []).append(d.span_text(span))
    (tmp_path / "terms.json").write_text(json.dumps(terms))
    (tmp_path / "texts.txt").write_text("\n".join(d.text for d in sentences) + "\n")
    code = main(
        [
            "distill", "--teacher", f"gazetteer:{tmp_path / 'terms.json'}", "--hard", "--base", str(tiny_base),
            "--unlabeled", str(tmp_path / "texts.txt"), "--epochs", "2", "--threads", "1", "--repeats", "1",
            "--no-progress", "--output", str(tmp_path / "student"),
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    config = json.loads((tmp_path / "student" / "config.json").read_text())
    assert config["specialize"]["training"]["distillation"]["soft"] is False
    assert sorted(Specialist.load(tmp_path / "student").labels) == ["LOC", "ORG", "PER"]


def test_feed_forward_pruning_keeps_the_neurons_that_matter_and_reloads(teacher, tmp_path):
    from specialize.models.token_classifier import prune_feed_forward

    model_cfg = load_config(overrides={"model.layers": "0,2", "model.intermediate_size": 24}).model
    labels = teacher.specialist.label_list
    model = build_specialist(teacher.output, labels, model_cfg, seed=1, name="student").model
    assert model.config.intermediate_size == 24
    assert all(layer.intermediate.dense.out_features == 24 for layer in model.bert.encoder.layer)
    assert all(layer.output.dense.in_features == 24 for layer in model.bert.encoder.layer)
    model.save_pretrained(tmp_path / "pruned")
    reloaded = AutoModelForTokenClassification.from_pretrained(tmp_path / "pruned")
    batch = {"input_ids": torch.tensor([[2, 7, 9, 3]]), "token_type_ids": torch.tensor([[0, 1, 2, 0]])}
    model.eval()
    torch.testing.assert_close(reloaded(**batch).logits, model(**batch).logits)

    # Silence half of every layer's neurons: pruning to the other half must not change the output at all.
    model = build_specialist(teacher.output, labels, load_config(overrides={"model.layers": "0,2"}).model, seed=1,
                             name="full").model.eval()  # fmt: skip
    size = model.config.intermediate_size
    silent = torch.arange(0, size, 2)
    with torch.no_grad():
        for layer in model.bert.encoder.layer:
            layer.output.dense.weight[:, silent] = 0.0
    before = model(**batch).logits
    prune_feed_forward(model, size // 2)
    assert model.config.intermediate_size == size // 2
    torch.testing.assert_close(model(**batch).logits, before)
    with pytest.raises(ValueError, match="intermediate_size must be in 1"):
        prune_feed_forward(model, size * 4)


def test_a_trained_specialist_as_base_keeps_its_head_and_shapes_when_cut_and_pruned(teacher, tmp_path):
    # The 3-layer student of a big teacher starts from the distilled 6-layer student (--base FOLDER --layers
    # --intermediate-size): its trained head and word-shape rows must come with it, not be re-initialised.
    texts = [d.text for d in tiny_sentences()]
    folder = teacher.output
    result = distill(
        teacher.specialist,
        _config(
            **{
                "training.epochs": 1,
                "training.learning_rate": 1e-9,
                "training.head_learning_rate": 1e-9,
                "model.intermediate_size": 40,
            }
        ),
        tmp_path / "student",
        unlabeled=texts,
        student_base=folder,
        student_layers=[0, 1, 2],
        n_bootstrap=0,
        throughput_repeats=0,
    )
    source = AutoModelForTokenClassification.from_pretrained(folder)
    student = result.student.model
    assert student.config.intermediate_size == 40 and len(student.bert.encoder.layer) == 3
    # Learning rates of 1e-9 move nothing measurable; a fresh head or fresh shape rows would differ by ~0.1.
    assert torch.allclose(student.classifier.weight, source.classifier.weight, atol=1e-6)
    assert torch.allclose(
        student.bert.embeddings.token_type_embeddings.weight,
        source.bert.embeddings.token_type_embeddings.weight,
        atol=1e-6,
    )
