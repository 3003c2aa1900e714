"""Cascade routing by confidence threshold, and the F1-vs-deferral curve, with fake predictors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from specialize.data.document import Document, Span
from specialize.evaluation.confidence import primary_confidences
from specialize.serve.cascade import Cascade, cascade_curve, format_curve, load_fallback


class Fake:
    """Answers from a table text -> spans and records which texts it was asked about."""

    def __init__(self, name: str, answers: dict[str, list[Span]]) -> None:
        self.name = name
        self.answers = answers
        self.seen: list[str] = []

    @property
    def labels(self) -> list[str]:
        return sorted({s.label for spans in self.answers.values() for s in spans})

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        self.seen.extend(texts)
        return [list(self.answers[t]) for t in texts]


TEXTS = ["sure", "unsure", "empty", "mixed"]
PRIMARY = {
    "sure": [Span(0, 4, "PER", 0.97)],
    "unsure": [Span(0, 6, "LOC", 0.55)],
    "empty": [],
    "mixed": [Span(0, 2, "PER", 0.99), Span(3, 5, "ORG", 0.75)],
}
FALLBACK = {
    "sure": [Span(0, 4, "PER")],
    "unsure": [Span(0, 6, "ORG")],
    "empty": [],
    "mixed": [Span(0, 2, "PER"), Span(3, 5, "LOC")],
}


@pytest.mark.parametrize(
    ("threshold", "deferred"),
    [(0.5, []), (0.6, ["unsure"]), (0.8, ["unsure", "mixed"]), (0.98, ["sure", "unsure", "mixed"])],
)
def test_documents_below_the_threshold_go_to_the_fallback(threshold, deferred):
    primary, fallback = Fake("small", PRIMARY), Fake("big", FALLBACK)
    routed = Cascade(primary, fallback, threshold).route(TEXTS)
    assert fallback.seen == deferred  # only the deferred texts reach the (expensive) fallback
    for text, r in zip(TEXTS, routed, strict=True):
        expected = FALLBACK if text in deferred else PRIMARY
        assert r.spans == expected[text] and r.deferred == (text in deferred)
        assert r.model == ("big" if text in deferred else "small")
    # A document without spans has nothing doubtful by span score: it stays with the primary.
    assert routed[2].confidence == 1.0 and not routed[2].deferred


def test_cascade_is_a_span_predictor_with_both_label_sets():
    cascade = Cascade(Fake("small", PRIMARY), Fake("big", FALLBACK), 0.8)
    assert cascade.labels == ["LOC", "ORG", "PER"]
    assert cascade.predict(["sure", "unsure"]) == [PRIMARY["sure"], FALLBACK["unsure"]]
    assert cascade.route([]) == []


class WordFake(Fake):
    """A fake with per-word probabilities, like a specialist: one word per text, tags O, B-PER, I-PER."""

    def __init__(self, probs: dict[str, list[float]]) -> None:
        super().__init__("words", {})
        self.probs = probs

        class Decoder:
            def decode(self, p: np.ndarray, offsets: Sequence[tuple[int, int]]) -> list[Span]:
                best = int(p[0].argmax())
                return [] if best == 0 else [Span(*offsets[0], "PER", float(p[0, best]))]

        self.decoder = Decoder()

    @property
    def labels(self) -> list[str]:
        return ["PER"]

    def word_probabilities(self, texts):
        class Doc:
            def __init__(self, text: str) -> None:
                self.word_offsets = [(0, len(text))]

        return [Doc(t) for t in texts], [np.array([self.probs[t]]) for t in texts]

    def predict(self, texts):
        docs, probs = self.word_probabilities(texts)
        return [self.decoder.decode(p, d.word_offsets) for p, d in zip(probs, docs, strict=True)]


def test_word_level_confidence_sees_a_nearly_missed_entity():
    model = WordFake({"clear": [0.95, 0.04, 0.01], "almost": [0.52, 0.46, 0.02]})
    spans, by_span = primary_confidences(model, ["clear", "almost"], "min_span_score")
    assert spans == [[], []] and by_span == [1.0, 1.0]  # no spans, so span scores see no doubt
    _, by_word = primary_confidences(model, ["clear", "almost"], "min_word_prob")
    assert by_word == pytest.approx([0.95, 0.52])
    _, margin = primary_confidences(model, ["clear", "almost"], "min_token_margin")
    assert margin == pytest.approx([0.91, 0.06])
    cascade = Cascade(model, Fake("big", {"clear": [], "almost": [Span(0, 6, "PER")]}), 0.8, "min_word_prob")
    assert [r.model for r in cascade.route(["clear", "almost"])] == ["words", "big"]


def test_word_level_confidence_needs_word_probabilities():
    with pytest.raises(ValueError, match="word probabilities"):
        Cascade(Fake("small", PRIMARY), Fake("big", FALLBACK), 0.8, confidence="min_word_prob")
    with pytest.raises(ValueError, match="does not apply to a span model"):
        Cascade(Fake("small", PRIMARY), Fake("big", FALLBACK), 0.8, confidence="vibes")


def test_curve_mixes_one_pass_of_each_model_per_threshold():
    gold = {"sure": [Span(0, 4, "PER")], "unsure": [Span(0, 6, "ORG")], "empty": [], "mixed": FALLBACK["mixed"]}
    docs = [Document(t, gold[t]) for t in TEXTS]
    primary, fallback = Fake("small", PRIMARY), Fake("big", FALLBACK)
    curve = cascade_curve(primary, fallback, docs, thresholds=[0.99, 0.5, 0.8, 0.6])
    assert primary.seen == TEXTS and fallback.seen == TEXTS  # one pass each, whatever the thresholds
    assert [p.threshold for p in curve.points] == [0.5, 0.6, 0.8, 0.99]
    assert [p.n_deferred for p in curve.points] == [0, 1, 2, 3]
    assert [p.deferred for p in curve.points] == [0.0, 0.25, 0.5, 0.75]
    # Primary alone: 2 of its 4 spans right, 4 gold spans; the fallback is perfect here.
    assert curve.primary_f1 == pytest.approx(0.5) and curve.fallback_f1 == pytest.approx(1.0)
    assert curve.points[0].f1 == pytest.approx(curve.primary_f1)
    assert curve.points[2].f1 == pytest.approx(1.0)  # deferring 'unsure' and 'mixed' fixes every error
    table = format_curve(curve)
    assert "deferred" in table and "0.80" in table and "primary" in table and "fallback" in table
    assert curve.to_dict()["points"][1] == {
        "threshold": 0.6,
        "deferred": 0.25,
        "n_deferred": 1,
        "f1": pytest.approx(curve.points[1].f1, abs=1e-6),
        "precision": pytest.approx(curve.points[1].precision, abs=1e-6),
        "recall": pytest.approx(curve.points[1].recall, abs=1e-6),
    }


def test_fallback_specs_load_teachers(tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text("Paris\tLOC\n")
    from specialize.models.resolve import load_model

    primary = load_model(f"gazetteer:{terms}")
    fallback = load_fallback(f"gazetteer:{terms}", primary)
    assert fallback.predict(["I love Paris"]) == [[Span(7, 12, "LOC")]]  # scores are not compared
    with pytest.raises(ValueError, match="neither an existing folder nor a known spec"):
        load_fallback(str(tmp_path / "missing"), primary)


def test_evaluate_cascade_command_prints_and_writes_the_curve(tiny_base, tmp_path, capsys):
    import json

    from tests.conftest import tiny_sentences

    from specialize.cli.main import main
    from specialize.data.io import write_documents

    model = tmp_path / "model"
    _every_word_a_person(tiny_base, model)
    write_documents(tiny_sentences(), tmp_path / "gold.conll")
    terms = tmp_path / "terms.tsv"
    terms.write_text("Obama\tPER\nParis\tLOC\nBerlin\tLOC\nLondon\tLOC\n")
    out = tmp_path / "curve.json"
    args = ["evaluate", str(model), "--data", str(tmp_path / "gold.conll"), "--cascade", f"gazetteer:{terms}"]
    assert main([*args, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "deferred" in printed and "0.50" in printed and "0.99" in printed
    curve = json.loads(out.read_text())
    assert curve["n_docs"] == 5 and curve["fallback"]
    assert curve["points"][0]["threshold"] == 0.5 and curve["points"][-1]["threshold"] == 0.99
    # Every word scores ~0.55 as PER: nothing deferred at 0.5, everything from 0.6 on.
    assert curve["points"][0]["deferred"] == 0.0 and curve["points"][1]["deferred"] == 1.0
    assert curve["points"][1]["f1"] == curve["fallback_f1"]
    assert main(["evaluate", str(model), str(model), "--data", str(tmp_path / "gold.conll"), "--cascade", "x"]) == 2


def _every_word_a_person(base, folder):
    """A specialist that tags every word B-PER with probability ~0.55 (zero weights, biased head)."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from specialize.data.features import InferenceSettings
    from specialize.models.specialist import Specialist

    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForTokenClassification.from_pretrained(
        str(base), id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)}
    )
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 1.6, 0.0, 0.0, 0.0]))
    settings = InferenceSettings(
        word_shapes=False, cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id, pad_id=tokenizer.pad_token_id
    )
    Specialist(model, tokenizer, settings, name="every-word").save(folder)
