"""A trained specialist folder as a teacher: hard spans with scores, and per-word soft labels.

The fingerprint hashes the folder's config and weights, so retraining into the same folder never reuses
labels of the old weights from the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specialize.teachers.base import TeacherBase, TeacherOutput, make_fingerprint

if TYPE_CHECKING:
    import numpy as np

    from specialize.data.alignment import TokenizedDocument
    from specialize.models.specialist import Specialist

_WEIGHT_PATTERNS = ("config.json", "*.safetensors", "*.bin")


def folder_digest(folder: str | Path) -> str:
    """sha256 over the config and weight files of a model folder (names and bytes, in name order)."""
    folder = Path(folder)
    digest = hashlib.sha256()
    files = sorted({p for pattern in _WEIGHT_PATTERNS for p in folder.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class SpecialistTeacher(TeacherBase):
    """Wraps a :class:`~specialize.models.specialist.Specialist`; spans carry the model's confidence."""

    def __init__(self, specialist: Specialist, *, identity: str | None = None, name: str | None = None) -> None:
        self.specialist = specialist
        self.name = name or f"hf:{specialist.name}"
        settings = specialist.settings
        self._fingerprint = make_fingerprint(
            "hf",
            identity or specialist.name,
            label_list=specialist.label_list,
            max_length=settings.max_length,
            stride=settings.stride,
        )

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> SpecialistTeacher:
        """Load a folder written by ``specialize train`` (or ``distill``)."""
        from specialize.models.specialist import Specialist

        folder = Path(str(path).removeprefix("hf:"))
        specialist = Specialist.load(folder)
        identity = f"{folder.resolve().name}@{folder_digest(folder)}"
        return cls(specialist, identity=identity, **kwargs)

    @property
    def labels(self) -> list[str]:
        return list(self.specialist.labels)

    @property
    def label_list(self) -> list[str]:
        """The IOB2 tag list, in the column order of :meth:`word_probabilities`."""
        return list(self.specialist.label_list)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        return [TeacherOutput(spans=sorted(spans)) for spans in self.specialist.predict(texts)]

    def word_probabilities(self, texts: Sequence[str]) -> tuple[list[TokenizedDocument], list[np.ndarray]]:
        """Per-word tag distributions (words as the teacher's tokenizer splits them), for soft labels."""
        return self.specialist.word_probabilities(texts)
