"""Window batches as steps: another model call run between two steps of a long one changes neither result."""

from __future__ import annotations

import numpy as np
import pytest
from tests.tiny_classifier import TEXTS, train_tiny_classifier

from specialize.data.steps import between_steps
from specialize.models.specialist import Specialist

FILLER = "the doctor said the patient was treated with the drug . "


def test_a_call_nested_between_steps_gives_the_same_spans_as_alone(tiny_specialist):
    model = Specialist.load(tiny_specialist)
    model.settings.max_length, model.settings.stride = 16, 4  # many windows per document: many steps
    long, short = FILLER * 6 + "Obama visited Paris .", "Merkel met Smith in Berlin ."
    expected_long, expected_short = model.predict([long])[0], model.predict([short])[0]
    nested: list = []
    steps = 0

    def hook() -> None:
        nonlocal steps
        steps += 1
        if steps == 3:  # in the middle of the long document: the model is re-entered from its own loop
            nested.append(model.predict([short])[0])

    with between_steps(hook, max_tokens=16):  # one window a step
        got_long = model.predict([long])[0]
    assert steps > 5 and nested == [expected_short] and got_long == expected_long
    assert model.predict([long])[0] == expected_long  # and nothing is left installed


def test_a_classifier_steps_too_with_the_same_probabilities(tiny_base, tmp_path):
    from specialize.models.resolve import load_model

    model = load_model(train_tiny_classifier(tiny_base, tmp_path / "clf"))
    texts = [doc.text for doc in TEXTS]
    expected = model.predict_proba(texts)
    calls: list[int] = []
    with between_steps(lambda: calls.append(1), max_tokens=32):
        got = model.predict_proba(texts)
    assert len(calls) >= 2 and np.allclose(got, expected, atol=1e-6)


def test_a_hook_that_raises_stops_the_call():
    class Stop(Exception):
        pass

    def hook() -> None:
        raise Stop

    from specialize.data.chunking import Window
    from specialize.data.features import WindowFeatures
    from specialize.data.steps import window_batches

    features = [WindowFeatures(0, Window(0, 4, 0, 1), [0] * 4, [0] * 4, [1])]
    assert list(window_batches(features, 8)) == [[0]]  # no hook: plain length-sorted batches
    with between_steps(hook, max_tokens=8), pytest.raises(Stop):
        list(window_batches(features, 8))
    with pytest.raises(ValueError, match="max_tokens"), between_steps(hook, max_tokens=0):
        pass
