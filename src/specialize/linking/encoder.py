"""Mention embeddings: a Hugging Face encoder, mean-pooled and L2-normalised (sentence-transformers style).

Any local BERT-like folder works: the default all-MiniLM-L6-v2, or a specialist written by ``specialize
train`` (its token-classification head is dropped; its encoder has learnt the domain's mentions). A
specialist that reads word shapes through token-type embeddings (see ``data/word_shape.py``) gets them here
too, computed from the mention as written, so its casing signal is kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel

from specialize.data.word_shape import word_shape_ids
from specialize.errors import DataError, ModelFolderError, ModelNotFoundError

logger = logging.getLogger(__name__)


class MentionEncoder:
    """Strings in, one unit-length vector per string out (float32, shape ``(n, hidden)``)."""

    def __init__(self, model: PreTrainedModel, hf_tokenizer: Any, *, word_shapes: bool = False, batch_size: int = 64):
        self.model = model.eval()
        self.hf_tokenizer = hf_tokenizer
        self.word_shapes = word_shapes
        self.batch_size = batch_size
        self.max_length = int(getattr(model.config, "max_position_embeddings", 512))
        # Our own padding and a length check instead of the tokenizer's: a too-long mention is an error
        # naming it, never cut silently (a saved tokenizer.json may carry a truncation setting).
        self._tokenizer = hf_tokenizer.backend_tokenizer
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.pad_id = int(hf_tokenizer.pad_token_id or 0)

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    @classmethod
    def load(cls, directory: str | Path, *, word_shapes: bool | None = None, batch_size: int = 64) -> MentionEncoder:
        """Load an encoder folder (or a specialist's); ``word_shapes=None`` reads it from a specialist's config."""
        directory = Path(directory)
        config_path = directory / "config.json"
        if not config_path.is_file():
            raise ModelNotFoundError(
                f"{directory} is not a model folder (no config.json); pass a Hugging Face encoder folder such as "
                "all-MiniLM-L6-v2 or a folder written by `specialize train`"
            )
        raw = json.loads(config_path.read_text())
        if raw.get("model_type") == "specialize-static":
            raise ModelFolderError(
                f"{directory} is a static-embedding student, which has no transformer encoder to embed mentions "
                "with; pass a transformer specialist or an encoder folder"
            )
        if word_shapes is None:
            word_shapes = bool(raw.get("specialize", {}).get("inference", {}).get("word_shapes", False))
        try:
            # Mean pooling ignores BERT's pooler; leaving it out avoids a randomly initialised, saved-but-unused
            # layer when the folder is a token classifier (which has none).
            model = AutoModel.from_pretrained(str(directory), add_pooling_layer=False)
        except TypeError:  # architectures without that option
            model = AutoModel.from_pretrained(str(directory))
        # The shape-aware tokenizer class only matters to transformers users; the Rust tokenizer is used here.
        hf_tokenizer = AutoTokenizer.from_pretrained(str(directory), trust_remote_code=False, use_fast=True)
        return cls(model, hf_tokenizer, word_shapes=word_shapes, batch_size=batch_size)

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(directory)
        self.hf_tokenizer.save_pretrained(directory)
        return directory

    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length mean-pooled embeddings, in input order; batches are formed by length (less padding)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        for text, enc in zip(texts, encodings, strict=True):
            if len(enc.ids) > self.max_length:
                raise DataError(
                    f"mention {text[:80]!r} has {len(enc.ids)} tokens, more than the encoder's {self.max_length}; "
                    "mentions are short names: check the span offsets of the input"
                )
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for lo in range(0, len(order), self.batch_size):
            batch = order[lo : lo + self.batch_size]
            out[batch] = self._embed([texts[i] for i in batch], [encodings[i] for i in batch])
        return out

    def _embed(self, texts: list[str], encodings: list[Any]) -> npt.NDArray[np.float32]:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, (text, enc) in enumerate(zip(texts, encodings, strict=True)):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            if self.word_shapes:
                types[row, :n] = word_shape_ids(text, enc.offsets, enc.word_ids)
        inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if "token_type_ids" in self._forward_names():
            inputs["token_type_ids"] = torch.from_numpy(types)
        hidden = self.model(**inputs).last_hidden_state.float()
        weights = inputs["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        result: npt.NDArray[np.float32] = pooled.numpy().astype(np.float32)
        return result

    def _forward_names(self) -> set[str]:
        import inspect

        return set(inspect.signature(self.model.forward).parameters)
