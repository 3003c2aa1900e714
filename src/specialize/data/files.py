"""Annotated files in every supported format (CoNLL/IOB, JSONL, brat, PubTator): detecting the format from the
path and the content, reading and writing. Dataset names are :mod:`specialize.data.io`'s business."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from specialize.data.document import Document
from specialize.data.errors import DataFormatError
from specialize.data.formats.brat import read_brat, write_brat
from specialize.data.formats.conll import read_conll, write_conll
from specialize.data.formats.jsonl import read_jsonl, write_jsonl
from specialize.data.formats.pubtator import read_pubtator, write_pubtator
from specialize.errors import ConfigError, InputNotFoundError

logger = logging.getLogger(__name__)


class Format(StrEnum):
    CONLL = "conll"
    JSONL = "jsonl"
    BRAT = "brat"
    PUBTATOR = "pubtator"

    @classmethod
    def parse(cls, value: Format | str) -> Format:
        aliases = {
            "iob": "conll",
            "iob2": "conll",
            "bio": "conll",
            "tsv": "conll",
            "conll2003": "conll",
            "json": "jsonl",
            "spacy": "jsonl",
            "prodigy": "jsonl",
            "label-studio": "jsonl",
            "label_studio": "jsonl",
            "ann": "brat",
            "standoff": "brat",
        }
        key = str(value).lower()
        try:
            return cls(aliases.get(key, key))
        except ValueError:
            raise ConfigError(f"unknown format {value!r}; use one of: {', '.join(f.value for f in cls)}") from None


_FORMAT_FIX = "pass format= (CLI: --format) one of conll, jsonl, brat, pubtator"
_CONLL_SUFFIXES = {".conll", ".iob", ".iob2", ".bio", ".bioes", ".iobes", ".tsv", ".txt"}
JSON_SUFFIXES = {".jsonl", ".json", ".ndjson"}
_DATASET_NAME = re.compile(r"[A-Za-z0-9][\w.-]*:[A-Za-z]+")
_SKIPPED_FILES = re.compile(r"(?i)^(readme|license|licence|copying|notice)(\..*)?$")
_TAG = re.compile(r"O|[BIESLU]-\S+")

_READERS: dict[Format, Callable[..., list[Document]]] = {
    Format.CONLL: read_conll,
    Format.JSONL: read_jsonl,
    Format.BRAT: read_brat,
    Format.PUBTATOR: read_pubtator,
}
_WRITERS: dict[Format, Callable[..., None]] = {
    Format.CONLL: write_conll,
    Format.JSONL: write_jsonl,
    Format.BRAT: write_brat,
    Format.PUBTATOR: write_pubtator,
}


def detect_format(path: str | Path) -> Format:
    """Guess the format of a file or folder; raises ``DataFormatError`` saying how to choose when unsure."""
    path = Path(path)
    if path.is_dir():
        if any(path.glob("*.ann")):
            return Format.BRAT
        files = _data_files(path)
        if not files:
            raise DataFormatError("folder has no data files", fix="point to a file or a non-empty folder", path=path)
        found = {f: detect_format(f) for f in files}
        kinds = sorted({fmt.value for fmt in found.values()})
        if len(kinds) > 1:
            example = ", ".join(f"{f.name}: {fmt.value}" for f, fmt in list(found.items())[:4])
            raise DataFormatError(
                f"folder mixes formats {kinds} ({example})",
                fix="keep one format per folder or pass a single file",
                path=path,
            )
        return Format(kinds[0])
    suffix = path.suffix.lower()
    if suffix == ".ann" or (suffix == ".txt" and path.with_suffix(".ann").exists()):
        return Format.BRAT
    if suffix in JSON_SUFFIXES:
        return Format.JSONL
    if path.name.lower().endswith((".pubtator", ".pubtator.txt")):
        return Format.PUBTATOR
    sniffed, why, line = _sniff(path)
    if sniffed is None:
        raise DataFormatError(
            f"cannot tell the format from the name or the first lines: {why}",
            fix=_FORMAT_FIX + (", or fix that line" if line is not None else ""),
            path=path,
            line=line,
        )
    if suffix not in _CONLL_SUFFIXES | {".pubtator"}:
        logger.info("%s: detected format %s from content", path, sniffed.value)
    return sniffed


def _sniff(path: Path, max_lines: int = 200) -> tuple[Format | None, str, int | None]:
    """The format the first lines show, else None with why (which line broke which format) and that line."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(1 << 16)
    numbered = [(n, line.strip()) for n, line in enumerate(head.split("\n"), 1) if line.strip()][:max_lines]
    if not numbered:
        return None, "the file is empty", None
    first_number, first = numbered[0]
    if re.match(r"^[^|\t\s]+\|[ta]\|", first):
        return Format.PUBTATOR, "", None
    if first[0] in "[{":
        return Format.JSONL, "", None
    if len(head) == 1 << 16 and len(numbered) > 1:
        numbered = numbered[:-1]  # the last line may be cut in the middle
    not_others = (
        f"not JSON lines or PubTator (line {first_number} starts with neither '{{' nor 'PMID|t|'), and not CoNLL"
    )
    for number, line in numbered:
        columns = line.split()
        if columns[0] == "-DOCSTART-":
            continue
        if len(columns) < 2:
            return None, f"{not_others}: line {number} {_quote(line)} has one column, not 'token TAG'", number
        if not _TAG.fullmatch(columns[-1]):
            reason = f"its last column {columns[-1]!r} is not a tag (O, or B-/I-/E-/S-/L-/U- and a type)"
            return None, f"{not_others}: line {number} {_quote(line)}: {reason}", number
    return Format.CONLL, "", None


def _quote(line: str, width: int = 60) -> str:
    return repr(line if len(line) <= width else line[: width - 3] + "...")


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and not _SKIPPED_FILES.match(p.name)
    )


def read_files(path: str | Path, format: Format | str | None = None, **options: Any) -> list[Document]:
    """Read documents from a file or a folder (no dataset names: :func:`specialize.data.io.read_documents` takes
    those). A folder holds brat pairs or files of one format, read in name order (README/LICENSE skipped)."""
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(
            f"{path} does not exist; check the path, or use a dataset name like 'conll2003:test' "
            "(see specialize.data.registry.list_datasets())"
        )
    fmt = Format.parse(format) if format is not None else detect_format(path)
    reader = _READERS[fmt]
    if path.is_dir() and fmt is not Format.BRAT:
        docs: list[Document] = []
        for file in _data_files(path):
            docs.extend(reader(file, **options))
        return docs
    return reader(path, **options)


def write_documents(
    docs: Iterable[Document], path: str | Path, format: Format | str | None = None, **options: Any
) -> None:
    """Write documents; the format comes from the suffix when not given.

    ``.jsonl``/``.json`` -> jsonl, ``.conll``/``.iob``/``.bio``/``.tsv``/``.txt`` -> conll,
    ``.pubtator`` -> pubtator, an existing folder or a path without suffix -> brat.
    """
    path = Path(path)
    if format is not None:
        fmt = Format.parse(format)
    elif path.is_dir() or not path.suffix:
        fmt = Format.BRAT
    elif path.suffix.lower() in JSON_SUFFIXES:
        fmt = Format.JSONL
    elif path.suffix.lower() == ".pubtator":
        fmt = Format.PUBTATOR
    elif path.suffix.lower() in _CONLL_SUFFIXES:
        fmt = Format.CONLL
    else:
        raise DataFormatError(f"no format for suffix {path.suffix!r}", fix=_FORMAT_FIX, path=path)
    _WRITERS[fmt](docs, path, **options)
