"""mean:A+B: the mean of span models' per-word distributions, as a model to evaluate and as a teacher to distil."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import overfit_config

from specialize.data.alignment import tokenize_texts
from specialize.errors import ConfigError
from specialize.models.averaged import AveragedTagger
from specialize.models.resolve import load_model
from specialize.models.specialist import Specialist


class FixedMember:
    """A member whose distributions are given: ``rows[i]`` for every word of text i."""

    def __init__(self, tokenizer, label_list, rows, name="fixed"):
        self.tokenizer, self.label_list, self.rows, self.name = tokenizer, label_list, rows, name

    def word_probabilities(self, texts):
        docs = tokenize_texts(self.tokenizer, list(texts))
        return docs, [np.array([self.rows[i](w) for w in range(d.n_words)], dtype=np.float32) for i, d in
                      enumerate(docs)]  # fmt: skip


def test_the_mean_of_a_model_and_itself_predicts_as_the_model(tiny_specialist, sentences):
    texts = [d.text for d in sentences]
    alone = Specialist.load(tiny_specialist)
    mean = load_model(f"mean:{tiny_specialist}+{tiny_specialist}")
    assert isinstance(mean, AveragedTagger) and mean.label_list == alone.label_list
    assert mean.predict(texts) == alone.predict(texts)
    _, mine = mean.word_probabilities(texts)
    _, theirs = alone.word_probabilities(texts)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(mine, theirs, strict=True))
    weighted = load_model(f"mean:{tiny_specialist}+{tiny_specialist}", weights="2,1")
    assert mean.fingerprint is not None and mean.fingerprint != weighted.fingerprint


def test_weights_and_words_a_member_has_no_distribution_for(tiny_specialist):
    tokenizer = Specialist.load(tiny_specialist).tokenizer
    labels = ["O", "B-X", "I-X"]
    outside = FixedMember(tokenizer, labels, [lambda w: [1.0, 0.0, 0.0]], name="outside")
    # The second member says B-X for every word but has nothing for the first word (NaN: no distribution).
    entity = FixedMember(tokenizer, labels, [lambda w: [np.nan] * 3 if w == 0 else [0.0, 1.0, 0.0]], name="entity")
    mean = AveragedTagger([outside, entity], weights=[1, 3])
    _, (probs,) = mean.word_probabilities(["aspirin helps a lot"])
    assert probs[0].tolist() == [1.0, 0.0, 0.0]  # only the member that has it
    assert np.allclose(probs[1:], [0.25, 0.75, 0.0])
    spans = mean.predict(["aspirin helps a lot"])[0]
    assert [(s.start, s.label) for s in spans] == [(8, "X"), (14, "X"), (16, "X")]


def test_mean_refuses_what_it_cannot_average(tiny_specialist, tmp_path):
    tokenizer = Specialist.load(tiny_specialist).tokenizer
    other = FixedMember(tokenizer, ["O", "B-Y", "I-Y"], [lambda w: [1.0, 0.0, 0.0]], name="other")
    with pytest.raises(ConfigError, match=r"share one label list"):
        AveragedTagger([Specialist.load(tiny_specialist), other])
    with pytest.raises(ConfigError, match=r"at least two"):
        load_model(f"mean:{tiny_specialist}")
    terms = tmp_path / "terms.tsv"
    terms.write_text("aspirin\tChemical\n")
    with pytest.raises(ConfigError, match=r"gazetteer: model; mean: averages model folders"):
        load_model(f"mean:{tiny_specialist}+gazetteer:{terms}")
    with pytest.raises(ConfigError, match=r"one weight >= 0 per member"):
        load_model(f"mean:{tiny_specialist}+{tiny_specialist}", weights="1")


def test_a_student_distils_from_a_mean_and_its_targets_are_kept(tiny_specialist, tiny_base, sentences, tmp_path):
    from specialize.training.distill import distill

    texts = [d.text for d in sentences]
    config = overfit_config(tiny_base, **{"training.epochs": 2, "training.threads": 1})
    store = tmp_path / "targets"
    result = distill(f"mean:{tiny_specialist}+{tiny_specialist}", config, tmp_path / "student", unlabeled=texts,
                     teacher_targets=store, n_bootstrap=0, throughput_repeats=0)  # fmt: skip
    assert result.history.steps > 0 and (tmp_path / "student" / "model.safetensors").is_file()
    kept = list(store.glob("*.npz"))
    assert kept  # named by the mean's fingerprint, not by one member's
    single = tmp_path / "single-targets"
    distill(str(tiny_specialist), config, tmp_path / "single", unlabeled=texts, teacher_targets=single,
            n_bootstrap=0, throughput_repeats=0)  # fmt: skip
    assert {p.name for p in kept}.isdisjoint({p.name for p in single.glob("*.npz")})
