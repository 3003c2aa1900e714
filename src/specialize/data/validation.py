"""Check spans against their text and resolve overlaps explicitly.

Nothing here drops a span silently: ``validate_spans`` only counts and shows problems, and
``resolve_overlaps`` returns what it dropped so the caller can report the numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError


class OverlapPolicy(StrEnum):
    ERROR = "error"
    KEEP_LONGEST = "keep_longest"
    KEEP_FIRST = "keep_first"


@dataclass(frozen=True)
class SpanIssue:
    """One problematic span, with enough context to find it again."""

    kind: str  # "out_of_range" | "empty" | "overlapping" | "duplicate"
    doc_index: int
    doc_id: str | None
    span: Span
    span_text: str
    other: Span | None = None

    def describe(self) -> str:
        where = f"doc {self.doc_index}" + (f" ({self.doc_id})" if self.doc_id is not None else "")
        what = f"{self.span.label} [{self.span.start}:{self.span.end}] {self.span_text!r}"
        if self.other is not None:
            what += f" vs {self.other.label} [{self.other.start}:{self.other.end}]"
        return f"{self.kind}: {where}: {what}"


@dataclass
class SpanReport:
    """Counts per problem over a collection of documents plus a few examples of each."""

    documents: int = 0
    spans: int = 0
    out_of_range: int = 0
    empty: int = 0
    overlapping: int = 0  # pairs of distinct spans sharing at least one character
    duplicate: int = 0  # spans identical (start, end, label) to an earlier one in the same document
    docs_with_problems: int = 0
    examples: list[SpanIssue] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return self.out_of_range + self.empty + self.overlapping + self.duplicate

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def summary(self) -> str:
        head = f"{self.documents} documents, {self.spans} spans"
        if self.ok:
            return f"{head}: no span problems"
        counts = ", ".join(
            f"{n} {name.replace('_', ' ')}"
            for name, n in (
                ("out_of_range", self.out_of_range),
                ("empty", self.empty),
                ("overlapping", self.overlapping),
                ("duplicate", self.duplicate),
            )
            if n
        )
        lines = [f"{head}: {counts} (in {self.docs_with_problems} documents)"]
        lines += [f"  e.g. {issue.describe()}" for issue in self.examples]
        return "\n".join(lines)


def validate_spans(docs: Iterable[Document], max_examples: int = 3) -> SpanReport:
    """Count spans that are out of range, empty, overlapping or duplicated; keep ``max_examples`` per kind."""
    report = SpanReport()
    shown: dict[str, int] = {}

    def note(issue: SpanIssue) -> None:
        if shown.get(issue.kind, 0) < max_examples:
            shown[issue.kind] = shown.get(issue.kind, 0) + 1
            report.examples.append(issue)

    for index, doc in enumerate(docs):
        report.documents += 1
        report.spans += len(doc.spans)
        before = report.problems
        valid: list[Span] = []
        for span in doc.spans:
            text = doc.text[max(span.start, 0) : max(span.end, 0)]
            if span.start < 0 or span.end > len(doc.text) or span.start > span.end:
                report.out_of_range += 1
                note(SpanIssue("out_of_range", index, doc.id, span, text))
            elif span.start == span.end:
                report.empty += 1
                note(SpanIssue("empty", index, doc.id, span, text))
            else:
                valid.append(span)
        seen: set[tuple[int, int, str]] = set()
        unique: list[Span] = []
        for span in sorted(valid):
            if span.key() in seen:
                report.duplicate += 1
                note(SpanIssue("duplicate", index, doc.id, span, doc.span_text(span)))
            else:
                seen.add(span.key())
                unique.append(span)
        for a, b in overlapping_pairs(unique):
            report.overlapping += 1
            note(SpanIssue("overlapping", index, doc.id, a, doc.span_text(a), other=b))
        if report.problems > before:
            report.docs_with_problems += 1
    return report


GOLD_FIX = (
    "fix the spans in the file (scores against such gold are wrong: a duplicated span makes a perfect prediction "
    "score F1 0.667, an empty one can never be found); or resolve them explicitly first: "
    "specialize.data.validation.resolve_gold(docs) drops duplicate, empty and out-of-range spans and keeps the "
    "longest of overlapping ones, returning what it dropped, per problem"
)


def check_gold(docs: Sequence[Document], source: str | Path | None = None, role: str = "gold") -> SpanReport:
    """The one validation of gold spans (evaluate, train, distill, export --check): raise
    :class:`DataFormatError` naming ``source``, the counts per problem and examples, else return the report.

    Gold must be flat: out-of-range, empty, duplicate and overlapping spans are refused, never scored or
    learned from in silence."""
    report = validate_spans(docs)
    if report.problems:
        raise DataFormatError(f"{role} data has span problems: {report.summary()}\n", fix=GOLD_FIX, path=source)
    return report


def resolve_gold(
    docs: Iterable[Document], overlaps: OverlapPolicy | str = OverlapPolicy.KEEP_LONGEST
) -> tuple[list[Document], Counter[str]]:
    """Gold made flat explicitly: out-of-range and empty spans dropped, exact duplicates kept once, overlaps
    resolved by ``overlaps`` (``keep_longest`` or ``keep_first``). Returns the documents and the number of
    spans dropped per problem (``out_of_range_or_empty``, ``duplicate``, ``overlapping``) to report."""
    policy = OverlapPolicy(overlaps)
    if policy is OverlapPolicy.ERROR:
        raise ValueError("resolve_gold needs overlaps='keep_longest' or 'keep_first'; check_gold refuses overlaps")
    dropped: Counter[str] = Counter()
    out = []
    for doc in docs:
        doc, invalid = drop_invalid_spans(doc)
        dropped["out_of_range_or_empty"] += len(invalid)
        first: dict[tuple[int, int, str], Span] = {}
        for span in sorted(doc.spans):
            first.setdefault(span.key(), span)
        unique = list(first.values())
        if len(unique) < len(doc.spans):
            dropped["duplicate"] += len(doc.spans) - len(unique)
            doc = replace(doc, spans=unique, meta=dict(doc.meta))
        doc, overlapping = resolve_overlaps(doc, policy)
        dropped["overlapping"] += len(overlapping)
        out.append(doc)
    return out, +dropped


def overlapping_pairs(spans: list[Span]) -> list[tuple[Span, Span]]:
    """Pairs of spans sharing a character; ``spans`` must be sorted by start (a sweep, not all pairs)."""
    pairs: list[tuple[Span, Span]] = []
    active: list[Span] = []
    for span in spans:
        active = [a for a in active if a.end > span.start]
        pairs.extend((a, span) for a in active)
        active.append(span)
    return pairs


def resolve_overlaps(doc: Document, policy: OverlapPolicy | str = OverlapPolicy.ERROR) -> tuple[Document, list[Span]]:
    """Return ``(doc without overlapping spans, dropped spans)``.

    ``keep_longest`` keeps the longest span of each overlapping group (ties: the earlier one);
    ``keep_first`` keeps the span that starts first (ties: the longer one). Exact duplicates count as
    overlaps. ``error`` raises if anything overlaps. The input document is not modified.
    """
    policy = OverlapPolicy(policy)
    spans = sorted(doc.spans)
    overlapping = overlapping_pairs(spans)
    if not overlapping:
        return doc, []
    if policy is OverlapPolicy.ERROR:
        a, b = overlapping[0]
        raise DataFormatError(
            f"{len(overlapping)} overlapping span pair(s), e.g. {a.label} [{a.start}:{a.end}] "
            f"{doc.span_text(a)!r} and {b.label} [{b.start}:{b.end}] {doc.span_text(b)!r}",
            fix="this format/model needs flat spans: pass overlap policy 'keep_longest' or 'keep_first'",
            field=f"document {doc.id}" if doc.id is not None else None,
        )
    if policy is OverlapPolicy.KEEP_LONGEST:
        order = sorted(spans, key=lambda s: (-(s.end - s.start), s.start, s.label))
    else:
        order = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), s.label))
    kept: list[Span] = []
    dropped: list[Span] = []
    for span in order:
        if any(span.start < k.end and k.start < span.end for k in kept):
            dropped.append(span)
        else:
            kept.append(span)
    return replace(doc, spans=sorted(kept), meta=dict(doc.meta)), sorted(dropped)


def drop_invalid_spans(doc: Document) -> tuple[Document, list[Span]]:
    """Return ``(doc without out-of-range or empty spans, dropped spans)``."""
    kept = [s for s in doc.spans if 0 <= s.start < s.end <= len(doc.text)]
    dropped = [s for s in doc.spans if not (0 <= s.start < s.end <= len(doc.text))]
    if not dropped:
        return doc, []
    return replace(doc, spans=kept, meta=dict(doc.meta)), dropped
