"""Train the default specialist on NCBI-disease and CoNLL-2003, compare it with spaCy's general model.

    python benchmarks/ner_accuracy.py                      # every dataset below
    python benchmarks/ner_accuracy.py --datasets conll2003 # one; records of the others are kept

Writes benchmarks/results/ner_accuracy.json (one record per dataset and model, the same kind of record
`specialize evaluate --json` writes, plus train_seconds) and ner_accuracy.md next to it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# Dataset -> (config file, label map that turns spaCy's OntoNotes types into the dataset's types).
DATASETS = {
    "ncbi-disease": ("configs/ncbi_disease.toml", None),  # OntoNotes has no disease type: nothing maps
    # Same test set, trained on NCBI-disease train plus BC5CDR's Disease mentions.
    "ncbi-disease-bc5cdr": ("configs/ncbi_disease_bc5cdr.toml", None),
    "conll2003": ("configs/conll2003.toml", "conll"),
}
GENERAL_MODEL = "spacy:en_core_web_md"


def run(name: str, runs_dir: Path, threads: int | None, reuse: Path | None) -> list[dict]:
    """Train (or, with ``reuse``, load a folder trained earlier with the same config) and evaluate both models."""
    from specialize.config import load_config
    from specialize.data.labels import parse_label_map
    from specialize.evaluation.evaluate import evaluate, format_table
    from specialize.models.spacy_pipeline import SpacyPipeline
    from specialize.models.specialist import Specialist
    from specialize.tasks.spans import SpanTask
    from specialize.training.train import train

    config_file, label_map = DATASETS[name]
    overrides = {"training.progress": False, "training.threads": threads}
    config = load_config(ROOT / config_file, overrides)
    if reuse is None:
        specialist = train(config, runs_dir / name).specialist
        folder = runs_dir / name
    else:
        specialist, folder = Specialist.load(reuse), reuse
    training = json.loads((folder / "training.json").read_text())
    general = SpacyPipeline.load(GENERAL_MODEL, label_map=parse_label_map(label_map) if label_map else None)
    test = config.data.test or f"{name}:test"
    documents = SpanTask().load("test", test, replace(config.data, labels=None)).items
    evaluation = evaluate([specialist, general], documents)
    print(format_table(evaluation))
    command = shlex.join(["python", *sys.argv])
    records = evaluation.to_records(dataset=name, split="test", command=command)
    records[0]["model"] = f"specialist (MiniLM-L6, {config_file})"
    records[0]["test_data"] = test
    records[0]["train_seconds"] = training["train_seconds"]
    records[0]["train_command"] = training.get("command")
    records[0]["best_dev_f1"] = training["best_dev_f1"]
    records[1]["model"] = f"{GENERAL_MODEL} (label map: {label_map or 'none'})"
    records[1]["train_seconds"] = None
    return records


def write_markdown(records: list[dict], path: Path) -> None:
    lines = [
        "# NER accuracy: small specialist vs. general model",
        "",
        "Strict span-level micro F1 on each test set (95% bootstrap CI over documents). "
        "Produced by `python benchmarks/ner_accuracy.py`; machine and exact command in ner_accuracy.json.",
        "",
        "| dataset | model | F1 [95% CI] | P | R | train time |",
        "|---|---|---|---|---|---|",
    ]
    for r in records:
        ci = f" [{r['f1_ci'][0]:.3f}, {r['f1_ci'][1]:.3f}]" if r.get("f1_ci") else ""
        train_time = f"{r['train_seconds'] / 60:.1f} min" if r.get("train_seconds") else "-"
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['f1']:.3f}{ci} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {train_time} |"
        )
    lines += ["", "Per type:", ""]
    for r in records:
        per_type = ", ".join(f"{t} {s['f1']:.3f}" for t, s in sorted(r["per_type"].items()))
        lines.append(f"- {r['dataset']} / {r['model']}: {per_type}")
    if records:
        m = records[0]["machine"]
        lines += ["", f"Machine: {json.dumps(m)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "benchmarks", help="where models are saved")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument(
        "--reuse", type=Path, help="evaluate this folder, trained earlier from the same config, instead of training"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "ner_accuracy.json"
    records = json.loads(out.read_text()) if out.exists() else []
    for name in args.datasets:
        new = run(name, args.runs, args.threads, args.reuse)
        records = [r for r in records if r["dataset"] != name] + new
        out.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        write_markdown(records, RESULTS / "ner_accuracy.md")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
