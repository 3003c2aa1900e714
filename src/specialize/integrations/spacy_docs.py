"""Character-offset spans onto spaCy ``Doc`` objects: entities, scored span groups, DocBin files and displaCy pages.

spaCy entities are token ranges; a specialist's spans are character ranges cut by its own (subword) tokenizer,
so a span edge can fall inside a spaCy token ("BRCA1-associated" is one spaCy token, two words to BERT). Each
span goes through ``Doc.char_span(start, end, alignment_mode=...)``:

* ``expand`` (default): the smallest token range covering the span: a partial token is taken whole, so no
  predicted character is lost; the span grows;
* ``contract``: the largest token range inside the span: partial tokens are left out; a span inside a single
  token is dropped;
* ``strict``: only spans whose both edges are token edges; the others are dropped.

Every span is counted as ``exact``, ``expanded``, ``contracted`` or ``dropped`` (:class:`AlignmentCounts`).
All aligned spans go into ``doc.spans[spans_key]`` with their scores in ``doc.spans[spans_key].attrs["scores"]``
(one float per span, None for unscored spans, as spaCy's span categorizer stores its scores). ``doc.ents`` takes
the non-overlapping ones (expansion can make two spans share a token: the longer one wins, the other is counted
as ``overlapping`` and stays only in the span group). With ``overwrite_ents=False`` the doc's existing entities
stay and a span overlapping one is counted as ``conflicting`` and left out of ``doc.ents``.

spaCy is imported by the functions that need it (``pip install 'specialize[spacy]'``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from specialize.data.document import Document, Span
from specialize.errors import ConfigError
from specialize.utils.optional import require

ALIGNMENT_MODES = ("expand", "contract", "strict")
DEFAULT_SPANS_KEY = "specialize"


@dataclass
class AlignmentCounts:
    """How predicted character spans landed on spaCy tokens (see the module docstring)."""

    exact: int = 0
    expanded: int = 0
    contracted: int = 0
    dropped: int = 0
    overlapping: int = 0
    conflicting: int = 0

    def add(self, other: AlignmentCounts) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in asdict(self).items() if n) or "no spans"


def check_alignment_mode(mode: str) -> str:
    if mode not in ALIGNMENT_MODES:
        raise ConfigError(f"alignment_mode must be one of {', '.join(ALIGNMENT_MODES)}, got {mode!r}")
    return mode


def set_spans(
    doc: Any,
    spans: Sequence[Span],
    *,
    alignment_mode: str = "expand",
    spans_key: str = DEFAULT_SPANS_KEY,
    overwrite_ents: bool = True,
) -> AlignmentCounts:
    """Put ``spans`` (character offsets into ``doc.text``) on the spaCy ``doc``: ``doc.spans[spans_key]`` with
    scores, and ``doc.ents``. Returns how the spans aligned to the doc's tokens."""
    from spacy.tokens import SpanGroup
    from spacy.util import filter_spans

    check_alignment_mode(alignment_mode)
    counts = AlignmentCounts()
    aligned = []
    scores: list[float | None] = []
    for span in sorted(spans):
        token_span = doc.char_span(span.start, span.end, label=span.label, alignment_mode=alignment_mode)
        if token_span is None or len(token_span) == 0:
            counts.dropped += 1
            continue
        start, end = token_span.start_char, token_span.end_char
        if (start, end) == (span.start, span.end):
            counts.exact += 1
        elif start <= span.start and end >= span.end:
            counts.expanded += 1
        else:
            counts.contracted += 1
        aligned.append(token_span)
        scores.append(None if span.score is None else float(span.score))
    doc.spans[spans_key] = SpanGroup(doc, name=spans_key, spans=aligned, attrs={"scores": scores})
    entities = filter_spans(aligned)  # longest first, then earliest: a deterministic choice among overlaps
    counts.overlapping = len(aligned) - len(entities)
    if overwrite_ents:
        doc.set_ents(entities, default="outside")
    else:
        taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
        free = [e for e in entities if not taken.intersection(range(e.start, e.end))]
        counts.conflicting = len(entities) - len(free)
        doc.set_ents(free, default="unmodified")
    return counts


def to_spacy_docs(
    documents: Iterable[Document],
    *,
    lang: str = "en",
    nlp: Any = None,
    alignment_mode: str = "expand",
    spans_key: str = DEFAULT_SPANS_KEY,
) -> tuple[list[Any], AlignmentCounts]:
    """spaCy docs of predicted documents, tokenized by ``nlp`` (default: a blank ``lang`` pipeline's tokenizer),
    with the spans set by :func:`set_spans`; each doc's id and metadata go into ``doc.user_data``."""
    spacy = require("spacy", "spacy")
    nlp = nlp if nlp is not None else spacy.blank(lang)
    total = AlignmentCounts()
    docs = []
    for document in documents:
        doc = nlp.make_doc(document.text)
        total.add(set_spans(doc, document.spans, alignment_mode=alignment_mode, spans_key=spans_key))
        doc.user_data["id"] = document.id
        if document.meta:
            doc.user_data["meta"] = document.meta
        docs.append(doc)
    return docs, total


def write_docbin(docs: Sequence[Any], path: str | Path) -> Path:
    """A ``.spacy`` file (``DocBin`` with user data) that ``DocBin().from_disk(path).get_docs(nlp.vocab)`` reads."""
    spacy_tokens = require("spacy.tokens", "spacy")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spacy_tokens.DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def label_colors(labels: Iterable[str]) -> dict[str, str]:
    palette = ("#7aecec", "#bfeeb7", "#feca74", "#ff9561", "#aa9cfc", "#c887fb", "#9cc9cc", "#ffeb80", "#ff8197",
               "#f0d0ff", "#bfe1d9", "#e4e7d2")  # fmt: skip
    return {label: palette[i % len(palette)] for i, label in enumerate(sorted(set(labels)))}


def render_displacy(docs: Sequence[Any], path: str | Path, *, title: str = "specialize predictions") -> Path:
    """One self-contained HTML page of the docs' entities (displaCy's ``ent`` style, one colour per label)."""
    displacy = require("spacy.displacy", "spacy")
    labels = {ent.label_ for doc in docs for ent in doc.ents}
    for doc in docs:
        doc.user_data.setdefault("title", str(doc.user_data.get("id") or ""))
    html = displacy.render(list(docs), style="ent", page=True, jupyter=False, options={"colors": label_colors(labels)})
    html = html.replace("<title>displaCy</title>", f"<title>{title}</title>", 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def export_predictions(
    documents: Sequence[Document],
    *,
    docbin: str | Path | None = None,
    displacy: str | Path | None = None,
    alignment_mode: str = "expand",
    lang: str = "en",
) -> AlignmentCounts:
    """``specialize predict --format spacy`` / ``--displacy``: predicted documents as a DocBin and/or a displaCy
    page; returns how their spans aligned to spaCy's tokens."""
    docs, counts = to_spacy_docs(documents, lang=lang, alignment_mode=alignment_mode)
    if docbin is not None:
        write_docbin(docs, docbin)
    if displacy is not None:
        render_displacy(docs, displacy)
    return counts
