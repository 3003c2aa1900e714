"""Model cards: a README.md in every saved model folder, generated from what the run measured.

One writer for every task: what differs (the first paragraph, how to use the folder, the evaluation section) is
the task's (:class:`specialize.tasks.base.Task`); the training data with checksums, the training history, the
configuration and the environment are written the same way for all.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from specialize.tasks.base import Task

PACKAGES = ("specialize", "torch", "transformers", "tokenizers", "numpy", "spacy")


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class ModelCardData:
    name: str
    base_model: str
    layers: list[int] | None
    data_files: list[dict[str, Any]]  # rows of LoadedData.describe()
    evaluation: list[dict[str, Any]]  # records as written by evaluate --json
    config: Mapping[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    train_seconds: float | None = None
    alignment: str | None = None
    machine: Mapping[str, Any] | None = None
    distillation: str | None = None  # markdown: the teacher and how its knowledge was transferred
    data_notes: list[str] = field(default_factory=list)  # documents selected, teacher spans dropped (run_data)


def data_notes_lines(notes: Sequence[str]) -> list[str]:
    """The data notes under the training data table: what reading and selection changed."""
    return ["", *(f"- {note}" for note in notes)] if notes else []


def _data_table(task: Task, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    count = task.count_name
    lines = [
        "## Training data",
        "",
        f"| role | source | file | sha256 | documents | {count} |",
        "|---|---|---|---|---|---|",
    ]
    for f in rows:
        cells = [f["role"], f["source"], f"`{f['path']}`", f"`{f['sha256']}`", f["documents"], f.get(count, "-")]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    dropped = {f["source"]: f["dropped"] for f in rows if f.get("dropped")}
    for source, counts in dropped.items():
        total = sum(counts.values())
        lines += ["", f"Dropped from {source} on reading ({total} {count}): {json.dumps(counts)}"]
    return lines


# Columns of the training-history table: (key in an evaluation, header); a column appears when any row has it.
HISTORY_COLUMNS = (
    ("train_loss", "train loss"),
    ("precision", "dev P"),
    ("recall", "dev R"),
    ("f1", "dev F1"),
    ("macro_f1", "dev macro F1"),
    ("threshold", "threshold"),
)


def _history_table(history: Sequence[Mapping[str, Any]]) -> list[str]:
    columns = [(key, header) for key, header in HISTORY_COLUMNS if any(key in h for h in history)]
    lines = [
        "## Training history",
        "",
        "| epoch | step | " + " | ".join(header for _, header in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for h in history:
        cells = [f"{h[key]:.4f}" if isinstance(h.get(key), int | float) else "-" for key, _ in columns]
        lines.append(f"| {h.get('epoch')} | {h.get('step')} | " + " | ".join(cells) + " |")
    return lines


def render_model_card(card: ModelCardData, task: Task, model: Any) -> str:
    """The README.md of a model folder of ``task``; ``model`` is the saved task model."""
    lines = [
        "---",
        "library_name: transformers",
        *task.card_front_matter(),
        "---",
        "",
        f"# {card.name}",
        "",
        task.card_summary(model, card.base_model, card.layers),
        "",
        "## Use",
        "",
        "```bash",
        "specialize predict THIS_FOLDER --input texts.txt --output predictions.jsonl",
        "specialize export THIS_FOLDER --int8 --output THIS_FOLDER-int8   # torch-free, faster on CPU",
        "```",
        "",
        *task.card_usage(model),
        "",
        *(["## Distillation", "", card.distillation, ""] if card.distillation else []),
        "## Evaluation",
        "",
        *(task.card_scores(card.evaluation) or ["No held-out evaluation was run for this model.", ""]),
        *_data_table(task, card.data_files),
    ]
    lines += data_notes_lines(card.data_notes)
    if card.alignment:
        lines += ["", f"Alignment to the tokenizer: {card.alignment}"]
    if card.history:
        lines += ["", *_history_table(card.history)]
    if card.train_seconds is not None:
        lines += ["", f"Training took {card.train_seconds:.0f} s."]
    lines += [
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(card.config, indent=2, default=str),
        "```",
        "",
        "## Environment",
        "",
        "```json",
        json.dumps({"packages": package_versions(), "machine": card.machine or {}}, indent=2, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)
