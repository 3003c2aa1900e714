"""Deterministic group splits: every document of one group (a template, a patient, a source file) lands in
the same split, so a test set never shares a group with training.

Presidio's synthetic PII set fills ~209 sentence templates with fake values; splitting by sentence would put
the same template in train and test and inflate scores. Each group goes to a split by a hash of its key:
``sha256("<salt>:<key>")``, first 8 hex digits as an integer, modulo 100: below ``train`` percent -> train,
below ``train + dev`` -> dev, else test. The assignment depends on the key alone (not on the order or the
number of documents), so it is stable across machines, Python versions and dataset revisions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from specialize.data.document import Document
from specialize.data.errors import DatasetError
from specialize.errors import ConfigError

SPLITS = ("train", "dev", "test")
DEFAULT_PERCENTS = (70, 10)  # train, dev; the remaining 20 are test
BY_ID = "id"  # split_by_group(field=BY_ID): by document id (corpora of independent records, such as InLegalNER)


def split_of(key: Any, *, salt: str = "group", percents: tuple[int, int] = DEFAULT_PERCENTS) -> str:
    """``"train"``, ``"dev"`` or ``"test"`` for a group key (e.g. a template id)."""
    train, dev = percents
    if not (train >= 0 and dev >= 0 and train + dev <= 100):
        raise ConfigError(f"split percents {percents} must be >= 0 with train + dev <= 100")
    bucket = int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < train else "dev" if bucket < train + dev else "test"


def split_by_group(
    docs: Sequence[Document],
    split: str,
    *,
    field: str,
    salt: str = "group",
    percents: tuple[int, int] = DEFAULT_PERCENTS,
) -> list[Document]:
    """The documents of ``split`` (train/dev/test), grouped by ``doc.meta[field]``; ``field="id"`` (:data:`BY_ID`)
    groups by the document id instead, one document per group."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if field == BY_ID:
        missing = [str(i) for i, d in enumerate(docs) if d.id is None]
        if missing:
            raise DatasetError(
                f"{len(missing)} documents have no id to split by (first: document {missing[0]}); "
                "give every record an 'id'"
            )
        return [d for d in docs if split_of(d.id, salt=salt, percents=percents) == split]
    without = [d.id or f"#{i}" for i, d in enumerate(docs) if field not in d.meta]
    if without:
        raise DatasetError(
            f"{len(without)} documents have no meta field {field!r} to split by (first: {without[0]}); "
            f"give every record a {field!r}, or read the whole set without a split"
        )
    return [d for d in docs if split_of(d.meta[field], salt=salt, percents=percents) == split]
