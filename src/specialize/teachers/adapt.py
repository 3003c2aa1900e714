"""Any span model as a teacher: the label store needs a fingerprint (who labelled), which plain models lack.

A model loaded by :func:`specialize.models.resolve.load_model` is wrapped by the adapter of its kind: a specialist
or an export in :class:`~specialize.teachers.hf.SpecialistTeacher` (fingerprint over the folder's weights, per-word
probabilities kept for soft labels), a spaCy pipeline in :class:`~specialize.teachers.spacy_teacher.SpacyTeacher`
(package name and version), anything else with ``predict`` in :class:`~specialize.teachers.base.PredictorTeacher`.
Teachers (rules, LLMs, votes) are returned as they are.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from specialize.errors import TeacherError
from specialize.models.spacy_pipeline import SpacyPipeline
from specialize.teachers.base import MappedTeacher, PredictorTeacher, Teacher
from specialize.teachers.hf import SpecialistTeacher, folder_digest
from specialize.teachers.spacy_teacher import SpacyTeacher


def as_teacher(model: Any, spec: str | Path | None = None, *, keep: Collection[str] | None = None) -> Teacher:
    """``model`` as a :class:`Teacher`; ``spec`` (what it was loaded from) pins its identity; ``keep`` selects
    labels."""
    if getattr(model, "task", "ner") != "ner":
        raise TeacherError(
            f"{getattr(model, 'name', model)!r} is a {model.task} model: it cannot label spans. Distil a text "
            "classifier with `specialize distill --teacher FOLDER`"
        )
    teacher: Teacher
    if isinstance(model, Teacher):
        teacher = model
    elif callable(getattr(model, "word_probabilities", None)) and hasattr(model, "label_list"):
        folder = Path(str(spec).removeprefix("hf:")) if spec is not None else None
        identity = None
        if folder is not None and folder.is_dir():
            identity = f"{folder.resolve().name}@{folder_digest(folder)}"
        teacher = SpecialistTeacher(model, identity=identity)
    elif isinstance(model, SpacyPipeline):
        teacher = SpacyTeacher(model)
    else:
        teacher = PredictorTeacher(model, identity=str(spec) if spec is not None else None)
    if keep is not None:
        teacher = MappedTeacher(teacher, keep=keep)
    return teacher
