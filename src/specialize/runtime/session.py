"""One onnxruntime session setup for every exported model (span tagger or text classifier).

Both runtimes must run their graphs the same way: sequential execution, intra-op threads only, and the same
graph rewrites left out, so a speed or rounding difference between them is never a difference of setup.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Self

import numpy as np

from specialize.utils.optional import require
from specialize.utils.threads import configured_threads

logger = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"

# onnxruntime graph rewrites left out because they make BERT-style models slower on CPU. SkipLayerNormFusion
# merges each residual Add with its LayerNormalization; in onnxruntime 1.32 on a 2-core AMD EPYC (AVX-512) the
# fused fp32 kernel took 1.23 ms for a 640x384 input where Add + LayerNormalization took 0.17 ms, and leaving
# it out made the int8 MiniLM-L6 CoNLL-2003 specialist 11% faster end to end at 1 thread (7,474 -> 8,312
# tokens/s; F1 0.8912 -> 0.8918 from rounding order). Re-measure when upgrading onnxruntime.
SLOW_FUSIONS = ("SkipLayerNormFusion",)


def model_path(folder: str | Path) -> Path:
    """``folder/model.onnx``, or an error that names the command writing such folders."""
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {MODEL_FILE}; pass a folder written by `specialize export`")
    return path


def build_session(path: Path, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on CPU. ``threads`` caps intra-op threads (``None``: the process's
    ``specialize.utils.threads.set_threads`` setting, else onnxruntime's default, one per physical core)."""
    ort = require("onnxruntime", "onnx")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # One model run at a time: parallelism comes from intra-op threads inside each operator.
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    threads = threads if threads is not None else configured_threads()
    if threads is not None:
        options.intra_op_num_threads = int(threads)
    return ort.InferenceSession(
        str(path),
        sess_options=options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=list(SLOW_FUSIONS),
    )


def load_tokenizer(folder: str | Path) -> Any:
    """The fast tokenizer (``tokenizers.Tokenizer``) saved next to the model."""
    tokenizers = require("tokenizers", "onnx")
    path = Path(folder) / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no tokenizer.json; pass a folder written by `specialize export`")
    return tokenizers.Tokenizer.from_file(str(path))


def open_exported(folder: str | Path, threads: int | None = None) -> tuple[Any, Any]:
    """(session, tokenizer) of an exported folder."""
    return build_session(model_path(folder), threads), load_tokenizer(folder)


class OnnxModel:
    """The onnxruntime half of an exported model: loading the folder, one padded batch in, the output out.

    Subclasses take ``(session, tokenizer, settings, labels, name=...)`` and say how their config.json reads."""

    session: Any
    input_names: list[str]
    output_name: str

    def __init__(self, session: Any, tokenizer: Any, settings: Any, labels: list[str], name: str) -> None:
        raise NotImplementedError

    @staticmethod
    def read_config(folder: Path) -> tuple[list[str], Any]:
        """(labels in output order, the runtime settings) from the folder's config.json."""
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
        folder = Path(folder)
        session, tokenizer = open_exported(folder, threads)
        labels, settings = cls.read_config(folder)
        if batch_size is not None:
            settings.batch_size = batch_size
        logger.info("loaded %s as %s (%d labels, threads=%s)", folder, cls.__name__, len(labels), threads or "default")
        return cls(session, tokenizer, settings, labels, name=name or folder.name)

    def _init_session(self, session: Any) -> None:
        self.session = session
        # Models without token-type embeddings (DistilBERT-style) are exported without that input.
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_name = session.get_outputs()[0].name

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """The graph's output for one padded batch from ``pad_batch``."""
        feeds = {name: batch[name] for name in self.input_names}
        out: np.ndarray = self.session.run([self.output_name], feeds)[0]
        return out
