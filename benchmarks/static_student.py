"""Static-embedding student vs spaCy en_core_web_sm (ner alone) on CoNLL-2003 test: F1 and 1-thread throughput.

All models run in this one process, on the same texts, interleaved (A, B, A, B, ...) so background load hits
them alike; throughput is whitespace tokens of the test set per second, the median of ``--repeats`` timed
passes after a warm-up. The student runs exported (onnxruntime, 1 intra-op thread), fp32 and int8 (MatMul
weights quantized, embeddings and classifier kept fp32); missing exports are made from ``--model`` with
``specialize export``'s accuracy check on the dev set. Results go to benchmarks/results/static_student.json
with the command line and the machine.

    python benchmarks/static_student.py --model runs/static-conll --torch
"""

from __future__ import annotations

import os

# Thread pools are sized when their libraries load: pin everything to one thread before any import.
for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_variable] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "static_student.json"
INT8 = "static student int8 (onnxruntime)"
FP32 = "static student fp32 (onnxruntime)"
SPACY = "spaCy en_core_web_sm (ner only)"
F1_TARGET = 0.80
SPEEDUP_TARGET = 5.0


def _score(gold: list[Any], predictions: list[Any]) -> dict[str, Any]:
    from specialize.evaluation.span_metrics import score_spans

    scores = score_spans(gold, predictions)
    return {
        "f1": round(scores.micro.f1, 6),
        "precision": round(scores.micro.precision, 6),
        "recall": round(scores.micro.recall, 6),
        "per_type_f1": {t: round(s.f1, 6) for t, s in sorted(scores.per_type.items())},
    }


def _megabytes(folder: str) -> float:
    return round(sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="runs/static-conll", help="static student folder (specialize train-static)")
    parser.add_argument("--onnx", default="runs/static-conll-onnx", help="its fp32 ONNX export (made if missing)")
    parser.add_argument("--onnx-int8", default="runs/static-conll-onnx-int8", help="its int8 export (made if missing)")
    parser.add_argument("--data", default="conll2003:test", help="gold documents to score and time on")
    parser.add_argument("--check", default="conll2003:dev", help="gold documents for the export accuracy check")
    parser.add_argument("--spacy", default="spacy:en_core_web_sm", help="the spaCy pipeline to compare with")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per model (median reported)")
    parser.add_argument("--torch", action="store_true", help="also time the student in torch (1 thread)")
    parser.add_argument("--output", default=str(RESULTS), help="JSON results file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import torch

    torch.set_num_threads(1)
    from specialize.data.io import read_documents
    from specialize.data.labels import parse_label_map
    from specialize.evaluation.evaluate import machine_info
    from specialize.export import export
    from specialize.models.spacy_pipeline import SpacyPipeline
    from specialize.models.static_student import StaticStudent
    from specialize.runtime import OnnxPredictor

    docs = read_documents(args.data)
    texts = [d.text for d in docs]
    gold = [d.spans for d in docs]
    n_tokens = sum(len(t.split()) for t in texts)
    for folder, int8 in ((args.onnx, False), (args.onnx_int8, True)):
        if not (Path(folder) / "model.onnx").is_file():
            export(args.model, folder, int8=int8, check=read_documents(args.check))
    models: dict[str, Any] = {
        INT8: OnnxPredictor.load(args.onnx_int8, threads=1),
        FP32: OnnxPredictor.load(args.onnx, threads=1),
        SPACY: SpacyPipeline.load(args.spacy, label_map=parse_label_map("conll")),
    }
    if args.torch:
        models["static student (torch)"] = StaticStudent.load(args.model)
    for model in models.values():  # warm-up: lazy initialisation, allocator growth, caches
        model.predict(texts[:256])
    seconds: dict[str, list[float]] = {name: [] for name in models}
    predictions: dict[str, Any] = {}
    for _ in range(args.repeats):
        for name, model in models.items():
            started = time.perf_counter()
            predictions[name] = model.predict(texts)
            seconds[name].append(time.perf_counter() - started)
    results = {}
    for name in models:
        elapsed = statistics.median(seconds[name])
        results[name] = {
            **_score(gold, predictions[name]),
            "tokens_per_s": round(n_tokens / elapsed, 1),
            "docs_per_s": round(len(texts) / elapsed, 1),
            "seconds": [round(s, 4) for s in seconds[name]],
        }
    for name in models:
        results[name]["speedup_vs_spacy"] = round(results[name]["tokens_per_s"] / results[SPACY]["tokens_per_s"], 2)
    speedup = results[INT8]["speedup_vs_spacy"]
    report = {
        "command": shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]),
        "machine": machine_info(),
        "data": args.data,
        "n_docs": len(texts),
        "n_tokens": n_tokens,
        "threads": 1,
        "repeats": args.repeats,
        "model": args.model,
        "onnx": {"fp32": args.onnx, "int8": args.onnx_int8},
        "model_mb": {"fp32": _megabytes(args.onnx), "int8": _megabytes(args.onnx_int8)},
        "results": results,
        "targets": {"f1": F1_TARGET, "speedup": SPEEDUP_TARGET},
        "passed": results[INT8]["f1"] >= F1_TARGET and speedup >= SPEEDUP_TARGET,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{args.data}: {len(texts)} documents, {n_tokens} whitespace tokens, 1 thread, median of {args.repeats}")
    for name, r in results.items():
        print(
            f"  {name:38s} F1 {r['f1']:.4f}  {r['tokens_per_s']:>9,.0f} tokens/s  {r['docs_per_s']:>8,.1f} docs/s"
            f"  {r['speedup_vs_spacy']:.1f}x spaCy"
        )
    print(f"targets for the int8 student: F1 >= {F1_TARGET}, >= {SPEEDUP_TARGET}x spaCy: {report['passed']}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
