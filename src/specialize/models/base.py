"""What every span predictor offers, whatever runs underneath (a specialist, a spaCy pipeline, a teacher)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from specialize.data.document import Span


@runtime_checkable
class SpanPredictor(Protocol):
    """Texts in, character-offset spans out, one list per text, in input order."""

    name: str

    @property
    def labels(self) -> list[str]:
        """Entity types this predictor can return (after any label mapping)."""
        ...

    def predict(self, texts: Sequence[str]) -> list[list[Span]]: ...
