"""Tiny random-weight encoders of each family built in code (BERT, RoBERTa, DistilBERT, MPNet), saved like hub
models, with the same small uncased WordPiece vocabulary as tests/conftest.py's BERT."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from tests.conftest import WORDS, build_tiny_base

# Special tokens of each family, first in the vocabulary (MPNet's padding index must be 1, as in its embeddings).
_SPECIALS = {
    "mpnet": ["<s>", "<pad>", "</s>", "[UNK]", "<mask>"],
    "distilbert": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
}
FAMILIES = ("bert", "roberta", "distilbert", "mpnet")


def _vocab(specials: list[str]) -> dict[str, int]:
    letters = list(string.ascii_lowercase + string.digits + string.punctuation)
    words = list(dict.fromkeys([*specials, *WORDS, *letters, *(f"##{c}" for c in letters)]))
    return {w: i for i, w in enumerate(words)}


def build_tiny_encoder(family: str, directory: Path, layers: int = 2, seed: int = 0) -> Path:
    """A tiny encoder folder of ``family`` (bert, roberta, distilbert, mpnet): hidden 32, 2 heads, FFN 48."""
    import torch
    from transformers import (
        BertTokenizer,
        DistilBertConfig,
        DistilBertModel,
        DistilBertTokenizer,
        MPNetConfig,
        MPNetModel,
        MPNetTokenizer,
        RobertaConfig,
        RobertaModel,
    )

    if family == "bert":
        return build_tiny_base(directory, layers=layers, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    # The same sizes as the tiny BERT (conftest.build_tiny_base), in each family's own config names.
    sizes = {"hidden_size": 32, "num_hidden_layers": layers, "num_attention_heads": 2, "intermediate_size": 48}
    if family == "mpnet":
        vocab = _vocab(_SPECIALS["mpnet"])
        tokenizer: Any = MPNetTokenizer(vocab=vocab, do_lower_case=True)
        model: Any = MPNetModel(
            MPNetConfig(vocab_size=len(vocab), max_position_embeddings=130, pad_token_id=1, **sizes)
        )
    elif family == "distilbert":
        vocab = _vocab(_SPECIALS["distilbert"])
        tokenizer = DistilBertTokenizer(vocab=vocab, do_lower_case=True)
        config = DistilBertConfig(vocab_size=len(vocab), dim=32, n_layers=layers, n_heads=2, hidden_dim=48)
        model = DistilBertModel(config)
    elif family == "roberta":
        # A RoBERTa encoder (one token-type row, padding-offset positions) with a WordPiece tokenizer: the
        # tokenizer family does not matter to the model, and a byte-level BPE needs merges built elsewhere.
        vocab = _vocab(_SPECIALS["distilbert"])
        tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True)
        config = RobertaConfig(
            vocab_size=len(vocab), max_position_embeddings=132, type_vocab_size=1, pad_token_id=0, **sizes
        )
        model = RobertaModel(config)
    else:
        raise ValueError(f"unknown family {family!r}; one of {FAMILIES}")
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return directory
