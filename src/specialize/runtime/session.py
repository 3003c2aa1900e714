"""One onnxruntime session setup for every exported model (span tagger or text classifier).

Every exported model runs its graph the same way: sequential execution, intra-op threads only, and the same
graph rewrites left out, so a speed or rounding difference between two exports is never a difference of setup.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from specialize.errors import ModelNotFoundError
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
        raise ModelNotFoundError(f"{folder} has no {MODEL_FILE}; pass a folder written by `specialize export`")
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
        raise ModelNotFoundError(f"{folder} has no tokenizer.json; pass a folder written by `specialize export`")
    return tokenizers.Tokenizer.from_file(str(path))


def open_exported(folder: str | Path, threads: int | None = None) -> tuple[Any, Any]:
    """(session, tokenizer) of an exported folder."""
    return build_session(model_path(folder), threads), load_tokenizer(folder)
