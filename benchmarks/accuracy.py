"""Accuracy of teachers, students and baselines on each test set: one record per model and test set.

    python benchmarks/accuracy.py score --dataset conll2003 --split test --role teacher --model runs/teachers/conll2003
    python benchmarks/accuracy.py score --dataset ncbi-disease --role student --model runs/students/ncbi
    python benchmarks/accuracy.py spacy --dataset ncbi-disease --model runs/spacy/ncbi-disease-bc5cdr

Writes benchmarks/results/accuracy.json: records with ``dataset``, ``split``, ``model``, ``role`` (``teacher``,
``student``, ``baseline``), ``parameters``, ``f1``, ``f1_ci`` (95% bootstrap over documents), ``train_seconds``,
``device``, ``command`` (how the model was trained, and how it was scored) and ``machine``; a record with the same
dataset, split and model replaces the older one. Scoring runs at 1 thread unless ``--threads`` says otherwise, so
``words_per_s`` compares models measured the same way (compare speeds only within one machine and one run).

``spacy`` scores a pipeline trained by ``benchmarks/spacy_trainer.py`` (spaCy's own CPU ``efficiency`` NER config on
the same train/dev data as our models): F1 with CIs, training time from its ``specialize_baseline.json``, words/s.

``speed`` times models already recorded for a test set side by side, one after the other in this one run (each in
a fresh process at 1 thread, median of 3 passes: ``specialize benchmark``), and writes the figures into their
records (``speed``; ``words_per_s`` then comes from it): only speeds measured together compare.

    python benchmarks/accuracy.py speed --dataset ncbi-disease \
        --model "spacy train (ncbi-disease-bc5cdr)=spacy:runs/spacy/ncbi-disease-bc5cdr/training/model-best" \
        --model "minilm-student (ncbi-disease, mpnet teacher)=runs/students/ncbi-disease"
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
RESULTS = ROOT / "benchmarks" / "results" / "accuracy.json"
DEFAULT_SPLIT = "test"


def _upsert(records: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    key = (new["dataset"], new["split"], new["model"])
    return [r for r in records if (r["dataset"], r["split"], r["model"]) != key] + [new]


def _training_info(folder: Path) -> dict[str, Any]:
    """What the folder says about its training: seconds, command, device, the teacher of a student."""
    info: dict[str, Any] = {}
    training = folder / "training.json"
    if training.is_file():
        data = json.loads(training.read_text())
        info["train_seconds"] = data.get("train_seconds")
        info["train_command"] = data.get("command")
        info["device"] = data.get("device", "cpu")
        info["best_dev_f1"] = data.get("best_dev_f1")
    config = json.loads((folder / "config.json").read_text()) if (folder / "config.json").is_file() else {}
    distillation = config.get("specialize", {}).get("training", {}).get("distillation")
    if distillation:
        info["teacher"] = distillation.get("teacher")
    info["base_model"] = config.get("specialize", {}).get("base_model")
    # A model trained on whole documents (data.context = document) is scored on them too, as `evaluate --context`.
    info["context"] = (config.get("specialize", {}).get("training", {}).get("data") or {}).get("context", "sentence")
    return info


def _evaluate(
    model: Any, dataset: str, split: str, label_map: str | None, context: str = "sentence"
) -> tuple[dict[str, Any], Any]:
    from specialize.config import DataConfig
    from specialize.evaluation.evaluate import evaluate, format_table

    result = evaluate([model], f"{dataset}:{split}", label_map=label_map, data_config=DataConfig(context=context))
    print(format_table(result))
    return result.to_records(dataset=dataset, split=split)[0], result


def _scores(record: dict[str, Any]) -> dict[str, Any]:
    """What every record keeps of its evaluation: the scores, and the documents they were measured on."""
    keep = ("f1", "f1_ci", "precision", "recall", "per_type", "n_docs", "data_selection")
    return {key: record.get(key) for key in keep}


def score(args: argparse.Namespace) -> dict[str, Any]:
    from specialize.models.resolve import load_model

    folder = Path(args.model)
    model = load_model(str(folder), threads=args.threads)
    info = _training_info(folder)
    record, _ = _evaluate(model, args.dataset, args.split, None, info["context"])
    n_parameters = getattr(model, "n_parameters", None)
    return {
        "dataset": args.dataset,
        "split": args.split,
        "model": args.name or folder.name,
        "role": args.role,
        "parameters": n_parameters,
        **_scores(record),
        "train_seconds": info.get("train_seconds"),
        "device": info.get("device", "cpu"),
        "best_dev_f1": info.get("best_dev_f1"),
        "teacher": info.get("teacher"),
        "base_model": info.get("base_model"),
        "folder": str(folder),
        "context": info["context"],
        "words_per_s": record.get("tokens_per_s"),
        "threads": args.threads,
        "command": {"train": info.get("train_command"), "score": shlex.join(["python", *sys.argv])},
        "machine": record["machine"],
    }


def spacy(args: argparse.Namespace) -> dict[str, Any]:
    from specialize.models.spacy_pipeline import SpacyPipeline

    folder = Path(args.model)
    info = json.loads((folder / "specialize_baseline.json").read_text())
    name = args.name or f"spacy train ({folder.name})"
    pipeline = SpacyPipeline.load(str(folder / "training" / "model-best"), name=name)
    record, _ = _evaluate(pipeline, args.dataset, args.split, None)
    n_parameters = sum(
        int(p.size) for _, proc in pipeline.nlp.pipeline if hasattr(proc, "model") for p in _spacy_params(proc.model)
    )
    return {
        "dataset": args.dataset,
        "split": args.split,
        "model": pipeline.name,
        "role": "baseline",
        "parameters": n_parameters,
        **_scores(record),
        "train_seconds": info["train_seconds"],
        "device": "cpu",
        "folder": str(folder),
        "words_per_s": record.get("tokens_per_s"),
        "threads": 1,
        "spacy_config": info["spacy_config"],
        "alignment": info["alignment"],
        "command": {"train": f"python benchmarks/spacy_trainer.py --config {info['config']} --output {folder}",
                    "score": shlex.join(["python", *sys.argv])},
        "machine": record["machine"],
    }  # fmt: skip


def speed(args: argparse.Namespace, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` with the side-by-side speed of the ``--model NAME=SPEC`` ones written in."""
    from specialize.evaluation.speed import benchmark, format_speed_table

    pairs = [m.split("=", 1) for m in args.model]
    if any(len(p) != 2 for p in pairs):
        raise SystemExit("--model takes NAME=SPEC: the record's model name, then its folder or spacy:PATH")
    by_name = {r["model"]: r for r in records if (r["dataset"], r["split"]) == (args.dataset, args.split)}
    missing = [name for name, _ in pairs if name not in by_name]
    if missing:
        raise SystemExit(f"no {args.dataset}:{args.split} record for {missing}: score them first (score / spacy)")
    command = shlex.join(["python", *sys.argv])
    timed = benchmark([spec for _, spec in pairs], f"{args.dataset}:{args.split}", threads=(1,),
                      repeats=args.repeats, command=command)  # fmt: skip
    print(format_speed_table(timed))
    others = list(zip([name for name, _ in pairs], timed, strict=True))
    for (name, spec), run in zip(pairs, timed, strict=True):
        tokens_per_s = run["tokens_per_s"]["1"]
        by_name[name]["words_per_s"] = tokens_per_s
        by_name[name]["threads"] = 1
        by_name[name]["speed"] = {
            "tokens_per_s": tokens_per_s,
            "p50_ms": run["p50_ms"]["1"],
            "peak_rss_mb": run["peak_rss_mb"]["1"],
            "size_mb": run["size_mb"],
            "spec": spec,
            "times_vs": {o: round(tokens_per_s / t["tokens_per_s"]["1"], 3) for o, t in others if o != name},
            "repeats": args.repeats,
            "command": command,
            "machine": run["machine"],
        }
    return records


def _spacy_params(model: Any) -> list[Any]:
    """The parameter arrays of a thinc model (weights counted once)."""
    seen: dict[int, Any] = {}
    for node in model.walk():
        for name in node.param_names:
            if node.has_param(name):
                array = node.get_param(name)
                seen[id(array)] = array
    return list(seen.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (("score", score), ("spacy", spacy), ("speed", speed)):
        p = sub.add_parser(name)
        p.set_defaults(fn=fn)
        p.add_argument("--dataset", required=True, help="dataset name, e.g. conll2003, ncbi-disease, bc5cdr")
        p.add_argument("--split", default=DEFAULT_SPLIT)
        if name == "speed":
            p.add_argument("--model", required=True, action="append", help="NAME=SPEC of a recorded model; repeat")
            p.add_argument("--repeats", type=int, default=3, help="timed passes per model (the median is kept)")
            continue
        p.add_argument("--model", required=True, help="model folder (spacy: the spacy_trainer.py output folder)")
        p.add_argument("--name", help="name of the model in the record (default: the folder name)")
        if name == "score":
            p.add_argument("--role", required=True, choices=["teacher", "student", "baseline"])
            p.add_argument("--threads", type=int, default=1, help="CPU threads while scoring (default 1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if getattr(args, "threads", None) is None or args.command == "spacy":
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    records = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    if args.command == "speed":
        records = speed(args, records)
    else:
        record = args.fn(args)
        records = _upsert(records, record)
        print(f"{record['model']}: {record['dataset']}:{record['split']} F1 {record['f1']:.4f} {record['f1_ci']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
