"""Shared fixtures: a tiny random-weight BERT with a tokenizer built in code, and tiny NER data."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest

from specialize.data.document import Document, Span

os.environ.setdefault("HF_HUB_OFFLINE", "1")

WORDS = [
    "the",
    "a",
    "of",
    "in",
    "to",
    "and",
    "was",
    "is",
    "at",
    "for",
    "on",
    "with",
    "from",
    "by",
    "visited",
    "met",
    "said",
    "told",
    "lives",
    "works",
    "near",
    "city",
    "river",
    "company",
    "team",
    "player",
    "doctor",
    "patient",
    "disease",
    "cancer",
    "syndrome",
    "treated",
    "with",
    "drug",
    "paris",
    "london",
    "berlin",
    "acme",
    "globex",
    "obama",
    "merkel",
    "smith",
    "jones",
    "zorblax",
]


def tiny_sentences() -> list[Document]:
    """Five sentences with PER / LOC / ORG spans (whitespace tokens, offsets computed, not typed by hand)."""
    raw = [
        [("Obama", "PER"), ("visited", None), ("Paris", "LOC"), (".", None)],
        [("Merkel", "PER"), ("met", None), ("Smith", "PER"), ("in", None), ("Berlin", "LOC"), (".", None)],
        [("Acme", "ORG"), ("said", None), ("Jones", "PER"), ("works", None), ("in", None), ("London", "LOC")],
        [("the", None), ("doctor", None), ("told", None), ("Globex", "ORG"), ("at", None), ("Paris", "LOC")],
        [
            ("Jones", "PER"),
            ("lives", None),
            ("near", None),
            ("the", None),
            ("river", None),
            ("in", None),
            ("Berlin", "LOC"),
            (".", None),
        ],
    ]
    docs = []
    for i, tokens in enumerate(raw):
        text, spans = "", []
        for word, label in tokens:
            if text:
                text += " "
            if label:
                spans.append(Span(len(text), len(text) + len(word), label))
            text += word
        docs.append(Document(text, spans, id=f"s{i}"))
    return docs


def build_tiny_base(directory: Path, layers: int = 2, seed: int = 0) -> Path:
    """A random-weight BERT encoder folder with a small WordPiece vocabulary, saved like a hub model."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    letters = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *letters, *(f"##{c}" for c in letters)]
    words = list(dict.fromkeys(vocab))
    # transformers 5 builds the fast tokenizer from a vocabulary mapping (a vocab_file argument is ignored).
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True)
    assert tokenizer.backend_tokenizer.get_vocab_size() == len(words)
    tokenizer.save_pretrained(directory)
    (directory / "vocab.txt").write_text("\n".join(words) + "\n")
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=48,
        max_position_embeddings=128,
        type_vocab_size=2,
    )
    BertModel(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny_base"), layers=3)


@pytest.fixture()
def sentences() -> list[Document]:
    return tiny_sentences()


# Settings that make a tiny random-weight model memorise a handful of sentences in a few seconds.
OVERFIT = {
    "training.epochs": 40,
    "training.batch_size": 1,
    "training.learning_rate": 3e-3,
    "training.head_learning_rate": 1e-2,
    "training.warmup_ratio": 0.0,
    "training.progress": False,
    "training.bf16": False,
}


def overfit_config(tiny_base: Path, **overrides: object):  # -> TrainConfig (imported lazily: no torch at collection)
    from specialize.config import load_config

    return load_config(overrides={**OVERFIT, "model.base": str(tiny_base), **overrides})


@pytest.fixture(scope="session")
def tiny_specialist(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a tiny specialist that has memorised ``tiny_sentences()`` (shared, read-only)."""
    from specialize.training.train import train

    docs = tiny_sentences()
    out = tmp_path_factory.mktemp("tiny_specialist") / "model"
    train(overfit_config(tiny_base), out, train_documents=docs, dev_documents=docs, n_bootstrap=0)
    return out
