"""Word shapes for any encoder (BERT, RoBERTa, DistilBERT, MPNet), the saved folder still loadable by plain
transformers with the same spans; layer selection, pruning and a text classifier on MPNet; the ONNX export of an
MPNet-style specialist."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.conftest import overfit_config
from tests.encoders import build_tiny_encoder
from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer, pipeline

from specialize.data.document import Document, Span
from specialize.data.features import pad_batch
from specialize.models.shapes import load_token_classifier
from specialize.models.specialist import Specialist
from specialize.models.token_classifier import build_token_classifier, keep_layers
from specialize.training.train import train
from specialize.utils.device import forward_names, model_inputs

LABELS = ["O", "B-PER", "I-PER"]


def casing_sentences() -> list[Document]:
    """Twins that differ only in casing: the capitalised (or upper-case) name is an entity, its lowercase twin is
    not. An uncased encoder sees the same subwords for both: only the word shapes tell them apart."""
    rows = [
        ("we met Smith at the river", "smith", "PER"),
        ("we met smith at the river", None, None),
        ("the ACME team said", "acme", "ORG"),
        ("the acme team said", None, None),
        ("the doctor told Jones", "jones", "PER"),
        ("the doctor told jones", None, None),
    ]
    docs = []
    for text, word, label in rows:
        spans = []
        if word is not None and label is not None:
            start = text.lower().index(word)
            spans.append(Span(start, start + len(word), label))
        docs.append(Document(text, spans))
    return docs


def _keys(predictions: list[list[Span]]) -> list[list[tuple[int, int, str]]]:
    return [sorted(s.key() for s in spans) for spans in predictions]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """family -> folder of a tiny specialist of that family that memorised ``casing_sentences()`` (built once)."""
    cache: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in cache:
            root = tmp_path_factory.mktemp(family)
            base = build_tiny_encoder(family, root / "base")
            docs = casing_sentences()
            config = overfit_config(base, **{"training.threads": 1})
            train(config, root / "model", train_documents=docs, dev_documents=docs, n_bootstrap=0)
            cache[family] = root / "model"
        return cache[family]

    return get


@pytest.mark.parametrize("family", ["bert", "mpnet", "distilbert", "roberta"])
def test_casing_labels_overfit_then_plain_transformers_gives_the_same_logits_and_spans(trained, family):
    folder = trained(family)
    docs = casing_sentences()
    texts = [d.text for d in docs]
    expected = [sorted(s.key() for s in d.spans) for d in docs]
    specialist = Specialist.load(folder)
    assert _keys(specialist.predict(texts)) == expected  # only casing separates each pair

    config = json.loads((folder / "config.json").read_text())
    model = AutoModelForTokenClassification.from_pretrained(folder, trust_remote_code=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    if family in ("mpnet", "distilbert"):  # no token-type embeddings: the shipped shape-embedding class
        assert (folder / "modeling_specialize.py").is_file()
        assert type(model).__name__ == config["architectures"][0] and "WordShape" in type(model).__name__
        assert not type(model).__module__.startswith("specialize")  # the folder's copy, not ours
    else:  # token types carry the shapes: a plain transformers class, no model code shipped
        assert not (folder / "modeling_specialize.py").exists() and "auto_map" not in config
        assert config["type_vocab_size"] == 7
    _, features = specialist.preprocess(texts)
    for text, feature in zip(texts, features, strict=True):
        encoded = tokenizer(text, return_tensors="pt")
        assert encoded["input_ids"][0].tolist() == feature.input_ids
        assert encoded["token_type_ids"][0].tolist() == feature.type_ids  # word shapes, from the shipped tokenizer
        with torch.inference_mode():
            theirs = model(**encoded).logits[0].numpy()
            ours = specialist.model(**model_inputs(specialist.model, pad_batch([feature], 0))).logits[0].numpy()
        np.testing.assert_allclose(theirs, ours, atol=1e-5)
    ner = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first")
    found = [sorted((e["start"], e["end"], e["entity_group"]) for e in ner(text)) for text in texts]
    assert found == expected


@pytest.mark.parametrize("family", ["mpnet", "distilbert"])
def test_a_new_shape_embedding_starts_at_zero_so_the_model_computes_what_its_base_does(tmp_path, family):
    base = build_tiny_encoder(family, tmp_path / "base")
    with_shapes = build_token_classifier(base, LABELS, word_shapes=True, seed=3).eval()
    without = build_token_classifier(base, LABELS, word_shapes=False, seed=3).eval()
    assert "WordShape" in type(with_shapes).__name__ and "WordShape" not in type(without).__name__
    assert not hasattr(without.config, "word_shape_vocab_size")
    pad = with_shapes.config.pad_token_id
    ids = torch.tensor([[5, 10, 11, 12, 6, pad, pad], [5, 13, 14, 15, 16, 17, 6]])
    mask = (ids != pad).long()
    shapes = torch.randint(0, 7, ids.shape) * mask
    with torch.inference_mode():
        a = with_shapes(input_ids=ids, attention_mask=mask, token_type_ids=shapes).logits
        b = without(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(a[mask.bool()], b[mask.bool()])  # padding positions included in the position ids


def test_only_the_arguments_a_forward_names_reach_it(tmp_path):
    base = build_tiny_encoder("mpnet", tmp_path / "base")
    batch = {k: np.zeros((1, 4), dtype=np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    plain = build_token_classifier(base, LABELS, word_shapes=False)
    assert "token_type_ids" not in forward_names(plain)  # MPNet would swallow it through **kwargs
    assert set(model_inputs(plain, batch)) == {"input_ids", "attention_mask"}
    shaped = build_token_classifier(base, LABELS, word_shapes=True)
    assert set(model_inputs(shaped, batch)) == set(batch)


def test_a_plain_mpnet_trains_without_ever_receiving_token_types(tmp_path, sentences):
    base = build_tiny_encoder("mpnet", tmp_path / "base")
    config = overfit_config(base, **{"model.word_shapes": False, "training.epochs": 2, "training.threads": 1})
    seen: list[set[str]] = []
    original = MPNetHook.install(seen)
    try:
        train(config, tmp_path / "model", train_documents=sentences, dev_documents=sentences, n_bootstrap=0)
    finally:
        MPNetHook.remove(original)
    assert seen and all(keys <= {"input_ids", "attention_mask"} for keys in seen)
    assert not (tmp_path / "model" / "modeling_specialize.py").exists()
    assert Specialist.load(tmp_path / "model").settings.word_shapes is False


class MPNetHook:
    """Records the keyword arguments every MPNetForTokenClassification forward call receives."""

    @staticmethod
    def install(seen: list[set[str]]):
        from transformers import MPNetForTokenClassification

        original = MPNetForTokenClassification.forward

        def forward(self, input_ids=None, attention_mask=None, **kwargs):
            seen.append({"input_ids", "attention_mask", *kwargs})
            return original(self, input_ids=input_ids, attention_mask=attention_mask, **kwargs)

        MPNetForTokenClassification.forward = forward
        return original

    @staticmethod
    def remove(original) -> None:
        from transformers import MPNetForTokenClassification

        MPNetForTokenClassification.forward = original


def test_keeping_the_first_layers_of_mpnet_computes_exactly_those_layers(tmp_path):
    # MPNet's relative attention bias lives at encoder level, shared by all layers: dropping layers keeps it.
    base = build_tiny_encoder("mpnet", tmp_path / "base", layers=3)
    full = AutoModel.from_pretrained(base).eval()
    cut = keep_layers(AutoModel.from_pretrained(base), [0, 1]).eval()
    assert cut.config.num_hidden_layers == 2 and len(cut.encoder.layer) == 2
    ids = torch.tensor([[0, 10, 11, 12, 2]])
    with torch.inference_mode():
        after_two = full(input_ids=ids, output_hidden_states=True).hidden_states[2]
        torch.testing.assert_close(cut(input_ids=ids).last_hidden_state, after_two)


@pytest.mark.parametrize("family", ["mpnet", "distilbert"])
def test_layer_selection_and_pruning_on_encoders_without_token_types_save_and_reload(tmp_path, family):
    base = build_tiny_encoder(family, tmp_path / "base", layers=3)
    model = build_token_classifier(base, LABELS, layers=[0, 2], intermediate_size=24, word_shapes=True).eval()
    assert len(model.base_model.get_submodule("encoder" if family == "mpnet" else "transformer").layer) == 2
    model.save_pretrained(tmp_path / "cut")
    reloaded = load_token_classifier(tmp_path / "cut").eval()
    assert type(reloaded) is type(model)
    pad = model.config.pad_token_id
    ids = torch.tensor([[5, 10, 11, 6, pad]])
    inputs = {
        "input_ids": ids,
        "attention_mask": (ids != pad).long(),
        "token_type_ids": torch.tensor([[0, 2, 1, 0, 0]]),
    }
    with torch.inference_mode():
        torch.testing.assert_close(model(**inputs).logits, reloaded(**inputs).logits)


def test_a_text_classifier_trains_on_an_mpnet_base_with_layer_selection(tmp_path):
    from tests.classification.test_text_classifier import SINGLE

    from specialize.models.text_classifier import TextClassifier

    base = build_tiny_encoder("mpnet", tmp_path / "base", layers=3)
    config = overfit_config(
        base, **{"model.task": "classification", "model.layers": [0, 2], "model.intermediate_size": 32}
    )
    config.training.threads = 1
    train(config, tmp_path / "clf", train_documents=SINGLE, test_documents=SINGLE, n_bootstrap=0)
    classifier = TextClassifier.load(tmp_path / "clf")
    assert classifier.model.config.num_hidden_layers == 2
    assert classifier.predict([t.text for t in SINGLE]) == [t.labels for t in SINGLE]


def test_an_exported_mpnet_specialist_predicts_the_torch_spans(trained, tmp_path):
    from specialize.cli.main import main
    from specialize.export import export
    from specialize.runtime import OnnxPredictor

    folder = trained("mpnet")
    docs = casing_sentences()
    texts = [d.text for d in docs]
    torch_spans = Specialist.load(folder).predict(texts)
    result = export(folder, tmp_path / "onnx", check=docs)
    onnx = OnnxPredictor.load(result.output)
    assert "token_type_ids" in onnx.input_names  # shapes travel as token types, whatever the encoder
    assert _keys(onnx.predict(texts)) == _keys(torch_spans) == [sorted(s.key() for s in d.spans) for d in docs]
    assert result.numerics["max_abs_diff"] < 1e-4
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(result.output), "--input", str(tmp_path / "in.txt"), "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [sorted((s["start"], s["end"], s["label"]) for s in line["spans"]) for line in lines] == _keys(torch_spans)


@pytest.mark.parametrize("student", ["from-teacher", "bert"])
def test_an_mpnet_teacher_distils_into_its_own_layers_or_a_bert_student(trained, tmp_path, student):
    from specialize.training.distill import distill

    teacher = trained("mpnet")
    docs = casing_sentences()
    texts = [d.text for d in docs]
    base = None if student == "from-teacher" else build_tiny_encoder("bert", tmp_path / "base")
    config = overfit_config(base or teacher, **{"training.threads": 1, "model.base": None})
    # Soft labels on the gold texts, next to the gold labels: a random-weight student has casing to learn too.
    result = distill(
        teacher, config, tmp_path / "student", gold=docs, student_base=base, n_bootstrap=0, throughput_repeats=0
    )
    model = result.student.model
    if student == "from-teacher":  # the teacher's first layer
        assert type(model).__name__ == "WordShapeMPNetForTokenClassification" and len(model.mpnet.encoder.layer) == 1
        # It started from the teacher's trained shape rows, not from zero.
        cut = build_token_classifier(teacher, model.config.id2label.values(), layers=[0], word_shapes=True)
        trained_rows = load_token_classifier(teacher).word_shape_embeddings.weight
        assert trained_rows.abs().sum() > 0
        torch.testing.assert_close(cut.word_shape_embeddings.weight, trained_rows)
    expected = [sorted(s.key() for s in d.spans) for d in docs]
    assert _keys(Specialist.load(tmp_path / "student").predict(texts)) == expected


def test_the_encoder_of_a_shape_model_reads_shapes_as_the_full_model_does(trained):
    # What train-static runs every vocabulary token through: it must see shapes, as the specialist does.
    from specialize.models.shapes import encoder_of

    model = load_token_classifier(trained("mpnet")).eval()
    encoder = encoder_of(model)
    ids = torch.tensor([[0, 10, 11, 2]])
    mask = torch.ones_like(ids)
    lower, capitalized = torch.tensor([[0, 1, 1, 0]]), torch.tensor([[0, 2, 2, 0]])
    with torch.inference_mode():
        hidden = encoder(input_ids=ids, attention_mask=mask, token_type_ids=capitalized)[0]
        logits = model(input_ids=ids, attention_mask=mask, token_type_ids=capitalized).logits
        torch.testing.assert_close(model.classifier(hidden), logits)
        assert not torch.allclose(hidden, encoder(input_ids=ids, attention_mask=mask, token_type_ids=lower)[0])
