"""Start a classifier's head from a linear probe of the frozen encoder ("LP-FT": linear probe, then fine-tune).

A freshly initialised head outputs near-zero logits, so the first epochs of fine-tuning spend their gradient on
learning label priors while the random head's gradient pushes the pretrained encoder around. On a CPU budget of
a few hundred steps that is most of the run: MTSamples specialty (40 labels, multi-label) fine-tuned from a
random head for 3 epochs ended with a training loss barely under the label-prior entropy (micro F1 0.44), while
logistic regression on the same frozen encoder's first-window features already reached 0.73-0.75 (measured
with scikit-learn in development). Fitting the head on frozen features first (Kumar et al., 2022, "Fine-Tuning
can Distort Pretrained Features") makes fine-tuning start from that point instead.

The probe is fitted on the exact input of the model's ``classifier`` layer (for BERT: the dropout'd pooler
output, dropout off), window by window with each window's text targets, by full-batch L-BFGS with a small L2
penalty; softmax cross-entropy for single-label, per-label binary cross-entropy for multi-label, the same losses
as fine-tuning. Heads that are not a single ``torch.nn.Linear`` are left as they are (logged).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import torch

from specialize.data.features import WindowFeatures, length_sorted_batches, pad_batch
from specialize.utils.device import model_inputs

logger = logging.getLogger(__name__)

L2_PENALTY = 1e-5  # on the mean loss (about scikit-learn C=10 at 5,000 windows): a light hand; see fit_linear_probe
MAX_ITERATIONS = 200


@torch.no_grad()  # not inference_mode: the probe then trains on these tensors with autograd
def head_inputs(
    model: torch.nn.Module, features: Sequence[WindowFeatures], pad_id: int, batch_size: int = 32
) -> torch.Tensor:
    """(n_windows, hidden) float32: what ``model.classifier`` receives for each window, in ``features`` order."""
    head = model.get_submodule("classifier")
    captured: list[torch.Tensor] = []
    hook = head.register_forward_pre_hook(lambda _module, args: captured.append(args[0].float()))
    was_training = model.training
    model.eval()
    rows: list[torch.Tensor] = [torch.empty(0)] * len(features)
    try:
        for indices in length_sorted_batches(features, batch_size):
            captured.clear()
            batch = pad_batch([features[i] for i in indices], pad_id)
            model(**model_inputs(model, batch))
            for row, i in enumerate(indices):
                rows[i] = captured[0][row]
    finally:
        hook.remove()
        model.train(was_training)
    return torch.stack(rows)


def fit_linear_probe(
    model: torch.nn.Module,
    features: Sequence[WindowFeatures],
    targets: torch.Tensor,
    *,
    multi_label: bool,
    pad_id: int,
    batch_size: int = 32,
) -> dict[str, float] | None:
    """Fit ``model.classifier`` (a Linear layer) on the frozen encoder's features of ``features``.

    ``targets`` has one row per text (label ids, or multi-hot vectors); each window takes its text's row.
    Returns what was done (windows, seconds, loss before/after), or None when the head is not a Linear layer.
    """
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        logger.info("linear probe skipped: the model's head is %s, not a single Linear layer", type(head).__name__)
        return None
    started = time.perf_counter()
    inputs = head_inputs(model, features, pad_id, batch_size)
    window_targets = targets[[f.doc_index for f in features]].to(inputs.device)
    weight = head.weight.detach().clone().float().requires_grad_(True)
    bias = head.bias.detach().clone().float().requires_grad_(True) if head.bias is not None else None
    params = [weight] + ([bias] if bias is not None else [])

    def loss_fn() -> torch.Tensor:
        logits = inputs @ weight.T + (bias if bias is not None else 0.0)
        if multi_label:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, window_targets)
        else:
            loss = torch.nn.functional.cross_entropy(logits, window_targets)
        return loss + L2_PENALTY * weight.pow(2).sum()

    with torch.no_grad():
        before = float(loss_fn())
    optimizer = torch.optim.LBFGS(params, max_iter=MAX_ITERATIONS, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        after = float(loss_fn())
        head.weight.copy_(weight.to(head.weight.dtype))
        if bias is not None and head.bias is not None:
            head.bias.copy_(bias.to(head.bias.dtype))
    report = {
        "windows": float(len(features)),
        "seconds": round(time.perf_counter() - started, 1),
        "loss_before": round(before, 4),
        "loss_after": round(after, 4),
    }
    logger.info(
        "linear probe on %d frozen windows: loss %.4f -> %.4f in %.1f s",
        len(features),
        before,
        after,
        report["seconds"],
    )
    return report
