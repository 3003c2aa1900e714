"""A tiny text classifier trained in a few seconds (it memorises ``TEXTS``), for the serve and apply tests."""

from __future__ import annotations

from pathlib import Path

# The texts the classifier tests overfit on: single-label, and multi-label with one text of no label.
from tests.classification.test_text_classifier import MULTI as MULTI_TEXTS
from tests.classification.test_text_classifier import SINGLE as TEXTS
from tests.conftest import overfit_config

__all__ = ["MULTI_TEXTS", "TEXTS", "train_tiny_classifier"]


def train_tiny_classifier(base: Path, folder: Path, *, multi_label: bool = False) -> Path:
    """A classifier folder (torch) that predicts ``TEXTS`` (or ``MULTI_TEXTS``) right: ~3 s single-label."""
    from specialize.training.train import train

    # 32-subword windows (the tiny encoder has 128 positions): a text of a few sentences spans several windows.
    overrides: dict[str, object] = {
        "model.task": "classification",
        "model.max_length": 32,
        "model.stride": 8,
        "training.threads": 1,
    }
    if multi_label:
        overrides.update({"model.pooling": "max", "training.epochs": 80})
    texts = MULTI_TEXTS if multi_label else TEXTS
    # No dev set: the model runs all its epochs and keeps the last weights (it memorises the texts).
    train(overfit_config(base, **overrides), folder, train_documents=texts, test_documents=texts, n_bootstrap=0)
    return folder
