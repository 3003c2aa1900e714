"""Shared pieces of the format readers/writers: the read report and safe file writing."""

from __future__ import annotations

import logging
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from specialize.data.errors import DataFormatError

logger = logging.getLogger("specialize.data")


@dataclass
class ReadReport:
    """What a reader did besides producing documents: repairs it made and lines it skipped.

    Pass an instance as ``report=`` to a reader to get the numbers; readers also log a warning
    when they repaired anything, so nothing is changed silently.
    """

    files: list[str] = field(default_factory=list)
    documents: int = 0
    spans: int = 0
    scheme: str | None = None  # tag scheme used by the CoNLL reader (detected or given)
    repairs: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def repair(self, kind: str, example: str, max_examples: int = 5) -> None:
        self.repairs[kind] += 1
        if len(self.examples) < max_examples:
            self.examples.append(example)

    def summary(self) -> str:
        text = f"{self.documents} documents, {self.spans} spans from {len(self.files)} file(s)"
        if self.scheme:
            text += f", tag scheme {self.scheme}"
        if self.repairs:
            text += "; repaired: " + ", ".join(f"{n} {k}" for k, n in sorted(self.repairs.items()))
        if self.ignored:
            text += "; ignored: " + ", ".join(f"{n} {k}" for k, n in sorted(self.ignored.items()))
        return text


def log_repairs(report: ReadReport, source: str | Path, before: Counter[str]) -> None:
    """Warn about the repairs made while reading ``source`` (``before`` = counts before that file)."""
    new = report.repairs - before
    if new:
        details = ", ".join(f"{n} {k}" for k, n in sorted(new.items()))
        logger.warning("%s: repaired %s (see ReadReport.examples)", source, details)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write via a temporary file in the same folder and rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # newline="" so that "\r" or "\n" inside document text is written back byte for byte.
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_text(path: str | Path, *, exact: bool = False) -> str:
    """Read a UTF-8 file; ``exact`` keeps ``\\r`` (offsets may count it), else newlines are normalised.

    A leading byte-order mark is dropped unless ``exact`` (brat offsets count it if the file has one).
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8" if exact else "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFormatError(
            f"file is not valid UTF-8 (byte {exc.start})",
            fix="re-encode it as UTF-8, e.g. `iconv -f latin1 -t utf-8 in > out`",
            path=path,
            line=line,
        ) from exc
    if not exact:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
