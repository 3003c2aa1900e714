"""Tokenizers shipped inside specialize model folders (loaded by transformers with trust_remote_code=True).

Each is the base model's fast tokenizer plus one thing: ``token_type_ids`` carry the shape of each token's word
(lowercase, Capitalized, UPPER, ...), which the specialist was trained with. Without it an uncased model cannot
see casing. Tokenizers whose model takes no token types (MPNet, RoBERTa, DistilBERT) are made to return them:
the specialist reads shapes from that input whatever its base. See word_shape.py next to this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from transformers import BertTokenizer, DistilBertTokenizer, MPNetTokenizer, PreTrainedTokenizerFast, RobertaTokenizer

from .word_shape import word_shape_ids


class WordShapeMixin:
    """Replaces ``token_type_ids`` with word-shape ids computed from the original text."""

    # Also for tokenizers whose model takes no token types (MPNet, RoBERTa): shapes travel in token_type_ids.
    model_input_names: ClassVar[list[str]] = ["input_ids", "token_type_ids", "attention_mask"]
    _pending_texts: Iterator[str] | None = None

    def _encode_plus(self, text: Any, text_pair: Any = None, **kwargs: Any) -> Any:
        if text_pair is not None or kwargs.get("is_split_into_words"):
            raise ValueError(f"{type(self).__name__} encodes single raw texts only (no pairs, no pre-split words)")
        texts = [text] if isinstance(text, str) else list(text)
        self._pending_texts = iter(texts)
        try:
            return super()._encode_plus(text, text_pair, **kwargs)  # type: ignore[misc]
        finally:
            self._pending_texts = None

    def _convert_encoding(self, encoding: Any, *args: Any, **kwargs: Any) -> Any:
        encoding_dict, encodings = super()._convert_encoding(encoding, *args, **kwargs)  # type: ignore[misc]
        pending = getattr(self, "_pending_texts", None)
        if pending is not None and "token_type_ids" in encoding_dict:
            # Encodings are converted in input order, one call per input text (overflow windows included).
            text = next(pending)
            encoding_dict["token_type_ids"] = [word_shape_ids(text, e.offsets, e.word_ids) for e in encodings]
        return encoding_dict, encodings


class WordShapeBertTokenizer(WordShapeMixin, BertTokenizer):  # type: ignore[misc]
    pass


class WordShapeDistilBertTokenizer(WordShapeMixin, DistilBertTokenizer):  # type: ignore[misc]
    pass


class WordShapeMPNetTokenizer(WordShapeMixin, MPNetTokenizer):  # type: ignore[misc]
    pass


class WordShapeRobertaTokenizer(WordShapeMixin, RobertaTokenizer):  # type: ignore[misc]
    pass


class WordShapeTokenizer(WordShapeMixin, PreTrainedTokenizerFast):  # type: ignore[misc]
    """Any other fast tokenizer, read from its tokenizer.json."""
