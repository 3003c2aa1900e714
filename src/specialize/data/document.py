"""The one canonical record: a document's text with character-offset spans."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def text_key(text: str) -> str:
    """sha256 of the UTF-8 text: the identity of a document's text, whatever its id (label store, corrections)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character range ``text[start:end]``; ``score`` is set by models, ``None`` for gold.

    ``kb_id`` is the knowledge-base concept the span refers to (a MeSH id such as ``D003920``), as the source
    wrote it: it may be composite (``"D001|D002"``: one mention of several concepts; NCBI-disease also joins
    with ``+``) or ``"-1"`` (annotated as having no concept). ``specialize.linking.ids.parse_ids`` turns it
    into a tuple of single ids. Like ``score`` it takes no part in span identity, so NER matching ignores it.
    """

    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)
    kb_id: str | None = field(default=None, compare=False)

    def key(self) -> tuple[int, int, str]:
        """Identity used by strict span matching (score ignored)."""
        return (self.start, self.end, self.label)

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if text is not None:
            out["text"] = text[self.start : self.end]
        if self.score is not None:
            out["score"] = round(float(self.score), 6)
        if self.kb_id is not None:
            out["kb_id"] = self.kb_id
        return out


@dataclass
class Document:
    """A text with gold or predicted spans, an optional id and free-form metadata."""

    text: str
    spans: list[Span] = field(default_factory=list)
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # The input record's other fields (``{"id", "text", "extra": 1}`` -> ``{"extra": 1}``), written back as they
    # came by predict and label: a command that reads a record gives back every field it does not own.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def span_text(self, span: Span) -> str:
        return self.text[span.start : span.end]

    @property
    def labels(self) -> set[str]:
        return {s.label for s in self.spans}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Document:
        """A document from a record as :meth:`to_dict` (and ``specialize predict``) writes it."""
        spans = [
            Span(s["start"], s["end"], s["label"], s.get("score"), s.get("kb_id")) for s in record.get("spans", [])
        ]
        return cls(record["text"], spans, record.get("id"), dict(record.get("meta") or {}))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["text"] = self.text
        out.update(self.extra_fields())
        out["spans"] = [s.to_dict(self.text) for s in sorted(self.spans)]
        if self.meta:
            out["meta"] = self.meta
        return out

    def extra_fields(self, owned: tuple[str, ...] = ("id", "text", "spans", "meta")) -> dict[str, Any]:
        """The input's other fields, without the ones the writer fills itself (``owned``)."""
        return {k: v for k, v in self.extra.items() if k not in owned}
