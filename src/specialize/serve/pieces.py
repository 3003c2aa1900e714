"""Long documents cut into overlapping pieces for the server, so that no single unit of model work is huge.

A 100 000-character document is seconds of model work in one call (tokenizing, every window, decoding), and
whatever shares the model waits for all of it. The server therefore cuts a span model's documents longer than
``size`` characters into pieces of at most ``size`` characters; the micro-batcher schedules the pieces like
small documents, interleaved with other requests, and the answers are put back together here.

Each piece *owns* a stretch of its document and reads up to ``context`` characters on both sides of it, so a
word next to a cut is still read inside its sentence, as the model's own windows read every word with context
(``specialize.data.chunking``). Cuts fall on whitespace when there is any near the cut. A piece's spans are
kept when they start in its own stretch, so every entity is reported once, by a piece that read it with
context on both sides. Nothing is truncated: the owned stretches tile the whole document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.evaluation.confidence import span_confidence
from specialize.serve.cascade import Routed


@dataclass(frozen=True)
class Piece:
    """Characters ``[start, end)`` of document ``doc``; spans starting in ``[own_start, own_end)`` are its own."""

    doc: int
    start: int
    end: int
    own_start: int
    own_end: int


def _after_space_before(text: str, position: int, lowest: int) -> int:
    """The last index in ``(lowest, position]`` right after a whitespace character, else ``position``."""
    for i in range(position, lowest, -1):
        if text[i - 1].isspace():
            return i
    return position


def _after_space_from(text: str, position: int, highest: int) -> int:
    """The first index in ``[position, highest)`` right after a whitespace character, else ``position``."""
    for i in range(position, highest):
        if text[i - 1].isspace():
            return i
    return position


def cut(texts: Sequence[str], size: int, context: int) -> list[Piece]:
    """Pieces of every text, in order: one per text of at most ``size`` characters, several for longer ones."""
    if context < 0 or size <= 2 * context:
        raise ConfigError(f"a piece of {size} characters cannot hold its own text and {context} on each side")
    own = size - 2 * context
    pieces = []
    for doc, text in enumerate(texts):
        n = len(text)
        if n <= size:
            pieces.append(Piece(doc, 0, n, 0, n))
            continue
        own_start = 0
        while own_start < n:
            own_end = n
            if own_start + own < n:
                # Cut after a whitespace in the last quarter of the stretch; a text without any is cut mid-word.
                own_end = _after_space_before(text, own_start + own, own_start + 3 * own // 4)
            # The context begins and ends on word boundaries where it can.
            start = own_start - context
            start = _after_space_from(text, start, own_start) if start > 0 else 0
            end = own_end + context
            end = _after_space_before(text, end, own_end) if end < n else n
            pieces.append(Piece(doc, start, end, own_start, own_end))
            own_start = own_end
    return pieces


def piece_texts(texts: Sequence[str], pieces: Sequence[Piece]) -> list[str]:
    return [texts[p.doc][p.start : p.end] for p in pieces]


def merge_spans(pieces: Sequence[Piece], spans: Sequence[Sequence[Span]], n_docs: int) -> list[list[Span]]:
    """Each document's spans from its pieces' spans (offsets within the piece): the ones each piece owns, in
    document offsets, without overlaps (two pieces that disagree across a cut: the first one's span stays)."""
    merged: list[list[Span]] = [[] for _ in range(n_docs)]
    for piece, piece_spans in zip(pieces, spans, strict=True):
        out = merged[piece.doc]
        for span in sorted(piece_spans):
            start = span.start + piece.start
            if not piece.own_start <= start < piece.own_end:
                continue
            if out and start < out[-1].end:
                continue
            out.append(Span(start, span.end + piece.start, span.label, span.score))
    return merged


def merge_routed(pieces: Sequence[Piece], routed: Sequence[Routed], n_docs: int) -> list[Routed]:
    """Each document's answer from its pieces' answers: merged spans; deferred (and answered by the fallback's
    name) when any piece was deferred; the least confident piece's confidence."""
    spans = merge_spans(pieces, [r.spans for r in routed], n_docs)
    by_doc: list[list[Routed]] = [[] for _ in range(n_docs)]
    for piece, answer in zip(pieces, routed, strict=True):
        by_doc[piece.doc].append(answer)
    out = []
    for doc_spans, answers in zip(spans, by_doc, strict=True):
        if len(answers) == 1:
            out.append(Routed(doc_spans, answers[0].model, answers[0].confidence, answers[0].deferred))
            continue
        deferred = [a for a in answers if a.deferred]
        model = deferred[0].model if deferred else answers[0].model
        confidence = min((a.confidence for a in answers), default=span_confidence(doc_spans))
        out.append(Routed(doc_spans, model, confidence, bool(deferred)))
    return out
