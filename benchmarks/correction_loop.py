"""The correction loop on NCBI-disease: does correcting the documents the student is least sure of beat
correcting random ones? Writes benchmarks/results/correction.json.

    python benchmarks/correction_loop.py                          # the recorded run
    python benchmarks/correction_loop.py --pool 60 --rounds 2 --per-round 10 --epochs 1 --test-docs 60 \\
        --bootstrap 100 --output /tmp/correction.json             # a smoke run

- Pool: ``--pool`` sentences of NCBI-disease train (a seeded sample), labelled by a silver teacher: a gazetteer
  of the Disease mentions of NCBI-disease dev and BC5CDR train, documents disjoint from the pool and the test
  set (built from NCBI train itself it would know the answers). On all of NCBI train it scores P 0.74, R 0.42,
  F1 0.54; BC5CDR's mentions alone (chemical-induced diseases) reach R 0.09 on NCBI's mostly genetic diseases.
  NCBI-disease dev is used for nothing else here: students train a fixed number of epochs, without dev.
- Round 0: a MiniLM-L6 student trained on the silver pool.
- Each round, for each strategy (``uncertainty``: lowest min_word_prob document confidence of the previous
  round's student, as ``specialize select`` does; ``random``: seeded): ``--per-round`` more pool documents are
  "corrected" (their NCBI gold annotations stand in for the human), merged over the silver pool as
  ``train --corrections`` does (``merge_corrections``), and the previous round's student is fine-tuned on the
  merged pool for ``--finetune-epochs`` (``--retrain scratch``: a new student from the base encoder for
  ``--epochs``); same seed, epochs and budget for both strategies. F1 on NCBI-disease test after each round,
  with 95% bootstrap intervals, plus the paired difference uncertainty - random.
- Ceiling: a student trained from the base encoder on the gold annotations of the whole pool, for as many epochs
  as the last fine-tuned round has seen in all (``--ceiling-epochs``).
Each record has the command, the machine and the settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "runs" / "correction"
STRATEGIES = ("uncertainty", "random")


def silver_pool(pool_size: int, seed: int) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """(gold pool, silver pool, teacher description): a seeded sample of NCBI-disease train sentences and the
    gazetteer's labels of them."""
    import numpy as np

    from specialize.data.document import Document
    from specialize.data.io import read_documents
    from specialize.data.validation import resolve_overlaps
    from specialize.evaluation.span_metrics import score_spans
    from specialize.teachers.rules import GazetteerTeacher

    train = read_documents("ncbi-disease:train")
    picked = sorted(np.random.default_rng(seed).choice(len(train), size=min(pool_size, len(train)), replace=False))
    gold = [train[int(i)] for i in picked]
    sources = read_documents("ncbi-disease:dev") + read_documents("bc5cdr:train")
    teacher = GazetteerTeacher.from_documents(sources, labels=["Disease"])
    silver = []
    for doc, spans in zip(gold, teacher.predict([d.text for d in gold]), strict=True):
        flat, _ = resolve_overlaps(Document(doc.text, sorted(spans), doc.id, doc.meta), "keep_longest")
        silver.append(flat)
    quality = score_spans([d.spans for d in gold], [d.spans for d in silver]).micro
    info = {
        "teacher": "gazetteer of the Disease mentions of ncbi-disease:dev and bc5cdr:train (GazetteerTeacher."
        "from_documents)",
        "teacher_terms": len(teacher),
        "silver_vs_gold_on_pool": {"f1": round(quality.f1, 4), "precision": round(quality.precision, 4),
                                   "recall": round(quality.recall, 4)},
        "pool_documents_silver_differs": sum(d.spans != s.spans for d, s in zip(gold, silver, strict=True)),
    }  # fmt: skip
    return gold, silver, info


def train_student(
    documents: list[Any], folder: Path, args: argparse.Namespace, *, start: Path | None = None
) -> tuple[Any, float]:
    """A student trained on ``documents``: from the base encoder for ``--epochs``, or, with ``start`` (the previous
    round's student folder), fine-tuned from it for ``--finetune-epochs``."""
    from specialize.config import load_config
    from specialize.training.train import train

    overrides = {
        "training.epochs": args.epochs if start is None else args.finetune_epochs,
        "training.seed": args.seed,
        "training.threads": args.threads,
        "training.progress": False,
        "model.base": None if start is None else str(start),
    }
    result = train(load_config(overrides=overrides), folder, train_documents=documents, n_bootstrap=0)
    return result.specialist, result.history.train_seconds


def score(model: Any, test: list[Any], args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """An evaluate record of ``model`` on the test documents, and its SpanScores (for paired differences)."""
    from specialize.evaluation.evaluate import evaluate

    result = evaluate([model], test, n_bootstrap=args.bootstrap, seed=args.seed)
    (record,) = result.to_records(dataset="ncbi-disease", split="test", command=args.command)
    return record, result.models[0].scores


def _previous_records(output: Path, settings: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """The records of an interrupted run at ``output`` by (strategy, round), when its settings match these."""
    if not output.exists():
        return {}
    earlier = json.loads(output.read_text(encoding="utf-8"))
    compared = [k for k in settings if k not in ("total_seconds", "ceiling_epochs")]
    same = [r for r in earlier if all(r["settings"].get(k) == settings[k] for k in compared)]
    if len(same) != len(earlier):
        raise SystemExit(f"--resume: {output} was written with other settings; pass another --output or drop --resume")
    return {(r["strategy"], r["round"]): r for r in earlier}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=800, help="NCBI-disease train sentences in the pool")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=75, help="documents corrected per round")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the students trained from the base")
    parser.add_argument(
        "--retrain",
        choices=["finetune", "scratch"],
        default="finetune",
        help="each round: fine-tune the previous round's student, or train from the base encoder again",
    )
    parser.add_argument("--finetune-epochs", type=int, default=1, help="epochs of each round's fine-tuning")
    parser.add_argument(
        "--ceiling-epochs",
        type=int,
        help="epochs of the all-gold student (default: the epochs the last fine-tuned round has seen in all, "
        "--epochs + --rounds x --finetune-epochs; --epochs with --retrain scratch), so the ceiling gets the same "
        "training budget as the students it is compared with",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--test-docs", type=int, help="only the first N test sentences (smoke runs)")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--strategies", nargs="+", default=list(STRATEGIES), choices=["uncertainty", "random", "diverse"]
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "correction.json")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where the students are saved")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the students and records of an interrupted run with the same settings (--output, --runs): "
        "a round whose record and student folder exist is loaded and scored again, not trained",
    )
    args = parser.parse_args()
    args.command = shlex.join(["python", *sys.argv])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("transformers", "httpx", "urllib3", "filelock", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # weight-loading reports of every round's fresh student
    hf_logging.disable_progress_bar()

    from specialize.correction.select import select_documents
    from specialize.data.corrections import merge_corrections
    from specialize.data.document import Document
    from specialize.data.io import read_documents
    from specialize.evaluation.evaluate import machine_info
    from specialize.evaluation.span_metrics import paired_micro_f1_difference

    if args.ceiling_epochs is not None:
        ceiling_epochs = args.ceiling_epochs
    elif args.retrain == "finetune":
        ceiling_epochs = args.epochs + args.rounds * args.finetune_epochs
    else:
        ceiling_epochs = args.epochs
    started = time.perf_counter()
    gold, silver, teacher = silver_pool(args.pool, args.seed)
    gold_by_id = {d.id: d for d in gold}
    silver_by_id = {d.id: d for d in silver}
    test = read_documents("ncbi-disease:test")[: args.test_docs]
    settings = {
        "pool": len(gold),
        "pool_source": f"ncbi-disease:train, {len(gold)} sentences sampled with seed {args.seed}",
        "rounds": args.rounds,
        "per_round": args.per_round,
        "epochs": args.epochs,
        "base": "all-MiniLM-L6-v2 (default)",
        "retrain": (
            f"each round, the previous round's student fine-tuned for {args.finetune_epochs} epoch(s) on the merged "
            "pool (silver with the corrected documents in place)"
            if args.retrain == "finetune"
            else f"each round, a student trained from the base encoder for {args.epochs} epochs on the merged pool"
        ),
        "finetune_epochs": args.finetune_epochs if args.retrain == "finetune" else None,
        "ceiling_epochs": ceiling_epochs,
        "confidence": "min_word_prob (uncertainty)",
        "seed": args.seed,
        "threads": args.threads,
        "test": f"ncbi-disease:test ({len(test)} sentences)",
        "bootstrap": args.bootstrap,
        **teacher,
    }
    common = {"benchmark": "correction-loop", "command": args.command, "machine": machine_info(), "settings": settings}
    records: list[dict[str, Any]] = []
    previous_run = _previous_records(args.output, settings) if args.resume else {}

    def save(record: dict[str, Any]) -> None:
        records.append({**record, **common})
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        print(f"{record['strategy']:<12} round {record['round']} corrected {record['corrected_documents']:>5}: "
              f"F1 {record['f1']:.4f} {record['f1_ci']}", flush=True)  # fmt: skip

    def point(strategy: str, round_: int, corrected: int, record: dict[str, Any], **extra: Any) -> dict[str, Any]:
        keep = ("f1", "f1_ci", "precision", "recall", "dataset", "split", "n_docs", "n_bootstrap", "errors")
        return {"kind": "correction", "strategy": strategy, "round": round_, "corrected_documents": corrected,
                "corrected_share": round(corrected / len(gold), 4), "model": f"{strategy} round {round_}",
                **{k: record[k] for k in keep if k in record}, **extra}  # fmt: skip

    def trained(strategy: str, round_: int, documents: list[Any], folder: Path, **kwargs: Any) -> tuple[Any, float]:
        """The student of this round: the interrupted run's (``--resume``), else trained now."""
        earlier = previous_run.get((strategy, round_))
        if earlier is not None and (folder / "config.json").exists():
            from specialize.models.resolve import load_folder

            logging.getLogger(__name__).info("resuming: %s round %d from %s", strategy, round_, folder)
            return load_folder(folder, threads=args.threads), float(earlier["train_seconds"])
        return train_student(documents, folder, args, **kwargs)

    student0, seconds = trained("silver", 0, silver, args.runs / "silver")
    record0, scores0 = score(student0, test, args)
    save(point("silver", 0, 0, record0, train_seconds=round(seconds, 1)))
    by_strategy: dict[str, dict[int, Any]] = {s: {0: scores0} for s in args.strategies}
    for strategy in args.strategies:
        model, corrected, previous = student0, [], args.runs / "silver"
        for round_ in range(1, args.rounds + 1):
            tick = time.perf_counter()
            selection = select_documents(
                model, silver, args.per_round, strategy, exclude=corrected, seed=args.seed + round_
            )
            select_seconds = time.perf_counter() - tick
            # The simulated human: NCBI's gold annotation of each selected sentence, with provenance.
            fixed = [
                Document(gold_by_id[d.id].text, list(gold_by_id[d.id].spans), d.id,
                         {"correction": {"tool": "simulated: NCBI-disease gold", "doc_id": d.id}})
                for d in selection.documents
            ]  # fmt: skip
            needed = sum(silver_by_id[f.id].spans != f.spans for f in fixed)
            corrected += fixed
            merged, merge = merge_corrections(silver, corrected)
            folder = args.runs / f"{strategy}-r{round_}"
            start = previous if args.retrain == "finetune" else None
            model, seconds = trained(strategy, round_, merged, folder, start=start)
            previous = folder
            record, scores = score(model, test, args)
            by_strategy[strategy][round_] = scores
            extra: dict[str, Any] = {
                "train_seconds": round(seconds, 1),
                "select_seconds": round(select_seconds, 1),
                "selected_mean_confidence": round(sum(selection.confidences) / len(selection.confidences), 4),
                "selected_silver_wrong": needed,
                "selected_gold_spans": sum(len(f.spans) for f in fixed),
                "merge": merge.to_dict(),
            }
            save(point(strategy, round_, len(corrected), record, **extra))
    if "uncertainty" in by_strategy and "random" in by_strategy:
        for round_ in range(1, args.rounds + 1):
            diff, ci = paired_micro_f1_difference(
                by_strategy["uncertainty"][round_], by_strategy["random"][round_], n_samples=args.bootstrap,
                seed=args.seed,
            )  # fmt: skip
            for r in records:
                if r["strategy"] == "uncertainty" and r["round"] == round_:
                    r["f1_minus_random"] = {"difference": round(diff, 6), "ci": [round(ci[0], 6), round(ci[1], 6)]}
    ceiling_args = argparse.Namespace(**{**vars(args), "epochs": ceiling_epochs})
    ceiling, seconds = train_student(gold, args.runs / f"all-gold-{ceiling_epochs}ep", ceiling_args)
    record, _ = score(ceiling, test, args)
    save(point("all gold", 0, len(gold), record, train_seconds=round(seconds, 1), epochs=ceiling_epochs))
    for r in records:
        r["settings"]["total_seconds"] = round(time.perf_counter() - started, 1)
    args.output.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
