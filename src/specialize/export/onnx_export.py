"""Trace a specialist's token classifier (or a text classifier) to ONNX and check onnxruntime computes the same
logits as torch.

torch 2.13's ``torch.onnx.export`` defaults to the dynamo exporter, which needs ``onnxscript`` (not a
dependency here) and is still the younger path for ``transformers`` models. The TorchScript exporter
(``dynamo=False``) is deprecated but present, needs nothing extra and traces BERT-style encoders with dynamic
batch and sequence axes; whatever the exporter, the numeric comparison below is the real guarantee.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specialize.data.features import WindowFeatures, pad_batch

logger = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "logits"

# Texts for the numeric comparison when no check documents are given: casing, digits, punctuation, a long
# word split into many pieces, so every word shape and several window lengths are exercised.
SAMPLE_TEXTS = (
    "Barack Obama visited Paris on 4 July 2009 with the CEO of ACME Corp.",
    "the patient was treated with cisplatin; BRCA1 mutations were found in 3 of 12 samples.",
    "McDonald's opened in Moscow (Russia) in 1990 - an iPhone-era story?",
    "Angela Merkel met Joe Biden in Berlin.",
    "Supercalifragilisticexpialidocious words, URLs like example.org and e-mail a.b@c.de also appear.",
)


def model_inputs(model: Any) -> list[str]:
    """The standard inputs this model's forward accepts (DistilBERT-style models take no token types)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    return [name for name in INPUTS if name in params]


def export_onnx(model: Any, path: Path, example: dict[str, np.ndarray], *, opset: int = 17) -> list[str]:
    """Write ``model`` (a transformers token or sequence classifier) to ``path``; returns the graph's input names.

    Token classifiers give logits (batch, sequence, labels), sequence classifiers (batch, labels): only the batch
    and sequence axes are dynamic, never the label axis."""
    import torch

    names = model_inputs(model)

    class LogitsOnly(torch.nn.Module):
        """Positional inputs in a fixed order, one tensor out: what the TorchScript tracer needs."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.inner(**dict(zip(names, args, strict=True))).logits
            return out

    # Eager attention exports to plain MatMul/Softmax, which onnxruntime fuses and quantizes well; SDPA traces
    # too but gains nothing on CPU once exported.
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    # The wrapper must be in eval mode itself: the exporter traces in the wrapper's mode (training mode would
    # bake dropout into the graph) and sets it back afterwards, recursively, on the wrapped model too.
    wrapper = LogitsOnly(model).eval()
    args = tuple(torch.from_numpy(example[name]) for name in names)
    with torch.no_grad():
        per_token = wrapper(*args).dim() == 3
    dynamic = {name: {0: "batch", 1: "sequence"} for name in names}
    dynamic[OUTPUT] = {0: "batch", 1: "sequence"} if per_token else {0: "batch"}
    with warnings.catch_warnings(record=True) as caught, torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("always")
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            dynamo=False,
            input_names=names,
            output_names=[OUTPUT],
            dynamic_axes=dynamic,
            opset_version=opset,
        )
    for w in caught:
        logger.debug("onnx export: %s", w.message)
    model.eval()
    logger.info("exported %s to %s (opset %d, inputs %s)", type(model).__name__, path, opset, names)
    return names


def example_batch(features: Sequence[WindowFeatures], pad_id: int) -> dict[str, np.ndarray]:
    """Two windows of different lengths, so the traced graph sees padding and a masked position."""
    chosen = sorted(features, key=len)
    picked = [chosen[0], chosen[-1]] if len(chosen) > 1 else [chosen[0], chosen[0]]
    return pad_batch(picked, pad_id)


def compare_logits(
    model: Any,
    session: Any,
    features: Sequence[WindowFeatures],
    pad_id: int,
    *,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Max absolute logit difference and argmax agreement, torch vs onnxruntime, over real (unpadded) positions
    of token logits or over the windows of sequence logits."""
    import torch

    names = [i.name for i in session.get_inputs()]
    max_diff = 0.0
    max_logit = 0.0
    agree = total = 0
    for start in range(0, len(features), batch_size):
        batch = pad_batch(list(features[start : start + batch_size]), pad_id)
        with torch.inference_mode():
            ref = model(**{k: torch.from_numpy(batch[k]) for k in names}).logits.float().numpy()
        got = session.run([OUTPUT], {k: batch[k] for k in names})[0]
        # Token logits: the padded positions are noise; sequence logits: one vector per window, all real.
        real = batch["attention_mask"].astype(bool) if ref.ndim == 3 else np.ones(ref.shape[0], dtype=bool)
        max_diff = max(max_diff, float(np.abs(ref - got)[real].max()))
        max_logit = max(max_logit, float(np.abs(ref)[real].max()))
        agree += int((ref.argmax(-1) == got.argmax(-1))[real].sum())
        total += int(real.sum())
    return {
        "windows": len(features),
        "positions": total,
        "max_abs_diff": max_diff,
        "max_abs_logit": max_logit,
        "argmax_agreement": agree / total if total else 1.0,
    }
