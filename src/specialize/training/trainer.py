"""Fine-tune a token-classification specialist: AdamW, warmup + linear decay, clipping, best-by-dev-F1."""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from specialize.data.features import WindowFeatures, pad_batch
from specialize.models.specialist import Specialist
from specialize.training.args import TrainingArgs

logger = logging.getLogger(__name__)

# Called with the specialist in eval mode; returns the dev metrics, "f1" among them.
DevEvaluator = Callable[[Specialist], dict[str, float]]


@dataclass
class TrainingHistory:
    evaluations: list[dict[str, float]] = field(default_factory=list)
    best_f1: float | None = None
    best_step: int | None = None
    steps: int = 0
    train_seconds: float = 0.0
    windows_per_second: float = 0.0
    stopped_early: bool = False
    warnings: list[str] = field(default_factory=list)  # end-of-run checks (training/run_health.py)


def training_batches(features: Sequence[WindowFeatures], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: sort within pools of 50 batches, then shuffle batch order."""
    order = list(range(len(features)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: len(features[j]))
        batches += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _optimizer(model: torch.nn.Module, args: TrainingArgs) -> torch.optim.Optimizer:
    head, body_decay, body_no_decay = [], [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.startswith("classifier") or "token_type_embeddings" in name:
            head.append(param)
        elif param.ndim < 2:  # biases and LayerNorm weights are not decayed
            body_no_decay.append(param)
        else:
            body_decay.append(param)
    groups = [
        {"params": body_decay, "lr": args.learning_rate, "weight_decay": args.weight_decay},
        {"params": body_no_decay, "lr": args.learning_rate, "weight_decay": 0.0},
        {"params": head, "lr": args.head_learning_rate, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]])


def _warmup_linear_decay(
    optimizer: torch.optim.Optimizer, warmup: int, total: int
) -> torch.optim.lr_scheduler.LambdaLR:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class Trainer:
    """Trains ``specialist.model`` on labelled windows, keeping the weights with the best dev F1."""

    def __init__(self, specialist: Specialist, args: TrainingArgs, evaluate_dev: DevEvaluator | None = None):
        args.validate()
        self.specialist = specialist
        self.args = args
        self.evaluate_dev = evaluate_dev

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Cross-entropy on labelled positions; subclasses (distillation) override this."""
        labels = batch.pop("labels")
        logits = self.specialist.model(**batch).logits
        return torch.nn.functional.cross_entropy(
            logits.float().view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100
        )

    def collate(self, features: Sequence[WindowFeatures]) -> dict[str, torch.Tensor]:
        """Tensors for one step; subclasses add what their ``loss`` needs (distillation: teacher targets)."""
        arrays = pad_batch(features, self.specialist.settings.pad_id)
        return {k: torch.from_numpy(v) for k, v in arrays.items()}

    def train(self, features: Sequence[WindowFeatures]) -> TrainingHistory:
        args = self.args
        if not features:
            raise ValueError("no training windows: the training data is empty")
        if args.threads:
            torch.set_num_threads(args.threads)
        torch.manual_seed(args.seed)
        rng = random.Random(args.seed)
        model = self.specialist.model
        steps_per_epoch = math.ceil(len(features) / args.batch_size)
        total_steps = steps_per_epoch * args.epochs
        optimizer = _optimizer(model, args)
        scheduler = _warmup_linear_decay(optimizer, int(total_steps * args.warmup_ratio), total_steps)
        eval_points = {
            round(steps_per_epoch * (k + 1) / args.evaluations_per_epoch) for k in range(args.evaluations_per_epoch)
        }
        use_bf16 = args.use_bf16
        history = TrainingHistory()
        best_state: dict[str, torch.Tensor] | None = None
        evaluations_without_gain = 0
        start = time.perf_counter()
        windows_seen = 0
        logger.info(
            "training on %d windows: %d epochs x %d steps (batch %d), %d threads, bf16 %s",
            len(features),
            args.epochs,
            steps_per_epoch,
            args.batch_size,
            torch.get_num_threads(),
            use_bf16,
        )
        for epoch in range(1, args.epochs + 1):
            model.train()
            bar = tqdm(
                training_batches(features, args.batch_size, rng),
                desc=f"epoch {epoch}/{args.epochs}",
                disable=not args.progress,
                unit="batch",
                leave=False,
            )
            losses: list[float] = []
            for step_in_epoch, batch_indices in enumerate(bar, start=1):
                batch = self.collate([features[i] for i in batch_indices])
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
                    loss = self.loss(batch)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                history.steps += 1
                windows_seen += len(batch_indices)
                losses.append(float(loss.detach()))
                elapsed = time.perf_counter() - start
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", sent_s=f"{windows_seen / elapsed:.1f}")
                if self.evaluate_dev is not None and step_in_epoch in eval_points:
                    metrics = self.evaluate_dev(self.specialist)
                    model.train()
                    metrics = {
                        "epoch": epoch,
                        "step": history.steps,
                        "train_loss": float(np.mean(losses)),
                        **metrics,
                    }
                    history.evaluations.append(metrics)
                    logger.info(
                        "epoch %d step %d: train loss %.4f, dev P %.4f R %.4f F1 %.4f",
                        epoch,
                        history.steps,
                        metrics["train_loss"],
                        metrics.get("precision", float("nan")),
                        metrics.get("recall", float("nan")),
                        metrics["f1"],
                    )
                    if history.best_f1 is None or metrics["f1"] > history.best_f1:
                        history.best_f1, history.best_step = metrics["f1"], history.steps
                        best_state = copy.deepcopy(model.state_dict())
                        evaluations_without_gain = 0
                    else:
                        evaluations_without_gain += 1
            bar.close()
            if self.evaluate_dev is None:
                logger.info("epoch %d: train loss %.4f", epoch, float(np.mean(losses)))
            if args.patience is not None and evaluations_without_gain >= args.patience * args.evaluations_per_epoch:
                logger.info("early stopping: no dev improvement in %d epoch(s)", args.patience)
                history.stopped_early = True
                break
        history.train_seconds = time.perf_counter() - start
        history.windows_per_second = windows_seen / max(history.train_seconds, 1e-9)
        if best_state is not None:
            model.load_state_dict(best_state)
            logger.info("restored the best checkpoint: step %d, dev F1 %.4f", history.best_step, history.best_f1)
        model.eval()
        return history
