"""The linear probe that starts a classifier's head: it fits the frozen features, and only Linear heads."""

from __future__ import annotations

import numpy as np
import torch
from tests.classification.test_text_classifier import SINGLE

from specialize.models.text_classifier import ClassifierSettings, TextClassifier, build_sequence_classifier
from specialize.training.linear_probe import L2_PENALTY, fit_linear_probe, head_inputs


def _classifier(tiny_base, multi_label=False):
    from transformers import AutoTokenizer

    labels = sorted({label for t in SINGLE for label in t.labels})
    model = build_sequence_classifier(tiny_base, labels, multi_label=multi_label, seed=0)
    settings = ClassifierSettings(max_length=32, stride=8, multi_label=multi_label)
    return TextClassifier(model, AutoTokenizer.from_pretrained(str(tiny_base)), settings), labels


def test_probe_fits_the_frozen_features_and_leaves_the_encoder_alone(tiny_base):
    classifier, labels = _classifier(tiny_base)
    features = classifier.preprocess([t.text for t in SINGLE])
    targets = torch.tensor([labels.index(t.labels[0]) for t in SINGLE])
    classifier.model.train()  # as during training: the probe must switch dropout off, then back on
    encoder_before = {k: v.clone() for k, v in classifier.model.bert.state_dict().items()}
    report = fit_linear_probe(classifier.model, features, targets, multi_label=False, pad_id=0)
    assert report is not None and report["loss_after"] < report["loss_before"]
    assert all(torch.equal(v, classifier.model.bert.state_dict()[k]) for k, v in encoder_before.items())
    # The fitted weights are the head's now: the model's own loss on those windows plus the L2 term is the
    # probe's final loss.
    logits = torch.from_numpy(np.stack(classifier.forward(features)))  # forward() runs in eval mode
    own_loss = float(torch.nn.functional.cross_entropy(logits, targets[[f.doc_index for f in features]]))
    penalty = L2_PENALTY * float(classifier.model.classifier.weight.detach().pow(2).sum())
    assert abs(own_loss + penalty - report["loss_after"]) < 1e-3
    assert classifier.model.training  # the model is left in the mode it was in


def test_probe_multi_label_and_head_inputs_follow_window_order(tiny_base):
    classifier, labels = _classifier(tiny_base, multi_label=True)
    features = classifier.preprocess([t.text for t in SINGLE])
    inputs = head_inputs(classifier.model, features, pad_id=0)
    assert inputs.shape == (len(features), classifier.model.config.hidden_size)
    one = head_inputs(classifier.model, features[2:3], pad_id=0)
    np.testing.assert_allclose(inputs[2].numpy(), one[0].numpy(), atol=1e-5)  # batching/padding do not leak
    targets = torch.tensor([[float(label in t.labels) for label in labels] for t in SINGLE])
    report = fit_linear_probe(classifier.model, features, targets, multi_label=True, pad_id=0)
    assert report is not None and report["loss_after"] < report["loss_before"]


def test_probe_skips_heads_that_are_not_one_linear_layer(tiny_base):
    classifier, _ = _classifier(tiny_base)
    hidden = classifier.model.config.hidden_size
    classifier.model.classifier = torch.nn.Sequential(torch.nn.Linear(hidden, 8), torch.nn.Linear(8, 3))
    features = classifier.preprocess(["a text"])
    assert fit_linear_probe(classifier.model, features, torch.tensor([0]), multi_label=False, pad_id=0) is None
