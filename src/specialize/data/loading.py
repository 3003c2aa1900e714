"""Data of one role (train, dev, test, unlabeled) with its provenance: where it came from, each file's sha256,
and what was dropped on the way (spans outside ``data.labels``), for the model card and the records.

The items are whatever the task reads: :class:`~specialize.data.document.Document` (spans) or
:class:`~specialize.data.classification.LabelledText` (labels of whole texts). How a source becomes items is the
task's business (``specialize.tasks``); this module only keeps the books, the same way for every task.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

ItemT = TypeVar("ItemT")


def sha256_of(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and contents, sorted)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def names_a_source(entry: Any) -> bool:
    """Whether ``entry`` names a place to read from rather than holding a text: a :class:`~pathlib.Path`, an
    existing file or folder, or a string shaped like a dataset name (``bc2gm:train``: one word with one colon)."""
    if isinstance(entry, Path):
        return True
    if not isinstance(entry, str):
        return False
    return Path(entry).exists() or (entry.count(":") == 1 and not any(c.isspace() for c in entry))


@dataclass
class LoadedData(Generic[ItemT]):
    """Items of one role and where they came from."""

    role: str
    source: str
    items: list[ItemT]
    path: Path | None = None
    sha256: str | None = None
    parts: list[LoadedData[ItemT]] = field(default_factory=list)  # the sources of data read from several
    dropped: Counter[str] = field(default_factory=Counter)  # annotations dropped on reading, by label
    count_name: str = "spans"  # what ``annotations`` counts: "spans" or "labels"
    count: Callable[[ItemT], int] | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)  # what else reading changed: documents selected (data.limit)

    @property
    def documents(self) -> list[ItemT]:
        """The items under the name the span workflow has always used."""
        return self.items

    @property
    def texts(self) -> list[str]:
        return [getattr(item, "text") for item in self.items]  # noqa: B009  (items are any task's records)

    def files(self) -> list[LoadedData[ItemT]]:
        """The sources to list in a model card: the parts of combined data, else this data itself."""
        return self.parts or [self]

    def annotations(self) -> int:
        return sum(self.count(item) for item in self.items) if self.count else 0

    def describe(self) -> dict[str, Any]:
        """One row of the model card's data table."""
        row: dict[str, Any] = {
            "role": self.role,
            "source": self.source,
            "path": str(self.path) if self.path else "(in memory)",
            "sha256": self.sha256 or "-",
            "documents": len(self.items),
            self.count_name: self.annotations(),
        }
        if self.dropped:
            row["dropped"] = dict(self.dropped)
        return row


def combine(role: str, parts: Sequence[LoadedData[ItemT]]) -> LoadedData[ItemT]:
    """Several sources of one role as one: items concatenated, each part kept for the card."""
    first = parts[0]
    dropped: Counter[str] = Counter()
    for part in parts:
        dropped.update(part.dropped)
    return LoadedData(
        role,
        " + ".join(part.source for part in parts),
        [item for part in parts for item in part.items],
        parts=list(parts),
        dropped=dropped,
        count_name=first.count_name,
        count=first.count,
    )
