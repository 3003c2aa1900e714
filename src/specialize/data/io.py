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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from specialize.data.document import Document
from specialize.data.errors import DataFormatError
from specialize.data.formats._base import read_text
from specialize.data.formats.brat import read_brat, write_brat
from specialize.data.formats.conll import read_conll, write_conll
from specialize.data.formats.jsonl import iter_records, read_jsonl, write_jsonl
from specialize.data.formats.pubtator import read_pubtator, write_pubtator

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
            raise ValueError(f"unknown format {value!r}; use one of: {', '.join(f.value for f in cls)}") from None


_FORMAT_FIX = "pass format= (CLI: --format) one of conll, jsonl, brat, pubtator"
_CONLL_SUFFIXES = {".conll", ".iob", ".iob2", ".bio", ".bioes", ".iobes", ".tsv", ".txt"}
_JSON_SUFFIXES = {".jsonl", ".json", ".ndjson"}
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
    if suffix in _JSON_SUFFIXES:
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


def _is_dataset_name(path: str | Path) -> bool:
    return isinstance(path, str) and not Path(path).exists() and bool(_DATASET_NAME.fullmatch(path))


def read_documents(path: str | Path, format: Format | str | None = None, **options: Any) -> list[Document]:
    """Read documents from a file, a folder or a registered dataset name (``conll2003:test``).

    A folder holds brat pairs or files of one format, read in name order (README/LICENSE skipped).
    ``options`` go to the reader, e.g. ``scheme="iob1"`` (CoNLL), ``discontinuous="split"`` (brat),
    ``report=ReadReport()`` (any) to get the counts of repairs and skipped lines.
    """
    if _is_dataset_name(path):
        from specialize.data import registry  # registry imports this module

        return registry.load(str(path), format=format, **options)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
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
    elif path.suffix.lower() in _JSON_SUFFIXES:
        fmt = Format.JSONL
    elif path.suffix.lower() == ".pubtator":
        fmt = Format.PUBTATOR
    elif path.suffix.lower() in _CONLL_SUFFIXES:
        fmt = Format.CONLL
    else:
        raise DataFormatError(f"no format for suffix {path.suffix!r}", fix=_FORMAT_FIX, path=path)
    _WRITERS[fmt](docs, path, **options)


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
        raise FileNotFoundError(f"{path} does not exist; check the path")
    if path.is_dir():
        return [Document(read_text(p, exact=True), id=p.stem) for p in sorted(path.glob("*.txt"))]
    suffix = path.suffix.lower()
    if suffix in _JSON_SUFFIXES:
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
        if _is_dataset_name(path) or (Path(path).suffix.lower() in _JSON_SUFFIXES and Path(path).is_file()):
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
