"""``export``: a specialist or text-classifier folder in, a self-contained ONNX inference folder out
(optionally int8, checked).

The output folder is the whole inference path for :class:`specialize.runtime.OnnxPredictor` (span specialists)
or :class:`specialize.runtime.OnnxClassifier` (text classifiers): ``model.onnx``, the tokenizer files,
``config.json`` (labels and the ``specialize.inference`` windowing, or the ``specialize.classifier`` windowing,
pooling and threshold), ``export.json`` (what was measured) and a model card for the export
(:mod:`specialize.export.card`). The output folder is claimed first and written to a staging sibling that
replaces it only when every check passed (:mod:`specialize.utils.output_folder`), so a failed export never
leaves a model behind nor touches the old one. What differs between the two tasks is in
:mod:`specialize.export.sources`.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from specialize.config import CommandConfig, write_run_config
from specialize.errors import DataError, ModelNotFoundError
from specialize.export.card import render_export_card
from specialize.export.check import CheckReport, ExportCheckFailed, format_check_report
from specialize.export.quantize import DEFAULT_KEEP_FP32, quantize_int8
from specialize.export.sources import CheckData, ExportSource, load_source
from specialize.runtime.session import MODEL_FILE
from specialize.utils.optional import require
from specialize.utils.output_folder import claim_output

logger = logging.getLogger(__name__)

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    # The word-shape tokenizer code that tokenizer_config.json's auto_map points to.
    "tokenization_specialize.py",
    "word_shape.py",
)
NUMERIC_WINDOWS = 32  # windows compared torch vs onnxruntime
FP32_TOLERANCE = 1e-3  # max |logit difference| relative to max(1, max |logit|); a broken trace is off by ~1


@dataclass
class ExportResult:
    output: Path
    int8: bool
    size_bytes: int
    source_size_bytes: int
    numerics: dict[str, Any]
    check: CheckReport | None
    seconds: float
    info: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.info, "check": self.check.to_dict() if self.check else None}


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for dist in ("specialize", "torch", "transformers", "onnx", "onnxruntime", "tokenizers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _check_data(source: ExportSource, check: CheckData | None) -> list[Any] | None:
    if check is None:
        return None
    gold = source.read_check(check)
    if not gold:
        raise DataError(f"no documents in the check data {check!r}")
    return gold


def _copy_inference_files(tmp: Path, source: Path, export_meta: dict[str, Any]) -> None:
    """Tokenizer files and config.json (labels, windowing, and an ``export`` note) next to the model."""
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, tmp / name)
    if not (tmp / "tokenizer.json").is_file():
        raise ModelNotFoundError(f"{source} has no tokenizer.json: the torch-free runtime needs the fast tokenizer")
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config.setdefault("specialize", {})["export"] = export_meta
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _write_reports(
    tmp: Path, folder: Path, info: dict[str, Any], check: CheckReport | None, source: ExportSource
) -> None:
    """export.json (everything measured) and the export's model card (export/card.py)."""
    info["model_mb"] = (tmp / MODEL_FILE).stat().st_size / 1e6
    card_path = folder / "README.md"
    source_card = card_path.read_text(encoding="utf-8") if card_path.is_file() else None
    card = render_export_card(tmp.name, info, check, source, source_card)
    (tmp / "README.md").write_text(card, encoding="utf-8")
    report = {**info, "check": check.to_dict() if check else None}
    (tmp / "export.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")


def export(
    model_dir: str | Path,
    output: str | Path,
    *,
    int8: bool = False,
    check: CheckData | None = None,
    max_f1_drop: float = 0.5,
    max_recall_drop: float | Mapping[str, float] | None = None,
    opset: int = 17,
    keep_fp32: Sequence[str] = DEFAULT_KEEP_FP32,
    overwrite: bool = False,
    saved_config: CommandConfig | None = None,
) -> ExportResult:
    """Export the specialist or text classifier in ``model_dir`` to an ONNX folder ``output``; see the module
    docstring.

    With ``check`` the exported model and the source are both scored on it: for a span specialist gold
    documents (or a file or dataset name of them), per entity type; for a text classifier labelled texts (or a
    ``.jsonl``/``.csv`` file or dataset name such as ``mtsamples-specialty:dev``), per label. If micro F1 drops
    by more than ``max_f1_drop`` points or a type's (label's) recall by more than ``max_recall_drop`` points
    (one number, or a mapping per type; default 1.0 point per type), :class:`ExportCheckFailed` is raised with
    the report and ``output`` is left untouched. An fp32 export whose logits differ from torch's beyond
    rounding fails the same way, check or not. ``saved_config``: the command's resolved config (an ExportConfig),
    saved in ``output`` as ``specialize_config.toml``.
    """
    require("onnxruntime", "onnx")
    if int8:
        require("onnx", "onnx")
    started = time.perf_counter()
    folder, output = Path(model_dir), Path(output)
    claim = claim_output(output, "export", overwrite=overwrite, sources=[folder, check])
    source = load_source(folder)
    gold = _check_data(source, check)
    from specialize.export.onnx_export import SAMPLE_TEXTS, compare_logits, example_batch, export_onnx

    sample_texts = source.texts(gold or [])[:NUMERIC_WINDOWS]
    features = source.windows([*SAMPLE_TEXTS, *sample_texts])[:NUMERIC_WINDOWS]

    with claim.writing() as tmp:
        fp32_path = tmp / ("model.fp32.onnx" if int8 else MODEL_FILE)
        inputs = export_onnx(source.model, fp32_path, example_batch(features, source.pad_id), opset=opset)
        quantization = None
        if int8:
            quantization = quantize_int8(fp32_path, tmp / MODEL_FILE, keep_fp32=keep_fp32)
            fp32_path.unlink()
        meta = {
            "format": "onnx",
            "task": source.task,
            "runtime": f"specialize.runtime.{source.runtime}",
            "int8": int8,
            "opset": opset,
            "source": str(folder),
            "inputs": inputs,
        }
        _copy_inference_files(tmp, folder, {**meta, "versions": _versions()})
        exported = source.load_exported(tmp, f"{folder.name} (onnx{' int8' if int8 else ''})")
        numerics = compare_logits(source.model, exported.session, features, source.pad_id)
        logger.info(
            "logits vs torch on %d windows: max abs diff %.2e, argmax agreement %.4f",
            numerics["windows"],
            numerics["max_abs_diff"],
            numerics["argmax_agreement"],
        )
        if not int8 and numerics["max_abs_diff"] > FP32_TOLERANCE * max(1.0, numerics["max_abs_logit"]):
            raise ExportCheckFailed(
                f"the fp32 ONNX model's logits differ from torch's by up to {numerics['max_abs_diff']:.3g}: the "
                "export is broken (not rounding); nothing was written",
                details={"numerics": numerics},
            )
        report = None
        if gold is not None:
            report = source.compare(gold, exported, max_f1_drop=max_f1_drop, max_recall_drop=max_recall_drop)
            logger.info(
                "export check on %d %ss: micro F1 %.4f -> %.4f, %s",
                report.n_docs,
                "document" if report.unit == "span" else "text",
                report.source_f1,
                report.exported_f1,
                "passed" if report.passed else "FAILED",
            )
            logger.debug("export check:\n%s", format_check_report(report))
            if not report.passed:
                raise ExportCheckFailed(
                    "the exported model fails the accuracy check: " + "; ".join(report.failures),
                    report=report,
                    details={"numerics": numerics},
                )
        elif int8:
            logger.warning("int8 export without --check: its accuracy was not measured on gold data")
        info: dict[str, Any] = {
            **meta,
            "quantization": quantization,
            "numerics": numerics,
            "source_size_mb": folder_size(folder) / 1e6,
            "versions": _versions(),
        }
        _write_reports(tmp, folder, info, report, source)
        write_run_config(tmp, saved_config, output)
        info["seconds"] = time.perf_counter() - started
    size = folder_size(output)
    logger.info("exported %s to %s (%.1f MB, %.1f s)", folder, output, size / 1e6, info["seconds"])
    return ExportResult(
        output=output,
        int8=int8,
        size_bytes=size,
        source_size_bytes=folder_size(folder),
        numerics=numerics,
        check=report,
        seconds=info["seconds"],
        info=info,
    )
