"""Resolve a model spec string to a span predictor: a specialist folder or ``spacy:NAME_OR_PATH``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from specialize.models.base import SpanPredictor


def load_predictor(spec: str, label_map: Mapping[str, str] | None = None) -> SpanPredictor:
    """``spacy:en_core_web_md`` (a spaCy pipeline, labels mapped) or a folder written by ``specialize train``."""
    if spec.startswith("spacy:"):
        from specialize.models.spacy_pipeline import SpacyPipeline

        return SpacyPipeline.load(spec, label_map=label_map)
    path = Path(spec)
    if not path.is_dir():
        raise FileNotFoundError(
            f"model {spec!r} is neither a folder nor a 'spacy:NAME' spec; pass a folder written by "
            "`specialize train` or e.g. spacy:en_core_web_md"
        )
    return load_model(path)


def load_model(path: str | Path) -> SpanPredictor:
    """Load a saved specialist folder, or an exported one (``model.onnx``: runs without torch)."""
    if (Path(path) / "model.onnx").is_file():
        from specialize.runtime import OnnxPredictor

        return OnnxPredictor.load(path)
    from specialize.models.specialist import Specialist

    return Specialist.load(path)
