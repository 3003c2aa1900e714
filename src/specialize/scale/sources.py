"""Input records and output shards for ``apply``: JSONL, CSV and Parquet, read as a stream of whole records.

Records are kept whole (every field, in order) and get the model's fields (``spans``, or ``labels`` and
``scores``: see :mod:`specialize.scale.tasks`); only the text field is read for the model. Reading streams
line by line (JSONL, CSV) or batch by batch (Parquet), so a big file never sits in memory at once. Parquet
needs ``pyarrow`` (the ``ray`` extra installs it).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from specialize.data.document import Span
from specialize.data.errors import DataFormatError
from specialize.errors import InputNotFoundError

KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SPANS_FIELD = "spans"


def _pyarrow() -> Any:
    from specialize.utils.optional import require

    require("pyarrow.parquet", "ray", "pyarrow")
    import pyarrow as pa

    return pa


def input_files(path: str | Path) -> tuple[list[Path], str]:
    """The files to read (a file, or a folder's data files in name order) and their kind: jsonl, csv, parquet."""
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"{path} does not exist; pass a .jsonl, .csv or .parquet file or a folder of them")
    if path.is_file():
        kind = KINDS.get(path.suffix.lower())
        if kind is None:
            raise DataFormatError(
                f"unsupported input suffix {path.suffix!r}",
                fix="use .jsonl, .ndjson, .json, .csv or .parquet",
                path=path,
            )
        return [path], kind
    files = sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix.lower() in KINDS and not p.name.startswith(".")
    )
    if not files:
        raise DataFormatError("folder has no .jsonl, .csv or .parquet files", fix="point to a data folder", path=path)
    kinds = sorted({KINDS[p.suffix.lower()] for p in files})
    if len(kinds) > 1:
        raise DataFormatError(f"folder mixes {kinds} files", fix="keep one format per input folder", path=path)
    return files, kinds[0]


def output_kind(input_kind: str) -> str:
    """Parquet stays Parquet; JSONL and CSV become JSONL (spans are nested lists, which CSV cannot hold)."""
    return "parquet" if input_kind == "parquet" else "jsonl"


def describe_inputs(files: Sequence[Path]) -> list[dict[str, Any]]:
    """Path, size and modification time of each input: the cheap fingerprint a resumed run is checked against."""
    out = []
    for f in files:
        stat = f.stat()
        out.append({"path": str(f.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return out


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


# -- reading -----------------------------------------------------------------------------------------------
def _jsonl_records(path: Path) -> Iterator[tuple[int | None, Any]]:
    if path.suffix.lower() == ".json":
        # A JSON array (or JSON lines named .json) cannot be streamed line by line; the shared reader copes.
        from specialize.data.formats.jsonl import iter_records

        for number, _, record in iter_records(path):
            yield number, record
        return
    with open(path, encoding="utf-8-sig") as handle:
        # Split on "\n" only (file iteration does): JSON strings may hold U+2028, which splitlines() would cut.
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataFormatError(
                    f"invalid JSON at column {exc.colno}: {exc.msg}",
                    fix="one JSON object per line",
                    path=path,
                    line=number,
                ) from exc


def _csv_records(path: Path) -> Iterator[tuple[int | None, Any]]:
    # Long documents exceed csv's default 128 KiB field limit; the limit is process-wide.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, 2):
            # Short rows give None for missing columns, long rows a None key; neither belongs in the output.
            yield number, {k: ("" if v is None else v) for k, v in row.items() if k is not None}


def _parquet_records(path: Path, batch_size: int = 1024) -> Iterator[tuple[int | None, Any]]:
    _pyarrow()
    import pyarrow.parquet as pq

    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            row += 1
            yield row, record


def iter_records(files: Sequence[Path], kind: str, text_field: str) -> Iterator[dict[str, Any]]:
    """Every record of every file, in order, each checked to hold a string ``text_field``."""
    reader = {"jsonl": _jsonl_records, "csv": _csv_records, "parquet": _parquet_records}[kind]
    for path in files:
        for line, record in reader(path):
            if isinstance(record, str):
                record = {text_field: record}
            text = record.get(text_field) if isinstance(record, dict) else None
            if text is None and isinstance(record, dict) and kind == "parquet":
                text = ""  # a null text in a Parquet column: nothing to find, but the row must come back
                record[text_field] = text
            if not isinstance(text, str):
                raise DataFormatError(
                    f"record has no string {text_field!r} field",
                    fix="add it, or pass text_field= (CLI: --text-field) naming the field that holds the text",
                    path=path,
                    line=line if kind != "parquet" else None,
                    field=f"row {line}" if kind == "parquet" else None,
                )
            yield record


def count_records(files: Sequence[Path], kind: str) -> int:
    """How many records there are, for progress and the manifest (Parquet: from metadata, free)."""
    if kind == "parquet":
        _pyarrow()
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    if kind == "csv":
        return sum(1 for _ in (r for f in files for r in _csv_records(f)))
    total = 0
    for f in files:
        if f.suffix.lower() == ".json":
            total += sum(1 for _ in _jsonl_records(f))
        else:
            # Decoded like the reader decodes, so that both agree on which lines are blank.
            with open(f, encoding="utf-8-sig") as handle:
                total += sum(1 for line in handle if line.strip())
    return total


def parquet_schema(files: Sequence[Path], replaced: Sequence[str] = (SPANS_FIELD,)) -> Any:
    """The first file's Arrow schema without the fields the model's output replaces: the output keeps the
    input's column types."""
    _pyarrow()
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(files[0]).schema_arrow
    for name in replaced:
        index = schema.get_field_index(name)
        if index >= 0:
            schema = schema.remove(index)
    return schema


# -- writing -----------------------------------------------------------------------------------------------
def spans_to_dicts(text: str, spans: Sequence[Span]) -> list[dict[str, Any]]:
    return [s.to_dict(text) for s in sorted(spans)]


def _arrow_column(pa: Any, name: str, values: list[Any]) -> Any:
    """One output field as an Arrow array with a fixed type, so that every shard of a run has the same schema."""
    if name == SPANS_FIELD:
        score = pa.field("score", pa.float64(), nullable=True)
        span_type = pa.list_(
            pa.struct(
                [("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string()), score]
            )
        )
        return pa.array([[{**s, "score": s.get("score")} for s in doc] for doc in values], type=span_type)
    if name == "labels":
        return pa.array(values, type=pa.list_(pa.string()))
    if name == "scores":
        # A struct with one float per label (reads back as a dict); a blank text, scored by no model, is null.
        labels = list(dict.fromkeys(label for scores in values for label in scores))
        if not labels:  # only blank texts in this shard: no label names to build the struct from
            return pa.nulls(len(values))
        score_type = pa.struct([(label, pa.float64()) for label in labels])
        return pa.array([scores or None for scores in values], type=score_type)
    return pa.array(values)


def write_shard(
    path: Path, records: Sequence[dict[str, Any]], fields: Sequence[dict[str, Any]], kind: str, schema: Any = None
) -> None:
    """Write one shard atomically: ``<name>.tmp`` first, renamed when complete, so a crash leaves no half shard.

    Record ``i`` is written with ``fields[i]`` (the model's output, e.g. ``{"spans": [...]}``) added, replacing
    any input field of the same name.
    """
    tmp = path.with_name(path.name + ".tmp")
    names = list(dict.fromkeys(name for f in fields for name in f))
    if kind == "parquet":
        pa = _pyarrow()
        import pyarrow.parquet as pq

        plain = [{k: v for k, v in r.items() if k not in names} for r in records]
        try:
            table = pa.Table.from_pylist(plain, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError):
            table = pa.Table.from_pylist(plain)  # files of a folder may differ in schema: infer this shard's
        for name in names:
            table = table.append_column(name, _arrow_column(pa, name, [f.get(name) for f in fields]))
        pq.write_table(table, tmp)
    else:
        with open(tmp, "w", encoding="utf-8") as handle:
            for record, added in zip(records, fields, strict=True):
                handle.write(json.dumps({**record, **added}, ensure_ascii=False, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)
