"""Selection strategies: least confident first, seeded random, spread by vectors; corrected documents never again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from specialize.correction.diversity import encoder_vectors, k_center_greedy, tfidf_vectors
from specialize.correction.select import select_documents
from specialize.data.document import Document, Span


class WordModel:
    """One word per text; its tag distribution over O, B-X, I-X is given per text (like a specialist's)."""

    name = "words"

    def __init__(self, probs: dict[str, list[float]]) -> None:
        self.probs = probs
        self.calls: list[list[str]] = []

        class Decoder:
            def decode(self, p: np.ndarray, offsets: Sequence[tuple[int, int]]) -> list[Span]:
                best = int(p[0].argmax())
                return [] if best == 0 else [Span(*offsets[0], "X", float(p[0, best]))]

        self.decoder = Decoder()

    @property
    def labels(self) -> list[str]:
        return ["X"]

    def word_probabilities(self, texts: Sequence[str]) -> tuple[list[object], list[np.ndarray]]:
        self.calls.append(list(texts))

        class Doc:
            def __init__(self, text: str) -> None:
                self.word_offsets = [(0, len(text))]

        return [Doc(t) for t in texts], [np.array([self.probs[t]]) for t in texts]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        docs, probs = self.word_probabilities(texts)
        return [self.decoder.decode(p, d.word_offsets) for p, d in zip(probs, docs, strict=True)]


CONFIDENT = {f"sure{i}": [0.05, 0.9 + i / 100, 0.05 - i / 100] for i in range(5)}
UNSURE = {"unsure": [0.45, 0.55, 0.0], "coin": [0.5, 0.49, 0.01], "doubt": [0.4, 0.3, 0.3]}
MODEL_PROBS = {**CONFIDENT, **UNSURE}


def _docs() -> list[Document]:
    return [Document(text, id=f"d{i}") for i, text in enumerate(MODEL_PROBS)]


def test_uncertainty_picks_the_least_confident_with_the_model_spans() -> None:
    selection = select_documents(WordModel(MODEL_PROBS), _docs(), 2, "uncertainty")
    assert [d.text for d in selection.documents] == ["doubt", "coin"]
    assert selection.confidences == pytest.approx([0.4, 0.5])
    assert selection.confidence == "min_word_prob"  # a model with word probabilities sees near-misses
    assert selection.documents[0].spans == [] and selection.documents[0].meta["selection"]["rank"] == 0
    three = select_documents(WordModel(MODEL_PROBS), _docs(), 3, "uncertainty")
    assert three.documents[2].text == "unsure" and three.documents[2].spans == [Span(0, 6, "X", 0.55)]


def test_already_corrected_documents_are_never_picked_by_id_or_text() -> None:
    corrected = [Document("whatever", id="d7"), Document("coin", id="other-file:3")]  # d7 is "doubt"
    selection = select_documents(WordModel(MODEL_PROBS), _docs(), 2, "uncertainty", exclude=corrected)
    assert [d.text for d in selection.documents] == ["unsure", "sure0"]
    assert selection.excluded == 2 and selection.pool == 6


def test_repeated_texts_are_picked_once_and_all_corrected_is_an_error() -> None:
    docs = [*_docs(), Document("doubt", id="again")]
    selection = select_documents(WordModel(MODEL_PROBS), docs, 2, "uncertainty")
    assert [d.text for d in selection.documents] == ["doubt", "coin"] and selection.duplicates == 1
    with pytest.raises(ValueError, match="already corrected"):
        select_documents(WordModel(MODEL_PROBS), _docs(), 2, exclude=_docs())


def test_random_is_seeded_and_scores_only_what_it_picks() -> None:
    model = WordModel(MODEL_PROBS)
    a = select_documents(model, _docs(), 3, "random", seed=1)
    assert sum(len(c) for c in model.calls) == 3  # no pass over the whole pool
    b = select_documents(WordModel(MODEL_PROBS), _docs(), 3, "random", seed=1)
    c = select_documents(WordModel(MODEL_PROBS), _docs(), 3, "random", seed=2)
    assert [d.id for d in a.documents] == [d.id for d in b.documents] != [d.id for d in c.documents]


def test_input_pre_annotations_and_argument_checks() -> None:
    docs = [Document(t, [Span(0, 2, "SILVER")], id=t) for t in MODEL_PROBS]
    selection = select_documents(WordModel(MODEL_PROBS), docs, 1, pre_annotations="input")
    assert selection.documents[0].spans == [Span(0, 2, "SILVER")]
    with pytest.raises(ValueError, match="unknown strategy"):
        select_documents(WordModel(MODEL_PROBS), docs, 1, "vibes")
    with pytest.raises(ValueError, match="n must be at least 1"):
        select_documents(WordModel(MODEL_PROBS), docs, 0)


def test_k_center_greedy_spreads_and_tfidf_groups_similar_texts() -> None:
    texts = ["breast cancer risk", "breast cancer gene", "breast cancer", "colon polyps", "ataxia gene"]
    vectors = tfidf_vectors(texts)
    assert vectors.shape[0] == 5 and np.allclose(np.linalg.norm(vectors, axis=1), 1)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[3]) == 0.0
    picked = k_center_greedy(vectors, 3, first=0)
    assert picked[0] == 0 and picked[1] == 3 and len(set(picked)) == 3  # the farthest text next
    assert sorted(k_center_greedy(vectors, 10)) == [0, 1, 2, 3, 4]  # k above n: every row once


def test_diverse_spreads_the_least_confident_over_tfidf() -> None:
    probs = {
        "breast cancer a": [0.50, 0.45, 0.05],
        "breast cancer b": [0.51, 0.44, 0.05],
        "breast cancer c": [0.52, 0.43, 0.05],
        "colon polyps": [0.55, 0.40, 0.05],
        "sure": [0.01, 0.99, 0.0],
    }
    docs = [Document(t, id=t) for t in probs]
    uncertain = select_documents(WordModel(probs), docs, 2, "uncertainty")
    diverse = select_documents(WordModel(probs), docs, 2, "diverse", candidates=2)
    assert [d.text for d in uncertain.documents] == ["breast cancer a", "breast cancer b"]
    assert [d.text for d in diverse.documents] == ["breast cancer a", "colon polyps"]
    assert diverse.vectors == "tfidf"  # the fake has no encoder


def test_encoder_vectors_of_a_specialist(tiny_specialist: Path) -> None:
    from specialize.models.specialist import Specialist

    model = Specialist.load(tiny_specialist)
    texts = ["Obama visited Paris .", "Obama visited Paris .", "the river", ""]
    vectors = encoder_vectors(model, texts)
    assert vectors is not None and vectors.shape[0] == 4
    assert np.allclose(vectors[0], vectors[1]) and not np.allclose(vectors[0], vectors[2])
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1)
    selection = select_documents(model, [Document(t, id=str(i)) for i, t in enumerate(texts[1:])], 2, "diverse")
    assert selection.vectors == "encoder" and len(selection.documents) == 2
