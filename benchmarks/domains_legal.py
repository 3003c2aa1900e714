"""Legal NER on InLegalNER: a MiniLM-L6 specialist against spaCy en_core_web_md on the same test part.

    python benchmarks/domains_legal.py --threads 1                 # train, evaluate, write records
    python benchmarks/domains_legal.py --reuse runs/benchmarks/inlegalner   # evaluate a folder trained earlier

Only InLegalNER's dev set is public in this form (1,074 records: judgment sentences and preambles); it is split
70/10/20 by hashed record id into ``inlegalner:train/dev/test`` (specialize.data.registry). The specialist is
trained with configs/inlegalner.toml. spaCy's OntoNotes types are mapped onto the legal ones where one means
the other (LEGAL_LABEL_MAP); the rest of the 14 types have no OntoNotes counterpart and score 0 for it.
Records (task ``legal-ner``) replace only this task's records in benchmarks/results/domains.json.
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
RESULTS = ROOT / "benchmarks" / "results" / "domains.json"
TASK = "legal-ner"
CONFIG = "configs/inlegalner.toml"
GENERAL_MODEL = "spacy:en_core_web_md"

# OntoNotes -> InLegalNER. PERSON can only be OTHER_PERSON: judges, lawyers, witnesses, petitioners and
# respondents are people (or organisations) named by their role in the case, which a general model cannot tell;
# LAW covers statutes (its "Section 302" mentions, InLegalNER's PROVISION, are missed either way). COURT,
# PROVISION, PRECEDENT, CASE_NUMBER, JUDGE, LAWYER, PETITIONER, RESPONDENT and WITNESS have no counterpart.
LEGAL_LABEL_MAP = {"PERSON": "OTHER_PERSON", "ORG": "ORG", "GPE": "GPE", "DATE": "DATE", "LAW": "STATUTE"}
UNMAPPABLE = [
    "CASE_NUMBER",
    "COURT",
    "JUDGE",
    "LAWYER",
    "PETITIONER",
    "PRECEDENT",
    "PROVISION",
    "RESPONDENT",
    "WITNESS",
]


def run(runs_dir: Path, threads: int | None, reuse: Path | None, n_bootstrap: int) -> list[dict[str, Any]]:
    from specialize.config import load_config
    from specialize.evaluation.evaluate import evaluate, format_table
    from specialize.models.spacy_pipeline import SpacyPipeline
    from specialize.models.specialist import Specialist
    from specialize.training.train import train

    config = load_config(ROOT / CONFIG, {"training.progress": False, "training.threads": threads})
    folder = reuse or runs_dir / "inlegalner"
    specialist = Specialist.load(reuse) if reuse else train(config, folder, n_bootstrap=0).specialist
    training = json.loads((folder / "training.json").read_text())
    general = SpacyPipeline.load(GENERAL_MODEL, label_map=LEGAL_LABEL_MAP)
    from specialize.data.registry import load

    test = load(config.data.test or "inlegalner:test")
    evaluation = evaluate([specialist, general], test, n_bootstrap=n_bootstrap)
    print(format_table(evaluation))
    command = shlex.join(["python", *sys.argv])
    records = evaluation.to_records(dataset="inlegalner", split="test", command=command)
    for record in records:
        record["benchmark_task"] = TASK  # the record's own "task" (span) is what the report reads it by
        record["test_data"] = config.data.test
        record["split_note"] = "inlegalner:test = 20% of upstream dev by hashed record id (no official train here)"
    for record, model in zip(records, evaluation.models, strict=True):
        record["mappable_types_only"] = _restricted(test, model.predictions, n_bootstrap)
    records[0]["model"] = f"specialist (MiniLM-L6, {CONFIG})"
    records[0]["model_folder"] = str(folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder)
    records[0]["train_seconds"] = training["train_seconds"]
    records[0]["best_dev_f1"] = training["best_dev_f1"]
    records[0]["train_command"] = training.get("command") or command
    records[0]["threads"] = threads
    records[1]["model"] = f"{GENERAL_MODEL} (label map: {', '.join(f'{k}->{v}' for k, v in LEGAL_LABEL_MAP.items())})"
    records[1]["label_map"] = LEGAL_LABEL_MAP
    records[1]["unmappable_types"] = UNMAPPABLE
    records[1]["train_seconds"] = None
    return records


def _restricted(test: list[Any], predictions: list[list[Any]], n_bootstrap: int) -> dict[str, Any]:
    """Micro scores on the five types spaCy's labels can map to, gold and predictions alike: the fairest view
    of the general model (the other nine types are roles and legal citations it has no label for)."""
    from specialize.evaluation.span_metrics import bootstrap_ci, score_spans

    types = sorted(set(LEGAL_LABEL_MAP.values()))
    gold = [[s for s in d.spans if s.label in types] for d in test]
    pred = [[s for s in p if s.label in types] for p in predictions]
    scores = score_spans(gold, pred, types=types)
    ci = bootstrap_ci(scores, n_samples=n_bootstrap) if n_bootstrap else None
    return {
        "types": types,
        "f1": round(scores.micro.f1, 6),
        "f1_ci": [round(x, 6) for x in ci.micro_f1] if ci else None,
        "precision": round(scores.micro.precision, 6),
        "recall": round(scores.micro.recall, 6),
        "support": scores.micro.support,
    }


def merge(records: list[dict[str, Any]], path: Path = RESULTS) -> None:
    """Keep other tasks' records (other scripts write them), replace this task's (records written before
    ``benchmark_task`` name it under ``task``)."""
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    kept = [r for r in existing if r.get("benchmark_task", r.get("task")) != TASK]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept + records, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "benchmarks", help="where the model is saved")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--reuse", type=Path, help="evaluate this folder, trained earlier with the same config")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    records = run(args.runs, args.threads, args.reuse, args.bootstrap)
    merge(records)
    for r in records:
        m = r["mappable_types_only"]
        print(f"{r['model']}: F1 {r['f1']:.3f} {r['f1_ci']} (P {r['precision']:.3f} R {r['recall']:.3f}); on the")
        print(f"  {len(m['types'])} types spaCy maps to: F1 {m['f1']:.3f} {m['f1_ci']} (P {m['precision']:.3f})")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
