"""Overfit-and-reload for the text classifier, single- and multi-label, and the windowing of long texts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.conftest import overfit_config
from transformers import AutoModelForSequenceClassification

from specialize.data.classification import LabelledText
from specialize.data.model_folder import folder_task
from specialize.models.review import review_contract
from specialize.models.specialist import Specialist
from specialize.models.text_classifier import TextClassifier, pool_logits
from specialize.training.train import train

SINGLE = [
    LabelledText("the doctor treated the patient with the drug", ["clinical"], "a"),
    LabelledText("the patient has cancer and a syndrome", ["clinical"], "b"),
    LabelledText("the team met the player in paris", ["sport"], "c"),
    LabelledText("the player works for the team in london", ["sport"], "d"),
    LabelledText("acme and globex said the company lives near the river", ["business"], "e"),
]
# A random-weight model learns label *combinations* slowly: short, separable texts and more epochs.
MULTI = [
    LabelledText("doctor patient drug", ["clinical"], "a"),
    LabelledText("player team", ["sport"], "b"),
    LabelledText("doctor patient player team", ["clinical", "sport"], "c"),
    LabelledText("river city", [], "d"),
    LabelledText("cancer syndrome", ["clinical"], "e"),
    LabelledText("the team and the player met", ["sport"], "f"),
]


def _train(tiny_base, texts, folder, **overrides):
    # One thread: on a busy machine, torch's spinning OpenMP workers make tiny models many times slower.
    config = overfit_config(tiny_base, **{"model.task": "classification", "training.threads": 1, **overrides})
    # No dev set (no evaluation every epoch): the tiny model runs all its epochs and keeps the last weights.
    return train(config, folder, train_documents=texts, test_documents=texts, n_bootstrap=50)


@pytest.fixture(scope="module")
def single(tiny_base, tmp_path_factory):
    return _train(tiny_base, SINGLE, tmp_path_factory.mktemp("cls") / "single")


def test_single_label_overfits_then_reloads_with_the_same_predictions(single):
    texts = [t.text for t in SINGLE]
    before = single.specialist.predict(texts)
    assert before == [t.labels for t in SINGLE]
    reloaded = TextClassifier.load(single.output)
    assert reloaded.predict(texts) == before
    np.testing.assert_allclose(reloaded.predict_proba(texts), single.specialist.predict_proba(texts), atol=1e-5)
    assert not reloaded.multi_label and reloaded.labels == ["business", "clinical", "sport"]


def test_folder_is_a_plain_transformers_sequence_classifier_with_card_and_records(single):
    folder = single.output
    assert folder_task(folder) == "classification"
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    assert model.config.problem_type == "single_label_classification"
    records = json.loads((folder / "evaluation.json").read_text())
    assert [r["split"] for r in records] == ["test"]
    assert records[0]["accuracy"] == 1.0 and records[0]["macro_f1"] == 1.0 and records[0]["micro_f1_ci"]
    assert set(records[0]["per_label"]) == {"business", "clinical", "sport"}
    with pytest.raises(ValueError, match="is a text classifier"):  # span commands refuse it clearly
        Specialist.load(folder)
    card = (folder / "README.md").read_text()
    assert "pipeline_tag: text-classification" in card and "macro F1" in card and "mean" in card


def test_multi_label_overfits_empty_sets_included_and_reloads(tiny_base, tmp_path):
    result = _train(tiny_base, MULTI, tmp_path / "multi", **{"model.pooling": "max", "training.epochs": 80})
    texts = [t.text for t in MULTI]
    predicted = result.specialist.predict(texts)
    assert [sorted(p) for p in predicted] == [sorted(t.labels) for t in MULTI]
    reloaded = TextClassifier.load(result.output)
    assert reloaded.multi_label and reloaded.settings.pooling == "max"
    assert reloaded.predict(texts) == predicted
    config = json.loads((result.output / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"

    # Contract review: a whole text in, its paragraphs grouped by label, offsets into the original text.
    contract = "doctor patient\ndrug\n\n  river city\n\n\nplayer team"
    review = review_contract(result.output, contract)
    assert [contract[p.start : p.end] for p in review.passages] == ["doctor patient\ndrug", "river city", "player team"]
    assert review.passages[0].text == "doctor patient drug"  # whitespace normalised as in training
    assert {label: [p.text for p in ps] for label, ps in review.by_type.items()} == {
        "clinical": ["doctor patient drug"],
        "sport": ["player team"],
    }
    assert review.to_dict()["unlabelled_passages"] == 1 and review.missing == []


def test_a_cue_past_the_first_window_decides_the_label(tiny_base, tmp_path):
    # 32-subword windows: the only cue sits after ~200 words of shared filler; truncation would see no cue.
    filler = "the city of the river " * 40
    texts = [
        LabelledText(filler + "the doctor treated the patient", ["clinical"], "a"),
        LabelledText(filler + "the player met the team", ["sport"], "b"),
        LabelledText("the doctor and the patient", ["clinical"], "c"),
        LabelledText("the team and the player", ["sport"], "d"),
    ]
    result = _train(
        tiny_base, texts, tmp_path / "long", **{"model.max_length": 32, "model.stride": 8, "model.pooling": "max"}
    )
    assert len(result.specialist.preprocess([texts[0].text])) > 5
    assert result.specialist.predict([t.text for t in texts]) == [t.labels for t in texts]


def test_pooling_mean_and_max():
    logits = [np.array([1.0, 0.0]), np.array([3.0, -2.0]), np.array([0.0, 5.0])]
    np.testing.assert_allclose(pool_logits(logits, [0, 0, 1], 2, "mean"), [[2.0, -1.0], [0.0, 5.0]])
    np.testing.assert_allclose(pool_logits(logits, [0, 0, 1], 2, "max"), [[3.0, 0.0], [0.0, 5.0]])


def test_single_label_model_refuses_multi_label_data(tiny_base, tmp_path):
    with pytest.raises(ValueError, match="multi_label is false"):
        _train(tiny_base, MULTI, tmp_path / "bad", **{"model.multi_label": False})
