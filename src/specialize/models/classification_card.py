"""Model card (README.md) of a text classifier folder, generated from what the run measured."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from specialize.models.card import data_notes_lines, package_versions
from specialize.models.text_classifier import ClassifierSettings


@dataclass
class ClassifierCardData:
    name: str
    base_model: str
    labels: list[str]
    settings: ClassifierSettings
    n_parameters: int
    data_files: list[dict[str, Any]]
    evaluation: list[dict[str, Any]]
    config: Mapping[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    train_seconds: float | None = None
    machine: Mapping[str, Any] | None = None
    distillation: str | None = None  # markdown: the teacher and how its knowledge was transferred
    data_notes: list[str] = field(default_factory=list)  # texts selected (training/run_data)


def _ci(ci: Sequence[float] | None) -> str:
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


def _scores(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["## Evaluation", ""]
    if not records:
        return [*lines, "No held-out evaluation was run for this model.", ""]
    for r in records:
        accuracy = "exact match of the label set" if r.get("multi_label") else "share of texts with the right label"
        lines += [
            f"### {r.get('dataset') or 'data'} ({r.get('split') or 'split'}), {r['n_docs']} texts",
            "",
            f"95% bootstrap confidence intervals over texts. Accuracy: {accuracy}.",
            "",
            f"- accuracy: **{r['accuracy']:.3f}**{_ci(r.get('accuracy_ci'))}",
            f"- micro F1: **{r['micro_f1']:.3f}**{_ci(r.get('micro_f1_ci'))} "
            f"(P {r['precision']:.3f}, R {r['recall']:.3f})",
            f"- macro F1: **{r['macro_f1']:.3f}**{_ci(r.get('macro_f1_ci'))}",
            "",
            "| label | precision | recall | F1 [95% CI] | support |",
            "|---|---|---|---|---|",
        ]
        for label, s in sorted(r.get("per_label", {}).items()):
            lines.append(
                f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f}{_ci(s.get('f1_ci'))} "
                f"| {s['support']} |"
            )
        lines.append("")
    return lines


def render_classifier_card(card: ClassifierCardData) -> str:
    s = card.settings
    sources = {"dev": "chosen on dev micro F1", "config": "set in the config", "teacher": "the teacher's"}
    source = sources.get(s.threshold_source, "default")
    kind = f"multi-label (threshold {s.threshold:g}, {source})" if s.multi_label else "single-label"
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "tags: [specialize, text-classification]",
        "---",
        "",
        f"# {card.name}",
        "",
        f"A small {kind} text classifier trained with specialize over {len(card.labels)} labels: "
        + ", ".join(f"`{label}`" for label in card.labels)
        + f". Base model: `{card.base_model}`; {card.n_parameters / 1e6:.1f}M parameters.",
        "",
        "## Use",
        "",
        "```bash",
        "specialize predict THIS_FOLDER --input texts.txt --output labels.jsonl",
        "```",
        "",
        f"Texts longer than {s.max_length} subwords are read in overlapping windows (stride {s.stride}) whose "
        f"logits are pooled by **{s.pooling}**; nothing is truncated. The folder also loads as a plain "
        "`AutoModelForSequenceClassification`, which reads only the first window.",
        "",
        *(["## Distillation", "", card.distillation, ""] if card.distillation else []),
        *_scores(card.evaluation),
        "## Training data",
        "",
        "| role | source | file | sha256 | texts | labels |",
        "|---|---|---|---|---|---|",
    ]
    for f in card.data_files:
        lines.append(
            f"| {f['role']} | {f['source']} | `{f['path']}` | `{f['sha256']}` | {f['documents']} | {f['labels']} |"
        )
    lines += data_notes_lines(card.data_notes)
    if card.history:
        lines += ["", "## Training history", "", "| epoch | step | train loss | dev micro F1 | dev macro F1 |"]
        lines.append("|---|---|---|---|---|")
        for h in card.history:
            lines.append(
                f"| {h.get('epoch')} | {h.get('step')} | {h.get('train_loss', float('nan')):.4f} | {h['f1']:.4f} | "
                f"{h.get('macro_f1', float('nan')):.4f} |"
            )
    if card.train_seconds is not None:
        lines += ["", f"Training took {card.train_seconds:.0f} s."]
    lines += [
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps({"settings": asdict(s), **dict(card.config)}, indent=2, default=str),
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
