"""Overfit-and-reload: the specialist learns five sentences, is saved, reloaded, and predicts the same."""

from __future__ import annotations

import json

import pytest
from tests.conftest import overfit_config
from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

from specialize.config import load_config
from specialize.data.document import Document, Span
from specialize.models.specialist import Specialist
from specialize.training.train import train


def _overfit(tiny_base, sentences, tmp_path, **overrides):
    config = overfit_config(tiny_base, **overrides)
    return train(config, tmp_path / "model", train_documents=sentences, dev_documents=sentences, n_bootstrap=50)


@pytest.fixture(scope="module")
def overfit_model(tiny_base, tmp_path_factory):
    from tests.conftest import tiny_sentences

    return _overfit(tiny_base, tiny_sentences(), tmp_path_factory.mktemp("overfit"))


def test_overfit_five_sentences_then_reload_predicts_the_same(overfit_model, sentences):
    texts = [d.text for d in sentences]
    before = overfit_model.specialist.predict(texts)
    assert [sorted(s.key() for s in p) for p in before] == [sorted(s.key() for s in d.spans) for d in sentences]
    reloaded = Specialist.load(overfit_model.output)
    after = reloaded.predict(texts)
    assert [[s.key() for s in p] for p in after] == [[s.key() for s in p] for p in before]
    for p, q in zip(before, after, strict=True):
        assert [round(s.score, 4) for s in p] == [round(s.score, 4) for s in q]


def test_saved_folder_loads_in_transformers_and_pipeline(overfit_model, sentences):
    folder = overfit_model.output
    model = AutoModelForTokenClassification.from_pretrained(folder)
    assert model.config.type_vocab_size == 7
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    encoded = tokenizer("Obama visited Paris")
    assert encoded["token_type_ids"][1] == 2  # capitalised word -> shape id 2, not segment 0
    ner = pipeline("token-classification", model=str(folder), trust_remote_code=True, aggregation_strategy="first")
    found = ner(sentences[0].text)
    assert {(e["start"], e["end"], e["entity_group"]) for e in found} == {s.key() for s in sentences[0].spans}


def test_model_card_and_config_say_what_was_trained(overfit_model):
    folder = overfit_model.output
    card = (folder / "README.md").read_text()
    assert "## Evaluation" in card and "micro" in card and "[" in card  # scores with intervals
    assert "## Training data" in card and "## Configuration" in card and "transformers" in card
    config = json.loads((folder / "config.json").read_text())
    assert config["specialize"]["inference"]["max_length"] == 256
    assert config["specialize"]["training"]["training"]["epochs"] == 40
    records = json.loads((folder / "evaluation.json").read_text())
    assert records[0]["f1"] == 1.0 and records[0]["f1_ci"] is not None


def test_entity_past_character_10000_of_a_long_document_is_found(tiny_base, sentences, tmp_path):
    # Windows of 32 subwords, in training and prediction: every document below spans many windows.
    filler = "the doctor said the patient was treated with the drug . "
    train_docs = []
    for i, doc in enumerate(sentences):
        prefix = filler * (i + 1)
        shifted = [Span(s.start + len(prefix), s.end + len(prefix), s.label) for s in doc.spans]
        train_docs.append(Document(prefix + doc.text, shifted))
    result = _overfit(tiny_base, train_docs + sentences, tmp_path, **{"model.max_length": 32, "model.stride": 8})
    long_filler = filler * 200
    assert len(long_filler) > 10_000
    text = long_filler + "Obama visited Paris ."
    spans = result.specialist.predict([text])[0]
    start = len(long_filler)
    # Truncation would lose everything past the first window; the tiny model must find both mentions with
    # exact boundaries (a random-weight 3-layer model may still confuse the type of the second one).
    assert (start, start + 5, "PER") in {s.key() for s in spans}
    assert (start + 14, start + 19) in {(s.start, s.end) for s in spans}


def test_layer_selection_builds_a_smaller_student(tiny_base, sentences, tmp_path):
    result = _overfit(tiny_base, sentences, tmp_path, **{"model.layers": "0,2", "training.epochs": 1})
    assert result.specialist.model.config.num_hidden_layers == 2
    reloaded = Specialist.load(result.output)
    assert len(reloaded.model.bert.encoder.layer) == 2


def test_training_data_without_spans_is_an_error(tiny_base, tmp_path):
    config = load_config(overrides={"model.base": str(tiny_base), "training.progress": False})
    with pytest.raises(ValueError, match="no entity spans"):
        train(config, tmp_path / "m", train_documents=[Document("nothing here")])


def test_overlapping_training_spans_are_an_error_naming_the_problem(tiny_base, tmp_path):
    config = load_config(overrides={"model.base": str(tiny_base), "training.progress": False})
    bad = [Document("Obama visited Paris", [Span(0, 5, "PER"), Span(0, 13, "PER")])]
    with pytest.raises(ValueError, match="overlapping"):
        train(config, tmp_path / "m", train_documents=bad)
