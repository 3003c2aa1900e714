"""What ``apply`` adds to each record: the model's answer fields, as its task writes them (``spans`` for a span
model, ``labels`` and ``scores`` for a text classifier: the fields of ``specialize predict``'s records).

Sharding, the manifest, resuming and both engines are the same for every model and call :func:`predict_fields`
on a shard's texts. Blank texts get an empty answer (no spans; no labels and no scores) without a model call:
nothing in them to find, and an LLM fallback would be billed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from specialize.tasks.base import Task
from specialize.tasks.registry import task_of

__all__ = ["output_fields", "predict_fields", "task_of"]


def output_fields(task: Task) -> tuple[str, ...]:
    return task.answer_fields


def _non_blank(
    texts: Sequence[str],
    batch_size: int,
    predict: Callable[[list[str]], Sequence[dict[str, Any]]],
    empty: Callable[[], dict[str, Any]],
    name: str,
) -> list[dict[str, Any]]:
    """``predict`` over the non-blank texts in batches of ``batch_size``; blank texts get ``empty()``."""
    out: list[dict[str, Any]] = [empty() for _ in texts]
    todo = [i for i, t in enumerate(texts) if t.strip()]
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        predicted = predict([texts[i] for i in chunk])
        if len(predicted) != len(chunk):
            raise RuntimeError(f"{name} returned {len(predicted)} results for {len(chunk)} texts")
        for i, answer in zip(chunk, predicted, strict=True):
            out[i] = answer
    return out


def predict_fields(model: Any, texts: Sequence[str], batch_size: int = 64) -> list[dict[str, Any]]:
    """The fields each record gets, one dict per text: ``{"spans": [...]}`` or ``{"labels", "scores"}``."""
    task = task_of(model)
    return _non_blank(
        texts,
        batch_size,
        lambda chunk: task.answers_with_scores(model, chunk),
        lambda: task.answer_record(model, "", []),
        str(getattr(model, "name", model)),
    )
