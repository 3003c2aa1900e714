"""Import optional dependencies lazily and say which extra installs them when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from specialize.errors import MissingExtraError

__all__ = ["MissingExtraError", "require"]


def require(module: str, extra: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise an error naming the ``pip install`` that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pkg = package or module.split(".")[0]
        raise MissingExtraError(
            f"'{module}' is needed for this feature but is not installed. "
            f"Install it with: pip install 'specialize[{extra}]' (or: pip install {pkg})"
        ) from exc
