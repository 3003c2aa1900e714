"""The multi-label threshold: chosen on dev micro F1 unless the config sets one, saved with the model."""

from __future__ import annotations

import numpy as np
import pytest
from tests.classification.test_text_classifier import MULTI
from tests.conftest import overfit_config

from specialize.config import load_config
from specialize.models.text_classifier import THRESHOLD_GRID, TextClassifier, select_threshold
from specialize.training.train import train

LABELS = ["a", "b"]


def test_select_threshold_finds_the_cut_that_separates_low_probabilities():
    # An undertrained head: every true label sits at 0.3, every false one at 0.1; 0.5 would predict nothing.
    gold = [["a"], ["b"], ["a", "b"], []]
    probabilities = np.array([[0.3, 0.1], [0.1, 0.3], [0.3, 0.3], [0.1, 0.1]])
    threshold, f1 = select_threshold(gold, probabilities, LABELS)
    assert 0.1 < threshold <= 0.3 and f1 == pytest.approx(1.0)
    # Lower cut-offs add false positives, higher ones lose every label.
    _, f1_low = select_threshold(gold, probabilities, LABELS, grid=[0.05])
    assert f1_low == pytest.approx(2 * 4 / (8 + 4))
    assert select_threshold(gold, probabilities, LABELS, grid=[0.5]) == (0.5, 0.0)


def test_select_threshold_prefers_the_cut_nearest_one_half_on_ties():
    gold = [["a"], ["b"]]
    probabilities = np.array([[0.97, 0.02], [0.02, 0.97]])
    assert select_threshold(gold, probabilities, LABELS) == (0.5, pytest.approx(1.0))


def test_config_threshold_defaults_to_auto_and_rejects_out_of_range():
    assert load_config().model.threshold is None
    assert load_config(overrides={"model.threshold": 0.3}).model.threshold == 0.3
    with pytest.raises(ValueError, match="threshold"):
        load_config(overrides={"model.threshold": 1.5})


def _train(tiny_base, folder, **overrides):
    config = overfit_config(
        tiny_base, **{"model.task": "classification", "training.threads": 1, "training.epochs": 4, **overrides}
    )
    return train(config, folder, train_documents=MULTI, dev_documents=MULTI, n_bootstrap=0)


def test_threshold_is_chosen_on_dev_saved_and_used_after_reload(tiny_base, tmp_path):
    result = _train(tiny_base, tmp_path / "auto")
    settings = result.specialist.settings
    assert settings.threshold_source == "dev" and settings.threshold in THRESHOLD_GRID
    best = next(e for e in result.history.evaluations if e["step"] == result.history.best_step)
    assert best["threshold"] == settings.threshold

    reloaded = TextClassifier.load(result.output)
    assert reloaded.settings.threshold == settings.threshold and reloaded.settings.threshold_source == "dev"
    texts, gold = [t.text for t in MULTI], [t.labels for t in MULTI]
    probabilities = reloaded.predict_proba(texts)
    assert select_threshold(gold, probabilities, reloaded.labels)[0] == settings.threshold
    expected = [[reloaded.labels[j] for j in np.flatnonzero(row >= settings.threshold)] for row in probabilities]
    assert reloaded.predict(texts) == expected
    assert "chosen on dev micro F1" in (result.output / "README.md").read_text()


def test_a_threshold_in_the_config_wins_over_the_dev_choice(tiny_base, tmp_path):
    result = _train(tiny_base, tmp_path / "fixed", **{"model.threshold": 0.35})
    reloaded = TextClassifier.load(result.output)
    assert reloaded.settings.threshold == 0.35 and reloaded.settings.threshold_source == "config"
    assert all("threshold" not in e for e in result.history.evaluations)
