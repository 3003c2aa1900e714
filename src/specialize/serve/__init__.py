"""Serving: a micro-batcher and cascades for span models and text classifiers (plain Python), and an HTTP app
(FastAPI, the ``serve`` extra) answering ``/v1/entities`` and ``/v1/redact``, or ``/v1/classify``.

``create_app`` and ``serve`` import FastAPI/uvicorn only when first used, and say which extra to install when
they are missing: ``pip install 'specialize[serve]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specialize.serve.batcher import BatcherStats, MicroBatcher
from specialize.serve.cascade import Cascade, CascadeCurve, Routed, cascade_curve, format_curve, load_fallback

if TYPE_CHECKING:
    from specialize.serve.app import create_app, serve

__all__ = [
    "BatcherStats",
    "Cascade",
    "CascadeCurve",
    "MicroBatcher",
    "Routed",
    "cascade_curve",
    "create_app",
    "format_curve",
    "load_fallback",
    "serve",
]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "serve"):
        from specialize.utils.optional import require

        require("fastapi", "serve")
        if name == "serve":
            require("uvicorn", "serve")
        from specialize.serve import app

        return getattr(app, name)
    raise AttributeError(f"module 'specialize.serve' has no attribute {name!r}")
