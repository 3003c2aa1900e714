"""specialize: turn big, general NLP models into small, specialized ones.

The public functions are imported lazily so that ``import specialize`` stays cheap and never pulls torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Document": "specialize.data.document",
    "Span": "specialize.data.document",
    "read_documents": "specialize.data.io",
    "write_documents": "specialize.data.io",
    "train": "specialize.training.train",
    "distill": "specialize.training.distill",
    "evaluate": "specialize.evaluation.evaluate",
    "predict": "specialize.models.predict",
    "load_model": "specialize.models.resolve",
    "SpecializeError": "specialize.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'specialize' has no attribute {name!r}")
