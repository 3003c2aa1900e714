"""CPU speed side by side on CoNLL-2003 test (fast-inference issue), written to benchmarks/results/speed.json.

    python benchmarks/speed.py            # export the int8 models (checked on CoNLL-2003 dev), then benchmark
    python benchmarks/speed.py --model runs/students/conll2003 --model runs/students/conll2003-L3-ffn512

Models (by default all from the other benchmark scripts): spaCy en_core_web_sm running `ner` alone (the
reference), the MiniLM-L6 CoNLL-2003 specialist in torch, its checked int8 ONNX export, the checked int8 ONNX
exports of the 3-layer distilled students (full feed-forward blocks, and pruned to 512 neurons), and the
static-embedding student's ONNX export. `--model DIR` (repeatable) benchmarks those CoNLL-2003 model folders
instead: the first in torch and as int8 ONNX, the others as int8 ONNX, each export written to
runs/benchmarks/NAME-int8. Every model runs in a fresh process at 1 and 2 threads on the same texts, one after the
other in this one run; medians of 3 passes. `--skip-export` reuses the exported folders and their checks.
speed.json holds this one run only: speeds from different runs do not compare.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "benchmarks"
RESULTS = ROOT / "benchmarks" / "results"
SPACY = "spacy:en_core_web_sm"


def _export(source: Path, target: Path) -> dict[str, Any]:
    from specialize.export import export

    if not (source / "config.json").exists():
        raise SystemExit(f"{source} is missing: run the accuracy / distillation benchmarks first")
    result = export(source, target, int8=True, check="conll2003:dev", overwrite=True)
    return json.loads((target / "export.json").read_text()) if (target / "export.json").exists() else vars(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-export", action="store_true", help="reuse existing exported folders")
    parser.add_argument(
        "--static", type=Path, default=ROOT / "runs" / "static-conll-onnx-int8", help="exported static student"
    )
    parser.add_argument(
        "--model", type=Path, action="append", help="a CoNLL-2003 model folder to export and benchmark; repeat"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from specialize.evaluation.speed import benchmark, format_speed_table

    sources = args.model or [RUNS / "conll2003", RUNS / "distill-conll-soft-L3", RUNS / "distill-conll-soft-L3-ffn512"]
    reference = sources[0]  # benchmarked in torch too; its int8 export's F1 drop is measured against it
    exports = {source: RUNS / f"{source.name}-int8" for source in sources}
    checks = {}
    missing = [s for s in exports if not (s / "config.json").exists()]
    if (args.model and missing) or reference in missing:
        raise SystemExit(f"no model folder (config.json) at {', '.join(map(str, missing))}: train it first")
    for source in missing:
        logging.warning("%s is missing (run benchmarks/distill.py): not benchmarked", source)
        del exports[source]
    for source, target in exports.items():
        if not args.skip_export:
            checks[target.name] = _export(source, target)
        elif (target / "export.json").exists():  # the check that export ran when it wrote the folder
            checks[target.name] = json.loads((target / "export.json").read_text())
    models = [SPACY, str(reference), *(str(t) for t in exports.values())]
    if not args.model and (args.static / "model.onnx").exists():  # written by benchmarks/static_student.py
        models.append(str(args.static))
    command = shlex.join(["python", *sys.argv])
    records = benchmark(
        models, "conll2003:test", threads=(1, 2), repeats=args.repeats, label_map="conll", command=command
    )
    print(format_speed_table(records))

    spacy = next(r for r in records if r["spec"] == SPACY)
    base = spacy["tokens_per_s"]["1"]
    source_f1 = next(r["f1"] for r in records if r["spec"] == str(reference))
    for r in records:
        r["speed_vs_spacy_sm_1_thread"] = round(r["tokens_per_s"]["1"] / base, 3)
        if r["spec"] == str(exports.get(reference)):
            r["f1_drop_points_vs_source"] = round(100 * (source_f1 - r["f1"]), 3)
        if Path(r["spec"]).name in checks:
            r["export_check"] = checks[Path(r["spec"]).name]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# CPU speed on CoNLL-2003 test (46,435 tokens)",
        "",
        f"`{command}`; medians of {args.repeats} passes, each model in a fresh process.",
        "",
        "| model | F1 | tokens/s 1 thr | x spaCy sm | tokens/s 2 thr | p50 ms | p95 ms | peak RSS MB | size MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['model']} | {r['f1']:.4f} | {r['tokens_per_s']['1']:,.0f} | {r['speed_vs_spacy_sm_1_thread']:.2f} "
            f"| {r['tokens_per_s']['2']:,.0f} | {r['p50_ms']['1']:.1f} | {r['p95_ms']['1']:.1f} "
            f"| {r['peak_rss_mb']['1']:.0f} | {r['size_mb'] or 0:.1f} |"
        )
    lines += ["", f"Machine: {json.dumps(records[0]['machine'])}"]
    (RESULTS / "speed.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS / 'speed.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
