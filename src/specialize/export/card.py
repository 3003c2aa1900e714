"""The model card of an exported (ONNX) folder: what the folder is, how to run it, what was checked.

The source's card describes a transformers folder (``library_name: transformers``, a ``pipeline(...)``
snippet) that fails on an ONNX folder (issue #15). The export card says what the folder holds and how to run
it (the torch-free runtime, ``specialize predict``/``serve``), gives the numerics and the accuracy check with
their numbers, and keeps the source card below (evaluation, training data, audit) minus its usage section and
front matter, its headings one level down.
"""

from __future__ import annotations

import re
from typing import Any

from specialize.export.check import CheckReport

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_USE_SECTION = re.compile(r"^## Use\n.*?(?=^## |\Z)", re.S | re.M)
_HEADING = re.compile(r"^(#{1,5}) ", re.M)


def render_export_card(
    name: str, info: dict[str, Any], check: CheckReport | None, source: Any, source_card: str | None
) -> str:
    """The README.md of an export folder ``name``; ``info`` is export.json's content, ``source`` the
    :class:`~specialize.export.sources.ExportSource` (task, runtime class and usage line)."""
    span = source.task == "span"
    precision = "fp32"
    if info["int8"]:
        kept = ", ".join(info["quantization"]["kept_fp32"]) or "nothing"
        precision = f"int8 weights (dynamic quantization; {kept} kept in fp32)"
    what = "named-entity specialist" if span else "text classifier"
    output = "entities.jsonl" if span else "labels.jsonl"
    endpoint = "/v1/entities" if span else "/v1/classify"
    lines = [
        "---",
        "library_name: onnxruntime",
        f"pipeline_tag: {'token-classification' if span else 'text-classification'}",
        f"tags: [specialize, onnx, {'int8, ' if info['int8'] else ''}{'ner' if span else 'text-classification'}]",
        "---",
        "",
        f"# {name}",
        "",
        f"An ONNX export ({precision}, opset {info['opset']}) of the {what} `{info['source']}`, made by "
        "`specialize export` to run on a CPU with onnxruntime and tokenizers alone: no torch, no transformers. "
        "It is not a transformers model folder: `transformers.pipeline` and `from_pretrained` cannot load it. "
        "Run it with specialize:",
        "",
        "## Use",
        "",
        "```bash",
        f"specialize predict THIS_FOLDER --input texts.txt --output {output}",
        f"specialize serve THIS_FOLDER --port 8080        # POST {endpoint}",
        "```",
        "",
        "```python",
        f"from specialize.runtime import {source.runtime}",
        source.usage,
        "```",
        "",
        *_checked(info, check),
    ]
    if source_card:
        body = _USE_SECTION.sub("", _FRONT_MATTER.sub("", source_card, count=1)).strip("\n")
        body = _HEADING.sub(lambda m: m.group(1) + "# ", body)
        lines += ["## The source model", "", "The source folder's model card, as it was exported:", "", body, ""]
    return "\n".join(lines)


def _checked(info: dict[str, Any], check: CheckReport | None) -> list[str]:
    numerics = info["numerics"]
    lines = [
        "## Export and accuracy check",
        "",
        f"model.onnx {info['model_mb']:.1f} MB (source folder {info['source_size_mb']:.1f} MB). Logits against "
        f"torch on {numerics['windows']} windows: max abs difference {numerics['max_abs_diff']:.2e}, argmax "
        f"agreement {numerics['argmax_agreement']:.4f}.",
        "",
    ]
    if check is None:
        return [*lines, "No accuracy check was run (`specialize export --check GOLD` scores the export against the "
                "source on gold data and refuses to write it if it falls short).", ""]  # fmt: skip
    unit = "type" if check.unit == "span" else "label"
    texts = "documents" if check.unit == "span" else "texts"
    lines += [
        f"Source and export scored on the same {check.n_docs} gold {texts}: passed. An export is written only if "
        f"micro F1 drops by at most {check.max_f1_drop} points and each {unit}'s recall by at most its limit.",
        "",
        f"| {unit} | support | F1 source | F1 export | recall drop (points) | limit |",
        "|---|---|---|---|---|---|",
    ]
    for t, c in check.per_type.items():
        lines.append(
            f"| {t} | {c.support} | {c.source_f1:.4f} | {c.exported_f1:.4f} | {c.recall_drop:+.2f} | "
            f"{c.max_recall_drop:g} |"
        )
    lines += [
        f"| **micro** | | {check.source_f1:.4f} | {check.exported_f1:.4f} | F1 {check.f1_drop:+.2f} | "
        f"{check.max_f1_drop:g} |",
        "",
    ]
    return lines
