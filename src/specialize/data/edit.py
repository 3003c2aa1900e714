"""Rewrite the text of some spans of a document and move everything else with it: the other spans' offsets, and
the CoNLL token boundaries (``meta["tokens"]``), the new texts re-tokenised on whitespace. Used by the name
substitution of the bias audit and by mention replacement (specialize.data.mention_swap)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from specialize.data.document import Document, Span

logger = logging.getLogger(__name__)


def replace_span_texts(doc: Document, new_texts: Sequence[tuple[Span, str]]) -> Document:
    """``doc`` with each span of ``new_texts`` (spans of ``doc`` that overlap no other span) now reading its new
    text. Replaced spans lose their ``kb_id`` (the concept belonged to the old text); other spans keep their text
    and move by the length changes before them; ``meta["tokens"]`` moves too, or is dropped where its boundaries
    cross a replaced span. Id, meta and extra fields are kept."""
    pieces: list[str] = []
    edits: list[tuple[int, int, int]] = []
    inserted: list[tuple[int, str]] = []
    pos = length = 0
    for span, text in sorted(new_texts, key=lambda pair: pair[0]):
        pieces.append(doc.text[pos : span.start])
        length += span.start - pos
        inserted.append((length, text))
        pieces.append(text)
        length += len(text)
        edits.append((span.start, span.end, len(text) - (span.end - span.start)))
        pos = span.end
    pieces.append(doc.text[pos:])
    replaced = {(span.start, span.end) for span, _ in new_texts}
    text_at = dict(inserted)
    spans = []
    for span in doc.spans:
        start = _shift(span.start, edits)
        if (span.start, span.end) in replaced:
            spans.append(replace(span, start=start, end=start + len(text_at[start]), kb_id=None))
        else:
            spans.append(replace(span, start=start, end=_shift(span.end, edits)))
    meta = dict(doc.meta)
    if "tokens" in meta:
        tokens = _move_tokens(meta["tokens"], edits, inserted)
        if tokens is None:
            logger.debug("%s: token boundaries do not line up with the replaced spans; dropped", doc.id)
            del meta["tokens"]
        else:
            meta["tokens"] = tokens
    return replace(doc, text="".join(pieces), spans=spans, meta=meta)


def _shift(position: int, edits: Sequence[tuple[int, int, int]]) -> int:
    """New offset of an old boundary outside every edit; ``edits`` are (old start, old end, length change)."""
    return position + sum(delta for _, old_end, delta in edits if old_end <= position)


def _move_tokens(tokens: Any, edits: list[tuple[int, int, int]], inserted: list[tuple[int, str]]) -> Any:
    """Token boundaries of the new text, or ``None`` when they do not line up with the replaced spans."""
    if not isinstance(tokens, list):
        return None
    out: list[list[int]] = []
    pending = dict(inserted)  # new start of each replacement -> its text
    for item in tokens:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            return None
        start, end = int(item[0]), int(item[1])
        inside = [e for e in edits if e[0] <= start and end <= e[1]]
        crossing = [e for e in edits if e[0] < end and start < e[1] and e not in inside]
        if crossing:
            return None
        if inside:
            new_start = _shift(inside[0][0], edits)
            text = pending.pop(new_start, None)
            if text is not None:  # first token of this replacement: emit the replacement's own tokens
                offset = new_start
                for word in text.split():
                    begin = text.index(word, offset - new_start) + new_start
                    out.append([begin, begin + len(word)])
                    offset = begin + len(word)
            continue
        out.append([_shift(start, edits), _shift(end, edits)])
    return out
