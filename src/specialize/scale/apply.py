"""``apply``: run a model over a large input and write the records back, with its answers, as numbered shards.

A span model adds ``spans`` to each record, a text classifier ``labels`` and ``scores`` (see
:mod:`specialize.scale.tasks`, the one task-specific step); everything else is the same for both.

The input (JSONL, CSV or Parquet files, or a folder of them) is cut into shards of ``shard_size`` records in
input order; shard ``N`` becomes ``part-0000N.jsonl`` (``.parquet`` for Parquet input). Each shard is written
to ``.tmp`` and renamed when complete, and ``_manifest.json`` records the input's fingerprint, so a rerun
after a crash skips the finished shards and redoes only the rest, and a rerun over a *changed* input or with
other settings is refused instead of mixing two runs. Every input record appears exactly once in the output.

Engines: ``local`` runs ``workers`` processes (spawned, each loading the model once; ``workers=0`` runs in this
process), which end when this process dies, even by ``kill -9`` (see :mod:`specialize.utils.parent_watch`);
``ray`` runs a Ray Data actor pool (see :mod:`specialize.scale.ray_engine`).
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialize.config import CONFIG_FILE, CommandConfig, save_config_file
from specialize.errors import ConfigError, DataError, OutputExistsError
from specialize.models.base import Classifier, SpanPredictor
from specialize.models.resolve import load_model
from specialize.scale.shards import ShardJob, run_job, shard_name
from specialize.scale.sources import (
    count_records,
    describe_inputs,
    fingerprint,
    input_files,
    iter_records,
    output_kind,
    parquet_schema,
)
from specialize.scale.tasks import output_fields, task_of
from specialize.utils.parent_watch import check_parent, die_with_parent
from specialize.utils.threads import set_threads

logger = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
ENGINES = ("local", "ray")


@dataclass
class ApplyResult:
    output: Path
    n_docs: int
    n_shards: int
    written_shards: int
    skipped_shards: int
    """Shards finished by an earlier run and left as they were."""
    seconds: float
    engine: str


# -- local engine: spawned worker processes -----------------------------------------------------------------
_WORKER_MODEL: SpanPredictor | Classifier | None = None
_PARENT_PID: int | None = None


def _init_worker(spec: str, threads: int, parent_pid: int) -> None:
    global _WORKER_MODEL, _PARENT_PID
    # First: a parent killed while this worker loads its model must not leave it behind.
    die_with_parent(parent_pid)
    _PARENT_PID = parent_pid
    # Each worker gets its share of the cores; without this every torch/onnx worker starts one thread per core.
    set_threads(threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _WORKER_MODEL = load_model(spec)


def _worker_run(job: ShardJob, batch_size: int) -> tuple[int, int]:
    assert _WORKER_MODEL is not None and _PARENT_PID is not None, "worker not initialised"
    parent = _PARENT_PID
    return job.index, run_job(_WORKER_MODEL, job, batch_size, before_write=lambda: check_parent(parent))


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _run_local(
    model: SpanPredictor | Classifier | str,
    jobs: Iterable[ShardJob],
    done: Callable[[int, int], None],
    workers: int,
    batch_size: int,
    threads: int | None = None,
) -> None:
    if workers <= 0 or not isinstance(model, str):
        if workers > 0:
            logger.info("model given as an object: running in this process (pass a spec for worker processes)")
        set_threads(threads)
        loaded = load_model(model) if isinstance(model, str) else model
        for job in jobs:
            done(job.index, run_job(loaded, job, batch_size))
        return
    threads = threads or max(1, _usable_cores() // workers)
    # spawn, not fork: forking a process that already holds torch threads or a tokenizer pool can deadlock.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(model, threads, os.getpid())
    )
    in_flight: set[Future[tuple[int, int]]] = set()

    def collect(futures: Iterable[Future[tuple[int, int]]]) -> None:
        for future in futures:
            done(*future.result())

    try:
        for job in jobs:
            # Bounded: at most two shards per worker wait in memory, however big the input.
            if len(in_flight) >= 2 * workers:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                collect(finished)
            in_flight.add(pool.submit(_worker_run, job, batch_size))
        while in_flight:
            finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            collect(finished)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


# -- the plan and the manifest ---------------------------------------------------------------------------
def _model_identity(model: SpanPredictor | Classifier | str) -> dict[str, Any]:
    if not isinstance(model, str):
        return {"object": f"{type(model).__qualname__}:{getattr(model, 'name', '')}"}
    folder = Path(model)
    if not folder.is_dir():
        return {"spec": model}
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "README.md")
    return {"spec": str(folder.resolve()), "files": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}}


def _prepare_output(output: Path, manifest: dict[str, Any]) -> None:
    """Create ``output`` or check that it holds an earlier run of the same job; clear half-written shards."""
    path = output / MANIFEST
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("fingerprint") != manifest["fingerprint"]:
            changed = [k for k in ("inputs", "model", "settings") if old.get(k) != manifest.get(k)]
            raise OutputExistsError(
                f"{output} holds the output of another run (different {', '.join(changed) or 'fingerprint'}); "
                "use a new output folder, or delete this one to start over"
            )
    elif output.exists() and any(output.iterdir()):
        raise OutputExistsError(f"{output} exists and is not an apply output folder (no {MANIFEST}); use a new folder")
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.tmp"):
        stale.unlink()
    _write_manifest(output, manifest)


def _write_manifest(output: Path, manifest: dict[str, Any]) -> None:
    tmp = output / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, output / MANIFEST)


def _warn_replaced(record: dict[str, Any], fields: Sequence[str]) -> None:
    # Gold labels in a "labels" field would otherwise vanish without a word from the output.
    replaced = [name for name in fields if name in record]
    if replaced:
        logger.warning("the input records have %s fields; the output replaces them with the model's", replaced)


def _shards(records: Iterator[dict[str, Any]], size: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    batch: list[dict[str, Any]] = []
    index = 0
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield index, batch
            index, batch = index + 1, []
    if batch:
        yield index, batch


def apply(
    model: SpanPredictor | Classifier | str,
    input: str | Path,
    output: str | Path,
    *,
    engine: str = "local",
    workers: int = 2,
    shard_size: int = 1000,
    address: str | None = None,
    text_field: str = "text",
    batch_size: int = 64,
    threads: int | None = None,
    progress: bool = True,
    saved_config: CommandConfig | None = None,
) -> ApplyResult:
    """Predict every record of ``input`` and write the records, with the answers, to shards in ``output``.

    ``model`` is a spec (a specialist, text classifier or exported folder, ``spacy:NAME``) loaded once per
    worker, or a predictor/classifier object (``engine="local"`` only; runs in this process). ``engine="ray"``
    connects to ``address`` (or starts a local Ray) and runs ``workers`` actors. Records keep all their fields
    and get ``spans`` (``start``, ``end``, ``label``, ``text``, ``score``) from a span model, or ``labels`` and
    ``scores`` (every label's probability) from a classifier; an input field of the same name is replaced.
    Rerunning resumes: finished shards are skipped. ``threads``: CPU threads per worker (default: the usable
    cores shared among the workers; with ``workers=0``, the process default). ``saved_config``: the command's
    resolved config (an ApplyConfig), saved in ``output`` as ``specialize_config.toml``; a resumed run replaces
    the one an earlier run saved there.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if shard_size < 1:
        raise ConfigError(f"shard_size must be at least 1, got {shard_size}")
    if engine == "ray" and not isinstance(model, str):
        raise ConfigError("the ray engine loads the model on each actor: pass a model spec (folder), not an object")
    start = time.perf_counter()
    output = Path(output)
    files, in_kind = input_files(input)
    kind = output_kind(in_kind)
    n_docs = count_records(files, in_kind)
    n_shards = math.ceil(n_docs / shard_size)
    task = task_of(model)
    settings = {"text_field": text_field, "shard_size": shard_size, "format": kind}
    identity = {"inputs": describe_inputs(files), "model": _model_identity(model), "settings": settings}
    manifest: dict[str, Any] = {
        "version": 1,
        "fingerprint": fingerprint(identity),
        **identity,
        "n_docs": n_docs,
        "n_shards": n_shards,
        "task": task.name,
        "fields": list(output_fields(task)),
        "complete": False,
    }
    _prepare_output(output, manifest)
    save_config_file(output / CONFIG_FILE, saved_config, output, replace_own=True)
    finished = {i for i in range(n_shards) if (output / shard_name(i, kind)).is_file()}
    schema = parquet_schema(files, output_fields(task)) if kind == "parquet" else None

    def expected(index: int) -> int:
        return min(shard_size, n_docs - index * shard_size)

    def jobs() -> Iterator[ShardJob]:
        seen = 0
        for index, records in _shards(iter_records(files, in_kind, text_field), shard_size):
            seen += len(records)
            if index >= n_shards or len(records) != expected(index):
                raise DataError(f"the input changed while being read ({n_docs} records counted); rerun")
            if index == 0:
                _warn_replaced(records[0], output_fields(task))
            if index not in finished:
                yield ShardJob(index, records, output / shard_name(index, kind), kind, text_field, schema)
        if seen != n_docs:
            raise DataError(f"read {seen} records but counted {n_docs}: the input changed while being read")

    from tqdm.auto import tqdm

    skipped_docs = sum(expected(i) for i in finished)
    if finished:
        logger.info("resuming: %d of %d shards already done in %s", len(finished), n_shards, output)
    bar = tqdm(total=n_docs, initial=skipped_docs, unit="doc", desc="apply", disable=not progress)
    written: list[int] = []

    def done(index: int, count: int) -> None:
        if count != expected(index):
            raise RuntimeError(f"shard {index} holds {count} records, expected {expected(index)}")
        written.append(index)
        bar.update(count)

    try:
        if engine == "local":
            _run_local(model, jobs(), done, workers, batch_size, threads)
        else:
            from specialize.scale.ray_engine import run_ray

            assert isinstance(model, str)
            run_ray(model, jobs(), done, workers=workers, address=address, batch_size=batch_size, threads=threads)
    finally:
        bar.close()
    missing = [i for i in range(n_shards) if not (output / shard_name(i, kind)).is_file()]
    if missing:
        raise RuntimeError(f"shards {missing[:5]} were not written; rerun to resume")
    seconds = time.perf_counter() - start
    _write_manifest(output, {**manifest, "complete": True})
    logger.info(
        "%d documents in %d shards (%d written now, %d from an earlier run) in %.1f s -> %s",
        n_docs,
        n_shards,
        len(written),
        len(finished),
        seconds,
        output,
    )
    return ApplyResult(output, n_docs, n_shards, len(written), len(finished), seconds, engine)
