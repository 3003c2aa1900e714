"""A trained specialist: a token classifier plus everything needed to turn text into spans.

Inference runs as preprocess (tokenize whole documents, cut windows) -> forward (length-sorted batches) ->
postprocess (merge windows, constrained decoding to character spans). The saved folder is a regular
``transformers`` model folder; ``specialize``'s own settings live under the ``specialize`` key of config.json.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoTokenizer, PreTrainedModel

from specialize.data.features import (
    InferenceSettings,
    WindowFeatures,
)
from specialize.data.window_tagger import WindowTagger
from specialize.models.shapes import install_remote_code, load_token_classifier
from specialize.utils.device import model_inputs, move_model, on_cpu

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


class Specialist(WindowTagger):
    """A token-classification specialist usable as a ``SpanPredictor``."""

    def __init__(
        self,
        model: PreTrainedModel,
        hf_tokenizer: Any,
        settings: InferenceSettings | None = None,
        name: str = "specialist",
    ):
        self.model = model
        self.hf_tokenizer = hf_tokenizer
        settings = settings or InferenceSettings(
            cls_id=hf_tokenizer.cls_token_id,
            sep_id=hf_tokenizer.sep_token_id,
            pad_id=hf_tokenizer.pad_token_id,
        )
        self.name = name
        id2label: dict[Any, str] = dict(model.config.id2label or {})
        # The Rust tokenizer itself tokenizes (whole documents); hf_tokenizer is kept for saving.
        self._init_tagging(hf_tokenizer.backend_tokenizer, settings, [id2label[i] for i in range(len(id2label))])

    def to(self, device: str | torch.device) -> Specialist:
        """Run on ``device`` (auto, cpu, cuda, cuda:N); batches follow the model there."""
        move_model(self.model, device)
        return self

    @torch.inference_mode()
    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        logits = self.model(**model_inputs(self.model, batch)).logits
        probs: np.ndarray = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return probs

    def forward(self, features: Sequence[WindowFeatures]) -> list[np.ndarray]:
        # Dropout off while predicting (dev evaluation happens mid-training), then back to how it was.
        was_training = self.model.training
        self.model.eval()
        try:
            return super().forward(features)
        finally:
            self.model.train(was_training)

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, extra_config: dict[str, Any] | None = None) -> Path:
        """Write a folder that ``transformers`` loads (weights, config, tokenizer) plus the shape tokenizer."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.config.specialize = {
            "format_version": FORMAT_VERSION,
            "inference": asdict(self.settings),
            **(extra_config or {}),
        }
        with on_cpu(self.model):  # the same files whichever device trained it
            self.model.save_pretrained(directory)
        self.hf_tokenizer.save_pretrained(directory)
        if self.settings.word_shapes:
            install_remote_code(directory, self.model, self.hf_tokenizer)
        return directory

    @classmethod
    def load(cls, directory: str | Path, name: str | None = None) -> Specialist:
        directory = Path(directory)
        config_path = directory / "config.json"
        if not config_path.is_file():
            raise FileNotFoundError(
                f"{directory} is not a model folder (no config.json); pass a folder written by `specialize train`"
            )
        raw = json.loads(config_path.read_text())
        if raw.get("model_type") == "specialize-static":
            # A static-embedding student: same predictor interface, its own weights format. Dispatching here
            # lets export, predict, evaluate and teacher loading take its folder without knowing about it.
            from specialize.models.static_student import StaticStudent

            return StaticStudent.load(directory, name=name)
        if raw.get("specialize", {}).get("task") == "classification":
            raise ValueError(
                f"{directory} is a text classifier, not a span model: load it with "
                "specialize.models.classify.load_classifier (predict, evaluate, review, export, serve, apply and "
                "distill take it; label, link, redact and audit need a span model)"
            )
        saved = raw.get("specialize", {}).get("inference")
        if saved is None:
            raise ValueError(
                f"{config_path} has no 'specialize' section: this folder was not written by specialize. "
                "Train a specialist with `specialize train`, or use the model through transformers directly."
            )
        model = load_token_classifier(directory)
        # The shape-aware tokenizer class only matters to transformers users; here the Rust tokenizer is used.
        hf_tokenizer = AutoTokenizer.from_pretrained(str(directory), trust_remote_code=False, use_fast=True)
        settings = InferenceSettings(**{k: v for k, v in saved.items() if k in InferenceSettings.__dataclass_fields__})
        return cls(model, hf_tokenizer, settings, name=name or directory.name)
