"""Teacher -> student benchmarks (distillation issue), written to benchmarks/results/distill.json.

    python benchmarks/distill.py                       # every experiment
    python benchmarks/distill.py --experiments soft    # one; records of the others are kept

- soft:      teacher = the MiniLM-L6 CoNLL-2003 specialist from benchmarks/ner_accuracy.py; student = its layers
             0, 2 and 4, distilled with soft labels (KL at temperature 2, mixed with gold CE) on CoNLL-2003 train.
- soft-ffn512: the same, every feed-forward block of the student pruned to its 512 most important neurons first.
- spacy:     teacher = spaCy en_core_web_md with the CoNLL label map; student = MiniLM-L6 trained only on the
             teacher's labels of CoNLL-2003 train text (no gold at all).
- gazetteer: teacher = a gazetteer of the NCBI-disease train mentions; student = MiniLM-L6 trained on its labels of
             unlabeled biomedical text (BC2GM and AnatEM train sentences, NCBI-disease train text).
- cls-mtsamples: text classification; teacher = the MiniLM-L6 MTSamples specialty classifier of
             benchmarks/domains_classification.py (runs/domains/mtsamples-specialty); student = its layers 0, 2 and 4,
             distilled with soft labels (per-label sigmoid KL at temperature 2 on each window, mixed with gold BCE)
             on MTSamples train, on the teacher's budget (128-subword windows, one window per note in training).
Each record is an evaluate --json record plus role (teacher/student), teacher, throughput and the command.
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
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "runs" / "benchmarks"


def _config(dataset: str, epochs: int) -> Any:
    from specialize.config import load_config

    overrides = {
        "data.dev": f"{dataset}:dev",
        "data.test": f"{dataset}:test",
        "training.epochs": epochs,
        "training.progress": False,
    }
    return load_config(overrides=overrides)


def _finish(result: Any, experiment: str, teacher: str) -> list[dict[str, Any]]:
    command = shlex.join(["python", *sys.argv])
    speed = result.throughput or {"models": [None, None]}
    teacher_speed, student_speed = speed["models"]
    out = []
    for record in result.records:
        if record["split"] != "test":
            continue
        record = {**record, "experiment": experiment, "teacher": teacher, "command": command}
        record["model"] = f"{record['role']}: {teacher if record['role'] == 'teacher' else result.output.name}"
        own = teacher_speed if record["role"] == "teacher" else student_speed
        record["throughput"] = own and {
            **own,
            "threads": speed.get("threads"),
            "n_docs": speed.get("n_docs"),
            "speedup_vs_teacher": round(own["docs_per_s"] / teacher_speed["docs_per_s"], 3),
        }
        record["train_seconds"] = round(result.history.train_seconds, 1) if record["role"] == "student" else None
        out.append(record)
    return out


def _soft_student(epochs: int, output: str, intermediate_size: int | None) -> Any:
    from dataclasses import replace

    from specialize.training.distill import DistillationArgs, distill

    teacher = RUNS / "conll2003"
    if not (teacher / "config.json").exists():
        raise SystemExit(f"{teacher} is missing: run python benchmarks/ner_accuracy.py --datasets conll2003 first")
    config = _config("conll2003", epochs)
    config = replace(config, model=replace(config.model, intermediate_size=intermediate_size))
    return distill(
        str(teacher),
        config,
        RUNS / output,
        gold="conll2003:train",
        args=DistillationArgs(temperature=2.0, alpha=0.5, soft=True),
        student_layers=[0, 2, 4],
    )


def soft(epochs: int) -> list[dict[str, Any]]:
    result = _soft_student(epochs, "distill-conll-soft-L3", None)
    return _finish(result, "soft", "MiniLM-L6 CoNLL-2003 specialist")


def soft_pruned(epochs: int) -> list[dict[str, Any]]:
    """The soft student with every feed-forward block pruned from 1,536 to 512 neurons before distillation:
    feed-forward blocks are two thirds of a layer's multiply-adds; the speed issue's 1.8x bar needs them cut."""
    result = _soft_student(epochs, "distill-conll-soft-L3-ffn512", 512)
    return _finish(result, "soft-ffn512", "MiniLM-L6 CoNLL-2003 specialist")


def spacy_teacher(epochs: int) -> list[dict[str, Any]]:
    from specialize.data.io import read_documents
    from specialize.training.distill import DistillationArgs, distill

    texts = [d.text for d in read_documents("conll2003:train")]
    result = distill(
        "spacy:en_core_web_md",
        _config("conll2003", epochs),
        RUNS / "distill-conll-from-spacy",
        unlabeled=texts,
        label_map="conll",
        args=DistillationArgs(soft=False),
    )
    return _finish(result, "spacy", "spacy:en_core_web_md (label map conll)")


def gazetteer(epochs: int) -> list[dict[str, Any]]:
    from specialize.data.io import read_documents
    from specialize.teachers.rules import GazetteerTeacher
    from specialize.training.distill import DistillationArgs, distill

    ncbi_train = read_documents("ncbi-disease:train")
    teacher = GazetteerTeacher.from_documents(ncbi_train)
    texts = [d.text for d in read_documents("bc2gm:train")]
    texts += [d.text for d in read_documents("anatem:train")]
    texts += [d.text for d in ncbi_train]
    result = distill(
        teacher, _config("ncbi-disease", epochs), RUNS / "distill-ncbi-from-gazetteer",
        unlabeled=texts, args=DistillationArgs(soft=False),
    )  # fmt: skip
    return _finish(result, "gazetteer", "gazetteer of NCBI-disease train mentions")


def mtsamples(epochs: int) -> list[dict[str, Any]]:
    from specialize.config import load_config
    from specialize.training.distill import DistillationArgs, distill

    teacher = ROOT / "runs" / "domains" / "mtsamples-specialty"
    if not (teacher / "training.json").exists():
        raise SystemExit(f"{teacher} is missing: run python benchmarks/domains_classification.py first")
    # The student inherits the teacher's windows (128 subwords, stride 32) and pooling; it trains, as the teacher
    # did, on the first window of each note. All dev notes choose its checkpoint and threshold.
    overrides = {
        "data.train": "mtsamples-specialty:train",
        "data.dev": "mtsamples-specialty:dev",
        "data.test": "mtsamples-specialty:test",
        "training.epochs": epochs,
        "training.max_windows_per_document": 1,
        "training.progress": False,
    }
    result = distill(
        str(teacher),
        load_config(overrides=overrides),
        RUNS / "distill-mtsamples-L3",
        args=DistillationArgs(temperature=2.0, alpha=0.5, soft=True),
        student_layers=[0, 2, 4],
    )
    return _finish(result, "cls-mtsamples", "MiniLM-L6 MTSamples specialty classifier")


EXPERIMENTS = {
    "soft": soft,
    "soft-ffn512": soft_pruned,
    "spacy": spacy_teacher,
    "gazetteer": gazetteer,
    "cls-mtsamples": mtsamples,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "distill.json"
    records = json.loads(out.read_text()) if out.exists() else []
    for name in args.experiments:
        new = EXPERIMENTS[name](args.epochs)
        records = [r for r in records if r.get("experiment") != name] + new
        out.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        for r in new:
            print(f"{name:<10} {r['model']:<60} F1 {r['f1']:.4f} {r['f1_ci']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
