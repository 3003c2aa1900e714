"""The torch-free runtime: an exported model (``specialize export``) run with onnxruntime and tokenizers.

The folder holds ``model.onnx``, ``tokenizer.json`` and ``config.json`` (labels and the task's settings, read by
:func:`specialize.data.model_folder.read_model_folder`). What differs between tasks is only what happens after
the graph: a span model's per-position logits become tag probabilities that
:class:`~specialize.inference.window_tagger.WindowTagger` merges and decodes into spans; a text classifier's window
logits are pooled and decided by :class:`~specialize.inference.window_classifier.WindowClassifier`. Those mixins are
the very code the torch models use, so an export gives the same answers for the same logits.
:func:`load_exported` picks the class from the folder's task. Nothing here imports torch or transformers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from specialize.data.features import InferenceSettings
from specialize.data.model_folder import CLASSIFICATION_TASK, SPAN_TASK, FolderKind, read_model_folder
from specialize.errors import ModelFolderError
from specialize.inference.window_classifier import ClassifierSettings, WindowClassifier
from specialize.inference.window_tagger import WindowTagger
from specialize.runtime.session import open_exported

logger = logging.getLogger(__name__)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in float32, shifted by the max so large logits cannot overflow."""
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    out: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
    return out


class OnnxModel:
    """The onnxruntime half of an exported model: loading the folder, one padded batch in, the output out."""

    task: ClassVar[str]
    settings_type: ClassVar[type]
    session: Any
    input_names: list[str]
    output_name: str
    name: str

    def __init__(self, session: Any, tokenizer: Any, settings: Any, label_list: Sequence[str], name: str = "onnx"):
        self.name = name
        self.session = session
        # Models without token-type embeddings (DistilBERT-style) are exported without that input.
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_name = session.get_outputs()[0].name
        self._init_task(tokenizer, settings, label_list)

    def _init_task(self, tokenizer: Any, settings: Any, label_list: Sequence[str]) -> None:
        raise NotImplementedError

    @classmethod
    def load(
        cls,
        folder: str | Path,
        threads: int | None = None,
        *,
        name: str | None = None,
        batch_size: int | None = None,
    ) -> Self:
        """Load an exported folder. ``threads`` caps onnxruntime's intra-op threads (``None``: its default,
        one per physical core); ``batch_size`` overrides the saved number of windows per forward pass."""
        checked = read_model_folder(folder)
        if checked.kind is not FolderKind.ONNX or checked.task != cls.task:
            raise ModelFolderError(
                f"{folder} is a {checked.kind.value} {checked.task} folder, not an exported {cls.task} model; load it "
                "with specialize.runtime.load_exported (exports) or specialize.models.resolve.load_model (any folder)"
            )
        session, tokenizer = open_exported(checked.path, threads)
        settings: Any = checked.settings_as(cls.settings_type)
        if batch_size is not None:
            settings.batch_size = batch_size
        logger.info("loaded %s as %s (%d labels, threads=%s)", folder, cls.__name__, len(checked.labels), threads)
        return cls(session, tokenizer, settings, checked.labels, name=name or checked.path.name)

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """The graph's output for one padded batch from ``pad_batch``."""
        feeds = {name: batch[name] for name in self.input_names}
        out: np.ndarray = self.session.run([self.output_name], feeds)[0]
        return out

    def __repr__(self) -> str:
        labels = getattr(self, "labels", None)
        return f"{type(self).__name__}(name={self.name!r}, labels={labels}, inputs={self.input_names})"


class OnnxPredictor(OnnxModel, WindowTagger):
    """An exported span model as a :class:`~specialize.models.base.SpanPredictor`."""

    task = SPAN_TASK
    settings_type = InferenceSettings

    def _init_task(self, tokenizer: Any, settings: Any, label_list: Sequence[str]) -> None:
        self._init_tagging(tokenizer, settings, label_list)

    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return softmax(self.logits(batch))


class OnnxClassifier(OnnxModel, WindowClassifier):
    """An exported text classifier as a :class:`~specialize.models.base.Classifier`."""

    task = CLASSIFICATION_TASK
    settings_type = ClassifierSettings

    def _init_task(self, tokenizer: Any, settings: Any, label_list: Sequence[str]) -> None:
        self._init_classifier(tokenizer, settings, label_list)

    def batch_logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.logits(batch)


RUNTIMES: dict[str, type[OnnxModel]] = {SPAN_TASK: OnnxPredictor, CLASSIFICATION_TASK: OnnxClassifier}


def load_exported(
    folder: str | Path, threads: int | None = None, *, name: str | None = None, batch_size: int | None = None
) -> OnnxModel:
    """The runtime model of an exported folder, whatever its task."""
    task = read_model_folder(folder).task
    return RUNTIMES[task].load(folder, threads, name=name, batch_size=batch_size)
