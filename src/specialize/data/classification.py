"""Labelled texts for text classification: the record, its readers and a deterministic split.

The span task has :class:`~specialize.data.document.Document`; classification has :class:`LabelledText`, a
text with a *list* of labels. Single-label data is the case of exactly one label per text; multi-label data may
give a text several labels or none (an empty list is a real answer: "none of the classes", e.g. a contract
paragraph that is no clause).

Files:

* JSONL (or a JSON array): ``{"text": ..., "label": "A"}`` or ``{"text": ..., "labels": ["A", "B"]}``,
  optional ``id`` and ``meta``;
* CSV with a header: a ``text`` column and a ``label`` or ``labels`` column; several labels in one cell are
  separated by ``|`` (``Surgery|Urology``); other columns go to ``meta``, an ``id`` column to the id.

A record that breaks these rules is an error naming the file, line and field, and the fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from specialize.data.errors import DataFormatError
from specialize.data.formats._base import read_text
from specialize.data.formats.jsonl import iter_records
from specialize.errors import ConfigError

LABEL_SEPARATOR = "|"


class Pooling(StrEnum):
    """How the logits of a long text's windows become one prediction."""

    MEAN = "mean"  # the text as a whole: every window votes equally (default)
    MAX = "max"  # a label is present if any window shows it (multi-label: a clause anywhere in a long passage)


@dataclass
class LabelledText:
    """A text, its labels (any number; order kept, duplicates removed), an optional id and free metadata."""

    text: str
    labels: list[str] = field(default_factory=list)
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = list(dict.fromkeys(self.labels))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["text"] = self.text
        out["labels"] = list(self.labels)
        if self.meta:
            out["meta"] = self.meta
        return out


def label_set(texts: Iterable[LabelledText]) -> list[str]:
    """All labels of ``texts``, sorted."""
    return sorted({label for t in texts for label in t.labels})


def is_multi_label(texts: Sequence[LabelledText]) -> bool:
    """Multi-label unless every text has exactly one label."""
    return any(len(t.labels) != 1 for t in texts)


def label_counts(texts: Iterable[LabelledText]) -> Counter[str]:
    return Counter(label for t in texts for label in t.labels)


def split_of(key: str, dev: float = 0.1, test: float = 0.1) -> str:
    """``"train"``, ``"dev"`` or ``"test"`` for ``key``, from its sha256: stable across runs and machines,
    and the same key (a text, a contract) always lands in the same split, so duplicates cannot leak."""
    if not (dev >= 0 and test >= 0 and dev + test < 1):
        raise ConfigError(f"dev and test fractions must be >= 0 and sum to < 1, got dev={dev}, test={test}")
    position = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64
    if position < test:
        return "test"
    if position < test + dev:
        return "dev"
    return "train"


def passage_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the paragraphs of ``text`` (blocks between blank lines), leading and trailing
    whitespace excluded: the passages a contract is cut into for clause classification."""
    spans, position = [], 0
    for separator in [*re.finditer(r"\n[^\S\n]*\n\s*", text), None]:
        end = separator.start() if separator else len(text)
        block = text[position:end]
        stripped = block.strip()
        if stripped:
            start = position + (len(block) - len(block.lstrip()))
            spans.append((start, start + len(stripped)))
        position = separator.end() if separator else len(text)
    return spans


def normalize_whitespace(text: str) -> str:
    """Runs of whitespace (line breaks included) as one space: how passages are stored and classified."""
    return " ".join(text.split())


# -- readers ----------------------------------------------------------------------------------------------------
def _labels_of(value: Any, *, path: Path, line: int | None, field_name: str) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise DataFormatError(
        f"{field_name!r} must be a string or a list of strings, got {type(value).__name__}",
        fix='write "label": "A" (one label) or "labels": ["A", "B"] (any number, [] for none)',
        path=path,
        line=line,
        field=field_name,
    )


def read_labelled_jsonl(path: str | Path) -> list[LabelledText]:
    """Texts with ``label`` or ``labels`` from a JSONL file or a JSON array file."""
    path = Path(path)
    out = []
    for number, (line, location, record) in enumerate(iter_records(path), 1):
        if not isinstance(record, dict):
            raise DataFormatError(
                f"record is a {type(record).__name__}, not an object",
                fix='each record must be an object like {"text": ..., "label": ...}',
                field=location or None,
                path=path,
                line=line,
            )
        text = record.get("text")
        if not isinstance(text, str):
            raise DataFormatError(
                "record has no string 'text' field", fix="add the text under 'text'", field="text", path=path, line=line
            )
        if "labels" in record:
            labels = _labels_of(record["labels"], field_name="labels", path=path, line=line)
        elif "label" in record:
            labels = _labels_of(record["label"], field_name="label", path=path, line=line)
        else:
            raise DataFormatError(
                "record has neither 'label' nor 'labels'",
                fix='add "label": "A", or "labels": [...] ([] for a text with no label)',
                field="label",
                path=path,
                line=line,
            )
        meta = record["meta"] if isinstance(record.get("meta"), dict) else {}
        doc_id = record.get("id")
        out.append(LabelledText(text, labels, str(doc_id) if doc_id is not None else f"{path.stem}:{number}", meta))
    return out


def read_labelled_csv(path: str | Path, *, text_field: str = "text") -> list[LabelledText]:
    """Texts from a CSV file with a ``text`` column and a ``label`` or ``labels`` column (``|``-separated)."""
    path = Path(path)
    # Clinical notes and contracts exceed csv's default 128 KiB field limit; the limit is process-wide.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    columns = reader.fieldnames or []
    label_field = "labels" if "labels" in columns else "label"
    missing = [c for c in (text_field, label_field) if c not in columns]
    if missing:
        raise DataFormatError(
            f"no column {missing[0]!r}; columns are {columns}",
            fix=f"name the columns '{text_field}' and 'label' (or 'labels', several separated by '{LABEL_SEPARATOR}')",
            path=path,
            line=1,
        )
    out = []
    for row in reader:
        line = reader.line_num  # last physical line of the row: exact for one-line rows
        text = row.get(text_field)
        if text is None or None in row:
            raise DataFormatError(
                f"row has {len(row) - (None in row)} cells for {len(columns)} columns",
                fix="quote fields that contain commas or newlines",
                path=path,
                line=line,
            )
        raw = row.get(label_field) or ""
        labels = [x.strip() for x in raw.split(LABEL_SEPARATOR) if x.strip()]
        meta = {k: v for k, v in row.items() if k not in (text_field, label_field, "id")}
        out.append(LabelledText(text, labels, row.get("id") or f"{path.stem}:{line}", meta))
    return out


def read_labelled_file(path: Path) -> list[LabelledText]:
    """Labelled texts from a ``.jsonl``/``.json``/``.csv`` file (dataset names: ``data.io.read_labelled``)."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        texts = read_labelled_jsonl(path)
    elif suffix == ".csv":
        texts = read_labelled_csv(path)
    else:
        raise DataFormatError(
            f"cannot read labelled texts from a {suffix or 'suffix-less'} file",
            fix='use JSONL ({"text", "label"|"labels"}) or CSV (text,label columns)',
            path=path,
        )
    return texts
