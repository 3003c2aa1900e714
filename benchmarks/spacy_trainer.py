"""The peer a user would try first: spaCy's own trainer, CPU ``efficiency`` NER config, on our train/dev data.

    python benchmarks/spacy_trainer.py --config configs/ncbi_disease_bc5cdr.toml --output runs/spacy/ncbi
    python benchmarks/spacy_trainer.py --config configs/conll2003.toml --output runs/spacy/conll2003

What it does, as a spaCy user would:
1. reads the train and dev data named by one of our TOML configs (same sources, label map and label filter as
   the specialist trained from that config), and writes them as spaCy DocBin files, each span aligned to spaCy's
   tokens (``alignment_mode="expand"``; how many spans moved is printed and recorded);
2. ``python -m spacy init config --pipeline ner --optimize efficiency`` (spaCy's own CPU starter config, unchanged);
3. ``python -m spacy train`` with it (spaCy's defaults: early stopping on dev, at most 20,000 steps), timed;
4. the best model (``model-best``) is then scored by ``benchmarks/accuracy.py`` like every other model.

The trained pipeline is a plain spaCy folder: ``specialize evaluate spacy:runs/spacy/ncbi/model-best --data ...``.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("spacy_trainer")


def to_docbin(documents: list[Any], path: Path) -> dict[str, int]:
    """Our documents as a DocBin of spaCy-tokenized docs with ``doc.ents``; returns alignment counts."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    db = DocBin(store_user_data=False)
    counts = {"documents": 0, "spans": 0, "spans_expanded": 0, "spans_dropped_overlap": 0}
    for document in documents:
        doc = nlp.make_doc(document.text)
        ents = []
        taken: set[int] = set()
        for span in sorted(document.spans, key=lambda s: (s.start, s.end)):
            counts["spans"] += 1
            aligned = doc.char_span(span.start, span.end, label=span.label, alignment_mode="expand")
            if aligned is None:
                counts["spans_dropped_overlap"] += 1
                continue
            if (aligned.start_char, aligned.end_char) != (span.start, span.end):
                counts["spans_expanded"] += 1
            tokens = set(range(aligned.start, aligned.end))
            if tokens & taken:  # two spans inside one spaCy token: spaCy can keep one
                counts["spans_dropped_overlap"] += 1
                continue
            taken |= tokens
            ents.append(aligned)
        doc.ents = ents
        db.add(doc)
        counts["documents"] += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return counts


def train_spacy(config_file: Path, output: Path, threads: int = 1) -> dict[str, Any]:
    """Convert the config's train/dev data, init spaCy's efficiency NER config, train; returns what was done."""
    from specialize.config import load_config
    from specialize.tasks.spans import SpanTask

    config = load_config(config_file)
    data = config.data
    output.mkdir(parents=True, exist_ok=True)
    task = SpanTask()
    train = task.load("train", data.train, data)  # type: ignore[arg-type]
    dev = task.load("dev", data.dev, data)  # type: ignore[arg-type]
    alignment = {
        "train": to_docbin(train.documents, output / "train.spacy"),
        "dev": to_docbin(dev.documents, output / "dev.spacy"),
    }
    logger.info("DocBin alignment: %s", alignment)
    spacy_config = output / "config.cfg"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "init",
            "config",
            str(spacy_config),
            "--lang",
            "en",
            "--pipeline",
            "ner",
            "--optimize",
            "efficiency",
            "--force",
        ],
        check=True,
    )
    command = [
        sys.executable,
        "-m",
        "spacy",
        "train",
        str(spacy_config),
        "--output",
        str(output / "training"),
        "--paths.train",
        str(output / "train.spacy"),
        "--paths.dev",
        str(output / "dev.spacy"),
    ]
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    import os

    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **env})
    seconds = time.perf_counter() - start
    meta = json.loads((output / "training" / "model-best" / "meta.json").read_text())
    info = {
        "config": str(config_file),
        "train_sources": train.source,
        "dev_source": dev.source,
        "alignment": alignment,
        "spacy_config": "spacy init config --pipeline ner --optimize efficiency (unchanged)",
        "train_command": " ".join(command[1:]),
        "train_seconds": round(seconds, 1),
        "threads": threads,
        "spacy_version": meta.get("spacy_version"),
        "dev_scores": meta.get("performance"),
        "model": str(output / "training" / "model-best"),
    }
    (output / "specialize_baseline.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, required=True, help="one of our TOML configs (its [data] table)")
    parser.add_argument("--output", type=Path, required=True, help="folder for DocBins, spaCy config and model")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for spaCy training (default 1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    info = train_spacy(args.config, args.output, args.threads)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
