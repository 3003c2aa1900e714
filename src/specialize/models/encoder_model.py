"""What every torch model of specialize shares: a transformers encoder with a task head, its tokenizer, and the
settings that say how text becomes windows.

The task-specific halves are mixins from ``specialize.data``: :class:`~specialize.inference.window_tagger.WindowTagger`
(spans) and :class:`~specialize.inference.window_classifier.WindowClassifier` (labels of whole texts). They hold
everything but the forward pass, which is the same for the torch-free ONNX models. This base adds the torch
forward pass, the device, saving (a folder ``transformers`` loads, specialize's settings under config.json's
``specialize`` key, the format version) and loading (checked by :func:`specialize.data.model_folder.read_model_folder`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from transformers import AutoTokenizer, PreTrainedModel

from specialize.data.features import WindowFeatures
from specialize.data.model_folder import FORMAT_VERSION, TASK_WHAT, FolderKind, ModelFolder, read_model_folder
from specialize.errors import ModelFolderError
from specialize.utils.device import model_inputs, move_model, on_cpu

logger = logging.getLogger(__name__)


class EncoderModel:
    """Base of :class:`~specialize.models.specialist.Specialist` and
    :class:`~specialize.models.text_classifier.TextClassifier`; subclasses set the class attributes."""

    task: ClassVar[str]  # "ner" or "classification", as in config.json's specialize.task
    settings_type: ClassVar[type]  # the settings dataclass saved under specialize.<section>
    section: ClassVar[str]  # "inference" or "classifier"
    what: ClassVar[str]  # "span model" / "text classifier", for messages

    model: PreTrainedModel
    hf_tokenizer: Any
    settings: Any
    name: str
    # What the model read in training, sentences or whole documents (ModelFolder.trained_on; None: not known): a
    # teacher is asked for targets on the kind of text it learned from.
    trained_on: str | None = None

    def _init_encoder(self, model: PreTrainedModel, hf_tokenizer: Any, name: str) -> list[str]:
        """Keep the model and tokenizer; return the output labels in id order."""
        self.model = model
        self.hf_tokenizer = hf_tokenizer
        self.name = name
        id2label: dict[Any, str] = dict(model.config.id2label or {})
        return [id2label[i] for i in range(len(id2label))]

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def to(self, device: str | torch.device) -> Any:
        """Run on ``device`` (auto, cpu, cuda, cuda:N); batches follow the model there."""
        move_model(self.model, device)
        return self

    def model_outputs(self, batch: dict[str, np.ndarray]) -> torch.Tensor:
        """Float32 logits for one padded batch: only the inputs the model's forward takes (MPNet takes no token
        types), on its device; returned on the CPU."""
        logits: torch.Tensor = self.model(**model_inputs(self.model, batch)).logits
        return logits.float().cpu()

    def forward(self, features: Sequence[WindowFeatures]) -> list[np.ndarray]:
        """The mixin's forward in eval mode (training evaluates on dev mid-epoch), then back to how it was."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                out: list[np.ndarray] = super().forward(features)  # type: ignore[misc]
            return out
        finally:
            self.model.train(was_training)

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, extra_config: dict[str, Any] | None = None) -> Path:
        """Write a folder that ``transformers`` loads (weights, config, tokenizer) with specialize's settings."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.config.specialize = {
            "format_version": FORMAT_VERSION,
            "task": self.task,
            self.section: asdict(self.settings),
            **(extra_config or {}),
        }
        with on_cpu(self.model):  # the same files whichever device trained it
            self.model.save_pretrained(directory)
        self.hf_tokenizer.save_pretrained(directory)
        self._after_save(directory)
        return directory

    def _after_save(self, directory: Path) -> None:
        """Extra files a task ships with its folder (the word-shape tokenizer of a span model)."""

    @classmethod
    def check_folder(cls, directory: str | Path) -> ModelFolder:
        """The folder's checked config, refused when it holds another task or is not a torch folder."""
        folder = read_model_folder(directory)
        if folder.task != cls.task:
            raise ModelFolderError(
                f"{directory} is a {TASK_WHAT[folder.task]}, not a {cls.what}; load it with "
                "specialize.models.resolve.load_model, which picks the right class"
            )
        if folder.kind is not FolderKind.TRANSFORMERS:
            raise ModelFolderError(
                f"{directory} is a {folder.kind.value} folder, not a torch {cls.what}; load it with "
                "specialize.models.resolve.load_model"
            )
        return folder

    @classmethod
    def _auto_model(cls, folder: ModelFolder) -> PreTrainedModel:
        raise NotImplementedError

    @classmethod
    def _from_parts(cls, model: PreTrainedModel, hf_tokenizer: Any, settings: Any, name: str) -> Any:
        return cls(model, hf_tokenizer, settings, name=name)  # type: ignore[call-arg]

    @classmethod
    def load(cls, directory: str | Path, name: str | None = None) -> Any:
        folder = cls.check_folder(directory)
        model = cls._auto_model(folder)
        # The shape-aware tokenizer class matters only to transformers users; here the Rust tokenizer is used.
        hf_tokenizer = AutoTokenizer.from_pretrained(str(folder.path), trust_remote_code=False, use_fast=True)
        settings: Any = folder.settings_as(cls.settings_type)
        loaded = cls._from_parts(model, hf_tokenizer, settings, name or folder.path.name)
        loaded.trained_on = folder.trained_on
        return loaded
