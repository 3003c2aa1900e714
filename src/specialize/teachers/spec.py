"""Turn a teacher spec string into a teacher: ``spacy:NAME``, a specialist folder (or ``hf:PATH``),
``gazetteer:FILE``, ``regex:FILE``, ``llm:MODEL``, ``vote:SPEC+SPEC[+...]``."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from specialize.teachers.base import MappedTeacher, Teacher

KINDS = ("spacy", "hf", "gazetteer", "regex", "llm", "vote")
_SPEC_HELP = (
    "use spacy:NAME, a folder written by `specialize train` (or hf:PATH), gazetteer:FILE, regex:FILE, "
    "llm:MODEL or vote:SPEC+SPEC"
)


def split_spec(spec: str) -> tuple[str, str]:
    """``(kind, rest)``; a bare existing folder is an ``hf`` specialist."""
    kind, colon, rest = spec.partition(":")
    if colon and kind in KINDS:
        return kind, rest
    if Path(spec).is_dir():
        return "hf", spec
    raise ValueError(f"teacher {spec!r} is neither a known kind nor an existing folder; {_SPEC_HELP}")


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
        raise ValueError(f"{path}: expected {{label: description}} or [label, ...]; rewrite the file in one of those")
    labels = [item.strip() for item in value.split(",") if item.strip()]
    if not labels:
        raise ValueError(f"no labels in {value!r}; give e.g. Disease,Chemical or a JSON file")
    return labels


def _parameters(*functions: Callable[..., Any]) -> set[str]:
    names: set[str] = set()
    for fn in functions:
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("self", "cls"):
                names.add(p.name)
    return names


def _check_options(kind: str, options: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for {kind} teachers; known: {', '.join(sorted(allowed))}")


def load_teacher(spec: str, label_map: Mapping[str, str] | None = None, **options: Any) -> Teacher:
    """Load a teacher from ``spec``; ``options`` go to the teacher's constructor (checked by name).

    ``labels`` is the label set of an ``llm`` teacher (list or ``{label: description}``) and selects labels
    of the others; ``label_map`` renames labels (spaCy maps its own; for ``llm`` it is an error). For
    ``vote``, options named ``KIND.option`` go to the child teachers of that kind (``llm.base_url=...``),
    the others to the aggregation (``weights``, ``min_votes``, ``precedence``).
    """
    labels = parse_labels(options.pop("labels", None))
    kind, rest = split_spec(spec)
    if kind == "vote":
        return _load_vote(rest, label_map, labels, options)
    if kind == "llm":
        return _load_llm(rest, label_map, labels, options)
    teacher: Teacher
    if kind == "spacy":
        from specialize.models.spacy_pipeline import SpacyPipeline
        from specialize.teachers.spacy_teacher import SpacyTeacher

        _check_options(kind, options, _parameters(SpacyTeacher.load, SpacyPipeline.__init__) - {"nlp"})
        teacher = SpacyTeacher.load(rest, label_map=label_map, **options)
        label_map = None  # applied by the pipeline itself
    elif kind == "hf":
        from specialize.teachers.hf import SpecialistTeacher

        _check_options(kind, options, {"name"})
        teacher = SpecialistTeacher.load(rest, **options)
    elif kind == "gazetteer":
        from specialize.teachers.rules import GazetteerTeacher

        _check_options(kind, options, _parameters(GazetteerTeacher.from_file, GazetteerTeacher.__init__) - {"terms"})
        teacher = GazetteerTeacher.from_file(rest, **options)
    else:
        from specialize.teachers.rules import RegexTeacher

        _check_options(kind, options, _parameters(RegexTeacher.__init__) - {"patterns"})
        teacher = RegexTeacher.from_file(rest, **options)
    if label_map is not None or labels is not None:
        teacher = MappedTeacher(teacher, label_map=label_map, keep=list(labels) if labels is not None else None)
    return teacher


def _load_llm(
    model: str, label_map: Mapping[str, str] | None, labels: list[str] | dict[str, str] | None, options: dict[str, Any]
) -> Teacher:
    from specialize.teachers.llm import load_llm_teacher

    if label_map is not None:
        raise ValueError("--label-map does not apply to llm: teachers; name the labels you want with --labels")
    return load_llm_teacher(model or None, labels, options)


def _load_vote(
    rest: str, label_map: Mapping[str, str] | None, labels: list[str] | dict[str, str] | None, options: dict[str, Any]
) -> Teacher:
    from specialize.teachers.aggregation import VotingTeacher

    children = [part for part in rest.split("+") if part]
    if len(children) < 2:
        raise ValueError(f"vote:{rest} names {len(children)} teacher(s); join at least two with '+'")
    own = {k: v for k, v in options.items() if "." not in k}
    _check_options("vote", own, _parameters(VotingTeacher.__init__) - {"teachers"})
    kinds = {split_spec(child)[0] for child in children}
    stray = sorted(k for k in options if "." in k and k.split(".", 1)[0] not in kinds)
    if stray:
        raise ValueError(f"option(s) {stray} name no teacher of this vote; prefixes must be one of {sorted(kinds)}")
    teachers = []
    for child in children:
        kind, _ = split_spec(child)
        child_options = {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith(f"{kind}.")}
        if labels is not None:
            child_options["labels"] = labels
        teachers.append(load_teacher(child, None if kind == "llm" else label_map, **child_options))
    return VotingTeacher(teachers, **own)
