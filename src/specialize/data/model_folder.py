"""The one reader of a model folder's config.json: which task, which kind of folder, which format version.

Every folder specialize writes (a trained specialist or text classifier, a static-embedding student, an ONNX
export of any of them) keeps its own settings under the ``specialize`` key of config.json::

    {"id2label": {...}, ..., "specialize": {"format_version": 1, "task": "ner", "inference": {...}, ...}}

Span models keep their windowing under ``specialize.inference``, text classifiers theirs under
``specialize.classifier``. The format version is checked here, once, for every loader: a folder written by a
newer specialize is refused with the upgrade to run, rather than half-read. No torch import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from specialize.errors import ModelFolderError, ModelNotFoundError

# The folder layout this version writes and reads. Bump it when a change would make an older specialize misread a
# folder (a renamed settings key, a new required file); say in MIGRATIONS what changed.
FORMAT_VERSION = 1
MIGRATIONS: dict[int, str] = {1: "the first versioned layout (specialize 0.1)"}

SPAN_TASK = "ner"
CLASSIFICATION_TASK = "classification"
SETTINGS_SECTION = {SPAN_TASK: "inference", CLASSIFICATION_TASK: "classifier"}
TASK_WHAT = {SPAN_TASK: "span model", CLASSIFICATION_TASK: "text classifier"}  # for messages
STATIC_MODEL_TYPE = "specialize-static"
ONNX_FILE = "model.onnx"

SettingsT = TypeVar("SettingsT")


class FolderKind(StrEnum):
    TRANSFORMERS = "transformers"  # a transformers model folder (torch weights) with specialize settings
    STATIC = "static"  # a static-embedding student (specialize's own torch weights)
    ONNX = "onnx"  # an export: model.onnx + tokenizer, runs without torch


@dataclass(frozen=True)
class ModelFolder:
    """What config.json says about a model folder, checked."""

    path: Path
    task: str  # "ner" or "classification"
    kind: FolderKind
    format_version: int
    labels: list[str]  # output labels in id order (IOB2 tags for span models)
    settings: dict[str, Any]  # the task's settings section (windowing; pooling and threshold for classifiers)
    raw: dict[str, Any] = field(repr=False)  # the whole config.json

    @property
    def specialize(self) -> dict[str, Any]:
        section: dict[str, Any] = self.raw.get("specialize", {})
        return section

    @property
    def trained_on(self) -> str | None:
        """The unit the model read in training (``sentence`` or ``document``: its ``data.context``), None when the
        folder does not say (written by an older version, or not by train/distill)."""
        training = self.specialize.get("training")
        data = training.get("data") if isinstance(training, dict) else None
        if not isinstance(data, dict):
            return None
        return str(data.get("context") or "sentence")

    def settings_as(self, settings_type: type[SettingsT]) -> SettingsT:
        """The settings section as a dataclass; keys it does not know are ignored."""
        fields = settings_type.__dataclass_fields__  # type: ignore[attr-defined]
        return settings_type(**{k: v for k, v in self.settings.items() if k in fields})


def _fix_for(path: Path) -> str:
    return (
        f"pass a folder written by `specialize train`, `specialize distill` or `specialize export` ({path} is not one)"
    )


def read_config(path: str | Path) -> dict[str, Any]:
    """config.json of ``path`` as a dict; a clear error when the folder or the file is missing or not JSON."""
    folder = Path(path)
    if not folder.exists():
        raise ModelNotFoundError(f"model folder {folder} does not exist; {_fix_for(folder)}")
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ModelNotFoundError(f"{folder} is not a model folder (no config.json); {_fix_for(folder)}")
    try:
        raw: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFolderError(f"{config_path} is not valid JSON ({exc}); restore the file or retrain") from None
    return raw


def read_model_folder(path: str | Path) -> ModelFolder:
    """Read and check a model folder's config.json (see the module docstring)."""
    folder = Path(path)
    raw = read_config(folder)
    config_path = folder / "config.json"
    own = raw.get("specialize")
    if not isinstance(own, dict):
        raise ModelFolderError(
            f"{config_path} has no 'specialize' section: this folder was not written by specialize. Train a model "
            "with `specialize train`, or use this one through transformers directly"
        )
    version = own.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFolderError(
            f"{config_path}: specialize.format_version is {version!r}, not a folder format this version reads "
            f"(1 to {FORMAT_VERSION}); retrain or re-export it with this version of specialize"
        )
    if version > FORMAT_VERSION:
        raise ModelFolderError(
            f"{folder} was written by a newer specialize (folder format {version}; this version reads up to "
            f"{FORMAT_VERSION}); upgrade: pip install -U specialize"
        )
    task = str(own.get("task", SPAN_TASK))
    if task not in SETTINGS_SECTION:
        raise ModelFolderError(
            f"{config_path}: specialize.task is {task!r}; this version knows {sorted(SETTINGS_SECTION)}: upgrade "
            "specialize (pip install -U specialize)"
        )
    section = SETTINGS_SECTION[task]
    settings = own.get(section)
    if not isinstance(settings, dict):
        raise ModelFolderError(
            f"{config_path} has no 'specialize.{section}' section, which a {task} model keeps its windowing in; "
            f"{_fix_for(folder)}"
        )
    id2label = {int(k): str(v) for k, v in (raw.get("id2label") or {}).items()}
    if not id2label or sorted(id2label) != list(range(len(id2label))):
        raise ModelFolderError(f"{config_path}: id2label is missing or not numbered 0..n-1, so outputs have no names")
    if (folder / ONNX_FILE).is_file():
        kind = FolderKind.ONNX
    elif raw.get("model_type") == STATIC_MODEL_TYPE:
        kind = FolderKind.STATIC
    else:
        kind = FolderKind.TRANSFORMERS
    return ModelFolder(folder, task, kind, version, [id2label[i] for i in range(len(id2label))], settings, raw)


def folder_task(path: str | Path) -> str | None:
    """The task of a model folder, or None when ``path`` is not a readable specialize model folder. No errors."""
    try:
        return read_model_folder(path).task
    except (ModelFolderError, OSError):
        return None


# Files of a model folder that do not change what the model computes (its card, its scores).
NOT_WEIGHTS = {"README.md", "training.json", "evaluation.json", "distillation.md", "specialize_config.toml"}


def model_fingerprint(folder: Path) -> str:
    """A digest of the files of a model folder that make its predictions (weights, config, tokenizer): a teacher
    trained again into the same folder gets a new one, so its old targets are not read back for it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name not in NOT_WEIGHTS):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:32]
