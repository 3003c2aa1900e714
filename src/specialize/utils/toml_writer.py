"""A small TOML writer for the values configs hold: str, int, float, bool, lists and tables of them.

The standard library reads TOML (``tomllib``) but does not write it, and a dependency (``tomli_w``) for the
handful of types a config holds is not worth it. ``None`` has no TOML form: keys whose value is None are
left out (the caller writes ``"none"`` where None is not the default, see :mod:`specialize.config`).

This module imports nothing of specialize, so any layer may write TOML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be (``max_length``), else quoted (``"llm.base_url"``)."""
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_string(text: str) -> str:
    """A basic (double-quoted) string; control characters, which TOML forbids raw, are escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One value in inline form (tables as ``{a = 1}``); None inside a list or table is an error."""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # "0.0001", "1e-05", "3.0": all valid TOML floats
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = [f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items() if v is not None]
        return "{" + ", ".join(items) + "}" if items else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__} value {value!r}")


def dump_toml(tables: Mapping[str, Mapping[str, Any]], header: str = "") -> str:
    """A document of top-level ``tables`` (``{"training": {"epochs": 3}}`` -> ``[training]\\nepochs = 3``).

    ``header`` lines are written first as ``#`` comments. Inside a table, None values are left out and nested
    mappings become sub-tables (``[llm.labels]``) after the table's plain keys, so long values such as label
    descriptions stay one per line.
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, table in tables.items():
        _table(lines, toml_key(name), table)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], name: str, table: Mapping[str, Any]) -> None:
    lines += ["", f"[{name}]"]
    nested = {}
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            nested[key] = value
        else:
            lines.append(f"{toml_key(str(key))} = {toml_value(value)}")
    for key, value in nested.items():
        _table(lines, f"{name}.{toml_key(str(key))}", value)
