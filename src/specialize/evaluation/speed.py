"""Speed benchmark: throughput, latency, peak memory and size of span predictors, with F1 in the same table.

Each (model, thread count) runs in a fresh ``python -m specialize.evaluation.speed`` process, so that memory
peaks and thread pools are its own: the thread count is set in the environment before anything is imported
(OpenMP/MKL/OpenBLAS for spaCy and torch, rayon for the Rust tokenizer), then with ``torch.set_num_threads``
or onnxruntime's ``SessionOptions``. An exported model's process never imports torch, so its peak RSS is what
a torch-free deployment pays.

Models: a specialist folder, an exported folder (``model.onnx``), ``spacy:NAME_OR_PATH``, or
``hf-pipeline:FOLDER`` (the plain ``transformers`` token-classification pipeline over a specialist folder, with
``aggregation_strategy="first"``: the naive baseline).
"""

from __future__ import annotations

import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specialize.data.document import Document, Span
from specialize.errors import ConfigError, DataError
from specialize.evaluation.evaluate import command_line, machine_info, render_table
from specialize.evaluation.span_metrics import score_spans
from specialize.models.resolve import distinct_names

logger = logging.getLogger(__name__)

HF_PIPELINE = "hf-pipeline:"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS")
PER_THREAD_FIELDS = (
    "tokens_per_s",
    "docs_per_s",
    "p50_ms",
    "p95_ms",
    "p50_ms_batch32",
    "p95_ms_batch32",
    "peak_rss_mb",
    "load_s",
)


class HFPipelinePredictor:
    """A specialist folder through ``transformers.pipeline("token-classification")``, as a SpanPredictor."""

    def __init__(self, folder: str | Path, batch_size: int = 32) -> None:
        from transformers import pipeline

        self.folder = Path(folder)
        self.name = f"{HF_PIPELINE}{self.folder.name}"
        self.batch_size = batch_size
        # trust_remote_code: the folder's tokenizer computes the word shapes the model was trained with.
        self.pipe = pipeline(
            "token-classification",
            model=str(self.folder),
            aggregation_strategy="first",
            trust_remote_code=True,
            device=-1,
        )

    @property
    def labels(self) -> list[str]:
        from specialize.data.tagging import entity_types

        id2label: dict[int, str] = {int(k): v for k, v in (self.pipe.model.config.id2label or {}).items()}
        return entity_types([id2label[i] for i in sorted(id2label)])

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        texts = list(texts)
        if not texts:
            return []
        results = self.pipe(texts, batch_size=self.batch_size)
        return [
            [Span(int(e["start"]), int(e["end"]), str(e["entity_group"]), float(e["score"])) for e in entities]
            for entities in results
        ]


def model_kind(spec: str) -> str:
    if spec.startswith("spacy:"):
        return "spacy"
    if spec.startswith(HF_PIPELINE):
        return "hf-pipeline"
    return "onnx" if (Path(spec) / "model.onnx").is_file() else "specialist"


def model_size_mb(spec: str) -> float | None:
    """Bytes on disk of the model folder (for spaCy: the installed package folder, or the path given)."""
    import importlib.util

    if spec.startswith("spacy:"):
        from specialize.models.spacy_pipeline import resolve_model_name

        resolved = resolve_model_name(spec.removeprefix("spacy:"))
        path = Path(resolved)
        if not path.exists():
            found = importlib.util.find_spec(resolved)
            locations = list(found.submodule_search_locations or []) if found else []
            if not locations:
                return None
            path = Path(locations[0])
    else:
        path = Path(spec.removeprefix(HF_PIPELINE))
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def _load(spec: str, threads: int, label_map: str | None) -> Any:
    """Load one predictor with its thread count applied; torch is imported only for torch models."""
    kind = model_kind(spec)
    if kind == "onnx":
        from specialize.runtime import OnnxPredictor

        return OnnxPredictor.load(spec, threads=threads)
    if kind in ("specialist", "hf-pipeline"):
        import torch

        torch.set_num_threads(threads)
        if kind == "hf-pipeline":
            return HFPipelinePredictor(spec.removeprefix(HF_PIPELINE))
    from specialize.data.labels import parse_label_map
    from specialize.models.resolve import load_model

    return load_model(spec, label_map=parse_label_map(label_map) if label_map else None)


def _read_documents(data: Sequence[Document] | str | Path) -> list[Document]:
    if isinstance(data, str | Path):
        from specialize.data.io import read_documents

        return list(read_documents(data))
    return list(data)


def _percentiles(values_s: Sequence[float]) -> tuple[float, float]:
    ms = np.asarray(values_s, dtype=np.float64) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def _peak_rss_mb() -> float:
    """Peak resident memory of this process.

    On Linux ``getrusage(RUSAGE_SELF).ru_maxrss`` survives fork and exec: a worker started from a parent
    holding 500 MB (a test run with torch loaded) reports at least 500 MB whatever it does. ``VmHWM`` in
    /proc/self/status belongs to the address space exec created, so it is the worker's own peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def measure(job: Mapping[str, Any]) -> dict[str, Any]:
    """Run inside the worker process: load, warm up, time, score. ``job`` is what ``benchmark`` writes."""
    texts: list[str] = job["texts"]
    n, batch = len(texts), int(job["batch_size"])
    started = time.perf_counter()
    predictor = _load(job["model"], int(job["threads"]), job.get("label_map"))
    load_s = time.perf_counter() - started
    for _ in range(int(job["warmup"])):
        predictor.predict(texts[: 2 * batch])
    seconds, predictions = [], None
    for _ in range(max(1, int(job["repeats"]))):
        t0 = time.perf_counter()
        predictions = predictor.predict(texts)
        seconds.append(time.perf_counter() - t0)
    elapsed = statistics.median(seconds)
    order = list(range(n))
    random.Random(0).shuffle(order)  # latency samples independent of the file's order
    single = []
    for i in order[: int(job["latency_docs"])]:
        t0 = time.perf_counter()
        predictor.predict([texts[i]])
        single.append(time.perf_counter() - t0)
    batched = []
    for start in range(0, min(n, batch * int(job["latency_batches"])), batch):
        chunk = [texts[i] for i in order[start : start + batch]]
        t0 = time.perf_counter()
        predictor.predict(chunk)
        batched.append(time.perf_counter() - t0)
    p50, p95 = _percentiles(single)
    p50_b, p95_b = _percentiles(batched)
    result: dict[str, Any] = {
        "name": str(getattr(predictor, "name", job["model"])),
        "seconds": seconds,
        "tokens_per_s": job["n_tokens"] / elapsed if elapsed > 0 else float("inf"),
        "docs_per_s": n / elapsed if elapsed > 0 else float("inf"),
        "p50_ms": p50,
        "p95_ms": p95,
        "p50_ms_batch32": p50_b,
        "p95_ms_batch32": p95_b,
        "batch32_size": min(batch, n),
        "load_s": load_s,
        "f1": None,
        "per_type_f1": None,
        "torch_imported": "torch" in sys.modules,
    }
    gold = [[Span(s, e, label) for s, e, label in spans] for spans in job["gold"]]
    if predictions is not None and any(gold):
        types = sorted({s.label for spans in gold for s in spans})
        scores = score_spans(gold, predictions, types=types)
        result["f1"] = scores.micro.f1
        result["per_type_f1"] = {t: scores.per_type[t].f1 for t in types}
    result["peak_rss_mb"] = _peak_rss_mb()  # last: the peak over everything above
    return _rounded(result)


def _rounded(result: dict[str, Any]) -> dict[str, Any]:
    """Three decimals are below the run-to-run noise of any timing here; F1 keeps six like evaluate's."""
    out: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, float):
            out[key] = round(value, 6 if key == "f1" else 3)
        elif key == "seconds":
            out[key] = [round(v, 4) for v in value]
        elif key == "per_type_f1" and value is not None:
            out[key] = {t: round(v, 6) for t, v in value.items()}
        else:
            out[key] = value
    return out


def _run_worker(job_path: Path, out_path: Path, threads: int, timeout: float | None) -> dict[str, Any]:
    env = dict(os.environ)
    env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["TOKENIZERS_PARALLELISM"] = "true" if threads > 1 else "false"
    cmd = [sys.executable, "-m", "specialize.evaluation.speed", str(job_path), str(out_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    logger.debug("worker stderr:\n%s", proc.stderr[-3000:])
    result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
    return result


def _round_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def benchmark(
    models: Sequence[str],
    data: Sequence[Document] | str | Path,
    *,
    threads: Sequence[int] = (1,),
    repeats: int = 3,
    warmup: int = 1,
    latency_docs: int = 200,
    latency_batches: int = 20,
    batch_size: int = 32,
    label_map: str | None = None,
    timeout: float | None = None,
    command: str | None = None,
) -> list[dict[str, Any]]:
    """One record per model: speed per thread count (dicts keyed by the count as a string), F1, size.

    Throughput is the median of ``repeats`` predictions over all of ``data`` after ``warmup`` untimed calls on
    its first ``2 * batch_size`` documents; tokens are whitespace tokens of the texts, so tokenizers compare.
    Latency percentiles come from single documents (``latency_docs`` of them, a fixed shuffle) and from
    ``latency_batches`` batches of ``batch_size`` documents. ``label_map`` applies to ``spacy:`` models.
    """
    if not models:
        raise ConfigError("no models to benchmark")
    if not threads or any(t < 1 for t in threads):
        raise ConfigError(f"thread counts must be positive integers, got {list(threads)}")
    docs = _read_documents(data)
    if not docs:
        raise DataError("no documents to benchmark on")
    texts = [d.text for d in docs]
    n_tokens = sum(len(t.split()) for t in texts)
    base_job = {
        "texts": texts,
        "gold": [[[s.start, s.end, s.label] for s in d.spans] for d in docs],
        "n_tokens": n_tokens,
        "repeats": repeats,
        "warmup": warmup,
        "latency_docs": latency_docs,
        "latency_batches": latency_batches,
        "batch_size": batch_size,
        "label_map": label_map,
    }
    command = command if command is not None else command_line()
    machine = machine_info()
    records = []
    with tempfile.TemporaryDirectory(prefix="specialize-bench-") as tmp:
        for m, spec in enumerate(models):
            runs: dict[str, dict[str, Any]] = {}
            for t in threads:
                job_path, out_path = Path(tmp) / f"job-{m}-{t}.json", Path(tmp) / f"out-{m}-{t}.json"
                job_path.write_text(json.dumps({**base_job, "model": spec, "threads": t}), encoding="utf-8")
                runs[str(t)] = run = _run_worker(job_path, out_path, t, timeout)
                logger.info(
                    "%s, %d thread(s): %.0f tokens/s, p50 %.1f ms, peak RSS %.0f MB",
                    spec,
                    t,
                    run["tokens_per_s"],
                    run["p50_ms"],
                    run["peak_rss_mb"],
                )
            first = runs[str(threads[0])]
            record: dict[str, Any] = {
                "model": first["name"],
                "spec": spec,
                "dataset": str(data) if isinstance(data, str | Path) else None,
                "kind": model_kind(spec),
                "f1": first["f1"],
                "per_type_f1": first["per_type_f1"],
                "threads": list(threads),
                **{f: {k: r[f] for k, r in runs.items()} for f in PER_THREAD_FIELDS},
                "batch32_size": first["batch32_size"],
                "torch_imported": first["torch_imported"],
                "size_mb": _round_or_none(model_size_mb(spec)),
                "n_docs": len(texts),
                "n_tokens": n_tokens,
                "repeats": repeats,
                "warmup": warmup,
                "latency_docs": min(latency_docs, len(texts)),
                "command": command,
                "machine": machine,
            }
            records.append(record)
    for record, name in zip(records, distinct_names([r["model"] for r in records], [r["spec"] for r in records]),
                            strict=True):  # fmt: skip
        record["model"] = name
    return records


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def format_speed_table(records: Sequence[Mapping[str, Any]]) -> str:
    """One row per model and thread count."""
    header = ["model", "threads", "F1", "tokens/s", "docs/s", "p50 ms", "p95 ms", "p50 ms b32", "p95 ms b32"]
    header += ["peak RSS MB", "size MB"]
    rows = []
    for r in records:
        for t in r["threads"]:
            k = str(t)
            rows.append(
                [
                    r["model"],
                    k,
                    _fmt(r["f1"], 4),
                    _fmt(r["tokens_per_s"][k], 0),
                    _fmt(r["docs_per_s"][k]),
                    _fmt(r["p50_ms"][k], 2),
                    _fmt(r["p95_ms"][k], 2),
                    _fmt(r["p50_ms_batch32"][k], 1),
                    _fmt(r["p95_ms_batch32"][k], 1),
                    _fmt(r["peak_rss_mb"][k], 0),
                    _fmt(r["size_mb"], 1),
                ]
            )
    first = records[0] if records else {}
    title = (
        f"Speed on {first.get('n_docs', 0)} documents ({first.get('n_tokens', 0)} whitespace tokens); throughput is "
        f"the median of {first.get('repeats', 0)} runs; latency over {first.get('latency_docs', 0)} single "
        "documents and batches of 32; each model and thread count in a fresh process"
    )
    return "\n".join([title, render_table(header, rows)])


def _worker_main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m specialize.evaluation.speed JOB.json OUT.json (run by benchmark())", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    Path(argv[1]).write_text(json.dumps(measure(job)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
