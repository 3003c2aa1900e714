"""A small registry of public NER datasets, addressed as ``<dataset>:<split>`` (e.g. ``ncbi-disease:test``).

Where a split is looked for, in order:

1. ``$SPECIALIZE_DATA_DIR/<path>``: a local mirror laid out like the project's ``shared/data`` folder
   (``conll2003/train.txt``, ``ncbi_disease/conll/train.tsv``, ...);
2. ``<cwd>/../shared/data/<path>``: a convenience for running from a checkout next to ``shared/``;
3. the download cache ``$SPECIALIZE_CACHE/datasets/<path>`` (default ``~/.cache/specialize/datasets``),
   filled on first use from a raw GitHub URL pinned to a commit and checked against its sha256.

Folder splits (brat corpora such as MEDDOCAN) and files derived locally (InLegalNER's JSONL) have no
download: they need a mirror. The sha256 values were computed from the ``shared/data`` copies, which
are the upstream bytes at the pinned commits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from specialize.data.document import Document
from specialize.data.errors import DatasetError
from specialize.data.files import Format, read_files
from specialize.data.grouping import attach_documents
from specialize.errors import SpecializeError

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "SPECIALIZE_DATA_DIR"
CACHE_ENV = "SPECIALIZE_CACHE"
SPLIT_ALIASES = {"devel": "dev", "validation": "dev", "valid": "dev", "val": "dev", "testb": "test"}
_TIMEOUT_S = 60


@dataclass(frozen=True)
class Split:
    """One split: where it sits in a mirror, how to read it and where to fetch it."""

    path: str  # relative to the mirror root, e.g. "conll2003/train.txt"
    format: Format
    url: str | None = None  # pinned raw URL; None = mirror only
    sha256: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    folder: bool = False
    group_split: tuple[str, str] | None = None  # (meta field, salt): a split of the file by group, see data/splits
    # A dataset split of the whole documents these sentences were cut from (e.g. "ncbi-disease-pubtator:train"):
    # each sentence gets its document's meta doc_index, so data.context = "document" reads them together.
    documents: str | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    license: str
    source: str  # "owner/repo@commit"
    splits: dict[str, Split]


def _cut_from(splits: dict[str, Split], documents: str) -> dict[str, Split]:
    """``splits`` of sentences, each knowing the split of whole documents (``documents`` with the split's name
    formatted in) they were cut from."""
    return {name: replace(split, documents=documents.format(name)) for name, split in splits.items()}


def _raw(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def _files(repo: str, commit: str, fmt: Format, entries: dict[str, tuple[str, str, str]]) -> dict[str, Split]:
    """``split -> (mirror path, upstream path, sha256)`` to ``Split`` objects."""
    return {
        split: Split(mirror, fmt, _raw(repo, commit, upstream), sha)
        for split, (mirror, upstream, sha) in entries.items()
    }


_MTL = ("cambridgeltl/MTL-Bioinformatics-2016", "df0df02fae6dbb87d88ffcf323b9096528f06f84")
_NCBI = ("spyysalo/ncbi-disease", "5a266c6fc76fb2b5184cfa397ff0a5ecdb133aec")
_BMIP = ("cambridgeltl/bmip-2018", "0b66ee9245653b622cb6c36ba13d018b21b5b80e")
_CONLL = ("kyzhouhzau/BERT-NER", "0f77e478872453df51cd3c65d1a39b12d9617f9d")
_WNUT = ("leondz/emerging_entities_17", "e52a2d2a71ac1a051ca2d532eef28653c5c02603")
_LER = ("elenanereiss/Legal-Entity-Recognition", "f9c2b950898c56fdc328e553d5537c7611a0ffb1")
_INLEGAL = ("Legal-NLP-EkStep/legal_NER", "a25ca29c876cd96d9d3a2635e424eadf95c4986a")
_MEDDOCAN = ("PlanTL-GOB-ES/SPACCC_MEDDOCAN", "783a6df385c975b328c99bcffb54196a9ba4078a")
_PRESIDIO = ("microsoft/presidio-research", "7622dec1e5f7d25dc60b57c28c39f4c4af197018")
_NCBI_ORIG = "ncbi_disease/original/NCBI{}set_corpus.txt"
_CDR_ORIG = "bc5cdr/original/CDR_{}Set.PubTator.txt"

_ALL = [
    Dataset(
        "conll2003", "CoNLL-2003 English news NER (PER/ORG/LOC/MISC), IOB2", "research only (Reuters RCV1)",
        f"{_CONLL[0]}@{_CONLL[1]}",
        _files(*_CONLL, Format.CONLL, {
            "train": ("conll2003/train.txt", "old_version/NERdata/train.txt",
                      "213953b5522fb7924802d883e50f027b2c6ffb5d4d0e63368ed82909f9b60423"),
            "dev": ("conll2003/dev.txt", "old_version/NERdata/dev.txt",
                    "c02eb19809eafb83998326a0481942eb37d96f31826ae387cfe8773699969f5b"),
            "test": ("conll2003/test.txt", "old_version/NERdata/test.txt",
                     "dc4ac7f3d6d01a6bec59261814561da3b287b6b493b97d1f69c580b52ec1831b"),
        }),
    ),
    Dataset(
        "ncbi-disease", "NCBI disease corpus, sentence-split CoNLL, single type Disease", "public domain",
        f"{_NCBI[0]}@{_NCBI[1]}",
        _cut_from(_files(*_NCBI, Format.CONLL, {
            "train": ("ncbi_disease/conll/train.tsv", "conll/train.tsv",
                      "5f87b0de649eccff21e6d6e49e304aace808056ecae55225ea31602192517be9"),
            "dev": ("ncbi_disease/conll/devel.tsv", "conll/devel.tsv",
                    "b4e1e7efcc2a35047bf2f3d281648357470e674f555d4a26a0049ac37d59cc61"),
            "test": ("ncbi_disease/conll/test.tsv", "conll/test.tsv",
                     "8f088ce45dc4746592188f9e69de3d89d87f3bb8f0ed8c4a287d018123fa148d"),
        }), "ncbi-disease-pubtator:{}"),
    ),
    Dataset(
        "ncbi-disease-pubtator", "NCBI disease abstracts, 4 mention types, MeSH/OMIM ids",
        "public domain", f"{_NCBI[0]}@{_NCBI[1]}",
        _files(*_NCBI, Format.PUBTATOR, {
            "train": (_NCBI_ORIG.format("train"), "original-data/train/NCBItrainset_corpus.txt",
                      "f311381b28a6d0f641f57f4a963bb83619c2bdec5cd9caabb1381f894d5db817"),
            "dev": (_NCBI_ORIG.format("develop"), "original-data/devel/NCBIdevelopset_corpus.txt",
                    "02db559974624ae9cbe6cd95d64d953e6926bb63afb6b25b63e53bd8b41a4b55"),
            "test": (_NCBI_ORIG.format("test"), "original-data/test/NCBItestset_corpus.txt",
                     "61c8050bf6979ef7b943ec1158dfc03b651ea3367d4c37356f9de4841e85c9a3"),
        }),
    ),
    Dataset(
        "bc5cdr", "BioCreative V CDR, Chemical + Disease, CoNLL (test is held out)", "research use",
        f"{_BMIP[0]}@{_BMIP[1]}",
        _cut_from(_files(*_BMIP, Format.CONLL, {
            "train": ("bc5cdr/conll/train.tsv", "BC5-CDR/conll/train.tsv",
                      "76f24b38f2aa6321251e19f7c68b50261a5ed9710cd84743b4f0c60a65c539fd"),
            "dev": ("bc5cdr/conll/devel.tsv", "BC5-CDR/conll/devel.tsv",
                    "3ac69cf8a750c5399b42de37f683ff91a8957ec395c5c5c7cfc6b3455c0dc626"),
        }), "bc5cdr-pubtator:{}"),
    ),
    Dataset(
        "bc5cdr-pubtator", "BioCreative V CDR abstracts with MeSH ids and CID relations", "research use",
        f"{_BMIP[0]}@{_BMIP[1]}",
        _files(*_BMIP, Format.PUBTATOR, {
            "train": (_CDR_ORIG.format("Training"), "BC5-CDR/original-data/CDR_TrainingSet.PubTator.txt",
                      "7afcec134e3d4871e74b0398d92850d3c9ac94c0bdc780003f2d60184c012bd8"),
            "dev": (_CDR_ORIG.format("Development"), "BC5-CDR/original-data/CDR_DevelopmentSet.PubTator.txt",
                    "9e18d8e700168887a7919e62f67ac2ce2357e3f409a48ee992906abdd80fe3e5"),
        }),
    ),
    Dataset(
        "bc2gm", "BioCreative II gene mentions (GENE), MTL-2016 split", "CC-BY 4.0 packaging",
        f"{_MTL[0]}@{_MTL[1]}",
        _files(*_MTL, Format.CONLL, {
            "train": ("bc2gm/train.tsv", "data/BC2GM-IOB/train.tsv",
                      "46e17f4e1509483b82c03f27d6f0214020f738fb71704356fb3445eb824ab38d"),
            "dev": ("bc2gm/devel.tsv", "data/BC2GM-IOB/devel.tsv",
                    "33a94577aa22f1e70ec9e02781a05baa4e1390e866d28bf2b344888e4e3d4103"),
            "test": ("bc2gm/test.tsv", "data/BC2GM-IOB/test.tsv",
                     "30d7a4f571ca8ed22a044528063ba5d0388d666d8b8b329733d6927e5fb30764"),
        }),
    ),
    Dataset(
        "anatem", "AnatEM anatomical entity mentions (single type Anatomy)", "CC BY-SA 3.0",
        f"{_MTL[0]}@{_MTL[1]}",
        _files(*_MTL, Format.CONLL, {
            "train": ("anatem/train.tsv", "data/AnatEM-IOB/train.tsv",
                      "bd4235e9673f7c67667c1eb321903a51544a94cf481ba265b527b3104d6ba806"),
            "dev": ("anatem/devel.tsv", "data/AnatEM-IOB/devel.tsv",
                    "0758bb2f26ec12fc717c1054b64ea00a40c7aae26b21a7541b86fbfba66119ec"),
            "test": ("anatem/test.tsv", "data/AnatEM-IOB/test.tsv",
                     "a3d6555f6f5b7809fc014bee975be0db93c012d770ab60c190cf37d589e97fc9"),
        }),
    ),
    Dataset(
        "wnut17", "WNUT-2017 emerging entities, 6 types (test is held out)", "CC-BY 4.0",
        f"{_WNUT[0]}@{_WNUT[1]}",
        _files(*_WNUT, Format.CONLL, {
            "train": ("wnut17/wnut17train.conll", "wnut17train.conll",
                      "731820e13f71af324c6b55a1575ec2ce59fbaa2a0806f8f0400b98d56cd6a7a5"),
            "dev": ("wnut17/emerging.dev.conll", "emerging.dev.conll",
                    "e053b752b8155113ca66e7db08af5f2f5f43ab993694e4774f1ec5bad42312d8"),
        }),
    ),
    Dataset(
        "german-ler", "German legal NER, 19 fine-grained types (train not mirrored)", "CC-BY 4.0",
        f"{_LER[0]}@{_LER[1]}",
        _files(*_LER, Format.CONLL, {
            "dev": ("german_ler/ler_dev.conll", "data/ler_dev.conll",
                    "1cec4ad19b348a032b8ada0e65b206aad99be7d9b17e4f1fc9a9267a3eb72ab2"),
            "test": ("german_ler/ler_test.conll", "data/ler_test.conll",
                     "03ef541b11773469f9b2ab0620ce8ca0bf4f5d0847f0e29be1e62877043ee76c"),
        }),
    ),
    Dataset(
        # Only upstream's dev split is public in this form: "all" is that file, train/dev/test (70/10/20) are
        # parts of it by hashed record id. The records carry no judgment id, so sentences of one judgment can
        # fall in different parts.
        "inlegalner",
        "Indian legal NER, 14 types; JSONL derived from upstream dev.spacy (mirror only); upstream dev as "
        "'all', split 70/10/20 by hashed record id into train/dev/test",
        "Apache-2.0", f"{_INLEGAL[0]}@{_INLEGAL[1]}",
        {split: Split("inlegalner/dev.jsonl", Format.JSONL,
                      sha256="6ccc86c2a97ea659db9ff9e11e2dd4605b8009b20c0e368b428a26b679846aab",
                      group_split=None if split == "all" else ("id", "inlegalner"))
         for split in ("all", "train", "dev", "test")},
    ),
    Dataset(
        "meddocan", "Spanish clinical de-identification (synthetic PHI), brat folders (mirror only)",
        "CC BY 4.0", f"{_MEDDOCAN[0]}@{_MEDDOCAN[1]}",
        {split: Split(f"meddocan/corpus/{split}/brat", Format.BRAT, folder=True)
         for split in ("train", "dev", "test")},
    ),
    Dataset(
        "presidio-synth-pii",
        "Presidio synthetic English PII, 17 types; no official split: train/dev/test (70/10/20) by template id",
        "MIT", f"{_PRESIDIO[0]}@{_PRESIDIO[1]}",
        {split: Split("presidio_synth_pii/synth_dataset_v2.json", Format.JSONL,
                      _raw(*_PRESIDIO, "data/synth_dataset_v2.json"),
                      "ec08a771ba8135314cafb60752b2295212222ba3a4cd75d73811839c699e0012",
                      group_split=None if split == "all" else ("template_id", "presidio-template"))
         for split in ("all", "train", "dev", "test")},
    ),
]  # fmt: skip
DATASETS: dict[str, Dataset] = {d.name: d for d in _ALL}
DATASET_ALIASES = {"presidio-pii": "presidio-synth-pii"}


def list_datasets() -> list[str]:
    """All ``dataset:split`` names."""
    return [f"{d.name}:{split}" for d in DATASETS.values() for split in d.splits]


def parse_name(name: str) -> tuple[Dataset, str]:
    """``"NCBI_disease:devel"`` -> (the ncbi-disease Dataset, ``"dev"``); errors list what exists."""
    dataset_name, _, split = name.strip().partition(":")
    key = dataset_name.lower().replace("_", "-")
    key = DATASET_ALIASES.get(key, key)
    if key not in DATASETS:
        raise DatasetError(
            f"unknown dataset {dataset_name!r} (and no such file); known datasets: {', '.join(DATASETS)}"
        )
    dataset = DATASETS[key]
    split = SPLIT_ALIASES.get(split.lower(), split.lower())
    if split not in dataset.splits:
        choices = ", ".join(f"{dataset.name}:{s}" for s in dataset.splits)
        what = f"has no split {split!r}" if split else "needs a split"
        raise DatasetError(f"dataset {dataset.name!r} {what}; use one of: {choices}")
    return dataset, split


def mirror_roots() -> list[Path]:
    """Mirror folders that exist, in lookup order: ``$SPECIALIZE_DATA_DIR``, then ``<cwd>/../shared/data``."""
    roots = []
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        if Path(env).expanduser().is_dir():
            roots.append(Path(env).expanduser())
        else:
            logger.warning("%s=%s is not a folder; ignoring it", DATA_DIR_ENV, env)
    fallback = Path.cwd().parent / "shared" / "data"
    if fallback.is_dir():
        roots.append(fallback)
    return roots


def cache_dir() -> Path:
    """``$SPECIALIZE_CACHE/datasets``, else ``$XDG_CACHE_HOME/specialize/datasets`` (``~/.cache``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser() / "datasets"
    base = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
    return base / "specialize" / "datasets"


def resolve(name: str, *, download: bool = True) -> Path:
    """Local path of ``dataset:split``: a mirror copy, a cached download, or a fresh verified download."""
    dataset, split_name = parse_name(name)
    split = dataset.splits[split_name]
    roots = mirror_roots()
    for root in roots:
        candidate = root / split.path
        if candidate.exists():
            logger.debug("%s: using mirror %s", name, candidate)
            return candidate
    looked = ", ".join(str(r) for r in roots) or f"no mirror (${DATA_DIR_ENV} unset, no ../shared/data)"
    if split.folder or split.url is None:
        why = "folder downloads are not supported" if split.folder else "it has no pinned download"
        raise DatasetError(
            f"{dataset.name}:{split_name} is not in any mirror ({looked}) and {why}; set {DATA_DIR_ENV} "
            f"to a folder containing {split.path} (source: {dataset.source})"
        )
    cached = cache_dir() / split.path
    if cached.exists():
        return cached
    if not download:
        raise DatasetError(
            f"{dataset.name}:{split_name} is neither mirrored ({looked}) nor cached at {cached}; "
            f"allow the download or set {DATA_DIR_ENV}"
        )
    download_file(split.url, cached, split.sha256)
    return cached


def download_file(url: str, dest: Path, sha256: str | None) -> None:
    """Fetch ``url`` to ``dest`` atomically, checking ``sha256``; a mismatching file is deleted."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s -> %s", url, dest)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DatasetError(
            f"download of {url} failed: {exc}; check the network, or set {DATA_DIR_ENV} to a local mirror"
        ) from exc
    actual = digest.hexdigest()
    if sha256 is not None and actual != sha256:
        tmp.unlink(missing_ok=True)
        raise DatasetError(
            f"sha256 mismatch for {url}: expected {sha256}, got {actual}; the download was deleted. "
            f"Retry, or put a verified copy under {DATA_DIR_ENV}"
        )
    os.replace(tmp, dest)


def load(name: str, *, format: Format | str | None = None, **options: Any) -> list[Document]:
    """Read ``dataset:split`` (resolving/downloading it first) into documents."""
    dataset, split_name = parse_name(name)
    split = dataset.splits[split_name]
    path = resolve(name)
    docs = read_files(path, format or split.format, **{**split.options, **options})
    if split.group_split is not None:
        from specialize.data.splits import split_by_group

        field_name, salt = split.group_split
        docs = split_by_group(docs, split_name, field=field_name, salt=salt)
    return docs


def with_documents(name: str, sentences: list[Document]) -> list[Document]:
    """The sentences ``load(name)`` read, each with the document it was cut from (see Split.documents), for a
    reader that joins them (data.context = document): only then is the file of whole documents read and searched.
    Unchanged for a split that names no documents, and, with a warning, when those cannot be read."""
    dataset, split_name = parse_name(name)
    documents = dataset.splits[split_name].documents
    if documents is None:
        return sentences
    try:
        whole = load(documents)  # repairs of that file are logged as on any read of it
    except SpecializeError as exc:
        logger.warning("%s: no document boundaries (%s cannot be read: %s)", name, documents, exc)
        return sentences
    attached, missing = attach_documents(sentences, whole)
    if missing:
        logger.warning("%s: %d of %d sentences found in no document of %s", name, missing, len(sentences), documents)
    return attached
