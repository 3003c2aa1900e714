"""Ground strings (as an LLM returns them) to exact character offsets in the original text. Never guess.

A mention ``{"text", "label", "context"?, "occurrence"?}`` is looked up as a whole word, both sides
normalised (NFKC, whitespace runs -> one space, typographic quotes/dashes -> ASCII) but case kept; matches
that differ only in the case of the first letter (sentence starts) are added; and only when nothing matched
is case ignored altogether. Offsets found in a normalised copy are mapped back through a per-character
offset table, so they are always Python ``str`` indices into the *original* text (NFD input, emoji,
combining marks included).

Which occurrences get the label:

* ``occurrence: n`` -> the n-th (1-based) of the occurrences found; none such -> ``bad_occurrence``;
* ``context`` -> the occurrences inside a place where the context string occurs;
* otherwise one occurrence -> it; several -> all of them with ``policy="all"`` (an entity string is an entity
  everywhere, as in most NER guidelines), or ``ambiguous`` with ``policy="unique"`` (unless the same mention
  was returned exactly as many times as it occurs).

Rejections, counted per reason and never repaired by guessing: ``empty``, ``malformed``, ``unknown_label``,
``not_found``, ``inside_word`` (only found inside a longer word), ``bad_occurrence``, ``ambiguous``,
``label_conflict`` (same offsets, different labels), ``overlap`` (lost to a longer overlapping span). A
mention is counted once, and only when none of its occurrences is kept.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from specialize.data.document import Span
from specialize.errors import ConfigError

logger = logging.getLogger(__name__)

Policy = Literal["all", "unique"]

# LLMs "fix" typography when they copy text; fold it on both sides rather than miss the mention.
_PUNCT_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)

# Scripts written without spaces between words: there a mention legitimately sits inside a "word".
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified
    (0xAC00, 0xD7AF),  # Hangul syllables (Korean particles attach to nouns)
    (0xF900, 0xFAFF),  # CJK compatibility
    (0x20000, 0x2FFFF),  # CJK extensions B+
)


@dataclass(frozen=True)
class NormalizedText:
    """A normalised copy of a text; ``starts[i]:ends[i]`` is the original range character ``i`` came from."""

    text: str
    starts: list[int]
    ends: list[int]

    def is_boundary(self, i: int) -> bool:
        """True when normalised index ``i`` starts a new original segment (so a cut there is exact)."""
        return i <= 0 or i >= len(self.text) or self.starts[i] != self.starts[i - 1]

    def to_original(self, start: int, end: int) -> tuple[int, int] | None:
        """Original offsets of normalised ``[start, end)``; None if that cuts through one original segment."""
        if start >= end or not (self.is_boundary(start) and self.is_boundary(end)):
            return None
        return self.starts[start], self.ends[end - 1]


def normalize_with_offsets(
    text: str,
    *,
    casefold: bool = False,
    compatibility: bool = True,
    collapse_whitespace: bool = True,
    fold_punctuation: bool = True,
) -> NormalizedText:
    """Normalise ``text`` segment by segment, keeping where each output character came from.

    A segment is a base character with the combining marks that follow it (or a run of Hangul conjoining
    jamo): Unicode normalisation never moves characters across such segments, so normalising them one by
    one equals normalising the whole text, and every output character maps to one original segment.
    """
    form: Literal["NFKC", "NFC"] = "NFKC" if compatibility else "NFC"
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch.isascii() and not ch.isspace() and (i + 1 == n or text[i + 1].isascii()):
            # Fast path: NFKC, quote folding and casefold of ASCII are one character each (unless a
            # combining mark follows: "e" + U+0301 must become one NFC "é").
            out.append(ch.lower() if casefold else ch)
            starts.append(i)
            ends.append(i + 1)
            i += 1
            continue
        if collapse_whitespace and ch.isspace():
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            out.append(" ")
            starts.append(i)
            ends.append(j)
            i = j
            continue
        j = i + 1
        if 0x1100 <= ord(ch) <= 0x11FF:
            while j < n and 0x1160 <= ord(text[j]) <= 0x11FF:
                j += 1
        while j < n and unicodedata.category(text[j]).startswith("M"):
            j += 1
        segment = unicodedata.normalize(form, text[i:j])
        if fold_punctuation:
            segment = segment.translate(_PUNCT_FOLD)
        if casefold:
            segment = unicodedata.normalize("NFC", segment.casefold())
        for c in segment:
            out.append(c)
            starts.append(i)
            ends.append(j)
        i = j
    return NormalizedText("".join(out), starts, ends)


def _spaced_word_char(c: str) -> bool:
    if not c.isalnum():
        return False
    code = ord(c)
    return not any(lo <= code <= hi for lo, hi in _NO_SPACE_RANGES)


def inside_word(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` starts or ends in the middle of a (space-delimited) word."""
    if start > 0 and _spaced_word_char(text[start - 1]) and _spaced_word_char(text[start]):
        return True
    return end < len(text) and _spaced_word_char(text[end]) and _spaced_word_char(text[end - 1])


def _find_all(haystack: str, needle: str) -> list[int]:
    """Start positions of non-overlapping occurrences, left to right."""
    found = []
    i = haystack.find(needle)
    while i >= 0:
        found.append(i)
        i = haystack.find(needle, i + len(needle))
    return found


@dataclass(frozen=True)
class Mention:
    """A string said to be an entity, with optional disambiguation."""

    text: str
    label: str
    context: str | None = None
    occurrence: int | None = None

    @classmethod
    def from_obj(cls, obj: Any) -> Mention | None:
        """From an LLM's JSON item (``text``/``label`` also as ``entity``/``type``); None when malformed."""
        if not isinstance(obj, Mapping):
            return None
        text = next((obj[k] for k in ("text", "entity", "mention", "span") if k in obj), None)
        label = next((obj[k] for k in ("label", "type", "entity_type", "category") if k in obj), None)
        if not isinstance(text, str) or not isinstance(label, str):
            return None
        context = obj.get("context")
        occurrence = obj.get("occurrence")
        if isinstance(occurrence, str) and occurrence.strip().isdigit():
            occurrence = int(occurrence)
        return cls(
            text,
            label,
            context if isinstance(context, str) and context.strip() else None,
            occurrence if isinstance(occurrence, int) and not isinstance(occurrence, bool) else None,
        )


@dataclass
class GroundingResult:
    spans: list[Span] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)


class Grounder:
    """Finds mentions in one text; the normalised copies are built once and reused for every mention."""

    def __init__(self, text: str, *, case_insensitive: bool = True, normalize: bool = True) -> None:
        self.text = text
        self.case_insensitive = case_insensitive
        self.normalize = normalize
        self._plain: NormalizedText | None = None
        self._folded: NormalizedText | None = None

    def _search(self, needle: str, casefold: bool, whole_words: bool) -> tuple[list[tuple[int, int]], bool]:
        """Whole-word occurrences in one normalised copy, and whether any were rejected as partial."""
        if casefold:
            if self._folded is None:
                self._folded = normalize_with_offsets(self.text, casefold=True)
            level = self._folded
        elif self.normalize:
            if self._plain is None:
                self._plain = normalize_with_offsets(self.text)
            level = self._plain
        else:
            hits = [(s, s + len(needle)) for s in _find_all(self.text, needle)]
            good = [o for o in hits if not (whole_words and inside_word(self.text, *o))]
            return good, len(good) < len(hits)
        probe = normalize_with_offsets(needle, casefold=casefold).text.strip()
        found, partial = [], False
        for s in _find_all(level.text, probe) if probe else []:
            original = level.to_original(s, s + len(probe))
            if original is None or (whole_words and inside_word(self.text, *original)):
                partial = True
            else:
                found.append(original)
        return found, partial

    def find(self, needle: str, *, whole_words: bool = True) -> tuple[list[tuple[int, int]], str | None]:
        """Occurrences of ``needle`` in the original text, or ``([], reason)``.

        Case-preserving matches (exact or normalised) come first. Case-insensitive ones are added when they
        differ only in the case of the first letter ("Breast cancer" at a sentence start), and used alone
        when nothing else matched (the LLM changed the case while copying). Beyond that, case is kept: an
        LLM's "AS" (ankylosing spondylitis) must not label every "as".
        """
        needle = needle.strip()
        if not needle:
            return [], "empty"
        found, partial = self._search(needle, casefold=False, whole_words=whole_words)
        if self.case_insensitive:
            folded, partial_folded = self._search(needle, casefold=True, whole_words=whole_words)
            if not found:
                found, partial = folded, partial or partial_folded
            else:
                plain = normalize_with_offsets(needle).text
                seen = set(found)
                for start, end in folded:
                    surface = normalize_with_offsets(self.text[start:end]).text
                    if (start, end) not in seen and _first_letter_variant(surface, plain):
                        found.append((start, end))
                found.sort()
        if found:
            return found, None
        return [], "inside_word" if partial else "not_found"


def _first_letter_variant(a: str, b: str) -> bool:
    return len(a) == len(b) and a[1:] == b[1:] and a[:1].casefold() == b[:1].casefold()


def _canonical_labels(labels: Collection[str] | None) -> dict[str, str] | None:
    if labels is None:
        return None
    return {label.casefold(): label for label in labels}


def ground(
    text: str,
    mentions: Iterable[Mention | Mapping[str, Any]],
    *,
    labels: Collection[str] | None = None,
    policy: Policy = "all",
    case_insensitive: bool = True,
    normalize: bool = True,
    allow_overlaps: bool = False,
) -> GroundingResult:
    """Character-offset spans for ``mentions`` in ``text`` (see the module docstring for the rules).

    ``labels``: the allowed labels (matched case-insensitively, returned in their canonical spelling);
    ``None`` accepts any. With ``allow_overlaps=False`` overlapping spans are resolved longest first, then
    leftmost, so "breast cancer" wins over the "cancer" inside it.
    """
    if policy not in ("all", "unique"):
        raise ConfigError(f"grounding policy must be 'all' or 'unique', got {policy!r}")
    canonical = _canonical_labels(labels)
    grounder = Grounder(text, case_insensitive=case_insensitive, normalize=normalize)
    result = GroundingResult()
    parsed: list[Mention] = []
    for item in mentions:
        mention = item if isinstance(item, Mention) else Mention.from_obj(item)
        if mention is None:
            result.rejected["malformed"] += 1
            continue
        if not mention.text.strip():
            result.rejected["empty"] += 1
            continue
        label = mention.label.strip()
        if canonical is not None:
            if label.casefold() not in canonical:
                result.rejected["unknown_label"] += 1
                continue
            label = canonical[label.casefold()]
        parsed.append(Mention(mention.text, label, mention.context, mention.occurrence))
    # How often each plain (undisambiguated) mention was returned: k copies of a string that occurs k times
    # name every occurrence, even under the "unique" policy.
    plain_counts = Counter((m.text.strip(), m.label) for m in parsed if m.context is None and m.occurrence is None)

    candidates: dict[tuple[int, int], set[str]] = {}
    grounded: list[list[tuple[int, int]]] = []  # per surviving mention: its chosen occurrences
    for mention in parsed:
        chosen, reason = _choose(grounder, mention, policy, plain_counts)
        if reason is not None:
            result.rejected[reason] += 1
            continue
        grounded.append(chosen)
        for start, end in chosen:
            candidates.setdefault((start, end), set()).add(mention.label)

    conflicted = {key for key, found_labels in candidates.items() if len(found_labels) > 1}
    spans = [Span(s, e, next(iter(ls))) for (s, e), ls in candidates.items() if (s, e) not in conflicted]
    if not allow_overlaps:
        spans, _ = resolve_overlaps(spans)
    kept = {(s.start, s.end) for s in spans}
    # A mention counts as rejected only when none of its occurrences survived: under policy "all" the
    # "cancer" inside "breast cancer" is dropped, but the mention "cancer" still labels its own occurrences.
    for chosen in grounded:
        if not kept.intersection(chosen):
            result.rejected["label_conflict" if conflicted.intersection(chosen) else "overlap"] += 1
    result.spans = sorted(spans)
    return result


def _choose(
    grounder: Grounder, mention: Mention, policy: Policy, plain_counts: Counter[tuple[str, str]]
) -> tuple[list[tuple[int, int]], str | None]:
    occurrences, reason = grounder.find(mention.text)
    if reason is not None:
        return [], reason
    if mention.occurrence is not None:
        if 1 <= mention.occurrence <= len(occurrences):
            return [occurrences[mention.occurrence - 1]], None
        return [], "bad_occurrence"
    if mention.context is not None and len(occurrences) > 1:
        # Context is copied loosely and may be cut mid-word: no whole-word check for it.
        places, _ = grounder.find(mention.context, whole_words=False)
        inside = [o for o in occurrences if any(cs <= o[0] and o[1] <= ce for cs, ce in places)]
        if len(inside) == 1 or (inside and policy == "all"):
            return inside, None
        if inside:
            return [], "ambiguous"
        logger.debug("context %r of %r not found; falling back to policy %s", mention.context, mention.text, policy)
    if len(occurrences) == 1 or policy == "all":
        return occurrences, None
    if mention.context is None and plain_counts[(mention.text.strip(), mention.label)] == len(occurrences):
        return occurrences, None
    return [], "ambiguous"


def resolve_overlaps(spans: Iterable[Span]) -> tuple[list[Span], int]:
    """Drop spans overlapping a preferred one: higher score, then longer, then leftmost, then label name.

    Deterministic whatever the input order. Returns the kept spans (sorted) and how many were dropped.
    """
    ordered = sorted(spans, key=lambda s: (-(s.score or 0.0), -(s.end - s.start), s.start, s.label))
    kept: list[Span] = []
    taken: list[tuple[int, int]] = []
    dropped = 0
    for span in ordered:
        if any(span.start < end and start < span.end for start, end in taken):
            dropped += 1
            continue
        kept.append(span)
        taken.append((span.start, span.end))
    return sorted(kept), dropped
