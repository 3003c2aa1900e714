"""A teacher's targets kept across runs (distillation.teacher_targets): a second student distilled from the same
teacher on the same text is trained without asking the teacher again, and ends as it would have; another teacher,
or the same folder trained again, is asked afresh; a folder of someone else's files is never written into."""

from __future__ import annotations

import json
import shutil

import pytest
from tests.conftest import overfit_config

from specialize.errors import ConfigError, OutputExistsError
from specialize.training.targets import STORE_MARKER, TargetStore, model_fingerprint

SETTINGS = {"training.epochs": 2, "training.threads": 1}


def test_a_second_student_reads_the_teachers_targets_back(tiny_specialist, tiny_base, sentences, tmp_path, monkeypatch):
    from specialize.inference.window_tagger import WindowTagger
    from specialize.training.distill import distill

    texts = [d.text for d in sentences]
    config = overfit_config(tiny_base, **SETTINGS)
    alone = distill(str(tiny_specialist), config, tmp_path / "alone", unlabeled=texts, n_bootstrap=0,
                    throughput_repeats=0)  # fmt: skip
    store = tmp_path / "targets"
    calls: list[list[str]] = []
    scorer = WindowTagger.word_probabilities
    monkeypatch.setattr(WindowTagger, "word_probabilities", lambda self, t: calls.append(t) or scorer(self, t))
    distill(str(tiny_specialist), config, tmp_path / "first", unlabeled=texts, teacher_targets=store, n_bootstrap=0,
            throughput_repeats=0)  # fmt: skip
    asked = len(calls)
    assert asked > 0 and list(store.glob("*.npz")) and (store / STORE_MARKER).is_file()

    distill(str(tiny_specialist), config, tmp_path / "second", unlabeled=texts, teacher_targets=store, n_bootstrap=0,
            throughput_repeats=0)  # fmt: skip
    assert len(calls) == asked  # the teacher labelled the text once
    weights = [(tmp_path / name / "model.safetensors").read_bytes() for name in ("alone", "first", "second")]
    assert weights[0] == weights[1] == weights[2]  # kept targets train the same student as fresh ones
    assert list(store.glob("*.npz"))  # the run did not remove what the user asked to keep
    assert alone.history.steps > 0


def test_another_teacher_or_the_same_folder_trained_again_is_asked_afresh(tiny_specialist, tmp_path):
    teacher = tmp_path / "teacher"
    shutil.copytree(tiny_specialist, teacher)
    store = TargetStore.open(tmp_path / "targets", teacher)
    computed = []

    def compute() -> list:
        computed.append(1)
        return [[0.25, 0.75]]

    first = store.remember(("chunk", ["a text"]), compute)
    again = TargetStore.open(tmp_path / "targets", teacher).remember(("chunk", ["a text"]), compute)
    assert len(computed) == 1 and first == [[0.25, 0.75]] and again[0].tolist() == [0.25, 0.75]
    store.remember(("chunk", ["another text"]), compute)
    assert len(computed) == 2

    (teacher / "README.md").write_text("a card rewritten")  # the card does not make predictions
    assert model_fingerprint(teacher) == store.teacher
    weights = teacher / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + bytes([weights.read_bytes()[-1] ^ 1]))  # trained again
    retrained = TargetStore.open(tmp_path / "targets", teacher)
    assert retrained.teacher != store.teacher
    retrained.remember(("chunk", ["a text"]), compute)
    assert len(computed) == 3


def test_the_store_refuses_a_folder_of_other_files_and_a_teacher_without_a_folder(tiny_specialist, tmp_path, capsys):
    from specialize.cli.main import main

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"holds files specialize did not write there"):
        TargetStore.open(theirs, tiny_specialist)
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]
    with pytest.raises(ConfigError, match=r"teacher model folder.*drop --teacher-targets"):
        TargetStore.open(tmp_path / "targets", None)
    assert not (tmp_path / "targets").exists()

    texts = tmp_path / "texts.txt"
    texts.write_text("Aspirin helps.\n")
    code = main(["distill", "--teacher", str(tiny_specialist), "--unlabeled", str(texts), "--teacher-targets",
                 str(theirs), "--epochs", "1", "--output", str(tmp_path / "student")])  # fmt: skip
    assert code != 0
    assert "holds files specialize did not write there" in capsys.readouterr().err
    assert not (tmp_path / "student").exists()


def _in_documents(sentences):
    """The tiny sentences as two documents (meta doc_index, as CoNLL's -DOCSTART- gives)."""
    from dataclasses import replace

    return [replace(d, meta={**d.meta, "doc_index": 0 if i < 3 else 1}) for i, d in enumerate(sentences)]


def test_a_document_student_asks_a_sentence_teacher_one_sentence_at_a_time(tiny_specialist, tiny_base, sentences,
                                                                           tmp_path, monkeypatch):  # fmt: skip
    from specialize.inference.window_tagger import WindowTagger
    from specialize.training.distill import distill

    docs = _in_documents(sentences)
    asked: list[str] = []
    scorer = WindowTagger.word_probabilities
    monkeypatch.setattr(WindowTagger, "word_probabilities", lambda self, t: asked.extend(t) or scorer(self, t))
    store = tmp_path / "targets"
    by_sentence = overfit_config(tiny_base, **SETTINGS)
    distill(str(tiny_specialist), by_sentence, tmp_path / "sentences", gold=docs, teacher_targets=store,
            n_bootstrap=0, throughput_repeats=0)  # fmt: skip
    assert sorted(asked) == sorted(d.text for d in sentences)

    asked.clear()
    by_document = overfit_config(tiny_base, **SETTINGS, **{"data.context": "document"})
    result = distill(str(tiny_specialist), by_document, tmp_path / "documents", gold=docs, teacher_targets=store,
                     n_bootstrap=0, throughput_repeats=0)  # fmt: skip
    assert asked == []  # every sentence's targets came back from the sentence-level run
    assert result.history.steps == 2 * 2  # 2 epochs of the 2 joined documents (batch size 1)
    distill(str(tiny_specialist), by_document, tmp_path / "fresh", gold=docs, n_bootstrap=0, throughput_repeats=0)
    assert sorted(asked) == sorted(d.text for d in sentences)  # asked afresh: still sentence by sentence

    teacher = tmp_path / "document-teacher"  # the same weights, trained (so its folder says) on whole documents
    shutil.copytree(tiny_specialist, teacher)
    config = json.loads((teacher / "config.json").read_text())
    config["specialize"]["training"]["data"]["context"] = "document"
    (teacher / "config.json").write_text(json.dumps(config))
    asked.clear()
    distill(str(teacher), by_document, tmp_path / "from-documents", gold=docs, n_bootstrap=0, throughput_repeats=0)
    assert len(asked) == 2 and all("\n" in text for text in asked)  # it reads what it was trained on


def test_teacher_targets_with_hard_labels_is_refused_before_any_work(tiny_specialist, tmp_path, capsys):
    from specialize.cli.main import main

    texts = tmp_path / "texts.txt"
    texts.write_text("Aspirin helps.\n")
    code = main(["distill", "--teacher", str(tiny_specialist), "--unlabeled", str(texts), "--hard", "--teacher-targets",
                 str(tmp_path / "targets"), "--epochs", "1", "--output", str(tmp_path / "student")])  # fmt: skip
    assert code != 0
    assert "drop --teacher-targets or --hard" in capsys.readouterr().err
    assert not (tmp_path / "targets").exists() and not (tmp_path / "student").exists()
