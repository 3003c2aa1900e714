import numpy as np

from specialize.data.document import Span
from specialize.data.tagging import SpanDecoder, entity_types, iob2_labels


def _probs(labels, tags, confidence=0.9):
    probs = np.full((len(tags), len(labels)), (1 - confidence) / (len(labels) - 1))
    for i, tag in enumerate(tags):
        probs[i, labels.index(tag)] = confidence
    return probs


def test_label_list_is_sorted_iob2():
    assert iob2_labels(["PER", "LOC", "PER"]) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert entity_types(iob2_labels(["B", "A"])) == ["A", "B"]


def test_decode_spans_with_character_offsets_and_scores():
    labels = iob2_labels(["LOC", "PER"])
    words = [(0, 6), (7, 12), (13, 20), (21, 24), (25, 30)]  # "Barack Obama visited New York"
    spans = SpanDecoder(labels).decode(_probs(labels, ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]), words)
    assert [s.key() for s in spans] == [(0, 12, "PER"), (21, 30, "LOC")]
    assert all(abs(s.score - 0.9) < 1e-6 for s in spans)


def test_viterbi_never_starts_an_entity_with_inside_tag():
    labels = iob2_labels(["PER"])
    # Argmax would say O, I-PER: an ill-formed sequence. Constrained decoding must choose a valid one.
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.35, 0.55]])
    path = [labels[i] for i in SpanDecoder(labels).best_path(probs)]
    assert path in (["O", "B-PER"], ["B-PER", "I-PER"])
    assert not (path[0] == "O" and path[1] == "I-PER")


def test_type_change_inside_entity_splits_spans():
    labels = iob2_labels(["LOC", "PER"])
    spans = SpanDecoder(labels).decode(_probs(labels, ["B-PER", "B-LOC", "I-LOC"]), [(0, 1), (2, 3), (4, 5)])
    assert [s.key() for s in spans] == [(0, 1, "PER"), (2, 5, "LOC")]


def test_empty_document():
    labels = iob2_labels(["PER"])
    assert SpanDecoder(labels).decode(np.zeros((0, 3)), []) == []
    assert isinstance(Span(0, 1, "X"), Span)
