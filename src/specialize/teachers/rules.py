"""Rule teachers: a gazetteer (term lists, longest match over a token trie) and regular expressions.

The gazetteer tokenises the normalised text once (words ``\\w+`` with their combining marks, and single
punctuation characters) and walks a trie of term tokens from every token: O(tokens x longest term) whatever
the number of terms, so 100k terms cost no more per document than 10. Terms match whole tokens only
("cancer" never matches inside "cancers") and whitespace between tokens must agree in presence, not amount
("breast  cancer" matches "breast cancer", "breast-cancer" does not match "breast - cancer").
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.errors import DataError, InputNotFoundError
from specialize.teachers.base import TeacherBase, TeacherOutput, make_fingerprint
from specialize.teachers.grounding import NormalizedText, normalize_with_offsets, resolve_overlaps

logger = logging.getLogger(__name__)

_END = ""  # trie key of the terminal entry: no token is empty


@functools.lru_cache(maxsize=1)
def _token_pattern() -> re.Pattern[str]:
    """Words with their combining marks (Python's ``\\w`` leaves out Mn/Mc, splitting Hindi or NFD text)."""
    marks = [c for c in range(0x20000) if unicodedata.category(chr(c)).startswith("M")]
    ranges: list[tuple[int, int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    mark_class = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile(rf"[\w{mark_class}]+|[^\w\s{mark_class}]")


def _is_acronym(term: str) -> bool:
    """Short all-capital terms ("ALL", "AS", "DM") whose lowercase forms are common words."""
    letters = [c for c in term if c.isalpha()]
    return 2 <= len(term) <= 6 and bool(letters) and all(c.isupper() for c in letters)


@dataclass
class _Entry:
    labels: Counter[str]
    exact_forms: set[str] | None  # None: any case matches; else only these (normalised, case kept)


class GazetteerTeacher(TeacherBase):
    """Label every longest, leftmost occurrence of a listed term.

    ``terms``: ``{label: [term, ...]}`` or ``(term, label[, weight])`` items. A term listed under several
    labels takes the label with the largest total weight; a tie is skipped and counted as ``ambiguous``.
    Matching is case-insensitive unless ``case_sensitive``; with ``keep_acronym_case`` short all-capital
    terms still need their exact case ("ALL", acute lymphoblastic leukaemia, must not match "all").
    Spans are scored with the winning label's share of the term's weight.
    """

    def __init__(
        self,
        terms: Mapping[str, Iterable[str]] | Iterable[tuple[str, str] | tuple[str, str, float]],
        *,
        case_sensitive: bool = False,
        keep_acronym_case: bool = True,
        min_chars: int = 2,
        name: str = "gazetteer",
        source: str = "inline",
    ) -> None:
        self.name = name
        self.case_sensitive = case_sensitive
        self.keep_acronym_case = keep_acronym_case and not case_sensitive
        self.min_chars = min_chars
        self._root: dict[str, Any] = {}
        self._entries: list[_Entry] = []
        self._labels: set[str] = set()
        items = _iter_terms(terms)
        lines: list[str] = []
        skipped = 0
        for term, label, weight in items:
            term = term.strip()
            if len(term) < min_chars:
                skipped += 1
                continue
            self._add(term, label, weight)
            lines.append(f"{term}\t{label}\t{weight}\n")
        if skipped:
            logger.warning("%s: skipped %d terms shorter than min_chars=%d", name, skipped, min_chars)
        if not self._entries:
            raise DataError(f"gazetteer {source!r} has no usable terms (min_chars={min_chars}); add term<TAB>label")
        ambiguous = sum(1 for e in self._entries if _top_label(e.labels) is None)
        if ambiguous:
            logger.warning("%s: %d terms are listed under several labels with equal weight; skipped", name, ambiguous)
        logger.info("%s: %d terms, labels %s", name, len(self._entries), sorted(self._labels))
        # The file name, not its path: moving a project must not invalidate its store (content is hashed).
        self._fingerprint = make_fingerprint(
            "gazetteer",
            Path(source).name,
            terms=hashlib.sha256("".join(sorted(lines)).encode()).hexdigest(),  # order-free
            case_sensitive=case_sensitive,
            keep_acronym_case=self.keep_acronym_case,
            min_chars=min_chars,
        )

    # -- construction ---------------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, *, label: str | None = None, **options: Any) -> GazetteerTeacher:
        """Read ``term<TAB>label`` lines (``#`` comments; plain ``term`` lines with ``label=``) or JSON
        ``{label: [terms]}``."""
        path = Path(path)
        if not path.is_file():
            raise InputNotFoundError(f"gazetteer file {path} does not exist; pass a TSV (term<TAB>label) or JSON")
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
                raise DataFormatError(
                    "expected an object mapping each label to a list of terms",
                    fix='write {"Disease": ["breast cancer", ...], ...}',
                    path=path,
                )
            terms: list[tuple[str, str]] = [(str(t), str(lab)) for lab, values in data.items() for t in values]
        else:
            terms = []
            for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                parts = line.rstrip("\r").split("\t")
                if len(parts) >= 2 and parts[1].strip():
                    terms.append((parts[0], parts[1].strip()))
                elif label is not None:
                    terms.append((parts[0], label))
                else:
                    raise DataFormatError(
                        "no label after a tab",
                        fix="write term<TAB>label, or give one label for the whole file (option label=NAME)",
                        path=path,
                        line=number,
                    )
        options.setdefault("name", f"gazetteer:{path.name}")
        return cls(terms, source=str(path), **options)

    @classmethod
    def from_documents(
        cls, docs: Iterable[Document], *, labels: Sequence[str] | None = None, min_count: int = 1, **options: Any
    ) -> GazetteerTeacher:
        """Every gold mention string, weighted by how often it carried each label (e.g. NCBI-disease train)."""
        counts: Counter[tuple[str, str]] = Counter()
        for doc in docs:
            for span in doc.spans:
                if labels is None or span.label in labels:
                    counts[(doc.span_text(span), span.label)] += 1
        # min_count applies to what the gazetteer will see as one term ("Breast cancer" = "breast cancer"
        # unless case_sensitive), not to each spelling.
        casefold = not options.get("case_sensitive", False)
        totals: Counter[str] = Counter()
        for (term, _), n in counts.items():
            totals[normalize_with_offsets(term.strip(), casefold=casefold).text] += n
        terms = [
            (term, label, float(n))
            for (term, label), n in sorted(counts.items())
            if totals[normalize_with_offsets(term.strip(), casefold=casefold).text] >= min_count
        ]
        options.setdefault("name", "gazetteer:documents")
        return cls(terms, source="documents", **options)

    def _key(self, term: str) -> list[str]:
        norm = normalize_with_offsets(term, casefold=not self.case_sensitive).text
        keys, previous_end = [], None
        for m in _token_pattern().finditer(norm):
            gap = previous_end is not None and m.start() > previous_end
            keys.append((" " if gap else "") + m.group())
            previous_end = m.end()
        return keys

    def _add(self, term: str, label: str, weight: float) -> None:
        keys = self._key(term)
        if not keys:
            return
        node = self._root
        for key in keys:
            node = node.setdefault(key, {})
        if _END not in node:
            node[_END] = len(self._entries)
            self._entries.append(_Entry(Counter(), set()))
        entry = self._entries[node[_END]]
        entry.labels[label] += weight
        self._labels.add(label)
        if self.keep_acronym_case and _is_acronym(term):
            if entry.exact_forms is not None:
                entry.exact_forms.add(normalize_with_offsets(term).text)
        else:
            entry.exact_forms = None

    # -- Teacher --------------------------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return sorted(self._labels)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __len__(self) -> int:
        return len(self._entries)

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        return [self._label_one(text) for text in texts]

    def _label_one(self, text: str) -> TeacherOutput:
        out = TeacherOutput()
        norm = normalize_with_offsets(text, casefold=not self.case_sensitive)
        tokens: list[tuple[int, int, str]] = []  # normalised start, end, trie key
        previous_end: int | None = None
        for m in _token_pattern().finditer(norm.text):
            gap = previous_end is not None and m.start() > previous_end
            tokens.append((m.start(), m.end(), (" " if gap else "") + m.group()))
            previous_end = m.end()
        i = 0
        while i < len(tokens):
            found = self._longest_at(text, norm, tokens, i, out)
            if found is None:
                i += 1
                continue
            span, next_i = found
            if span is not None:
                out.spans.append(span)
            i = next_i
        return out

    def _longest_at(
        self, text: str, norm: NormalizedText, tokens: list[tuple[int, int, str]], i: int, out: TeacherOutput
    ) -> tuple[Span | None, int] | None:
        """The longest valid match starting at token ``i`` as (span or None if ambiguous, next token)."""
        node = self._root.get(tokens[i][2].lstrip(" "))  # a term's first token has no gap before it
        terminals: list[tuple[int, int]] = []  # (last token index, entry index)
        j = i
        while node is not None:
            if _END in node:
                terminals.append((j, node[_END]))
            j += 1
            if j == len(tokens):
                break
            node = node.get(tokens[j][2])
        for last, entry_index in reversed(terminals):
            original = norm.to_original(tokens[i][0], tokens[last][1])
            if original is None:
                continue  # the match cuts through one original character (NFKC expanded it)
            entry = self._entries[entry_index]
            if entry.exact_forms is not None:
                surface = normalize_with_offsets(text[original[0] : original[1]]).text
                if surface not in entry.exact_forms:
                    continue
            top = _top_label(entry.labels)
            if top is None:
                out.rejected["ambiguous"] += 1
                return None, last + 1
            score = entry.labels[top] / sum(entry.labels.values())
            return Span(original[0], original[1], top, score), last + 1
        return None


def _top_label(labels: Counter[str]) -> str | None:
    ranked = labels.most_common(2)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def _iter_terms(
    terms: Mapping[str, Iterable[str]] | Iterable[tuple[str, str] | tuple[str, str, float]],
) -> Iterable[tuple[str, str, float]]:
    if isinstance(terms, Mapping):
        for label, values in terms.items():
            if isinstance(values, str):
                raise DataError(f"terms for label {label!r} is a string; give a list of terms")
            for term in values:
                yield term, label, 1.0
        return
    for item in terms:
        if len(item) == 3:
            yield item[0], item[1], float(item[2])
        else:
            yield item[0], item[1], 1.0


class RegexTeacher(TeacherBase):
    """Label every match of each label's patterns; a named group ``span`` narrows the labelled part.

    ``validators`` (label -> function of the matched string) reject matches a pattern cannot rule out alone,
    such as a card number failing the Luhn check (counted as ``invalid``). ``scores`` (label -> score) score
    the spans of a label, so that a checked identifier outranks a loose pattern where they overlap.
    Overlapping matches are resolved by score, then longest, then leftmost (counted as ``overlap``).
    """

    def __init__(
        self,
        patterns: Mapping[str, Sequence[str]],
        *,
        ignore_case: bool = False,
        validators: Mapping[str, Callable[[str], bool]] | None = None,
        scores: Mapping[str, float] | None = None,
        name: str = "regex",
        source: str = "inline",
    ) -> None:
        self.name = name
        self.ignore_case = ignore_case
        self.validators = dict(validators or {})
        self.scores = dict(scores or {})
        stray = sorted((set(self.validators) | set(self.scores)) - set(patterns))
        if stray:
            raise DataError(f"{source}: validators or scores for labels without patterns: {stray}")
        flags = re.IGNORECASE if ignore_case else 0
        self._compiled: list[tuple[str, re.Pattern[str]]] = []
        for label, items in patterns.items():
            if isinstance(items, str):
                raise DataError(f"{source}: patterns for label {label!r} is a string; give a list of patterns")
            for pattern in items:
                try:
                    self._compiled.append((label, re.compile(pattern, flags)))
                except re.error as exc:
                    raise DataError(
                        f"{source}: label {label!r}: pattern {pattern!r} does not compile ({exc}); fix the pattern"
                    ) from exc
        if not self._compiled:
            raise DataError(f"{source}: no patterns; give at least one label with a pattern")
        self._labels = sorted({label for label, _ in self._compiled})
        # Validators and scores enter the key only when given, so label stores of plain regex teachers stay valid.
        checks: dict[str, Any] = {}
        if self.validators:
            checks["validators"] = {lab: f"{fn.__module__}.{fn.__qualname__}" for lab, fn in self.validators.items()}
        if self.scores:
            checks["scores"] = self.scores
        self._fingerprint = make_fingerprint(
            "regex",
            Path(source).name,
            patterns=sorted((label, p.pattern) for label, p in self._compiled),
            ignore_case=ignore_case,
            **checks,
        )

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> RegexTeacher:
        """JSON ``{label: [pattern, ...]}`` or ``label<TAB>pattern`` lines (``#`` comments)."""
        path = Path(path)
        if not path.is_file():
            raise InputNotFoundError(f"regex file {path} does not exist; pass JSON {{label: [patterns]}} or a TSV")
        patterns: dict[str, list[str]] = {}
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise DataFormatError("expected an object", fix='write {"Label": ["pattern", ...]}', path=path)
            patterns = {str(k): list(v) if isinstance(v, list) else [v] for k, v in data.items()}
        else:
            for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                label, tab, pattern = line.rstrip("\r").partition("\t")
                if not tab or not pattern:
                    raise DataFormatError(
                        "no pattern after a tab", fix="write label<TAB>pattern", path=path, line=number
                    )
                patterns.setdefault(label.strip(), []).append(pattern)
        options.setdefault("name", f"regex:{path.name}")
        return cls(patterns, source=str(path), **options)

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        outputs = []
        for text in texts:
            found: set[Span] = set()
            invalid = 0
            for label, pattern in self._compiled:
                validator = self.validators.get(label)
                for m in pattern.finditer(text):
                    group = "span" if "span" in pattern.groupindex and m.start("span") >= 0 else 0
                    if m.end(group) <= m.start(group):
                        continue
                    if validator is not None and not validator(m.group(group)):
                        invalid += 1
                        continue
                    found.add(Span(m.start(group), m.end(group), label, self.scores.get(label)))
            spans, dropped = resolve_overlaps(found)
            out = TeacherOutput(spans=spans)
            if invalid:
                out.rejected["invalid"] += invalid
            if dropped:
                out.rejected["overlap"] += dropped
            outputs.append(out)
        return outputs
