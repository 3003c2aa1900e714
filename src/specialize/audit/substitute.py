"""Swap the person names of gold documents for names of one group, moving every other span exactly.

Rules (so that a variant reads like the original, only with other people in it):

* a multi-word person span becomes *given name + surname* (middle words dropped); a one-word span becomes a
  surname when the same word is the last word of a multi-word person span of the same document ("Bitar" after
  "Salem Bitar"), a given name otherwise;
* the same original word gets the same replacement throughout a document, so "Marcello Cuttitta", "Massimo
  Cuttitta" and "CUTTITTA" become "Jose Garcia", "Luis Garcia" and "GARCIA"; a "document" is an article when the
  reader kept one (CoNLL ``-DOCSTART-``: ``meta["doc_index"]``), else the record;
* the original's casing is kept: an all-caps name gets an all-caps replacement, a lower-case one a lower-case one;
* names are drawn without repetition inside a document (reused only once a list runs out), from a generator seeded
  by ``seed``, the group and the document key: the same call always gives the same variant, and a document's
  names do not depend on which other documents are in the list;
* a person span that overlaps any other span (nested or crossing) is left as written and counted: its text
  cannot change without cutting the other span.

Other spans keep their text; their offsets move by the length differences of the replacements before them.
CoNLL token boundaries (``meta["tokens"]``) are moved too, the replaced names re-tokenised on whitespace.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from specialize.audit.names import NameGroup
from specialize.data.document import Document, Span
from specialize.data.edit import replace_span_texts

logger = logging.getLogger(__name__)

PERSON_LABELS = ("PER", "PERSON")


@dataclass
class Substitution:
    """The variant documents (same order as the input) and how many person spans changed."""

    group: str
    documents: list[Document]
    replaced: int
    kept: int
    """Person spans left as written because they overlap another span."""
    changed_docs: list[int]
    """Indices of documents whose text differs from the original."""


class _Drawer:
    """Names from one list, shuffled once per document, handed out without repetition until the list runs out."""

    def __init__(self, names: Sequence[str], rng: random.Random) -> None:
        self._names, self._rng = list(names), rng
        self._queue: list[str] = []
        self.assigned: dict[str, str] = {}

    def get(self, original: str) -> str:
        key = original.casefold()
        if key not in self.assigned:
            if not self._queue:
                self._queue = self._rng.sample(self._names, len(self._names))
            self.assigned[key] = self._queue.pop()
        return self.assigned[key]


def _doc_key(doc: Document, index: int) -> Hashable:
    doc_index = doc.meta.get("doc_index")
    if isinstance(doc_index, int) and doc.id:
        # Records of one file share the id prefix ("test:17" -> "test"); doc_index counts articles in that file.
        return ("article", doc.id.rsplit(":", 1)[0], doc_index)
    return ("record", doc.id if doc.id is not None else index)


def _rng(seed: int, group: str, key: Hashable) -> random.Random:
    # sha256, not hash(): str hashes change with PYTHONHASHSEED, and the variants must not.
    digest = hashlib.sha256(f"{seed}\x00{group}\x00{key!r}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _match_case(original: str, name: str) -> str:
    letters = [c for c in original if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return name.upper()
    if letters and all(c.islower() for c in letters):
        return name.lower()
    return name


def _replaceable(spans: Sequence[Span], person_labels: frozenset[str]) -> list[Span]:
    """Person spans that overlap no other span, sorted."""
    ordered = sorted(spans)
    out = []
    for i, span in enumerate(ordered):
        if span.label not in person_labels or not span.end > span.start:
            continue
        clash = any(other.start < span.end and span.start < other.end for j, other in enumerate(ordered) if j != i)
        if not clash:
            out.append(span)
    return out


def _substitute_doc(
    doc: Document, replaceable: list[Span], firsts: _Drawer, lasts: _Drawer, surname_words: set[str]
) -> tuple[Document, list[tuple[str, str]]]:
    new_texts: list[tuple[Span, str]] = []
    swaps: list[tuple[str, str]] = []
    for span in replaceable:
        original = doc.text[span.start : span.end]
        words = original.split()
        if len(words) >= 2:
            name = f"{firsts.get(words[0])} {lasts.get(words[-1])}"
        elif words and words[0].casefold() in surname_words:
            name = lasts.get(words[0])
        else:
            name = firsts.get(original.strip())
        # Whitespace inside the span at either end stays, so the text around the name is unchanged.
        stripped = original.strip()
        lead, trail = original[: len(original) - len(original.lstrip())], original[len(original.rstrip()) :]
        name = lead + _match_case(stripped, name) + trail
        new_texts.append((span, name))
        swaps.append((original, name))
    return replace_span_texts(doc, new_texts), swaps


def substitute_names(
    documents: Sequence[Document],
    group: NameGroup,
    *,
    seed: int = 0,
    person_labels: Sequence[str] = PERSON_LABELS,
) -> Substitution:
    """A copy of ``documents`` with every person span's name replaced by one of ``group`` (module docstring)."""
    labels = frozenset(person_labels)
    keyed: dict[Hashable, list[int]] = {}
    for i, doc in enumerate(documents):
        keyed.setdefault(_doc_key(doc, i), []).append(i)
    out: list[Document | None] = [None] * len(documents)
    replaced = kept = 0
    changed: list[int] = []
    for key, indices in keyed.items():
        rng = _rng(seed, group.name, key)
        firsts, lasts = _Drawer(group.first_names, rng), _Drawer(group.surnames, rng)
        per_doc = {i: _replaceable(documents[i].spans, labels) for i in indices}
        surname_words = {
            documents[i].text[s.start : s.end].split()[-1].casefold()
            for i in indices
            for s in per_doc[i]
            if len(documents[i].text[s.start : s.end].split()) >= 2
        }
        for i in indices:
            doc = documents[i]
            n_person = sum(1 for s in doc.spans if s.label in labels)
            kept += n_person - len(per_doc[i])
            if not per_doc[i]:
                out[i] = doc
                continue
            variant, _ = _substitute_doc(doc, per_doc[i], firsts, lasts, surname_words)
            replaced += len(per_doc[i])
            out[i] = variant
            if variant.text != doc.text:
                changed.append(i)
    if kept:
        logger.info("%s: %d person spans overlap another span and were left as written", group.name, kept)
    documents_out = [d for d in out if d is not None]
    return Substitution(group.name, documents_out, replaced, kept, sorted(changed))
