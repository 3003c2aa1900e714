"""The tasks by name, and the task of a model, a model folder or a model spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specialize.config import TaskName
from specialize.data.model_folder import folder_task
from specialize.errors import ConfigError
from specialize.tasks.base import Task, task_name_of
from specialize.tasks.classification import ClassificationTask
from specialize.tasks.spans import SpanTask

TASKS: dict[str, Task] = {TaskName.NER.value: SpanTask(), TaskName.CLASSIFICATION.value: ClassificationTask()}


def get_task(name: str | TaskName) -> Task:
    """The task called ``name`` ("ner" or "classification")."""
    try:
        return TASKS[str(TaskName(name))]
    except ValueError:
        raise ConfigError(f"unknown task {name!r}; use one of: {', '.join(TASKS)}") from None


def task_of(model: Any) -> Task:
    """The task of a model object (its ``task`` attribute; span predictors without one, such as spaCy pipelines
    and teachers, do spans), or of a spec: a folder's config.json says, anything else (``spacy:``, ``llm:``, rules)
    predicts spans."""
    if isinstance(model, str | Path):
        spec = str(model)
        name = folder_task(spec[3:] if spec.startswith("hf:") else spec) if not spec.startswith("spacy:") else None
        return get_task(name or TaskName.NER)
    return get_task(task_name_of(model))
