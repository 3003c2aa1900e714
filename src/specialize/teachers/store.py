"""SQLite store of teacher labels keyed by (teacher fingerprint, sha256 of the document text).

Labels are expensive (LLM calls cost money, a big teacher costs GPU hours), so every batch is committed as
soon as it is labeled: a crash or ``kill -9`` loses at most the batch in flight, and a rerun reads the rest
back instead of paying again. WAL mode with ``synchronous=NORMAL`` makes each commit durable against a
process crash (only an OS crash or power loss can drop the last commits) at a fraction of FULL's fsyncs,
and lets a second process read the store (``stats``) while a labeling run writes to it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from specialize.data.document import Span, text_key  # identical texts share labels, whatever their ids
from specialize.errors import DataError
from specialize.teachers.base import TeacherOutput

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    fingerprint TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    spans TEXT NOT NULL,          -- JSON [[start, end, label, score|null], ...]
    rejected TEXT NOT NULL,       -- JSON {reason: count}
    conflicts TEXT NOT NULL,      -- JSON {kind: count}
    usage TEXT NOT NULL,          -- JSON {prompt_tokens, completion_tokens, requests, retries, cost}
    n_spans INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost REAL NOT NULL,
    created_at REAL NOT NULL,     -- unix time
    PRIMARY KEY (fingerprint, text_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS teachers (
    fingerprint TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    first_seen REAL NOT NULL,
    settings TEXT                 -- JSON: what made the labels (an LLM teacher's config, examples...) or NULL
);
"""

# SQLite limits the number of bound parameters per statement (999 in old builds).
_CHUNK = 500


@dataclass
class StoreStats:
    """What the store holds for one teacher (or all)."""

    documents: int = 0
    spans: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    rejected: Counter[str] = field(default_factory=Counter)
    first_created: float | None = None
    last_created: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "spans": self.spans,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
            "rejected": dict(sorted(self.rejected.items())),
        }


class LabelStore:
    """``get_many`` / ``put_many`` teacher outputs; one connection, used from one thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise DataError(
                    f"{self.path}: label store schema version {version}, this specialize reads "
                    f"{SCHEMA_VERSION}; use a new --store file or upgrade specialize"
                )
            with self._db:
                self._db.executescript(_SCHEMA)
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(teachers)")}
                if "settings" not in columns:  # a store written before teachers had settings
                    self._db.execute("ALTER TABLE teachers ADD COLUMN settings TEXT")
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise DataError(f"{self.path} is not a usable label store ({exc}); pass another --store file") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def register(
        self, fingerprint: str, name: str, labels: Sequence[str], settings: Mapping[str, Any] | None = None
    ) -> None:
        """Remember a readable name for a fingerprint (shown by ``stats``) and, when given, the teacher's
        settings (its provenance; the latest registration's are kept)."""
        blob = json.dumps(dict(settings), sort_keys=True, ensure_ascii=False, default=str) if settings else None
        with self._db:
            self._db.execute(
                "INSERT INTO teachers (fingerprint, name, labels, first_seen, settings) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(fingerprint) DO UPDATE SET settings = COALESCE(excluded.settings, teachers.settings)",
                (fingerprint, name, json.dumps(list(labels)), time.time(), blob),
            )

    def settings(self, fingerprint: str) -> dict[str, Any] | None:
        """The settings registered with a teacher's labels, or None."""
        row = self._db.execute("SELECT settings FROM teachers WHERE fingerprint = ?", (fingerprint,)).fetchone()
        return json.loads(row[0]) if row is not None and row[0] is not None else None

    def get_many(self, fingerprint: str, texts: Sequence[str]) -> list[TeacherOutput | None]:
        """Stored outputs aligned with ``texts``; None where a text has not been labeled by this teacher."""
        keys = [text_key(t) for t in texts]
        found: dict[str, TeacherOutput] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), _CHUNK):
            chunk = unique[i : i + _CHUNK]
            rows = self._db.execute(
                "SELECT text_sha256, spans, rejected, conflicts, usage FROM labels "
                f"WHERE fingerprint = ? AND text_sha256 IN ({','.join('?' * len(chunk))})",
                (fingerprint, *chunk),
            )
            for key, spans, rejected, conflicts, usage in rows:
                found[key] = TeacherOutput(
                    spans=[Span(s, e, lab, sc) for s, e, lab, sc in json.loads(spans)],
                    rejected=Counter(json.loads(rejected)),
                    usage=json.loads(usage),
                    conflicts=Counter(json.loads(conflicts)),
                )
        return [found.get(k) for k in keys]

    def put_many(self, fingerprint: str, texts: Sequence[str], outputs: Sequence[TeacherOutput]) -> None:
        """Store outputs (replacing any earlier ones for the same texts) and commit."""
        if len(texts) != len(outputs):
            raise ValueError(f"put_many: {len(texts)} texts but {len(outputs)} outputs")
        now = time.time()
        rows = []
        for text, out in zip(texts, outputs, strict=True):
            spans = [[s.start, s.end, s.label, s.score] for s in out.spans]
            rows.append(
                (
                    fingerprint,
                    text_key(text),
                    json.dumps(spans, ensure_ascii=False),
                    json.dumps(dict(out.rejected), sort_keys=True),
                    json.dumps(dict(out.conflicts), sort_keys=True),
                    json.dumps(out.usage, sort_keys=True),
                    len(out.spans),
                    int(out.usage.get("prompt_tokens", 0)),
                    int(out.usage.get("completion_tokens", 0)),
                    float(out.usage.get("cost", 0.0)),
                    now,
                )
            )
        with self._db:  # one transaction per batch, committed on exit
            self._db.executemany(f"INSERT OR REPLACE INTO labels VALUES ({','.join('?' * 11)})", rows)

    def count(self, fingerprint: str | None = None) -> int:
        if fingerprint is None:
            return int(self._db.execute("SELECT COUNT(*) FROM labels").fetchone()[0])
        return int(self._db.execute("SELECT COUNT(*) FROM labels WHERE fingerprint = ?", (fingerprint,)).fetchone()[0])

    def fingerprints(self) -> dict[str, str]:
        """Fingerprints with labels in the store -> registered teacher name (the fingerprint if none)."""
        names = dict(self._db.execute("SELECT fingerprint, name FROM teachers").fetchall())
        rows = self._db.execute("SELECT DISTINCT fingerprint FROM labels").fetchall()
        return {fp: names.get(fp, fp) for (fp,) in rows}

    def stats(self, fingerprint: str | None = None) -> StoreStats:
        """Totals for one teacher's labels, or for the whole store."""
        where, params = ("WHERE fingerprint = ?", (fingerprint,)) if fingerprint is not None else ("", ())
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_spans), 0), COALESCE(SUM(prompt_tokens), 0), "
            "COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost), 0.0), MIN(created_at), MAX(created_at) "
            f"FROM labels {where}",
            params,
        ).fetchone()
        stats = StoreStats(int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(row[4]))
        stats.first_created, stats.last_created = row[5], row[6]
        for (rejected,) in self._db.execute(f"SELECT rejected FROM labels {where}", params):
            stats.rejected.update(json.loads(rejected))
        return stats
