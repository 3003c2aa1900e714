"""Read and write documents in any supported format, detecting the format from the path and content.

``read_documents`` also accepts registered dataset names such as ``ncbi-disease:train`` (see
``specialize.data.registry``); ``read_texts`` reads raw, unannotated input for prediction.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from specialize.data import registry
from specialize.data.classification import LabelledText, read_labelled_file
from specialize.data.classification_datasets import CLASSIFICATION_DATASETS, load_labelled_dataset
from specialize.data.document import Document
from specialize.data.errors import DataFormatError
from specialize.data.files import JSON_SUFFIXES, Format, detect_format, read_files, write_documents
from specialize.data.formats._base import read_text
from specialize.data.formats.jsonl import iter_records
from specialize.errors import InputNotFoundError

logger = logging.getLogger(__name__)

# The file-format half lives in data/files.py (the registry reads files through it); these names stay importable here.
__all__ = [
    "Format",
    "detect_format",
    "input_documents",
    "jsonl_output",
    "read_documents",
    "read_documents_or_texts",
    "read_labelled",
    "read_texts",
    "write_documents",
]


_DATASET_NAME = re.compile(r"[A-Za-z0-9][\w.-]*:[A-Za-z]+")


def _is_dataset_name(path: str | Path) -> bool:
    return isinstance(path, str) and not Path(path).exists() and bool(_DATASET_NAME.fullmatch(path))


def read_documents(path: str | Path, format: Format | str | None = None, **options: Any) -> list[Document]:
    """Read documents from a file, a folder or a registered dataset name (``conll2003:test``).

    A folder holds brat pairs or files of one format, read in name order (README/LICENSE skipped).
    ``options`` go to the reader, e.g. ``scheme="iob1"`` (CoNLL), ``discontinuous="split"`` (brat),
    ``report=ReadReport()`` (any) to get the counts of repairs and skipped lines.
    """
    if _is_dataset_name(path):
        return registry.load(str(path), format=format, **options)
    return read_files(path, format, **options)


def read_texts(path: str | Path, *, text_field: str = "text") -> list[Document]:
    """Read raw input for prediction as documents without spans.

    ``.txt``: one document per non-empty line (id ``<stem>:<line>``); ``.jsonl``/``.json``: the
    ``text_field`` of each record (``id`` and ``meta`` kept, every other field in ``Document.extra`` to be
    written back as it came; spans ignored); ``.csv``: the ``text_field`` column (an ``id`` column is used as
    id, other columns go to ``meta``); a folder: one document per ``.txt`` file (id = file stem); a dataset
    name: its documents with the spans removed.
    """
    if _is_dataset_name(path):
        return [replace(doc, spans=[]) for doc in read_documents(path)]
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"{path} does not exist; check the path")
    if path.is_dir():
        return [Document(read_text(p, exact=True), id=p.stem) for p in sorted(path.glob("*.txt"))]
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return _json_texts(path, text_field)
    if suffix == ".csv":
        return _csv_texts(path, text_field)
    return [
        Document(line, id=f"{path.stem}:{number}")
        for number, line in enumerate(read_text(path).split("\n"), 1)
        if line.strip()
    ]


def read_documents_or_texts(path: str | Path, *, text_field: str = "text") -> list[Document]:
    """Annotated documents (silver or gold, any format :func:`read_documents` detects) or, when the input is
    raw text (a ``.txt`` of lines, CSV, a folder of ``.txt`` files, or JSONL with another ``text_field``), its
    documents without spans, as :func:`read_texts` reads them."""
    if text_field != "text":
        return read_texts(path, text_field=text_field)
    try:
        return read_documents(path)
    except DataFormatError as exc:
        if _is_dataset_name(path) or (Path(path).suffix.lower() in JSON_SUFFIXES and Path(path).is_file()):
            raise  # a JSON file that is not documents is an error to show, not plain text
        logger.debug("%s: not annotated documents (%s); reading it as plain text", path, exc.reason)
        return read_texts(path, text_field=text_field)


def input_documents(
    inputs: Sequence[str] | Sequence[Document] | str | Path, *, text_field: str = "text"
) -> list[Document]:
    """What predict, classify and redact take as input: texts or documents, or anything :func:`read_texts` reads."""
    if isinstance(inputs, str | Path):
        return read_texts(inputs, text_field=text_field)
    return [d if isinstance(d, Document) else Document(d) for d in inputs]


@contextlib.contextmanager
def jsonl_output(output: str | Path | IO[str] | None) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A function writing one JSON line per record to ``output`` as results arrive: an open text stream (left
    open), a path (parent folders made, closed at the end), or None (records are not written)."""
    with contextlib.ExitStack() as stack:
        stream: IO[str] | None
        if output is None or hasattr(output, "write"):
            stream = output  # type: ignore[assignment]
        else:
            path = Path(output)
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = stack.enter_context(path.open("w", encoding="utf-8"))

        def write(record: dict[str, Any]) -> None:
            if stream is not None:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")

        yield write


def _json_texts(path: Path, text_field: str) -> list[Document]:
    docs = []
    for number, (line, location, record) in enumerate(iter_records(path), 1):
        if isinstance(record, str):
            record = {text_field: record}
        elif isinstance(record, list) and record and isinstance(record[0], str):
            record = {text_field: record[0]}  # spaCy training tuple [text, {"entities": ...}]
        data = record.get("data") if isinstance(record, dict) else None
        source = data if isinstance(data, dict) and text_field not in record else record
        text = source.get(text_field) if isinstance(source, dict) else None
        if not isinstance(text, str):
            raise DataFormatError(
                f"record has no string {text_field!r} field",
                fix="add it, or pass text_field= (CLI: --text-field) naming the field that holds the text",
                path=path,
                line=line,
                field=location or None,
            )
        doc_id = record.get("id", f"{path.stem}:{number}")
        meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
        extra = {k: v for k, v in record.items() if k not in ("id", "meta")} if isinstance(record, dict) else {}
        docs.append(Document(text, id=str(doc_id), meta=dict(meta), extra=extra))
    return docs


def _csv_texts(path: Path, text_field: str) -> list[Document]:
    # Clinical notes and contracts exceed csv's default 128 KiB field limit; the limit is process-wide.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    # StringIO(newline="") splits rows on \n only; str.splitlines() would also cut at U+2028 inside a field.
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    columns = reader.fieldnames or []
    if text_field not in columns:
        raise DataFormatError(
            f"no column {text_field!r}; columns are {columns}",
            fix="pass text_field= (CLI: --text-field) naming the column that holds the text",
            path=path,
            line=1,
        )
    docs = []
    for number, row in enumerate(reader, 1):
        text = row.get(text_field)
        if not text or not text.strip():
            continue
        meta = {k: v for k, v in row.items() if k not in (text_field, "id") and k is not None}
        docs.append(Document(text, id=row.get("id") or f"{path.stem}:{number}", meta=meta))
    return docs


def read_labelled(source: str | Path) -> list[LabelledText]:
    """Labelled texts from a ``.jsonl``/``.json``/``.csv`` file, or a dataset name (``mtsamples-specialty:test``,
    see :mod:`specialize.data.classification_datasets`)."""
    path = Path(source)
    if path.exists():
        return read_labelled_file(path)
    name = str(source).partition(":")[0].lower().replace("_", "-")
    if name in CLASSIFICATION_DATASETS:
        return load_labelled_dataset(str(source))
    raise InputNotFoundError(
        f"{source} is neither a file nor a classification dataset name; use a .jsonl/.csv file or one of: "
        + ", ".join(f"{n}:train|dev|test" for n in CLASSIFICATION_DATASETS)
    )
