"""MeSH linking (medical coding): link disease and chemical mentions to MeSH ids, score on held-out abstracts.

    python benchmarks/domains_linking.py --threads 1                    # NCBI-disease test and BC5CDR dev
    python benchmarks/domains_linking.py --datasets ncbi-disease        # one dataset

Linkers are built from the train split only (PubTator files: ``ncbi-disease-pubtator:train``,
``bc5cdr-pubtator:train``) and scored on NCBI-disease **test** and BC5CDR **dev** (BC5CDR's test split is held
out of this repository's data). For each dataset, on the gold mentions: accuracy@1 (a composite gold id counts
as correct when the predicted id is one of its parts; see specialize.linking.ids) and document code-set micro
P/R/F1, for

* ``dictionary``: exact match of the normalised mention (and of the long form of an abbreviation defined in the
  abstract), majority id per string; unseen strings are unlinked (wrong);
* ``similarity``: nearest training mention string by cosine on mean-pooled all-MiniLM-L6-v2 embeddings;
* ``combined``: dictionary, then similarity for what it does not know (the linker's default); also with a
  similarity floor (``CODING_MIN_SIMILARITY``, chosen on NCBI-disease dev) that leaves doubtful mentions
  unlinked, which lowers accuracy@1 but raises code-set F1;
* on NCBI-disease, the same with the NCBI specialist's encoder instead of MiniLM, and with concept centroids.

End to end (NCBI-disease, when ``runs/benchmarks/ncbi-disease`` exists: the MiniLM-L6 specialist of
benchmarks/ner_accuracy.py): the specialist finds the mentions in each test abstract, the combined linker links
them (with and without the floor), and the document code sets are scored against the gold ones.

Linker folders are cached under ``runs/linking/`` (the training strings are embedded once; ``--rebuild`` to
redo; ``build_seconds`` is 0 in records of a reused folder). Variants sharing a linker share its query
embeddings, so ``link_seconds`` includes encoding the mentions only for the first variant that needs it.
Records (task ``mesh-linking``) replace only this task's records in benchmarks/results/domains.json.
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
RESULTS = ROOT / "benchmarks" / "results" / "domains.json"
TASK = "mesh-linking"
NER_MODEL = ROOT / "runs" / "benchmarks" / "ncbi-disease"
MINILM = "all-MiniLM-L6-v2"

# dataset -> (train split, evaluation split, match_label). BC5CDR mentions are typed Chemical/Disease and a
# Chemical must get a chemical id; NCBI-disease's mention types (SpecificDisease, Modifier, ...) are not
# entity types and a NER model predicts only "Disease", so NCBI links across them.
DATASETS = {
    "ncbi-disease": ("ncbi-disease-pubtator:train", "ncbi-disease-pubtator:test", False),
    "bc5cdr": ("bc5cdr-pubtator:train", "bc5cdr-pubtator:dev", True),
}
# For code sets an unlinked mention costs recall only, a wrong link costs precision too: a similarity floor trades
# accuracy@1 for code-set F1. Chosen on NCBI-disease dev (combined, MiniLM): floor 0 -> accuracy@1 0.806, code-set
# F1 0.740; 0.7 -> 0.789, 0.768; 0.8 -> 0.771, 0.773; 0.85 -> 0.755, 0.773 (flat from 0.75 on).
CODING_MIN_SIMILARITY = 0.8

logger = logging.getLogger("domains_linking")


def build_or_load(name: str, train: str, encoder_folder: str, match_label: bool, rebuild: bool, runs: Path):
    from specialize.data.io import read_documents
    from specialize.linking import Linker, LinkerConfig
    from specialize.linking.encoder import MentionEncoder

    folder = runs / name
    if folder.is_dir() and not rebuild:
        linker = Linker.load(folder)
        if linker.train_info.get("source") == train and linker.config.match_label == match_label:
            logger.info("reusing %s", folder)
            return linker, folder, 0.0
    start = time.perf_counter()
    linker = Linker.build(
        read_documents(train),
        encoder=MentionEncoder.load(encoder_folder),
        config=LinkerConfig(match_label=match_label),
        train_info={"source": train, "encoder": encoder_folder},
    )
    seconds = time.perf_counter() - start
    linker.save(folder)
    return linker, folder, seconds


def score(gold: list, linked: list, n_bootstrap: int) -> dict[str, Any]:
    from specialize.linking import code_set_scores, mention_accuracy

    accuracy = mention_accuracy(gold, linked, n_bootstrap=n_bootstrap)
    sources: dict[str, int] = {}
    for doc in linked:
        for link in doc.meta["links"]:
            sources[link["source"]] = sources.get(link["source"], 0) + 1
    return {
        **accuracy.to_dict(),
        "code_set_from_gold_mentions": code_set_scores(gold, linked, n_bootstrap=n_bootstrap).to_dict(),
        "links_by_source": sources,
    }


def run_dataset(name: str, args: argparse.Namespace, base: dict[str, Any]) -> list[dict[str, Any]]:
    from dataclasses import replace

    from specialize.data.io import read_documents
    from specialize.linking import Linker
    from specialize.models.token_classifier import default_base_model

    train, evaluation, match_label = DATASETS[name]
    gold = read_documents(evaluation)
    split = evaluation.split(":")[1]
    linker, folder, build_seconds = build_or_load(
        f"{name}-minilm", train, default_base_model(), match_label, args.rebuild, args.runs
    )
    common = {**base, "dataset": name, "split": split, "train_data": train, "eval_data": evaluation}
    info = {"train": linker.train_info}
    records = []
    # (model, linker, method, encoder, linker folder, seconds it took to build it here: 0 when reused)
    variants: list[tuple[str, Linker, str, str, Path | None, float]] = [
        ("dictionary (train split)", linker, "dictionary", "-", folder, build_seconds),
        (f"similarity: {MINILM} nearest train mention", linker, "similarity", MINILM, folder, build_seconds),
        (f"combined: dictionary + {MINILM} similarity", linker, "combined", MINILM, folder, build_seconds),
    ]
    coding = Linker(
        linker.entries, replace(linker.config, min_similarity=CODING_MIN_SIMILARITY), linker.encoder, linker.embeddings
    )
    model = f"combined: dictionary + {MINILM} similarity >= {CODING_MIN_SIMILARITY} (for code sets)"
    variants.append((model, coding, "combined", MINILM, None, build_seconds))
    if name == "ncbi-disease":
        centroid = Linker(linker.entries, replace(linker.config, target="centroid"), linker.encoder, linker.embeddings)
        model = f"combined: dictionary + {MINILM} concept centroids"
        variants.append((model, centroid, "combined", MINILM, None, build_seconds))
        if NER_MODEL.is_dir():
            special, special_folder, special_seconds = build_or_load(
                f"{name}-specialist-encoder", train, str(NER_MODEL), match_label, args.rebuild, args.runs
            )
            encoder = "NCBI specialist encoder (MiniLM-L6 fine-tuned for NER)"
            for method in ("similarity", "combined"):
                model = f"{method}: {'dictionary + ' if method == 'combined' else ''}{encoder}"
                variants.append((model, special, method, encoder, special_folder, special_seconds))
    for model, variant, method, encoder, variant_folder, seconds_to_build in variants:
        start = time.perf_counter()
        linked = variant.link_documents(gold, method=method)
        seconds = time.perf_counter() - start
        record = {
            **common,
            "model": model,
            "method": method,
            "encoder": encoder,
            "min_similarity": variant.config.min_similarity,
            "mentions_from": "gold",
            **score(gold, linked, args.n_bootstrap),
            "link_seconds": round(seconds, 3),
            "linker_folder": os.path.relpath(variant_folder, ROOT) if variant_folder else None,
            "build_seconds": round(seconds_to_build, 3),
            **info,
        }
        records.append(record)
        logger.info("%s %s: accuracy@1 %.4f", name, model, record["accuracy"])
    if name == "ncbi-disease" and NER_MODEL.is_dir():
        info["linker_folder"] = os.path.relpath(folder, ROOT)
        records += end_to_end(gold, [linker, coding], common, info, args.n_bootstrap)
    return records


def end_to_end(gold: list, linkers: list, common: dict[str, Any], info: dict[str, Any], n_bootstrap: int) -> list:
    """The NCBI specialist's mentions on whole test abstracts, linked, against the gold code sets."""
    from specialize.data.document import Document
    from specialize.linking import code_set_scores
    from specialize.models.specialist import Specialist

    specialist = Specialist.load(NER_MODEL)
    start = time.perf_counter()
    spans = specialist.predict([doc.text for doc in gold])
    ner_seconds = time.perf_counter() - start
    predicted = [Document(doc.text, sorted(s), id=doc.id) for doc, s in zip(gold, spans, strict=True)]
    gold_keys = {(d.id, s.start, s.end) for d in gold for s in d.spans}
    found = [(d.id, s.start, s.end) for d in predicted for s in d.spans]
    records = []
    for linker in linkers:
        start = time.perf_counter()
        linked = linker.link_documents(predicted, method="combined")
        link_seconds = time.perf_counter() - start
        floor = linker.config.min_similarity
        records.append(
            {
                **common,
                "model": f"NCBI specialist (MiniLM-L6) mentions + combined linker (dictionary + {MINILM} similarity"
                + (f" >= {floor})" if floor else ")"),
                "method": "combined",
                "encoder": MINILM,
                "min_similarity": floor,
                "mentions_from": f"{NER_MODEL.relative_to(ROOT)} (predicted on whole abstracts)",
                "accuracy": None,
                "predicted_mentions": len(found),
                "predicted_mentions_matching_gold_offsets": sum(k in gold_keys for k in found),
                "gold_mentions": len(gold_keys),
                "code_set_end_to_end": code_set_scores(gold, linked, n_bootstrap=n_bootstrap).to_dict(),
                "ner_seconds": round(ner_seconds, 3),
                "link_seconds": round(link_seconds, 3),
                **info,
            }
        )
    return records


def merge(records: list[dict[str, Any]], path: Path = RESULTS) -> None:
    """Keep other tasks' records (other scripts write them), replace this task's."""
    existing = json.loads(path.read_text()) if path.exists() else []
    kept = [r for r in existing if r.get("task") != TASK]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept + records, indent=2) + "\n", encoding="utf-8")


def table(records: list[dict[str, Any]]) -> str:
    lines = ["| dataset | model | accuracy@1 [95% CI] | code-set F1 [95% CI] |", "|---|---|---|---|"]
    for r in records:
        acc = (
            "-"
            if r["accuracy"] is None
            else f"{r['accuracy']:.3f} [{r['accuracy_ci'][0]:.3f}, {r['accuracy_ci'][1]:.3f}]"
        )
        codes = r.get("code_set_from_gold_mentions") or r["code_set_end_to_end"]
        f1 = f"{codes['f1']:.3f} [{codes['f1_ci'][0]:.3f}, {codes['f1_ci'][1]:.3f}]" if "f1_ci" in codes else "-"
        lines.append(f"| {r['dataset']} {r['split']} | {r['model']} | {acc} | {f1} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "linking", help="where linker folders are cached")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached linker folders")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers.utils import logging as hf_logging

    from specialize.evaluation.evaluate import machine_info

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if args.threads:
        torch.set_num_threads(args.threads)
    base = {
        "task": TASK,
        "command": shlex.join(["python", *sys.argv]),
        "machine": machine_info(),
        "threads": torch.get_num_threads(),
        "n_bootstrap": args.n_bootstrap,
    }
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    # Running one dataset keeps this task's records of the others.
    records = [r for r in existing if r.get("task") == TASK and r.get("dataset") not in args.datasets]
    for name in args.datasets:
        records += run_dataset(name, args, base)
        merge(records)
    print(table(records))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
