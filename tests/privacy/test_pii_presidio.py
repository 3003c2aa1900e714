"""The Presidio anchor: labels mapped onto the dataset's, overlaps resolved, no network (slow: loads spaCy)."""

from __future__ import annotations

import itertools

import pytest

pytest.importorskip("presidio_analyzer")


@pytest.mark.slow
def test_presidio_predictor_maps_labels_and_resolves_overlaps() -> None:
    from specialize.privacy.presidio import PresidioPredictor

    predictor = PresidioPredictor("en_core_web_sm")
    assert "ORGANIZATION" in predictor.labels_to_ignore  # Presidio's own default configuration
    assert "DOMAIN_NAME" in predictor.labels and "URL" not in predictor.labels
    text = "Mail john@example.com from 10.0.0.1 today"
    raw = {(text[r.start : r.end], r.entity_type) for r in predictor.engine.analyze(text, language="en")}
    assert ("example.com", "URL") in raw  # Presidio also reads the e-mail's domain as a URL...
    (spans,) = predictor.predict([text])
    found = {(text[s.start : s.end], s.label) for s in spans}
    assert {("john@example.com", "EMAIL_ADDRESS"), ("10.0.0.1", "IP_ADDRESS")} <= found
    assert ("example.com", "DOMAIN_NAME") not in found  # ...which the higher-scored e-mail overrides
    ordered = sorted(spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ordered))
    (url,) = predictor.predict(["see www.example.org"])
    assert [s.label for s in url] == ["DOMAIN_NAME"]  # URL mapped onto the dataset's name
