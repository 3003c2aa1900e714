"""A trained specialist: a token classifier plus everything needed to turn text into spans.

Inference runs as preprocess (tokenize whole documents, cut windows) -> forward (length-sorted batches) ->
postprocess (merge windows, constrained decoding to character spans). The saved folder is a regular
``transformers`` model folder; ``specialize``'s own settings live under the ``specialize`` key of config.json.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForTokenClassification, PreTrainedModel

from specialize.data.features import InferenceSettings
from specialize.data.model_folder import SPAN_TASK, ModelFolder
from specialize.data.window_tagger import WindowTagger
from specialize.models.encoder_model import EncoderModel

logger = logging.getLogger(__name__)

REMOTE_CODE_DIR = Path(__file__).parent / "remote_code"
WORD_SHAPE_MODULE = Path(__file__).parents[1] / "data" / "word_shape.py"

__all__ = ["InferenceSettings", "Specialist"]


class Specialist(EncoderModel, WindowTagger):
    """A token-classification specialist usable as a ``SpanPredictor``."""

    task = SPAN_TASK
    settings_type = InferenceSettings
    section = "inference"
    what = "span model"

    def __init__(
        self,
        model: PreTrainedModel,
        hf_tokenizer: Any,
        settings: InferenceSettings | None = None,
        name: str = "specialist",
    ):
        settings = settings or InferenceSettings(
            cls_id=hf_tokenizer.cls_token_id,
            sep_id=hf_tokenizer.sep_token_id,
            pad_id=hf_tokenizer.pad_token_id,
        )
        label_list = self._init_encoder(model, hf_tokenizer, name)
        # The Rust tokenizer itself tokenizes (whole documents); hf_tokenizer is kept for saving.
        self._init_tagging(hf_tokenizer.backend_tokenizer, settings, label_list)

    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        probs: np.ndarray = torch.softmax(self.model_outputs(batch), dim=-1).numpy()
        return probs

    def _after_save(self, directory: Path) -> None:
        if self.settings.word_shapes:
            _install_shape_tokenizer(directory)

    @classmethod
    def _auto_model(cls, folder: ModelFolder) -> PreTrainedModel:
        return AutoModelForTokenClassification.from_pretrained(str(folder.path))


def _install_shape_tokenizer(directory: Path) -> None:
    """Ship the word-shape tokenizer so ``AutoTokenizer``/``pipeline`` with trust_remote_code see casing."""
    shutil.copy(REMOTE_CODE_DIR / "tokenization_specialize.py", directory / "tokenization_specialize.py")
    shutil.copy(WORD_SHAPE_MODULE, directory / "word_shape.py")
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["auto_map"] = {"AutoTokenizer": [None, "tokenization_specialize.WordShapeBertTokenizer"]}
    config_path.write_text(json.dumps(config, indent=2) + "\n")
