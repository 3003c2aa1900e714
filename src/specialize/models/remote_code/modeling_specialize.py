"""Token classifiers that see word shapes, for encoders without token-type embeddings (MPNet, DistilBERT).

BERT-style encoders get each word's shape (lowercase, Capitalized, UPPER...: see word_shape.py) through their
token-type embeddings. MPNet and DistilBERT have none, so these classes add one embedding row per shape to the
input embeddings, before the position embeddings and LayerNorm, exactly where BERT adds token types. Shapes
arrive as ``token_type_ids``, the input every specialize runtime (torch, ONNX, the shape tokenizer) already
feeds. The shape rows start at zero, so a fresh model computes exactly what its base computed.

This file is copied into every saved model folder that uses one of these classes (config.json ``auto_map``), so
``AutoModelForTokenClassification.from_pretrained(folder, trust_remote_code=True)`` loads it without specialize
installed: it imports torch and transformers only.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import DistilBertForTokenClassification, MPNetForTokenClassification


class WordShapeMixin:
    """Adds ``word_shape_embeddings`` (``config.word_shape_vocab_size`` rows) to the word embeddings."""

    config: Any
    base_model: Any

    def _init_word_shapes(self, config: Any) -> None:
        self.word_shape_embeddings = nn.Embedding(config.word_shape_vocab_size, config.hidden_size)
        nn.init.zeros_(self.word_shape_embeddings.weight)

    def _init_weights(self, module: nn.Module) -> None:
        # Rows not found in a checkpoint start at zero (the base unchanged), not at random like other embeddings.
        if module is getattr(self, "word_shape_embeddings", None):
            nn.init.zeros_(module.weight)
            return
        super()._init_weights(module)  # type: ignore[misc]

    def _position_ids(self, input_ids: torch.Tensor) -> torch.Tensor | None:
        """The position ids the encoder derives from ``input_ids`` itself, which it cannot from embeddings.

        MPNet (like RoBERTa) numbers positions after its padding index and gives padding that index; from
        ``inputs_embeds`` alone it would number padding too. Other encoders count positions from 0 either way.
        """
        padding_idx = getattr(self.base_model.embeddings, "padding_idx", None)
        if padding_idx is None:
            return None
        mask = input_ids.ne(padding_idx).int()
        return (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + padding_idx

    def shaped_inputs(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(input embeddings with the shape rows added, position ids) for the encoder's ``inputs_embeds`` path."""
        if inputs_embeds is None:
            if input_ids is None:
                raise ValueError("pass input_ids or inputs_embeds")
            inputs_embeds = self.base_model.get_input_embeddings()(input_ids)
            if position_ids is None:
                position_ids = self._position_ids(input_ids)
        if token_type_ids is not None:
            inputs_embeds = inputs_embeds + self.word_shape_embeddings(token_type_ids)
        return inputs_embeds, position_ids

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        inputs_embeds, position_ids = self.shaped_inputs(input_ids, token_type_ids, position_ids, inputs_embeds)
        return super().forward(  # type: ignore[misc]
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            labels=labels,
            **kwargs,
        )


class WordShapeMPNetForTokenClassification(WordShapeMixin, MPNetForTokenClassification):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._init_word_shapes(config)


class WordShapeDistilBertForTokenClassification(WordShapeMixin, DistilBertForTokenClassification):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._init_word_shapes(config)


# model_type -> class with a shape embedding, for encoders that have no token-type embeddings to carry shapes.
WORD_SHAPE_CLASSES: dict[str, type[nn.Module]] = {
    "mpnet": WordShapeMPNetForTokenClassification,
    "distilbert": WordShapeDistilBertForTokenClassification,
}
