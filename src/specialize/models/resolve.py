"""The one resolver: a model spec in, a loaded model out, whatever the spec names.

=====================  ==========================================================================================
spec                   what it loads
=====================  ==========================================================================================
``FOLDER``             a folder specialize wrote (``hf:FOLDER`` too): a specialist or text classifier (torch), a
                       static-embedding student, or an export (``model.onnx``: runs without torch); its
                       config.json (checked, format version included) says which
``spacy:NAME``         a spaCy pipeline (package name or path; a spaCy folder also loads without the prefix)
``gazetteer:FILE``     longest-match gazetteer (TSV/CSV/JSON term lists)
``regex:FILE``         regular-expression rules
``llm:MODEL``          an instruction-tuned LLM behind an OpenAI-compatible endpoint (``base_url`` option)
``vote:A+B[+C...]``    a vote of several of the above
``mean:A+B[+C...]``    the mean of several span models' per-word distributions (folders or exports; see
                       :mod:`specialize.models.averaged`)
=====================  ==========================================================================================

Every model it returns has ``name``, ``labels`` and ``predict(texts)`` (spans, or label lists for text
classifiers, whose ``task`` attribute says so). Teachers (``specialize label``) are the same models seen through
:func:`specialize.teachers.spec.load_teacher`, which adds a fingerprint for the label store.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialize.data.model_folder import SPAN_TASK, FolderKind, read_model_folder
from specialize.errors import ConfigError, ModelFolderError, ModelNotFoundError

KINDS = ("folder", "spacy", "gazetteer", "regex", "llm", "vote", "mean")
SPEC_HELP = (
    "use a folder written by `specialize train`/`distill`/`export` (or hf:FOLDER), spacy:NAME, gazetteer:FILE, "
    "regex:FILE, llm:MODEL, vote:SPEC+SPEC or mean:FOLDER+FOLDER"
)


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: its kind and what it points at (a folder, a pipeline, a file, a model name...)."""

    kind: str
    location: str

    @classmethod
    def parse(cls, spec: str | Path) -> ModelSpec:
        text = str(spec)
        prefix, colon, rest = text.partition(":")
        if colon and prefix == "hf":
            return cls("folder", rest)
        if colon and prefix in KINDS and prefix != "folder":
            return cls(prefix, rest)
        path = Path(text)
        if path.is_dir():
            if (path / "meta.json").is_file() and (path / "config.cfg").is_file():
                return cls("spacy", text)  # a spaCy pipeline folder (e.g. spacy train's model-best)
            return cls("folder", text)
        if path.exists():
            raise ModelFolderError(f"model {text!r} is a file, not a model folder; {SPEC_HELP}")
        raise ModelNotFoundError(f"model {text!r} is neither an existing folder nor a known spec; {SPEC_HELP}")

    def __str__(self) -> str:
        return self.location if self.kind == "folder" else f"{self.kind}:{self.location}"


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
        raise ConfigError(f"unknown option(s) {unknown} for {kind} models; known: {', '.join(sorted(allowed)) or '-'}")


def load_folder(path: str | Path, *, threads: int | None = None, name: str | None = None) -> Any:
    """A model folder specialize wrote, as the class its config.json names (see the module docstring)."""
    folder = read_model_folder(path)
    if folder.kind is FolderKind.ONNX:
        from specialize.runtime.onnx import load_exported

        return load_exported(folder.path, threads, name=name)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    if folder.kind is FolderKind.STATIC:
        from specialize.models.static_student import StaticStudent

        return StaticStudent.load(folder.path, name=name)
    if folder.task == SPAN_TASK:
        from specialize.models.specialist import Specialist

        return Specialist.load(folder.path, name=name)
    from specialize.models.text_classifier import TextClassifier

    return TextClassifier.load(folder.path, name=name)


def load_model(
    spec: Any,
    *,
    label_map: Mapping[str, str] | None = None,
    labels: list[str] | dict[str, str] | None = None,
    threads: int | None = None,
    **options: Any,
) -> Any:
    """Load what ``spec`` names (see the module docstring); an object that is not a spec is returned as it is.

    ``label_map`` renames a spaCy pipeline's or a rule teacher's labels (spaCy drops labels the map does not
    cover); ``labels`` is what an ``llm:`` teacher looks for (a list, or ``{label: description}``) and selects
    labels of rule teachers; ``threads`` caps an export's (or torch's) CPU threads; ``options`` go to the model's
    constructor and are checked by name (``vote`` passes ``KIND.option`` to its children of that kind).
    """
    if not isinstance(spec, str | Path):
        return spec
    parsed = ModelSpec.parse(spec)
    if parsed.kind == "folder":
        _check_options("folder", options, {"name"})
        return load_folder(parsed.location, threads=threads, name=options.get("name"))
    if parsed.kind == "spacy":
        from specialize.models.spacy_pipeline import SpacyPipeline

        _check_options("spacy", options, _parameters(SpacyPipeline.__init__) - {"nlp", "label_map"})
        return SpacyPipeline.load(parsed.location, label_map=label_map, **options)
    if parsed.kind == "vote":
        return _load_vote(parsed.location, label_map, labels, options)
    if parsed.kind == "mean":
        return _load_mean(parsed.location, label_map, threads, options)
    if parsed.kind == "llm":
        return _load_llm(parsed.location, label_map, labels, options)
    model: Any
    if parsed.kind == "gazetteer":
        from specialize.teachers.rules import GazetteerTeacher

        _check_options(
            "gazetteer", options, _parameters(GazetteerTeacher.from_file, GazetteerTeacher.__init__) - {"terms"}
        )
        model = GazetteerTeacher.from_file(parsed.location, **options)
    else:
        from specialize.teachers.rules import RegexTeacher

        _check_options("regex", options, _parameters(RegexTeacher.__init__) - {"patterns"})
        model = RegexTeacher.from_file(parsed.location, **options)
    if label_map is not None or labels is not None:
        from specialize.teachers.base import MappedTeacher

        model = MappedTeacher(model, label_map=label_map, keep=list(labels) if labels is not None else None)
    return model


def _load_llm(
    model: str, label_map: Mapping[str, str] | None, labels: list[str] | dict[str, str] | None, options: dict[str, Any]
) -> Any:
    """An ``llm:MODEL`` teacher; ``options`` are :class:`~specialize.teachers.llm_config.LLMConfig` keys, checked
    and typed there."""
    from specialize.teachers.llm import load_llm_teacher

    if label_map is not None:
        raise ConfigError("--label-map does not apply to llm: teachers; name the labels you want with --labels")
    return load_llm_teacher(model or None, labels, options)


def _joined(kind: str, rest: str) -> list[str]:
    """The specs a ``vote:``/``mean:`` spec joins with '+'; at least two."""
    children = [part for part in rest.split("+") if part]
    if len(children) < 2:
        raise ConfigError(f"{kind}:{rest} names {len(children)} model(s); join at least two with '+'")
    return children


def _load_vote(
    rest: str, label_map: Mapping[str, str] | None, labels: list[str] | dict[str, str] | None, options: dict[str, Any]
) -> Any:
    from specialize.teachers.adapt import as_teacher
    from specialize.teachers.aggregation import VotingTeacher

    children = _joined("vote", rest)
    own = {k: v for k, v in options.items() if "." not in k}
    _check_options("vote", own, _parameters(VotingTeacher.__init__) - {"teachers"})
    kinds = {ModelSpec.parse(child).kind for child in children}
    stray = sorted(k for k in options if "." in k and k.split(".", 1)[0] not in kinds)
    if stray:
        raise ConfigError(f"option(s) {stray} name no model of this vote; prefixes must be one of {sorted(kinds)}")
    teachers = []
    for child in children:
        kind = ModelSpec.parse(child).kind
        child_options = {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith(f"{kind}.")}
        child_labels = labels if kind in ("llm", "gazetteer", "regex") else None
        keep = list(labels) if labels is not None and child_labels is None else None
        loaded = load_model(child, label_map=None if kind == "llm" else label_map, labels=child_labels, **child_options)
        teachers.append(as_teacher(loaded, child, keep=keep))
    return VotingTeacher(teachers, **own)


def _load_mean(rest: str, label_map: Mapping[str, str] | None, threads: int | None, options: dict[str, Any]) -> Any:
    from specialize.models.averaged import AveragedTagger

    if label_map is not None:
        raise ConfigError("--label-map does not apply to mean: (its members' labels are their own); drop it")
    _check_options("mean", options, {"name", "weights"})
    members, folders = [], []
    for child in _joined("mean", rest):
        spec = ModelSpec.parse(child)
        if spec.kind != "folder":
            raise ConfigError(f"mean:{rest}: {child!r} is a {spec.kind}: model; mean: averages model folders")
        members.append(load_folder(spec.location, threads=threads))
        folders.append(Path(spec.location))
    weights = options.get("weights")
    if isinstance(weights, str):  # --option weights=2,1 on a command line
        weights = [float(w) for w in weights.split(",")]
    return AveragedTagger(members, weights=weights, folders=folders, name=options.get("name"))


def distinct_names(names: Sequence[str], specs: Sequence[Any]) -> list[str]:
    """``names`` of the models loaded from ``specs``, made distinct for side-by-side tables and records. Folders
    that share a name (``runs/ncbi-disease``, ``runs/teachers/ncbi-disease``) are told apart by as much of their
    paths as it takes (``runs/ncbi-disease``, ``teachers/ncbi-disease``); names paths cannot tell apart get
    ``#2``, ``#3``... in order."""
    out = list(names)
    for name in set(names):
        same = [i for i, n in enumerate(names) if n == name]
        paths = [Path(specs[i]).resolve() for i in same if isinstance(specs[i], str | Path)]
        if len(same) < 2 or len(paths) < len(same) or any(p.name != name for p in paths):
            continue  # not (only) folders named by their folder names
        for depth in range(2, max(len(p.parts) for p in paths) + 1):
            suffixes = ["/".join(p.parts[-depth:]) for p in paths]
            if len(set(suffixes)) == len(suffixes):
                for i, suffix in zip(same, suffixes, strict=True):
                    out[i] = suffix
                break
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            out[i] = f"{name}#{seen[name]}"
    return out
