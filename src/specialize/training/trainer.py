"""The training loop every task and every run shares: AdamW, warmup + linear decay, clipping, best-by-dev-F1.

What a batch holds and what its loss is are the task's (``specialize.tasks``); a distillation run is the same
loop with the teacher's targets on the windows (:class:`DistillationTrainer`, in the style of
sentence-transformers' ``DistillationTrainer(teacher, student, args)``)."""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from specialize.data.features import WindowFeatures
from specialize.errors import DataError
from specialize.tasks.base import TargetMemo, Task, TeacherTargets, Windows, compute_now
from specialize.training.args import DistillationArgs, TrainingArgs
from specialize.training.checkpoint import TrainingCheckpoint, windows_digest
from specialize.utils.device import autocast, grad_scaler, move_batch, move_model

logger = logging.getLogger(__name__)

PROGRESS_LOG_SECONDS = 300.0  # without a progress bar, a log line this often

# Called with the model in eval mode; returns the dev metrics, "f1" among them.
DevEvaluator = Callable[[Any], dict[str, float]]


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
        if name.startswith("classifier") or "token_type_embeddings" in name or "word_shape_embeddings" in name:
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
    """Trains ``model`` (a task model: ``.model`` is the torch module) on windows with targets, keeping the weights
    with the best dev F1. ``distillation`` set: the task's loss mixes the teacher's targets with gold ones."""

    def __init__(
        self,
        model: Any,
        task: Task,
        args: TrainingArgs,
        evaluate_dev: DevEvaluator | None = None,
        distillation: DistillationArgs | None = None,
        checkpoint: TrainingCheckpoint | None = None,
    ):
        args.validate()
        if distillation is not None:
            distillation.validate()
        self.model = model  # the task model being trained (a specialist, a text classifier, a static student)
        self.task = task
        self.args = args
        self.evaluate_dev = evaluate_dev
        self.distillation = distillation
        self.checkpoint = checkpoint  # where the run's state is saved and resumed from; None: never

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        loss: torch.Tensor = self.task.loss(self.model, batch, self.distillation)
        return loss

    def collate(self, features: Sequence[WindowFeatures]) -> dict[str, torch.Tensor]:
        return self.task.collate(self.model, features)

    def train(self, features: Sequence[WindowFeatures]) -> TrainingHistory:
        args = self.args
        if not features:
            raise DataError("no training windows: the training data is empty")
        if args.threads:
            torch.set_num_threads(args.threads)
        torch.manual_seed(args.seed)
        rng = random.Random(args.seed)
        network = self.model.model
        device = move_model(network, args.device)
        dtype = args.autocast_dtype(device)
        scaler = grad_scaler(device, dtype)
        steps_per_epoch = math.ceil(len(features) / args.batch_size)
        total_steps = steps_per_epoch * args.epochs
        optimizer = _optimizer(network, args)
        scheduler = _warmup_linear_decay(optimizer, int(total_steps * args.warmup_ratio), total_steps)
        eval_points = {
            round(steps_per_epoch * (k + 1) / args.evaluations_per_epoch) for k in range(args.evaluations_per_epoch)
        }
        history = TrainingHistory()
        best_state: dict[str, torch.Tensor] | None = None
        evaluations_without_gain = 0
        windows_seen = 0
        first_epoch, done_in_epoch, elapsed_before = 1, 0, 0.0
        epoch_losses: list[float] = []
        saved = self.checkpoint.load(windows_digest(features)) if self.checkpoint is not None else None
        if saved is not None:
            network.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            scaler.load_state_dict(saved["scaler"])
            history = TrainingHistory(**saved["history"])
            best_state = saved["best_state"]
            evaluations_without_gain = saved["evaluations_without_gain"]
            windows_seen = saved["windows_seen"]
            first_epoch, done_in_epoch, elapsed_before = saved["epoch"], saved["step_in_epoch"], saved["elapsed"]
            epoch_losses = saved["epoch_losses"]
            rng.setstate(saved["epoch_rng"])  # the resumed epoch draws the batches it drew before
            torch.set_rng_state(saved["torch_rng"])
            if saved.get("cuda_rng") is not None and device.type == "cuda":
                torch.cuda.set_rng_state_all(saved["cuda_rng"])  # dropout on a GPU draws from its own generator
        start = time.perf_counter() - elapsed_before  # train_seconds add up over the sessions of a resumed run
        last_report = elapsed_before
        last_save = time.monotonic()
        logger.info(
            "training on %d windows: %d epochs x %d steps (batch %d) on %s, %d threads, autocast %s%s",
            len(features),
            args.epochs,
            steps_per_epoch,
            args.batch_size,
            device,
            torch.get_num_threads(),
            dtype or "off",
            f", resumed at step {history.steps}" if saved is not None else "",
        )
        for epoch in range(first_epoch, args.epochs + 1):
            network.train()
            epoch_rng = rng.getstate()
            bar = tqdm(
                training_batches(features, args.batch_size, rng),
                desc=f"epoch {epoch}/{args.epochs}",
                disable=not args.progress,
                unit="batch",
                leave=False,
                initial=done_in_epoch,
            )
            losses, epoch_losses = epoch_losses, []
            for step_in_epoch, batch_indices in enumerate(bar, start=1):
                if step_in_epoch <= done_in_epoch:
                    continue  # taken before the run was interrupted
                batch = move_batch(self.collate([features[i] for i in batch_indices]), device)
                with autocast(device, dtype):
                    loss = self.loss(batch)
                # The scaler is a pass-through except for float16 on a GPU.
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(network.parameters(), args.max_grad_norm)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                history.steps += 1
                windows_seen += len(batch_indices)
                losses.append(float(loss.detach()))
                elapsed = time.perf_counter() - start
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", sent_s=f"{windows_seen / elapsed:.1f}")
                if not args.progress and elapsed - last_report >= PROGRESS_LOG_SECONDS:
                    # Without a progress bar (logs, CI, nohup) a long run still says where it is.
                    last_report = elapsed
                    eta = elapsed / history.steps * (total_steps - history.steps)
                    logger.info(
                        "step %d/%d (epoch %d): train loss %.4f, %.1f windows/s, %.0f s elapsed, about %.0f s to go",
                        history.steps,
                        total_steps,
                        epoch,
                        float(np.mean(losses[-50:])),
                        windows_seen / elapsed,
                        elapsed,
                        eta,
                    )
                if self.evaluate_dev is not None and step_in_epoch in eval_points:
                    metrics = self.evaluate_dev(self.model)
                    network.train()
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
                        best_state = copy.deepcopy(network.state_dict())
                        evaluations_without_gain = 0
                    else:
                        evaluations_without_gain += 1
                if self.checkpoint is not None and self.checkpoint.due(last_save):
                    state = {
                        "model": network.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "scaler": scaler.state_dict(),
                        "history": asdict(history),
                        "best_state": best_state,
                        "evaluations_without_gain": evaluations_without_gain,
                        "windows_seen": windows_seen,
                        "epoch": epoch,
                        "step_in_epoch": step_in_epoch,
                        "elapsed": time.perf_counter() - start,
                        "epoch_losses": losses,
                        "epoch_rng": epoch_rng,
                        "torch_rng": torch.get_rng_state(),
                        "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
                    }
                    self.checkpoint.save(state, step=history.steps, total_steps=total_steps)
                    last_save = time.monotonic()
            done_in_epoch = 0
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
            network.load_state_dict(best_state)
            logger.info("restored the best checkpoint: step %d, dev F1 %.4f", history.best_step, history.best_f1)
        network.eval()
        return history


class DistillationTrainer(Trainer):
    """A student learning from a teacher: the teacher's soft targets are put on the training windows once, before
    training (:meth:`prepare`), and the task's loss mixes them with gold targets where there are any."""

    def __init__(
        self,
        teacher: Any,
        student: Any,
        task: Task,
        args: TrainingArgs,
        distillation: DistillationArgs,
        evaluate_dev: DevEvaluator | None = None,
        checkpoint: TrainingCheckpoint | None = None,
        targets_memo: TargetMemo | None = None,
    ):
        super().__init__(student, task, args, evaluate_dev, distillation, checkpoint)
        self.teacher = teacher
        self.targets_memo = targets_memo  # where the teacher's targets are kept, when the run is told where

    @property
    def student(self) -> Any:
        return self.model

    def prepare(self, windows: Windows) -> TeacherTargets:
        """Soft targets on ``windows`` (hard-label runs train on the teacher's labels as gold: nothing to add)."""
        assert self.distillation is not None
        if not self.distillation.soft:
            return TeacherTargets("hard", "the teacher's predicted answers as training labels")
        # Targets kept as they come (in the store the run was given, else in a resumable run's checkpoint): an hour
        # of a big teacher is not paid twice.
        memo = self.targets_memo or (self.checkpoint.remember if self.checkpoint is not None else compute_now)
        return self.task.add_teacher_targets(self.teacher, self.model, windows, memo)
