"""The errors specialize raises on purpose: one base class, one subclass per kind of thing that went wrong.

Every message says what is wrong and how to fix it, so the CLI prints it as one ``error:`` line (exit code 2)
and keeps tracebacks for real bugs. Each subclass also derives from the builtin exception a caller would catch
without knowing specialize (``ValueError`` for bad input, ``FileNotFoundError`` for a missing path...), so code
written against the builtins keeps working.

This module imports nothing, so every layer (``data/`` included) may raise these.
"""

from __future__ import annotations


class SpecializeError(Exception):
    """Base of every error specialize raises on purpose; ``str()`` is one line with the fix."""


class ConfigError(SpecializeError, ValueError):
    """A configuration file, option or override is wrong (unknown key, wrong type, value out of range)."""


class DataError(SpecializeError, ValueError):
    """Input data cannot be used: malformed records, invalid spans, labels a model does not know."""


class InputNotFoundError(DataError, FileNotFoundError):
    """An input file or folder (data, gazetteer, report, annotation export) does not exist."""


class DatasetError(SpecializeError, RuntimeError):
    """A registered dataset cannot be found, fetched or verified."""


class ModelFolderError(SpecializeError, ValueError):
    """A model folder or model spec cannot be used: missing, of another kind, written by another format version."""


class ModelNotFoundError(ModelFolderError, FileNotFoundError):
    """A model folder or file named by a spec does not exist."""


class TeacherError(SpecializeError, RuntimeError):
    """A teacher cannot label: an unreachable endpoint, a refused request, answers that cannot be used."""


class OutputExistsError(SpecializeError, FileExistsError):
    """An output path exists and may not be replaced (not written by specialize, or no ``--overwrite``)."""


class MissingExtraError(SpecializeError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` that provides it."""


class ExportCheckError(SpecializeError, RuntimeError):
    """An exported model fell short of its source on the check data; nothing was written."""
