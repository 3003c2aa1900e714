"""Checks the sections of every command config share: each raises ValueError naming ``section.key``, which
:func:`specialize.config.load_command_config` turns into a ConfigError naming the file too."""

from __future__ import annotations

from typing import Any


def _at_least(section: str, minimum: float, **values: float | None) -> None:
    """Raise ValueError naming ``section.key`` for the first of ``values`` below ``minimum`` (None passes)."""
    for key, value in values.items():
        if value is not None and value < minimum:
            raise ValueError(f"{section}.{key} must be >= {minimum:g}, got {value}")


def _required(section: str, key: str, value: Any, flag: str) -> None:
    """Raise ValueError for a required input that neither the flag ``flag`` nor the file gave."""
    if value is None or value == "" or value == []:
        raise ValueError(f"{section}.{key} is required: pass {flag}, or set {key} in the [{section}] table")


def _one_of(section: str, key: str, value: str | None, choices: tuple[str, ...] | list[str]) -> None:
    """Raise ValueError naming ``section.key`` when ``value`` (None passes) is not among ``choices``."""
    if value is not None and value not in choices:
        raise ValueError(f"{section}.{key} must be one of {', '.join(choices)}, got {value!r}")
