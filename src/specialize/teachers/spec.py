"""A teacher from a spec string: the model :mod:`specialize.models.resolve` loads (``spacy:NAME``, a specialist
folder or ``hf:PATH``, ``gazetteer:FILE``, ``regex:FILE``, ``llm:MODEL``, ``vote:SPEC+SPEC[+...]``), seen as a
teacher; and the ``--labels`` value parsed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from specialize.errors import ConfigError
from specialize.models.resolve import ModelSpec, load_model
from specialize.teachers.adapt import as_teacher
from specialize.teachers.base import MappedTeacher, Teacher


def parse_labels(value: str | Sequence[str] | Mapping[str, str] | None) -> list[str] | dict[str, str] | None:
    """``"Disease,Chemical"``, a JSON file ``{label: description}`` / ``[labels]``, or a list/dict as is."""
    if value is None or isinstance(value, Mapping):
        return dict(value) if value is not None else None
    if not isinstance(value, str):
        return [str(v) for v in value]
    path = Path(value)
    if path.suffix.lower() == ".json" and path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            return {str(k): v for k, v in data.items()}
        if isinstance(data, list) and all(isinstance(v, str) for v in data):
            return list(data)
        raise ConfigError(f"{path}: expected {{label: description}} or [label, ...]; rewrite the file in one of those")
    labels = [item.strip() for item in value.split(",") if item.strip()]
    if not labels:
        raise ConfigError(f"no labels in {value!r}; give e.g. Disease,Chemical or a JSON file")
    return labels


def load_teacher(spec: str, label_map: Mapping[str, str] | None = None, **options: Any) -> Teacher:
    """The teacher ``spec`` names (any spec :func:`specialize.models.resolve.load_model` takes), with a
    fingerprint for the label store.

    ``labels`` is the label set of an ``llm`` teacher (list or ``{label: description}``) and selects labels of
    the others; ``label_map`` renames labels (spaCy maps its own; for ``llm`` it is an error). For ``vote``,
    options named ``KIND.option`` go to the child teachers of that kind (``llm.base_url=...``), the others to the
    aggregation (``weights``, ``min_votes``, ``precedence``).
    """
    labels = parse_labels(options.pop("labels", None))
    kind = ModelSpec.parse(spec).kind
    model = load_model(spec, label_map=label_map, labels=labels, **options)
    keep = None
    if kind in ("folder", "spacy") and labels is not None:
        keep = list(labels)
    teacher = as_teacher(model, spec, keep=keep)
    if kind == "folder" and label_map is not None:
        teacher = MappedTeacher(teacher, label_map=label_map)
    return teacher
