"""Command-line flags derived from a command's typed config (see specialize/config.py).

Every command with a config takes ``--config FILE``, ``--set SECTION.KEY=VALUE`` and ``--print-config``; each
of its other flags sets one config key. A flag's type and the default its help shows come from the config's
dataclass, and its argparse default is None, so an unset flag leaves the file's value alone: defaults, then the
file, then the flags, then ``--set``.
"""

from __future__ import annotations

import argparse
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from specialize.config import (
    CONFIG_FILE,
    CommandConfig,
    config_toml,
    load_command_config,
    sections,
    union_members,
)
from specialize.errors import ConfigError

DEVICE_HELP = "auto (a CUDA GPU when torch sees one, with bf16/fp16 autocast), cpu, cuda or cuda:N"


@dataclass(frozen=True)
class _Flag:
    dest: str
    keys: tuple[str, ...]  # SECTION.KEY, and any other key the same value goes to
    convert: Callable[[Any], Any] | None
    collapse: bool  # a repeatable flag given once is one value, as a config file writes it


def _field(config_class: type[CommandConfig], key: str) -> tuple[Any, Any]:
    """(annotation, default) of ``SECTION.KEY``; a key the config lacks is a bug here, said at parser build."""
    section, _, name = key.partition(".")
    section_class = sections(config_class)[section]
    if name not in {f.name for f in fields(section_class)}:
        raise KeyError(f"{config_class.__name__} has no key {key}")
    return typing.get_type_hints(section_class)[name], getattr(section_class(), name)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


class ConfigFlags:
    """The config flags of one command's parser; ``args.config_flags`` is this object after parsing."""

    def __init__(
        self,
        parser: argparse.ArgumentParser,
        config_class: type[CommandConfig],
        *,
        example: str,
        saved: str = f"the {CONFIG_FILE} an earlier run wrote",
    ) -> None:
        """Add ``--config`` (``saved``: where such a file comes from), ``--set`` (``example``: a SECTION.KEY=VALUE
        for its help) and ``--print-config``."""
        self.config_class = config_class
        self.example = example
        self.flags: list[_Flag] = []
        tables = ", ".join(f"[{name}]" for name in sections(config_class))
        parser.add_argument(
            "--config",
            metavar="TOML",
            help=f"TOML file with {tables} tables, e.g. {saved}; flags win over it",
        )
        parser.add_argument(
            "--set",
            action="append",
            metavar="SECTION.KEY=VALUE",
            help=f"override any config value, e.g. --set {example} (repeatable; wins over flags)",
        )
        parser.add_argument(
            "--print-config", action="store_true", help="print the resolved config as TOML and exit without running"
        )
        parser.set_defaults(config_flags=self)

    def add(
        self,
        target: argparse.ArgumentParser | argparse._ArgumentGroup,
        key: str,
        *flags: str,
        help: str,
        const: Any = None,
        convert: Callable[[Any], Any] | None = None,
        also: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        """Add ``flags`` (to ``target``, the parser or one of its groups) setting ``key`` (and the keys ``also``
        names). With ``const`` the flag takes no value and sets the key to ``const`` (``--no-progress``:
        ``training.progress`` = false). The value's type and the help's default come from the dataclass;
        ``convert`` turns the parsed value into the key's."""
        annotation, default = _field(self.config_class, key)
        for other in also:
            _field(self.config_class, other)
        if const is not None:
            kwargs.update(action="store_const", const=const)
        elif "type" not in kwargs and "action" not in kwargs and convert is None:
            # A list[int] is one type, not a union: it takes "1,2,4", which the loader splits, not one int.
            options = set(union_members(annotation) or (annotation,))
            scalar = {int, float} & options
            # A nullable key whose default is a number takes "none" too, which the loader parses.
            if len(scalar) == 1 and not (type(None) in options and default is not None):
                kwargs["type"] = scalar.pop()
        if const is None and default not in (None, {}, []) and "(default" not in help:
            help += f" (default: {_shown(default)})"
        action = target.add_argument(*flags, default=None, help=help.replace("%", "%%"), **kwargs)
        collapse = kwargs.get("action") == "append" and convert is None
        self.flags.append(_Flag(action.dest, (key, *also), convert, collapse))

    def add_unlabeled_texts(self, target: argparse.ArgumentParser, what: str) -> None:
        """``--unlabeled`` (repeatable), ``--text-field`` and ``--teacher-targets``: the ``[distillation]`` keys of
        a teacher that labels unlabeled texts (distill, train-static); ``what`` says what the texts are for."""
        self.add(
            target,
            "distillation.unlabeled",
            "--unlabeled",
            action="append",
            help=f"{what}: .txt (one per line), .jsonl/.json, .csv, a folder or a dataset name such as bc2gm:train "
            "(its labels ignored); repeatable",
        )
        self.add(
            target,
            "distillation.text_field",
            "--text-field",
            help="field/column holding the text in JSONL or CSV input",
        )
        self.add(
            target,
            "distillation.teacher_targets",
            "--teacher-targets",
            help="folder to keep the teacher's soft targets in and read them back from, across runs: students "
            "learning from one teacher on the same text have it label that text once",
        )

    def add_run_options(
        self,
        target: argparse.ArgumentParser,
        section: str,
        *,
        threads: str = "CPU threads for torch (default: all cores)",
        seed: str = "random seed",
        progress: str = "no progress bar",
        device: bool = True,
    ) -> None:
        """``--threads``, ``--device`` (unless ``device`` is false), ``--seed`` and ``--no-progress`` setting the
        keys of those names in ``section``, as every command that trains has them."""
        self.add(target, f"{section}.threads", "--threads", help=threads)
        if device:
            self.add(target, f"{section}.device", "--device", help=DEVICE_HELP)
        self.add(target, f"{section}.seed", "--seed", help=seed)
        self.add(target, f"{section}.progress", "--no-progress", const=False, help=progress)

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        """``{SECTION.KEY: value}`` of the flags given, then of ``--set`` (strings, parsed by the loader)."""
        overrides: dict[str, Any] = {}
        for flag in self.flags:
            value = getattr(args, flag.dest, None)
            if value is None:
                continue
            if flag.convert is not None:
                value = flag.convert(value)
            elif flag.collapse and len(value) == 1:
                value = value[0]
            overrides.update(dict.fromkeys(flag.keys, value))
        for item in args.set or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. --set {self.example}")
            overrides[key.strip()] = value.strip()
        return overrides


def resolve_config(args: argparse.Namespace, *, path: str | None = None) -> Any:
    """The command's config: its defaults, then ``--config`` (or ``path``), then its flags, then ``--set``;
    validated."""
    flags: ConfigFlags = args.config_flags
    return load_command_config(flags.config_class, path or args.config, flags.overrides(args))


def print_config(args: argparse.Namespace, config: CommandConfig) -> bool:
    """With ``--print-config``, print ``config`` as TOML and say the command should stop there."""
    if not args.print_config:
        return False
    output = getattr(args, config.OUTPUT_FLAG.lstrip("-").replace("-", "_"), None)
    print(config_toml(config, output=output), end="")
    return True
