"""``train``: from annotated data to a saved, measured model folder, for any task (``config.model.task``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specialize.config import TrainConfig, write_run_config
from specialize.tasks.registry import get_task
from specialize.training.checkpoint import TrainingCheckpoint
from specialize.training.outputs import claim_run_output
from specialize.training.run import (
    DEFAULT_BASE_NAME,
    TrainResult,
    evaluate_splits,
    load_run_data,
    resolve_base,
    save_run,
)
from specialize.training.run_data import data_notes, selected
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.trainer import Trainer

logger = logging.getLogger(__name__)

__all__ = ["TrainResult", "train"]


def train(
    config: TrainConfig,
    output: str | Path,
    *,
    train_documents: Sequence[Any] | None = None,
    dev_documents: Sequence[Any] | None = None,
    test_documents: Sequence[Any] | None = None,
    n_bootstrap: int = 1000,
    overwrite: bool = False,
    resume: bool = False,
) -> TrainResult:
    """Train a model as ``config`` says, evaluate it on dev and test, save it with its model card in ``output``.

    The task is ``config.model.task``: ``"ner"`` (documents with spans) or ``"classification"`` (labelled texts).
    Items passed directly (documents, or labelled texts) take the place of the ``config.data`` sources.
    ``output`` must be new, empty, or (with ``overwrite``) a folder an earlier ``train`` wrote; see
    :mod:`specialize.utils.output_folder`. ``config`` is also saved there as ``specialize_config.toml``, which
    ``specialize train --config`` runs again. With ``config.training.checkpoint_minutes`` the run's state is saved
    beside ``output`` as it goes, and ``resume`` goes on from it (:mod:`specialize.training.checkpoint`).
    """
    import torch

    task = get_task(config.model.task)
    output = Path(output)
    claim = claim_run_output(output, "train", config, overwrite=overwrite)
    checkpoint = TrainingCheckpoint.claim(output, config.to_dict(), config.training.checkpoint_minutes, resume=resume)
    model_cfg, args = config.model, config.training
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_run_data(task, config, train=train_documents, dev=dev_documents, test=test_documents)
    assert data.train is not None
    data.train = selected(data.train, config)  # data.limit / data.sample
    scheme = task.label_scheme(data.train.items, model_cfg, data.train.source)
    base = resolve_base(model_cfg.base)  # a folder, or a known base by name (minilm, mpnet)
    model = task.build(base, scheme, model_cfg, seed=args.seed, name=output.name)
    windows = task.training_windows(model, data.train.items, config, "train")
    probe = task.initialize_head(model, windows, config)
    if data.dev is None:
        logger.warning("no dev data: training all %d epochs and keeping the last weights", args.epochs)
    evaluate_dev = task.dev_evaluator(data.dev, model_cfg) if data.dev is not None else None
    history = Trainer(model, task, args, evaluate_dev, checkpoint=checkpoint).train(windows.windows)
    task.finish_training(model, history.evaluations, history.best_step)
    check_training_run(model, history, args, windows=len(windows.windows), train_texts=texts_of(data.train.items))

    records = evaluate_splits(model, task, data.evaluation_splits(), n_bootstrap)
    training_extra: dict[str, Any] = {}
    if windows.available is not None:
        training_extra["windows"] = {"available": windows.available, "used": len(windows.windows)}
    if probe is not None:
        training_extra["linear_probe"] = probe
    with claim.writing() as folder:
        save_run(
            model,
            task,
            folder,
            config=config.to_dict(),
            base_model=str(model_cfg.base or DEFAULT_BASE_NAME),
            layers=model_cfg.layers,
            data=data.for_card(),
            records=records,
            history=history,
            extra_config={"training": config.to_dict(), "base_model": str(base)},
            note=windows.note or None,
            training_extra=training_extra,
        )
        write_run_config(folder, config, output)
    if checkpoint is not None:
        checkpoint.remove()
    return TrainResult(output, model, history, records, data_notes(*data.for_card()))
