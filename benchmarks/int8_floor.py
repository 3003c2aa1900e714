"""How fast can an int8 BERT specialist possibly be on this CPU? A lower bound from the matrix multiplies alone.

    python benchmarks/int8_floor.py [--model runs/benchmarks/conll2003-int8] [--data conll2003:test]

An encoder layer's linear maps (Q, K, V, attention output, the two feed-forward maps) are nearly all of its
multiply-adds. This script counts the tokens the model really sees on the data (every window with its [CLS] and
[SEP], as the runtime cuts them), measures onnxruntime's dynamically quantized int8 MatMul (the kernel int8
exports use) at 1 thread on the model's own shapes, and divides: the time those multiplies alone must take,
and so the highest throughput any int8 export of this architecture can reach here, before attention, layer
norms, GELU, tokenization and decoding are paid. Written to benchmarks/results/int8_floor.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ROWS = 640  # windows x positions in one forward pass: a batch of 32 CoNLL-2003 sentences of ~20 subwords


def int8_matmul_gops(k: int, n: int, *, rows: int = ROWS, repeats: int = 50) -> float:
    """Measured giga multiply-adds x2 per second of onnxruntime's dynamic int8 MatMul (rows x k) @ (k x n)."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rng = np.random.default_rng(0)
    weight = rng.standard_normal((k, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", n])],
        [numpy_helper.from_array(weight, "w")],
    )
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), fp32)
        # The same settings as specialize.export.quantize: int8 weights per output channel.
        quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(str(int8), options, providers=["CPUExecutionProvider"])
    x = rng.standard_normal((rows, k)).astype(np.float32)
    for _ in range(5):
        session.run(None, {"x": x})
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, {"x": x})
        timings.append(time.perf_counter() - start)
    timings.sort()
    return 2 * rows * k * n / timings[len(timings) // 2] / 1e9


def window_tokens(model: Path, data: str) -> tuple[int, int]:
    """(positions the model computes, whitespace words) over ``data``, windows cut as the runtime cuts them."""
    from specialize.evaluation.evaluate import _resolve_data
    from specialize.runtime import OnnxPredictor

    predictor = OnnxPredictor.load(model, threads=1)
    texts = [d.text for d in _resolve_data(data)]
    _, features = predictor.preprocess(texts)
    return sum(len(f) for f in features), sum(len(t.split()) for t in texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "runs" / "benchmarks" / "conll2003-int8")
    parser.add_argument("--data", default="conll2003:test")
    parser.add_argument("--speed", type=Path, default=RESULTS / "speed.json", help="spaCy sm's measured speed")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from specialize.evaluation.evaluate import machine_info

    config = json.loads((args.model / "config.json").read_text())
    hidden, inner, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    positions, words = window_tokens(args.model, args.data)
    shapes = {"q/k/v/output (hidden x hidden)": (hidden, hidden, 4), "feed-forward in": (hidden, inner, 1)}
    shapes["feed-forward out"] = (inner, hidden, 1)
    rows: list[dict[str, Any]] = []
    floor_s = 0.0
    for name, (k, n, count) in shapes.items():
        gops = int8_matmul_gops(k, n)
        seconds = layers * count * 2 * k * n * positions / (gops * 1e9)
        floor_s += seconds
        rows.append(
            {"matmul": name, "k": k, "n": n, "per_layer": count, "int8_gops": round(gops, 1), "seconds": seconds}
        )
    record: dict[str, Any] = {
        "model": str(args.model),
        "data": args.data,
        "layers": layers,
        "hidden_size": hidden,
        "intermediate_size": inner,
        "positions": positions,
        "words": words,
        "matmuls": rows,
        "matmul_floor_seconds": round(floor_s, 3),
        "max_words_per_s": round(words / floor_s),
        "command": shlex.join(["python", *sys.argv]),
        "machine": machine_info(),
    }
    if args.speed.exists():
        spacy = next((r for r in json.loads(args.speed.read_text()) if r["spec"].startswith("spacy:")), None)
        if spacy:
            record["spacy_sm_words_per_s"] = spacy["tokens_per_s"]["1"]
            record["max_vs_spacy_sm"] = round(record["max_words_per_s"] / spacy["tokens_per_s"]["1"], 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "int8_floor.json"
    existing = json.loads(out.read_text()) if out.exists() else []
    existing = [r for r in existing if r["model"] != record["model"]] + [record]
    out.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    for r in rows:
        print(f"{r['matmul']:<32} {r['int8_gops']:>7.1f} GOP/s  {r['seconds']:.2f} s")
    print(
        f"{positions:,} positions ({words:,} words), {layers} layers: matmuls alone {floor_s:.2f} s -> at most "
        f"{record['max_words_per_s']:,} words/s"
        + (f" = {record['max_vs_spacy_sm']}x spaCy sm" if "max_vs_spacy_sm" in record else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
