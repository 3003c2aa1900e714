"""A trained specialist: a token classifier plus everything needed to turn text into spans.

Inference runs as preprocess (tokenize whole documents, cut windows) -> forward (length-sorted batches) ->
postprocess (merge windows, constrained decoding to character spans). The saved folder is a regular
``transformers`` model folder; ``specialize``'s own settings live under the ``specialize`` key of config.json.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel

from specialize.data.features import InferenceSettings
from specialize.data.model_folder import SPAN_TASK, ModelFolder
from specialize.inference.window_tagger import WindowTagger
from specialize.models.encoder_model import EncoderModel
from specialize.models.shapes import install_remote_code, load_token_classifier

logger = logging.getLogger(__name__)

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
            install_remote_code(directory, self.model, self.hf_tokenizer)

    @classmethod
    def _auto_model(cls, folder: ModelFolder) -> PreTrainedModel:
        return load_token_classifier(folder.path)
