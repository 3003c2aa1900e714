"""Teacher adapters and spec strings: specialist folders (soft labels), any SpanPredictor, label mapping."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from specialize.data.document import Span
from specialize.models.resolve import ModelSpec
from specialize.teachers.base import MappedTeacher, PredictorTeacher, Teacher
from specialize.teachers.spec import load_teacher, parse_labels


class Echo:
    """A minimal SpanPredictor: labels the first word of every text."""

    name = "echo"

    @property
    def labels(self) -> list[str]:
        return ["PERSON", "GPE"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[Span(0, len(t.split()[0]), "PERSON", 0.9)] if t.strip() else [] for t in texts]


def test_any_span_predictor_becomes_a_teacher():
    teacher = PredictorTeacher(Echo(), identity="echo-v1")
    assert isinstance(teacher, Teacher)
    (out,) = teacher.label(["Obama spoke"])
    assert [s.key() for s in out.spans] == [(0, 5, "PERSON")] and out.spans[0].score == 0.9
    assert teacher.fingerprint != PredictorTeacher(Echo(), identity="echo-v2").fingerprint
    assert teacher.predict(["Obama spoke"]) == [out.spans]  # usable wherever a SpanPredictor is


def test_mapped_teacher_renames_selects_and_counts():
    teacher = MappedTeacher(PredictorTeacher(Echo()), label_map={"PERSON": "PER"})
    assert teacher.labels == ["PER"]
    (out,) = teacher.label(["Obama spoke"])
    assert [s.label for s in out.spans] == ["PER"] and out.spans[0].score == 0.9
    dropped = MappedTeacher(PredictorTeacher(Echo()), label_map={"GPE": "LOC"})
    assert dropped.label(["Obama"])[0].rejected == {"unmapped_label:PERSON": 1}
    assert teacher.fingerprint != dropped.fingerprint
    with pytest.raises(ValueError, match="never produces"):
        MappedTeacher(PredictorTeacher(Echo()), keep=["ORG"])


def test_spec_parsing(tmp_path):
    assert ModelSpec.parse("llm:gpt-4o-mini") == ModelSpec("llm", "gpt-4o-mini")
    assert ModelSpec.parse(str(tmp_path)) == ModelSpec("folder", str(tmp_path))
    assert ModelSpec.parse(f"hf:{tmp_path}") == ModelSpec("folder", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="neither an existing folder nor a known spec"):
        ModelSpec.parse("nope")
    assert parse_labels("Disease, Chemical,") == ["Disease", "Chemical"]
    labels_file = tmp_path / "labels.json"
    labels_file.write_text('{"Disease": "a disease"}', encoding="utf-8")
    assert parse_labels(str(labels_file)) == {"Disease": "a disease"}


@pytest.fixture(scope="module")
def specialist_folder(tiny_base, tmp_path_factory):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from specialize.data.features import InferenceSettings
    from specialize.models.specialist import Specialist

    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    model = AutoModelForTokenClassification.from_pretrained(
        str(tiny_base), num_labels=len(labels), id2label=dict(enumerate(labels))
    )
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    settings = InferenceSettings(word_shapes=False, cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id)
    folder = tmp_path_factory.mktemp("teacher") / "specialist"
    Specialist(model, tokenizer, settings, name="specialist").save(folder)
    return folder


def test_specialist_folder_teacher_gives_spans_and_word_probabilities(specialist_folder):
    teacher = load_teacher(str(specialist_folder))
    same = load_teacher(f"hf:{specialist_folder}")
    assert teacher.fingerprint == same.fingerprint and teacher.fingerprint.startswith("hf:specialist@")
    assert sorted(teacher.labels) == ["LOC", "PER"]
    texts = ["obama visited paris", "the river"]
    outputs = teacher.label(texts)
    assert len(outputs) == 2
    for text, out in zip(texts, outputs, strict=True):
        assert all(0 <= s.start < s.end <= len(text) and s.score is not None for s in out.spans)
    docs, probs = teacher.word_probabilities(texts)  # type: ignore[attr-defined]
    assert [p.shape for p in probs] == [(3, 5), (2, 5)] and docs[0].n_words == 3
    assert teacher.label_list == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]  # type: ignore[attr-defined]


def test_retraining_into_the_same_folder_changes_the_fingerprint(specialist_folder, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    copy = tmp_path / "specialist"
    shutil.copytree(specialist_folder, copy)
    before = load_teacher(str(copy)).fingerprint
    assert before == load_teacher(str(specialist_folder)).fingerprint  # same name and bytes: same key
    weights = load_file(copy / "model.safetensors")
    name = next(iter(weights))
    weights[name] = weights[name] + 1
    save_file(weights, copy / "model.safetensors", metadata={"format": "pt"})
    assert load_teacher(str(copy)).fingerprint != before
