"""Distillation losses: KL divergence to a teacher's distributions at a temperature, mixed with gold
cross-entropy; per position (spans, single-label windows) or per label (multi-label windows)."""

from __future__ import annotations

import torch

from specialize.data.features import IGNORE_INDEX
from specialize.training.args import DistillationArgs
from specialize.utils.device import model_inputs


def model_logits(network: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The network's logits for ``batch``, given only the inputs its forward takes (MPNet takes no token types)."""
    logits: torch.Tensor = network(**model_inputs(network, batch)).logits
    return logits


def kd_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher_T || student_T) x T², averaged over positions (Hinton et al., 2015).

    ``teacher_probs`` are probabilities at temperature 1: softmax(log p / T) equals softmax(z / T) for the
    teacher's logits z, so they are tempered without the logits. The T² factor keeps the gradient's size
    roughly independent of T (it shrinks as 1/T² otherwise), so alpha means the same at every temperature.
    """
    t = float(temperature)
    teacher_t = torch.softmax(torch.log(teacher_probs.float().clamp_min(1e-12)) / t, dim=-1)
    student_log_t = torch.log_softmax(student_logits.float() / t, dim=-1)
    return torch.nn.functional.kl_div(student_log_t, teacher_t, reduction="batchmean") * (t * t)


def binary_kd_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per-label KL(Bernoulli(teacher_T) || Bernoulli(student_T)) x T², averaged over rows and labels: the
    multi-label (sigmoid) counterpart of :func:`kd_loss`, each label an independent yes/no.

    Tempering a Bernoulli is sigmoid(logit(p) / T), from the teacher's probabilities as in ``kd_loss``. Binary
    cross-entropy minus the teacher's entropy is that KL, so the loss is 0 exactly when the student matches.
    """
    t = float(temperature)
    p = teacher_probs.float().clamp(1e-6, 1 - 1e-6)
    teacher_t = torch.sigmoid(torch.log(p / (1 - p)) / t)
    student_t = student_logits.float() / t
    bce = torch.nn.functional.binary_cross_entropy_with_logits(student_t, teacher_t, reduction="none")
    # Written out: F.binary_cross_entropy refuses to run under autocast (bf16 training).
    entropy = -(teacher_t * torch.log(teacher_t) + (1 - teacher_t) * torch.log1p(-teacher_t))
    return (bce - entropy).mean() * (t * t)


def distillation_loss(
    logits: torch.Tensor,
    teacher_probs: torch.Tensor,
    teacher_mask: torch.Tensor,
    labels: torch.Tensor | None,
    args: DistillationArgs,
) -> torch.Tensor:
    """alpha x KD (teacher positions) + (1 - alpha) x CE (gold positions); a batch with only one kind of
    target (e.g. unlabeled text: KD only) uses that term alone at full weight."""
    logits = logits.float()
    kd = kd_loss(logits[teacher_mask], teacher_probs[teacher_mask], args.temperature) if teacher_mask.any() else None
    ce = None
    if labels is not None and (gold := labels != IGNORE_INDEX).any():
        ce = torch.nn.functional.cross_entropy(logits[gold], labels[gold])
    return mix_losses(kd, ce, args.alpha, logits)


def mix_losses(kd: torch.Tensor | None, ce: torch.Tensor | None, alpha: float, logits: torch.Tensor) -> torch.Tensor:
    """alpha x KD + (1 - alpha) x CE when a batch has both kinds of target, else the one it has at full weight."""
    if kd is not None and ce is not None:
        return alpha * kd + (1 - alpha) * ce
    if kd is not None:
        return kd
    if ce is not None:
        return ce
    return logits.sum() * 0.0  # nothing to learn from in this batch (all positions unlabeled and unmapped)


def multi_label_distillation_loss(
    logits: torch.Tensor,
    teacher_probs: torch.Tensor,
    teacher_mask: torch.Tensor,
    gold: torch.Tensor,
    has_gold: torch.Tensor,
    args: DistillationArgs,
) -> torch.Tensor:
    """alpha x per-label KD (rows with teacher targets) + (1 - alpha) x binary cross-entropy (rows with gold
    labels); one window per row. The multi-label counterpart of :func:`distillation_loss`."""
    logits = logits.float()
    kd = (
        binary_kd_loss(logits[teacher_mask], teacher_probs[teacher_mask], args.temperature)
        if teacher_mask.any()
        else None
    )
    ce = None
    if has_gold.any():
        ce = torch.nn.functional.binary_cross_entropy_with_logits(logits[has_gold], gold[has_gold].float())
    return mix_losses(kd, ce, args.alpha, logits)
