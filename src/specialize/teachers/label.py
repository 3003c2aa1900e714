"""``label``: run a teacher over raw text and write silver-labeled JSONL, resumably, through the label store.

Each batch is first looked up in the store; only texts the teacher has not labeled yet are sent to it, and
their labels are committed before anything is written. The output is written in input order to a hidden
``.NAME.partial`` file beside it and renamed at the end, so after a ``kill -9`` the output is either the
previous complete file or absent, and a rerun (served from the store up to the kill) writes every input
document exactly once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from specialize.config import CommandConfig, save_config_beside
from specialize.data.document import Document
from specialize.data.formats.jsonl import document_to_json
from specialize.data.sampling import select
from specialize.errors import ConfigError, TeacherError
from specialize.teachers.base import Teacher, TeacherOutput, add_usage
from specialize.teachers.store import LabelStore, StoreStats

logger = logging.getLogger(__name__)


@dataclass
class LabelStats:
    """One run of one teacher. ``usage`` (tokens, cost) counts only what this run sent to the teacher;
    span and rejection counts cover every output document, stored or new."""

    teacher: str
    fingerprint: str
    documents: int = 0
    labeled: int = 0  # texts sent to the teacher in this run
    from_store: int = 0  # documents answered by the store
    duplicates: int = 0  # documents whose text appeared earlier in the same batch
    spans: int = 0
    per_label: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    conflicts: Counter[str] = field(default_factory=Counter)
    usage: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    store: StoreStats | None = None  # the store's totals for this teacher after the run
    selection: str | None = None  # the part of the input labelled (--limit/--sample), None for all of it
    settings: dict[str, Any] | None = None  # what made the labels (an LLM teacher's config...), when it says

    @property
    def spans_per_doc(self) -> float:
        return self.spans / self.documents if self.documents else 0.0

    def add(self, output: TeacherOutput) -> None:
        self.documents += 1
        self.spans += len(output.spans)
        self.per_label.update(s.label for s in output.spans)
        self.rejected.update(output.rejected)
        self.conflicts.update(output.conflicts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "teacher": self.teacher,
            "fingerprint": self.fingerprint,
            "documents": self.documents,
            "labeled": self.labeled,
            "from_store": self.from_store,
            "duplicates": self.duplicates,
            "spans": self.spans,
            "spans_per_doc": round(self.spans_per_doc, 4),
            "per_label": dict(sorted(self.per_label.items())),
            "rejected": dict(sorted(self.rejected.items())),
            "conflicts": dict(sorted(self.conflicts.items())),
            "usage": {k: round(v, 6) for k, v in sorted(self.usage.items())},
            "seconds": round(self.seconds, 3),
            "store": self.store.to_dict() if self.store is not None else None,
            "selection": self.selection,
            "settings": self.settings,
        }

    def summary(self) -> str:
        def counts(c: Counter[str]) -> str:
            return ", ".join(f"{k} {n}" for k, n in sorted(c.items())) or "none"

        lines = [
            f"teacher     {self.teacher}  [{self.fingerprint}]",
            f"documents   {self.documents}: {self.labeled} labeled now, {self.from_store} from the store, "
            f"{self.duplicates} repeated texts" + (f" ({self.selection} input documents)" if self.selection else ""),
            f"spans       {self.spans} ({self.spans_per_doc:.2f} per document): {counts(self.per_label)}",
            f"rejected    {counts(self.rejected)}",
        ]
        if self.conflicts:
            lines.append(f"conflicts   {counts(self.conflicts)}")
        u = self.usage
        if u.get("requests"):
            lines.append(
                f"usage       {int(u.get('prompt_tokens', 0))} prompt + {int(u.get('completion_tokens', 0))} "
                f"completion tokens, {int(u['requests'])} requests, {int(u.get('retries', 0))} retries, "
                f"cost {u.get('cost', 0.0):.4f}"
            )
        rate = self.labeled / self.seconds if self.seconds > 0 else 0.0
        lines.append(f"time        {self.seconds:.1f} s ({rate:.1f} documents/s labeled)")
        if self.store is not None:
            lines.append(f"store       {self.store.documents} documents for this teacher, cost {self.store.cost:.4f}")
        return "\n".join(lines)


def _check_outputs(teacher: Teacher, batch: Sequence[Document], outputs: Sequence[TeacherOutput]) -> None:
    """A buggy teacher must not poison the store: wrong counts or offsets stop the run before the commit."""
    if len(outputs) != len(batch):
        raise TeacherError(f"teacher {teacher.name!r} returned {len(outputs)} outputs for {len(batch)} texts")
    for doc, out in zip(batch, outputs, strict=True):
        for span in out.spans:
            if not 0 <= span.start < span.end <= len(doc.text):
                raise TeacherError(
                    f"teacher {teacher.name!r} returned span {span} outside document {doc.id!r} "
                    f"(length {len(doc.text)}); offsets must be str indices into the text"
                )


def label_documents(
    teacher: Teacher,
    docs: Sequence[Document],
    *,
    store: LabelStore | None = None,
    batch_size: int = 32,
    stats: LabelStats | None = None,
    progress: bool = False,
) -> Iterator[Document]:
    """Yield ``docs`` in order with the teacher's spans (``meta["teacher"]`` set), reading and filling
    ``store`` batch by batch. Pass ``stats`` to have it updated as documents go by."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    fingerprint = teacher.fingerprint
    stats = stats if stats is not None else LabelStats(teacher.name, fingerprint)
    stats.settings = _settings(teacher)
    if store is not None:
        store.register(fingerprint, teacher.name, teacher.labels, stats.settings)
    bar = tqdm(total=len(docs), unit="doc", desc=teacher.name, disable=not progress, dynamic_ncols=True)
    try:
        for begin in range(0, len(docs), batch_size):
            batch = docs[begin : begin + batch_size]
            texts = [d.text for d in batch]
            found = store.get_many(fingerprint, texts) if store is not None else [None] * len(batch)
            stats.from_store += sum(1 for f in found if f is not None)
            todo = list(dict.fromkeys(t for t, f in zip(texts, found, strict=True) if f is None))
            if todo:
                todo_docs = [next(d for d in batch if d.text == t) for t in todo]
                started = time.perf_counter()
                new = teacher.label(todo)
                stats.seconds += time.perf_counter() - started
                _check_outputs(teacher, todo_docs, new)
                if store is not None:
                    store.put_many(fingerprint, todo, new)
                stats.labeled += len(todo)
                for out in new:
                    add_usage(stats.usage, out.usage)
                fresh = dict(zip(todo, new, strict=True))
                stats.duplicates += sum(1 for f in found if f is None) - len(todo)
            else:
                fresh = {}
            for doc, stored in zip(batch, found, strict=True):
                out = stored if stored is not None else fresh[doc.text]
                stats.add(out)
                yield replace(doc, spans=sorted(out.spans), meta={**doc.meta, "teacher": teacher.name})
            bar.update(len(batch))
            if stats.usage.get("cost"):
                bar.set_postfix(cost=f"{stats.usage['cost']:.4f}", refresh=False)
    finally:
        bar.close()


def label(
    teacher: Teacher | str,
    input: str | Path | Sequence[str] | Sequence[Document],
    output: str | Path | None,
    *,
    store: LabelStore | str | Path | None = None,
    batch_size: int = 32,
    text_field: str = "text",
    progress: bool = True,
    label_map: dict[str, str] | None = None,
    engine: str = "local",
    workers: int = 2,
    address: str | None = None,
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
    saved_config: CommandConfig | None = None,
    **teacher_options: Any,
) -> LabelStats:
    """Label ``input`` (a file read by ``read_texts``: .txt lines, JSONL, CSV column, folder; or texts or
    documents) with ``teacher`` (a Teacher or a spec for :func:`~specialize.teachers.spec.load_teacher`)
    and write JSONL like ``specialize predict`` to ``output``; returns the run's statistics.

    With ``store`` (a path or an open :class:`LabelStore`) labels are committed per batch and reused.
    ``engine="ray"`` runs the teacher on ``workers`` Ray actors (``address``: an existing cluster); the store
    and the output stay with this process. ``limit`` labels the first documents of ``input`` only, ``sample``
    that many drawn with ``sample_seed`` (:func:`specialize.data.sampling.select`; the summary says so).
    ``saved_config``: the command's resolved config (a LabelConfig), saved as ``OUTPUT.config.toml`` when no
    such file exists (see :func:`specialize.config.save_config_beside`).
    """
    if engine not in ("local", "ray"):
        raise ConfigError(f"unknown engine {engine!r}; use local or ray")
    if engine == "ray":
        if not isinstance(teacher, str):
            raise ConfigError("the ray engine loads the teacher on each actor: pass a teacher spec, not an object")
        from specialize.scale.ray_teacher import RayTeacher

        ray_teacher = RayTeacher(teacher, workers=workers, address=address, label_map=label_map, **teacher_options)
        try:
            return label(ray_teacher, input, output, store=store, batch_size=batch_size * workers,
                         text_field=text_field, progress=progress, limit=limit, sample=sample,
                         sample_seed=sample_seed, saved_config=saved_config)  # fmt: skip
        finally:
            ray_teacher.close()
    if isinstance(teacher, str):
        from specialize.teachers.spec import load_teacher

        teacher = load_teacher(teacher, label_map=label_map, **teacher_options)
    elif label_map is not None or teacher_options:
        raise ConfigError("label_map and teacher options only apply when teacher is a spec string")
    docs, selection = select(_read_input(input, text_field), limit=limit, sample=sample, seed=sample_seed)
    own_store = isinstance(store, str | Path)
    db = LabelStore(store) if isinstance(store, str | Path) else store
    stats = LabelStats(teacher.name, teacher.fingerprint, selection=selection)
    started = time.perf_counter()
    try:
        labeled = label_documents(teacher, docs, store=db, batch_size=batch_size, stats=stats, progress=progress)
        if output is None:
            for _ in labeled:
                pass
        else:
            _write_atomically(labeled, Path(output))
            save_config_beside(Path(output), saved_config)
        stats.settings = _settings(teacher)  # now with what the first request resolved (structured output)
        if stats.settings is not None and db is not None:
            db.register(teacher.fingerprint, teacher.name, teacher.labels, stats.settings)
        if db is not None:
            stats.store = db.stats(teacher.fingerprint)
    finally:
        if own_store and db is not None:
            db.close()
    stats.seconds = time.perf_counter() - started
    logger.info(
        "%s: %d documents (%d labeled, %d from store), %d spans", teacher.name, stats.documents, stats.labeled,
        stats.from_store, stats.spans,
    )  # fmt: skip
    return stats


def _settings(teacher: Teacher) -> dict[str, Any] | None:
    """A teacher's ``settings`` (its provenance: an LLM teacher's config and examples), for those that have one."""
    settings = getattr(teacher, "settings", None)
    return dict(settings) if isinstance(settings, dict) else None


def _read_input(input: str | Path | Sequence[str] | Sequence[Document], text_field: str) -> list[Document]:
    if isinstance(input, str | Path):
        from specialize.data.io import read_texts

        return read_texts(input, text_field=text_field)
    return [d if isinstance(d, Document) else Document(str(d), id=str(i)) for i, d in enumerate(input)]


def _write_atomically(docs: Iterator[Document], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            for doc in docs:
                handle.write(json.dumps(document_to_json(doc), ensure_ascii=False) + "\n")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
