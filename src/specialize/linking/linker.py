"""A mention linker built from annotated training documents: an exact dictionary, then encoder similarity.

* **dictionary**: each normalised training mention string (``text.normalise``) maps to its majority concept
  id (ties: the id that sorts first). A mention whose string, or the long form of the abbreviation it is in
  its own document, is in the dictionary gets that id.
* **similarity**: each dictionary string is embedded once (``MentionEncoder``: its most frequent surface
  form); a mention gets the id of the nearest training string by cosine (``target="mention"``) or of the
  nearest concept centroid (``target="centroid"``: the count-weighted mean of a concept's string vectors).
* **combined**: the dictionary, and similarity for what it does not know.

Training mentions without a concept id (``-1`` or none) are not used. Composite ids are kept whole, written
as their parts joined by ``|`` (``ids.parse_ids`` order): a mention like "breast and ovarian cancer" can be
linked to both concepts at once. With ``match_label`` the dictionary and the neighbours are restricted to
training mentions of the mention's label (BC5CDR: a Chemical never gets a Disease id); a label never seen in
training then falls back to all of them, with a warning.

A linker is saved as a folder: ``config.json``, ``entries.json`` (strings, ids, counts), ``embeddings.npy``
and the encoder in ``encoder/``, so reloading it gives the same links without the training data.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from specialize.data.document import Document
from specialize.errors import ConfigError, DataError, ModelFolderError, ModelNotFoundError
from specialize.linking.ids import parse_ids
from specialize.linking.text import find_abbreviations, normalise

if TYPE_CHECKING:  # torch loads only when a linker with an encoder is loaded or built
    from specialize.linking.encoder import MentionEncoder

logger = logging.getLogger(__name__)

KIND = "specialize-linker"
FORMAT_VERSION = 1
_QUERY_CHUNK = 1024  # queries scored at once: bounds the (queries x entries) similarity matrix


class LinkMethod(StrEnum):
    DICTIONARY = "dictionary"
    SIMILARITY = "similarity"
    COMBINED = "combined"


class SimilarityTarget(StrEnum):
    MENTION = "mention"
    CENTROID = "centroid"


@dataclass
class LinkerConfig:
    method: LinkMethod = LinkMethod.COMBINED
    target: SimilarityTarget = SimilarityTarget.MENTION
    match_label: bool = False
    abbreviations: bool = True
    strip_plurals: bool = True
    min_similarity: float = 0.0
    """Below this cosine a similarity link is dropped (the mention stays unlinked)."""

    def __post_init__(self) -> None:
        self.method = LinkMethod(self.method)
        self.target = SimilarityTarget(self.target)

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkerConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelFolderError(f"unknown linker settings {unknown}; known: {sorted(known)}")
        return cls(**data)


@dataclass(frozen=True)
class Entry:
    """One normalised training string (per label with ``match_label``) and its majority concept id."""

    label: str
    text: str
    surface: str
    kb_id: str
    count: int


@dataclass(frozen=True)
class Mention:
    text: str
    label: str = ""
    long_form: str | None = None
    """The long form when ``text`` is an abbreviation defined in the mention's document."""


@dataclass(frozen=True)
class Link:
    kb_id: str | None
    source: str
    """``dictionary``, ``abbreviation`` (dictionary via the long form), ``similarity`` or ``none``."""
    score: float
    matched: str | None = None
    """The training string that decided."""

    def to_dict(self) -> dict[str, Any]:
        return {"kb_id": self.kb_id, "source": self.source, "score": round(self.score, 6), "matched": self.matched}


@dataclass
class Linker:
    entries: list[Entry]
    config: LinkerConfig = field(default_factory=LinkerConfig)
    encoder: MentionEncoder | None = None
    embeddings: npt.NDArray[np.float32] | None = None
    train_info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.entries:
            raise DataError("a linker needs training mentions with concept ids; none were given")
        if (self.encoder is None) != (self.embeddings is None):
            raise ValueError("a linker has both an encoder and entry embeddings, or neither")
        if self.embeddings is not None and self.embeddings.shape[0] != len(self.entries):
            raise ValueError(f"{self.embeddings.shape[0]} embeddings for {len(self.entries)} entries")
        self._index = {(e.label, e.text): i for i, e in enumerate(self.entries)}
        self._labels = np.array([e.label for e in self.entries])
        self._query_cache: dict[str, npt.NDArray[np.float32]] = {}
        self._centroids: tuple[list[Entry], npt.NDArray[np.float32]] | None = None

    # -- building -------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        *,
        encoder: MentionEncoder | None = None,
        config: LinkerConfig | None = None,
        train_info: dict[str, Any] | None = None,
    ) -> Linker:
        """Dictionary (and embeddings, with an encoder) from the gold spans' ``kb_id`` of training documents."""
        config = replace(config) if config is not None else LinkerConfig()
        if encoder is None and config.method is not LinkMethod.DICTIONARY:
            if config.method is LinkMethod.SIMILARITY:
                raise ConfigError("method 'similarity' needs an encoder; pass one, or use method 'dictionary'")
            config.method = LinkMethod.DICTIONARY  # combined without an encoder is the dictionary alone
        ids: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        surfaces: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        used = skipped = 0
        for doc in documents:
            for span in doc.spans:
                parts = parse_ids(span.kb_id)
                surface = doc.span_text(span).strip()
                key = (span.label if config.match_label else "", normalise(surface, strip_plurals=config.strip_plurals))
                if not parts or not key[1]:
                    skipped += 1
                    continue
                used += 1
                ids[key]["|".join(parts)] += 1
                surfaces[key][surface] += 1
        entries = []
        for key in sorted(ids):
            kb_id, _ = min(ids[key].items(), key=lambda item: (-item[1], item[0]))
            surface, _ = min(surfaces[key].items(), key=lambda item: (-item[1], item[0]))
            entries.append(Entry(key[0], key[1], surface, kb_id, sum(ids[key].values())))
        if not entries:
            raise DataError(
                f"no training mention has a concept id ({skipped} spans without one); give spans a kb_id "
                "(PubTator files carry it in the 6th column, JSONL spans in a 'kb_id' field)"
            )
        info = {
            **(train_info or {}),
            "documents": len(documents),
            "mentions_used": used,
            "mentions_without_id": skipped,
            "strings": len(entries),
            "concepts": len({e.kb_id for e in entries}),
        }
        logger.info("linker: %d training mentions, %d strings, %d concepts", used, len(entries), info["concepts"])
        embeddings = encoder.encode([e.surface for e in entries]) if encoder is not None else None
        return cls(entries, config, encoder, embeddings, info)

    # -- linking --------------------------------------------------------------------------------------------
    def link_documents(
        self, documents: Sequence[Document], *, method: LinkMethod | str | None = None
    ) -> list[Document]:
        """Copies of ``documents`` whose spans carry the linked ``kb_id`` (``None`` when unlinked).

        ``meta["links"]`` gets one record per span (start, end, kb_id, source, score, matched).
        """
        mentions: list[Mention] = []
        for doc in documents:
            abbreviations = find_abbreviations(doc.text) if self.config.abbreviations else {}
            for span in sorted(doc.spans):
                text = doc.span_text(span).strip()
                mentions.append(Mention(text, span.label, abbreviations.get(text)))
        links = iter(self.link_mentions(mentions, method=method))
        out = []
        for doc in documents:
            spans, records = [], []
            for span in sorted(doc.spans):
                link = next(links)
                spans.append(replace(span, kb_id=link.kb_id))
                records.append({"start": span.start, "end": span.end, **link.to_dict()})
            out.append(Document(doc.text, spans, id=doc.id, meta={**doc.meta, "links": records}))
        return out

    def link_mentions(self, mentions: Sequence[Mention], *, method: LinkMethod | str | None = None) -> list[Link]:
        method = LinkMethod(method or self.config.method)
        if method is not LinkMethod.DICTIONARY and self.encoder is None:
            raise ConfigError(f"method {method.value!r} needs an encoder; this linker was built without one")
        links: list[Link | None] = [None] * len(mentions)
        pending: list[int] = []
        for i, mention in enumerate(mentions):
            if method is not LinkMethod.SIMILARITY:
                links[i] = self._lookup(mention)
            if links[i] is None and method is not LinkMethod.DICTIONARY:
                pending.append(i)
        for i, link in zip(pending, self._similar([mentions[i] for i in pending]), strict=True):
            links[i] = link
        return [link or Link(None, "none", 0.0) for link in links]

    def _lookup(self, mention: Mention) -> Link | None:
        label = self._label_key(mention.label)
        for source, text in (("dictionary", mention.text), ("abbreviation", mention.long_form)):
            if not text:
                continue
            index = self._index.get((label, normalise(text, strip_plurals=self.config.strip_plurals)))
            if index is not None:
                entry = self.entries[index]
                return Link(entry.kb_id, source, 1.0, entry.text)
        return None

    def _label_key(self, label: str) -> str:
        return label if self.config.match_label else ""

    def _similar(self, mentions: Sequence[Mention]) -> list[Link | None]:
        if not mentions:
            return []
        targets, matrix = self._targets()
        labels = np.array([t.label for t in targets])
        queries = [m.long_form or m.text for m in mentions]
        vectors = self._encode(queries)
        unseen: Counter[str] = Counter()
        out: list[Link | None] = []
        for lo in range(0, len(mentions), _QUERY_CHUNK):
            scores = vectors[lo : lo + _QUERY_CHUNK] @ matrix.T
            for row, mention in enumerate(mentions[lo : lo + _QUERY_CHUNK]):
                sims = scores[row]
                if self.config.match_label:
                    allowed = labels == mention.label
                    if allowed.any():
                        sims = np.where(allowed, sims, -np.inf)
                    else:
                        unseen[mention.label] += 1
                best = int(np.argmax(sims))
                score = float(sims[best])
                if score < self.config.min_similarity:
                    out.append(None)
                    continue
                out.append(Link(targets[best].kb_id, "similarity", score, targets[best].text))
        if unseen:
            logger.warning("labels never seen in training, linked against all labels: %s", dict(unseen))
        return out

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        # Benchmarks link the same mentions with several methods; each string is embedded once.
        assert self.encoder is not None
        missing = list(dict.fromkeys(t for t in texts if t not in self._query_cache))
        if missing:
            self._query_cache.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.stack([self._query_cache[t] for t in texts]) if texts else np.zeros((0, self.encoder.dim), np.float32)

    def _targets(self) -> tuple[list[Entry], npt.NDArray[np.float32]]:
        assert self.embeddings is not None
        if self.config.target is SimilarityTarget.MENTION:
            return self.entries, self.embeddings
        if self._centroids is None:
            groups: dict[tuple[str, str], list[int]] = defaultdict(list)
            for i, entry in enumerate(self.entries):
                groups[(entry.label, entry.kb_id)].append(i)
            keys = sorted(groups)
            matrix = np.zeros((len(keys), self.embeddings.shape[1]), dtype=np.float32)
            centroid_entries = []
            for row, key in enumerate(keys):
                members = groups[key]
                weights = np.array([self.entries[i].count for i in members], dtype=np.float32)
                mean = (self.embeddings[members] * weights[:, None]).sum(axis=0)
                matrix[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
                top = max(members, key=lambda i: self.entries[i].count)
                centroid_entries.append(replace(self.entries[top], count=int(weights.sum())))
            self._centroids = (centroid_entries, matrix)
        return self._centroids

    # -- persistence ----------------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        config = {
            "kind": KIND,
            "format_version": FORMAT_VERSION,
            "linker": self.config.to_dict(),
            "encoder": None,
            "train": self.train_info,
        }
        if self.encoder is not None and self.embeddings is not None:
            self.encoder.save(directory / "encoder")
            np.save(directory / "embeddings.npy", self.embeddings)
            config["encoder"] = {"folder": "encoder", "word_shapes": self.encoder.word_shapes, "dim": self.encoder.dim}
        entries = [[e.label, e.text, e.surface, e.kb_id, e.count] for e in self.entries]
        (directory / "entries.json").write_text(json.dumps(entries, ensure_ascii=False) + "\n", encoding="utf-8")
        (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> Linker:
        directory = Path(directory)
        config_path = directory / "config.json"
        raw = json.loads(config_path.read_text()) if config_path.is_file() else {}
        if raw.get("kind") != KIND:
            raise ModelNotFoundError(
                f"{directory} is not a linker folder ({config_path} missing or not a linker's); "
                "build one with `specialize train-linker`"
            )
        if raw.get("format_version") != FORMAT_VERSION:
            raise ModelFolderError(f"{config_path}: linker format {raw.get('format_version')}, this version reads 1")
        entries = [Entry(*row) for row in json.loads((directory / "entries.json").read_text(encoding="utf-8"))]
        encoder = embeddings = None
        if raw.get("encoder"):
            from specialize.linking.encoder import MentionEncoder

            spec = raw["encoder"]
            encoder = MentionEncoder.load(directory / spec["folder"], word_shapes=bool(spec["word_shapes"]))
            embeddings = np.load(directory / "embeddings.npy")
        return cls(entries, LinkerConfig.from_dict(raw["linker"]), encoder, embeddings, raw.get("train") or {})
