"""Model cards: a README.md in every saved model folder, generated from what the run measured."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

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
    labels: list[str]
    layers: list[int] | None
    n_parameters: int
    data_files: list[dict[str, Any]]  # {"role", "source", "path", "sha256", "documents", "spans"}
    evaluation: list[dict[str, Any]]  # records as written by evaluate --json
    config: Mapping[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    train_seconds: float | None = None
    alignment: str | None = None
    machine: Mapping[str, Any] | None = None
    word_shapes: bool = True
    distillation: str | None = None  # markdown: the teacher and how its knowledge was transferred
    data_notes: list[str] = field(default_factory=list)  # spans dropped, documents selected (training/run_data)


def data_notes_lines(notes: Sequence[str]) -> list[str]:
    """The data notes under the training data table: what reading and selection changed."""
    return ["", *(f"- {note}" for note in notes)] if notes else []


def _ci(ci: Sequence[float] | None) -> str:
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


def _scores_section(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["## Evaluation", ""]
    if not records:
        return [*lines, "No held-out evaluation was run for this model.", ""]
    for record in records:
        lines += [
            f"### {record.get('dataset') or 'data'} ({record.get('split') or 'split'})",
            "",
            "Strict span match (start, end and type all equal); 95% bootstrap confidence intervals over documents.",
            "",
            "| type | precision | recall | F1 [95% CI] | support |",
            "|---|---|---|---|---|",
        ]
        for entity_type, s in sorted(record.get("per_type", {}).items()):
            lines.append(
                f"| {entity_type} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f}{_ci(s.get('f1_ci'))} "
                f"| {s['support']} |"
            )
        lines.append(
            f"| **micro** | {record['precision']:.3f} | {record['recall']:.3f} | "
            f"**{record['f1']:.3f}**{_ci(record.get('f1_ci'))} | |"
        )
        lines.append(f"| macro | | | {record['macro_f1']:.3f}{_ci(record.get('macro_f1_ci'))} | |")
        lines += ["", f"Errors: {json.dumps(record.get('errors', {}))}", ""]
    return lines


def render_model_card(card: ModelCardData) -> str:
    label_list = ", ".join(f"`{label}`" for label in card.labels)
    layers = f"layers {card.layers} of the base encoder" if card.layers else "all layers of the base encoder"
    tokenizer_note = (
        "The model sees each word's casing through its token-type ids (word shapes), which the bundled "
        "tokenizer computes: load it with `trust_remote_code=True`, or casing is lost and accuracy drops."
        if card.word_shapes
        else "Plain BERT inputs: no remote code is needed."
    )
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: token-classification",
        "tags: [specialize, ner, token-classification]",
        "---",
        "",
        f"# {card.name}",
        "",
        f"A small named-entity specialist trained with [specialize](https://pypi.org/project/specialize/). "
        f"Entity types: {label_list}. Base model: `{card.base_model}` ({layers}); "
        f"{card.n_parameters / 1e6:.1f}M parameters.",
        "",
        "## Use",
        "",
        "```bash",
        "specialize predict THIS_FOLDER --input texts.txt --output entities.jsonl",
        "```",
        "",
        "```python",
        "from transformers import pipeline",
        'ner = pipeline("token-classification", model="THIS_FOLDER", trust_remote_code=True,',
        '               aggregation_strategy="first")',
        "```",
        "",
        tokenizer_note + " `specialize predict` also handles documents longer than the model's window "
        "(sliding windows, nothing truncated) and decodes only well-formed spans.",
        "",
        *(["## Distillation", "", card.distillation, ""] if card.distillation else []),
        *_scores_section(card.evaluation),
        "## Training data",
        "",
        "| role | source | file | sha256 | documents | spans |",
        "|---|---|---|---|---|---|",
    ]
    for f in card.data_files:
        lines.append(
            f"| {f['role']} | {f['source']} | `{f['path']}` | `{f['sha256']}` | {f['documents']} | {f['spans']} |"
        )
    lines += data_notes_lines(card.data_notes)
    if card.alignment:
        lines += ["", f"Alignment to the tokenizer: {card.alignment}"]
    if card.history:
        lines += [
            "",
            "## Training history",
            "",
            "| epoch | step | train loss | dev P | dev R | dev F1 |",
            "|---|---|---|---|---|---|",
        ]
        for h in card.history:
            lines.append(
                f"| {h.get('epoch')} | {h.get('step')} | {h.get('train_loss', float('nan')):.4f} | "
                f"{h.get('precision', float('nan')):.4f} | {h.get('recall', float('nan')):.4f} | {h['f1']:.4f} |"
            )
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
