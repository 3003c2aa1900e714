"""Public text-classification datasets by name: ``mtsamples-specialty:<split>`` and ``cuad-clauses:<split>``.

Neither has an official split; both are split here deterministically (:func:`split_of`, 80/10/10 by sha256),
by the unit that must not straddle splits:

* **MTSamples** (``mtsamples/mtsamples.csv``, CC0): clinical transcriptions labelled with a medical
  specialty. The release lists a note under every category it belongs to, so 4,759 of 4,966 non-empty rows
  repeat another row's exact text. Rows are grouped by exact transcription text; a text's labels are the set of
  its specialties (multi-label; most texts have two, e.g. ``Surgery`` and ``Urology``), and the split is by a
  hash of the text, so one text never sits on both sides.
* **CUAD v1** (``cuad/master_clauses.csv`` + ``cuad/full_contract_txt.tar.gz``, CC BY 4.0): the clause texts
  of the 41 category context columns, each labelled with its categories (a passage quoted under several
  categories of one contract gets them all), plus *negative* passages: paragraphs of the full contract text
  (split at blank lines) that overlap no clause of that contract, up to ``negatives_per_positive`` times the
  contract's positives, picked by hash. Split by contract file name.

The files are read from the mirror (``$SPECIALIZE_DATA_DIR`` or ``../shared/data``, as in the span registry);
they have no pinned download.
"""

from __future__ import annotations

import ast
import csv
import difflib
import functools
import hashlib
import io
import logging
import re
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

from specialize.data.classification import LabelledText, passage_spans, split_of
from specialize.data.errors import DatasetError
from specialize.data.formats._base import read_text
from specialize.data.registry import DATA_DIR_ENV, SPLIT_ALIASES, mirror_roots

logger = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
MTSAMPLES_CSV = "mtsamples/mtsamples.csv"
CUAD_CSV = "cuad/master_clauses.csv"
CUAD_TEXTS = "cuad/full_contract_txt.tar.gz"
MIN_NEGATIVE_WORDS = 5  # shorter paragraphs are mostly headings and page numbers


def _mirror_path(relative: str) -> Path:
    for root in mirror_roots():
        if (root / relative).is_file():
            return root / relative
    raise DatasetError(
        f"{relative} is not in any mirror ({', '.join(map(str, mirror_roots())) or 'none found'}); "
        f"set {DATA_DIR_ENV} to a folder containing it"
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    return list(csv.DictReader(io.StringIO(read_text(path), newline="")))


# -- MTSamples --------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _mtsamples(path: Path) -> tuple[LabelledText, ...]:
    groups: dict[str, LabelledText] = {}
    for row in _read_csv(path):
        text = row.get("transcription") or ""
        if not text.strip() or text == "NA":
            continue
        specialty = (row.get("medical_specialty") or "").strip()
        entry = groups.get(text)
        if entry is None:
            entry = groups[text] = LabelledText(text, [], f"mtsamples:{row['note_id']}", {"note_ids": []})
        entry.meta["note_ids"].append(row["note_id"])
        if specialty and specialty not in entry.labels:
            entry.labels.append(specialty)
    for entry in groups.values():
        entry.labels.sort()
    return tuple(groups.values())


def load_mtsamples(split: str, *, dev: float = 0.1, test: float = 0.1) -> list[LabelledText]:
    """Deduplicated MTSamples transcriptions of ``split``, each with the set of its specialties."""
    texts = _mtsamples(_mirror_path(MTSAMPLES_CSV))
    return [_copy(t) for t in texts if split_of(t.text, dev, test) == split]


# -- CUAD -------------------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


def _contract_key(name: str) -> str:
    stem = re.sub(r"\.(pdf|txt)$", "", name.strip(), flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]", "", stem.lower())


@functools.lru_cache(maxsize=2)
def _contract_texts(path: Path) -> dict[str, str]:
    """Contract key -> full text, from the tar archive."""
    out = {}
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.endswith(".txt"):
                handle = archive.extractfile(member)
                if handle is not None:
                    out[_contract_key(Path(member.name).name)] = handle.read().decode("utf-8", errors="replace")
    return out


def _paragraphs(text: str) -> list[str]:
    return [_norm(text[start:end]) for start, end in passage_spans(text)]


def _negatives(contract: str, clauses: list[str], full_text: str, limit: int) -> tuple[list[str], int]:
    """Up to ``limit`` paragraphs overlapping no clause (chosen by hash), and how many clauses were not found."""
    paragraphs = _paragraphs(full_text)
    joined, starts, position = [], [], 0
    for p in paragraphs:
        starts.append(position)
        joined.append(p)
        position += len(p) + 1
    flat = " ".join(joined)  # == _norm(full_text): paragraph breaks are whitespace too
    taken = [False] * (len(flat) + 1)
    missing = 0
    for clause in clauses:
        found, at = False, flat.find(clause)
        while at >= 0:
            found = True
            taken[at : at + len(clause)] = [True] * len(clause)
            at = flat.find(clause, at + 1)
        missing += not found
    free = [
        p
        for p, s in zip(paragraphs, starts, strict=True)
        if len(p.split()) >= MIN_NEGATIVE_WORDS and not any(taken[s : s + len(p)])
    ]
    free.sort(key=lambda p: hashlib.sha256(f"{contract}\0{p}".encode()).hexdigest())
    return free[:limit], missing


@functools.lru_cache(maxsize=4)
def _cuad(csv_path: Path, texts_path: Path | None, negatives_per_positive: float) -> tuple[LabelledText, ...]:
    rows = _read_csv(csv_path)
    categories = [c for c in list(rows[0])[1:] if not c.replace(" ", "").endswith("-Answer")]
    contracts = _contract_texts(texts_path) if texts_path is not None else {}
    keys = list(contracts)
    out: list[LabelledText] = []
    unmatched = not_found = 0
    for row_number, row in enumerate(rows, 2):
        contract = row["Filename"].strip()
        passages: dict[str, list[str]] = {}
        for category in categories:
            cell = (row.get(category) or "").strip()
            try:
                items = ast.literal_eval(cell) if cell else []
            except (ValueError, SyntaxError) as exc:
                raise DatasetError(f"{csv_path}:{row_number}: column {category!r} is not a list literal") from exc
            for item in items:
                text = _norm(str(item))
                if text:
                    labels = passages.setdefault(text, [])
                    if category not in labels:
                        labels.append(category)
        for i, (text, labels) in enumerate(passages.items()):
            out.append(LabelledText(text, sorted(labels), f"{contract}#{i}", {"contract": contract}))
        if negatives_per_positive <= 0 or not contracts:
            continue
        key = _contract_key(contract)
        if key not in contracts:
            close = difflib.get_close_matches(key, keys, n=1, cutoff=0.9)
            if not close:
                unmatched += 1
                continue
            key = close[0]
        limit = round(negatives_per_positive * len(passages))
        negatives, missing = _negatives(contract, list(passages), contracts[key], limit)
        not_found += missing
        for j, text in enumerate(negatives):
            out.append(LabelledText(text, [], f"{contract}#n{j}", {"contract": contract}))
    if contracts:
        logger.info(
            "CUAD: %d passages; %d contracts without a full text (no negatives), %d clause texts not found "
            "verbatim in their contract (paragraphs around them may still hold them)",
            len(out),
            unmatched,
            not_found,
        )
    return tuple(out)


def load_cuad(
    split: str, *, negatives_per_positive: float = 1.0, dev: float = 0.1, test: float = 0.1
) -> list[LabelledText]:
    """CUAD clause passages of ``split`` labelled with their categories, plus unlabelled negative paragraphs."""
    texts_path = _mirror_path(CUAD_TEXTS) if negatives_per_positive > 0 else None
    texts = _cuad(_mirror_path(CUAD_CSV), texts_path, float(negatives_per_positive))
    return [_copy(t) for t in texts if split_of(t.meta["contract"], dev, test) == split]


def _copy(t: LabelledText) -> LabelledText:
    return LabelledText(t.text, list(t.labels), t.id, dict(t.meta))


CLASSIFICATION_DATASETS: dict[str, Callable[[str], list[LabelledText]]] = {
    "mtsamples-specialty": load_mtsamples,
    "cuad-clauses": load_cuad,
}


def load_labelled_dataset(name: str) -> list[LabelledText]:
    """``"mtsamples-specialty:test"`` -> that split's labelled texts (defaults of the loader)."""
    dataset, _, split = name.strip().partition(":")
    key = dataset.lower().replace("_", "-")
    if key not in CLASSIFICATION_DATASETS:
        raise DatasetError(f"unknown classification dataset {dataset!r}; known: {', '.join(CLASSIFICATION_DATASETS)}")
    split = SPLIT_ALIASES.get(split.lower(), split.lower())
    if split not in SPLITS:
        raise DatasetError(f"{key} needs a split: use {', '.join(f'{key}:{s}' for s in SPLITS)}")
    return CLASSIFICATION_DATASETS[key](split)
