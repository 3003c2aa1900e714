"""The end-of-run check that a trained model finds anything at all.

A run that ends with dev F1 0.000 (1 epoch on 300 sentences, issue #15) used to finish silently and write a
model that finds nothing: a fresh tagging head first learns that almost every token is ``O`` and needs a few
hundred optimizer steps to get past predicting nothing. This check says so loudly, with the run's numbers
and what to try. Without dev data it asks the model for predictions on some of its own training texts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Protocol

from specialize.training.args import TrainingArgs
from specialize.training.trainer import TrainingHistory

logger = logging.getLogger(__name__)

# Steps after which a fresh head on a small encoder usually predicts entities (tiny data sets, this project's
# runs); below it, "too few steps" is the likely cause of a model that finds nothing.
ENOUGH_STEPS = 500
# Best dev F1 below which a model counts as finding nothing: chance hits of a head that has not learned yet score
# a few hundredths on small dev sets.
NOTHING_F1 = 0.05
PROBE_TEXTS = 200  # training texts predicted when there is no dev data


class _Predicts(Protocol):
    def predict(self, texts: Sequence[str]) -> Sequence[Sequence[Any]]: ...


def check_training_run(
    model: _Predicts,
    history: TrainingHistory,
    args: TrainingArgs,
    *,
    windows: int,
    train_texts: Sequence[str] = (),
    unit: str = "span",
) -> str | None:
    """Warn (log and ``history.warnings``) when ``model`` finds nothing: best dev F1 under ``NOTHING_F1`` or,
    without dev data,
    no ``unit`` (span, label) predicted on up to ``PROBE_TEXTS`` of ``train_texts``. Returns the warning."""
    if history.evaluations:
        if (history.best_f1 or 0.0) >= NOTHING_F1:
            return None
        symptom = f"best dev F1 {history.best_f1 or 0.0:.3f} over its {len(history.evaluations)} evaluation(s)"
    else:
        probe = list(train_texts[:PROBE_TEXTS])
        if not probe or any(len(found) for found in model.predict(probe)):
            return None
        symptom = f"no dev data, and not one {unit} predicted on {len(probe)} of its own training texts"
    message = _message(symptom, history.steps, windows, args, unit)
    history.warnings.append(message)
    logger.warning("%s", message)
    return message


def texts_of(items: Sequence[Any]) -> list[str]:
    """The texts of the first ``PROBE_TEXTS`` documents or labelled texts, for ``train_texts``."""
    return [item.text for item in items[:PROBE_TEXTS]]


def _message(symptom: str, steps: int, windows: int, args: TrainingArgs, unit: str) -> str:
    per_epoch = max(1, math.ceil(windows / args.batch_size))
    head = (
        f"THIS MODEL FINDS (ALMOST) NOTHING: {symptom}. It was trained for {steps} optimizer steps on {windows} "
        f"training windows ({args.epochs} epoch(s) of {per_epoch} steps at batch size {args.batch_size})."
    )
    if steps < ENOUGH_STEPS:
        epochs = math.ceil(ENOUGH_STEPS / per_epoch)
        smaller = max(1, args.batch_size // 4)
        return (
            f"{head} Likely cause: too few steps: a fresh head first learns to predict no {unit} at all and needs a "
            f"few hundred steps to get past it. Try --epochs {epochs} (about {ENOUGH_STEPS} steps), a smaller "
            f"--batch-size such as {smaller} ({math.ceil(windows / smaller)} steps per epoch), more training data, or "
            f"a higher --learning-rate (now {args.learning_rate:g})."
        )
    return (
        f"{head} That is not few steps: check that the training data has the {unit}s dev scores (same types; "
        "the alignment report in the log), and try a lower --learning-rate "
        f"(now {args.learning_rate:g}) if the training loss did not fall."
    )
