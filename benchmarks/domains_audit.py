"""Bias audit of the CoNLL-2003 specialist (and spaCy en_core_web_md as a reference) on CoNLL-2003 test.

    python benchmarks/domains_audit.py --threads 1
    python benchmarks/domains_audit.py --models runs/benchmarks/conll2003-int8   # another model; others kept

Each person name of conll2003:test is swapped for names of 12 groups (6 origins x 2 genders, lists in
specialize.audit.names) and every model predicts each variant (``specialize audit``, one call per model).
Records (task ``bias-audit``, one per model) replace only this task's records of the same models in
benchmarks/results/domains.json; the card section each would get (``specialize audit --update-card``) is
written to benchmarks/results/bias_audit.md. The model folders themselves are not touched: other benchmarks
read them.
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
MARKDOWN = ROOT / "benchmarks" / "results" / "bias_audit.md"
TASK = "bias-audit"
DATA = "conll2003:test"
# The torch specialist itself (the model the README's CoNLL-2003 figures are for), then the general model.
DEFAULT_MODELS = ["runs/benchmarks/conll2003", "spacy:en_core_web_md"]
LABEL_MAPS = {"spacy:en_core_web_md": "conll", "spacy:en_core_web_sm": "conll"}


def merge(records: list[dict[str, Any]], path: Path = RESULTS) -> list[dict[str, Any]]:
    """Keep other tasks' records (other scripts write them) and this task's records of other models."""
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    replaced = {(r["task"], r["model"]) for r in records}
    kept = [r for r in existing if (r.get("task"), r.get("model")) not in replaced]
    merged = kept + records
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help="model folders or spacy:NAME")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals")
    parser.add_argument("--seed", type=int, default=0, help="seed of the name draws and the bootstrap")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from specialize.audit import audit, audit_markdown, format_audit
    from specialize.data.registry import load

    docs = load(DATA)
    command = shlex.join(["python", *sys.argv])
    sections = []
    for model in args.models:
        spec = model if model.startswith("spacy:") else str(ROOT / model)
        label_map = LABEL_MAPS.get(model)
        result = audit(spec, docs, label_map=label_map, seed=args.seed, n_bootstrap=args.bootstrap)
        result.model, result.data = model, DATA
        print(format_audit(result), end="\n\n")
        record = result.to_record(command=command)
        record.update(label_map=label_map, threads=args.threads)
        merge([record])
        title = f"# {model}" + (f" (label map {label_map})" if label_map else "")
        sections.append(f"{title}\n\n{audit_markdown(result, command)}")
    MARKDOWN.write_text(
        "Bias audit on CoNLL-2003 test, produced by `benchmarks/domains_audit.py` (records with the machine in "
        "domains.json); each section is what `specialize audit --update-card` writes into a model card.\n\n"
        + "\n".join(sections),
        encoding="utf-8",
    )
    print(f"wrote {RESULTS} and {MARKDOWN}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
