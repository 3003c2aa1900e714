"""How a token classifier receives word shapes, whatever its encoder, and what its saved folder ships for it.

Two routes, one input: shapes always travel as ``token_type_ids`` (data/features.pad_batch, the ONNX graph, the
torch-free runtime, the shipped tokenizer).

- Encoders with token-type embeddings (BERT, RoBERTa, ELECTRA...) read shapes through them, the table grown
  to one row per shape (token_classifier.enable_word_shapes); the folder stays a plain transformers model.
- Encoders without (MPNet, DistilBERT) get a zero-initialised shape embedding added to their input embeddings,
  in a subclass of their ``*ForTokenClassification`` (remote_code/modeling_specialize.py). The saved folder
  ships that file with an ``auto_map``, so ``AutoModelForTokenClassification.from_pretrained(folder,
  trust_remote_code=True)`` loads it; specialize itself loads the class directly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForTokenClassification, PreTrainedModel

from specialize.data.word_shape import NUM_SHAPES
from specialize.errors import ModelFolderError
from specialize.models.remote_code.modeling_specialize import WORD_SHAPE_CLASSES

REMOTE_CODE_DIR = Path(__file__).parent / "remote_code"
WORD_SHAPE_MODULE = Path(__file__).parents[1] / "data" / "word_shape.py"
MODELING_MODULE = "modeling_specialize"
TOKENIZATION_MODULE = "tokenization_specialize"
SHAPE_VOCAB_KEY = "word_shape_vocab_size"
# The shipped shape tokenizer subclassing each base tokenizer class; any other fast tokenizer gets the generic one.
_SHAPE_TOKENIZERS = {
    name: f"WordShape{name}" for name in ("BertTokenizer", "DistilBertTokenizer", "MPNetTokenizer", "RobertaTokenizer")
}
_GENERIC_SHAPE_TOKENIZER = "WordShapeTokenizer"


def uses_token_types(config: Any) -> bool:
    """Whether the encoder has token-type embeddings to carry shapes (DeBERTa-v3 has ``type_vocab_size`` 0)."""
    return int(getattr(config, "type_vocab_size", 0) or 0) > 0


def shape_model_class(config: Any) -> type[PreTrainedModel] | None:
    """The shape-embedding class for ``config``'s encoder; None when its token-type embeddings carry shapes."""
    if uses_token_types(config):
        return None
    cls = WORD_SHAPE_CLASSES.get(getattr(config, "model_type", ""))
    if cls is None:
        raise ModelFolderError(
            f"{config.model_type} encoders have no token-type embeddings and no word-shape class yet (supported: "
            f"encoders with token types, {', '.join(WORD_SHAPE_CLASSES)}); use word_shapes = false for this base"
        )
    return cls  # type: ignore[return-value]


def _is_ours(auto_map: Any) -> bool:
    return isinstance(auto_map, dict) and any(str(v).startswith(f"{MODELING_MODULE}.") for v in auto_map.values())


def configure_word_shapes(config: Any, word_shapes: bool) -> type[PreTrainedModel] | None:
    """Set ``config`` up for the shape route it takes; returns the class to build (None = the Auto class).

    A config read from a saved shape-embedding specialist (a distillation teacher) loses those settings when
    the new model takes no shapes or takes them through token types: its folder will not ship the class.
    """
    cls = shape_model_class(config) if word_shapes else None
    if cls is not None:
        setattr(config, SHAPE_VOCAB_KEY, NUM_SHAPES)
        config.auto_map = {"AutoModelForTokenClassification": f"{MODELING_MODULE}.{cls.__name__}"}
        return cls
    if hasattr(config, SHAPE_VOCAB_KEY):
        delattr(config, SHAPE_VOCAB_KEY)
    if _is_ours(getattr(config, "auto_map", None)):
        del config.auto_map
    return None


def saved_shape_class(config: Any) -> type[PreTrainedModel] | None:
    """The shape-embedding class a saved folder's config names, if any."""
    if getattr(config, SHAPE_VOCAB_KEY, None) is None:
        return None
    return WORD_SHAPE_CLASSES.get(getattr(config, "model_type", ""))  # type: ignore[return-value]


class ShapedEncoder(torch.nn.Module):
    """The encoder of a shape-embedding model as a base model: ids, mask and shapes (token types) in, hidden
    states out, the shapes added as the full model adds them (its base model alone would ignore them)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def get_input_embeddings(self) -> torch.nn.Module:
        embeddings: torch.nn.Module = self.model.get_input_embeddings()
        return embeddings

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> Any:
        inputs_embeds, position_ids = self.model.shaped_inputs(input_ids, token_type_ids)
        return self.model.base_model(
            attention_mask=attention_mask, position_ids=position_ids, inputs_embeds=inputs_embeds
        )


def encoder_of(model: PreTrainedModel) -> torch.nn.Module:
    """``model``'s encoder, taking word shapes as ``token_type_ids`` whichever route the model reads them by."""
    if saved_shape_class(model.config) is not None:
        return ShapedEncoder(model)
    base: torch.nn.Module = model.base_model
    return base


def load_token_classifier(directory: str | Path) -> PreTrainedModel:
    """A saved token classifier: the shape-embedding class when the folder has one (no remote code run)."""
    config = AutoConfig.from_pretrained(str(directory))
    cls = saved_shape_class(config) or AutoModelForTokenClassification
    model: PreTrainedModel = cls.from_pretrained(str(directory))
    return model


def install_remote_code(directory: Path, model: PreTrainedModel, hf_tokenizer: Any) -> None:
    """Ship the shape tokenizer (and the shape-embedding model class when ``model`` is one) into ``directory``.

    Then ``AutoTokenizer``/``AutoModelForTokenClassification``/``pipeline`` with trust_remote_code see casing.
    """
    shutil.copy(REMOTE_CODE_DIR / f"{TOKENIZATION_MODULE}.py", directory / f"{TOKENIZATION_MODULE}.py")
    shutil.copy(WORD_SHAPE_MODULE, directory / "word_shape.py")
    if saved_shape_class(model.config) is not None:
        shutil.copy(REMOTE_CODE_DIR / f"{MODELING_MODULE}.py", directory / f"{MODELING_MODULE}.py")
    tokenizer_class = _SHAPE_TOKENIZERS.get(type(hf_tokenizer).__name__, _GENERIC_SHAPE_TOKENIZER)
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["auto_map"] = {"AutoTokenizer": [None, f"{TOKENIZATION_MODULE}.{tokenizer_class}"]}
    config_path.write_text(json.dumps(config, indent=2) + "\n")
