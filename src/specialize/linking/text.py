"""Mention strings: normalisation for the dictionary, and abbreviations defined in the same document.

Biomedical abstracts define most abbreviations once ("Wilson disease (WD)") and then use the short form;
the short form alone ("WD") is ambiguous across abstracts but not within one, so linking it through its long
form is the cheapest large gain (Schwartz & Hearst, PSB 2003, is the algorithm used here).
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
# A parenthesis holding a short-form candidate: 1-2 words, at most 10 characters, no nested parentheses.
_PARENTHESIS = re.compile(r"\(\s*([^()\s][^()]{0,9}?)\s*\)")
_SENTENCE_END = re.compile(r"[.;:!?]\s")


def normalise(text: str, *, strip_plurals: bool = True) -> str:
    """Case, punctuation and spacing removed: ``"Breast-Cancers "`` -> ``"breast cancer"``.

    ``strip_plurals`` drops a final ``s`` of words longer than four letters (not ``-ss``, ``-us``, ``-is``:
    "tumours" but not "sclerosis" or "virus"), a crude stemmer that merges the many plural mentions.
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    words = _NON_WORD.sub(" ", folded).split()
    if strip_plurals:
        words = [w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")) else w for w in words]
    return " ".join(words)


def find_abbreviations(text: str) -> dict[str, str]:
    """Short form -> long form for each ``long form (SF)`` definition in ``text`` (first definition wins)."""
    found: dict[str, str] = {}
    for match in _PARENTHESIS.finditer(text):
        short = match.group(1)
        if not _is_short_form(short) or short in found:
            continue
        before = text[: match.start()]
        sentence_start = max((m.end() for m in _SENTENCE_END.finditer(before)), default=0)
        words = before[sentence_start:].split()
        window = words[-min(len(short) + 5, 2 * len(short)) :]
        long = _best_long_form(short, " ".join(window))
        if long is not None:
            found[short] = long
    return found


def _is_short_form(candidate: str) -> bool:
    return (
        len(candidate.split()) <= 2
        and any(c.isalpha() for c in candidate)
        and candidate[0].isalnum()
        # "(n = 12)", "(1995)" and "(see below)" are not abbreviations; a short form has an upper-case letter.
        and any(c.isupper() for c in candidate)
    )


def _best_long_form(short: str, candidate: str) -> str | None:
    """Schwartz & Hearst: match the short form's characters right to left; its first one starts a word."""
    s, c = len(short) - 1, len(candidate) - 1
    while s >= 0:
        char = short[s].lower()
        if not char.isalnum():
            s -= 1
            continue
        while c >= 0 and (candidate[c].lower() != char or (s == 0 and c > 0 and candidate[c - 1].isalnum())):
            c -= 1
        if c < 0:
            return None
        c -= 1
        s -= 1
    start = candidate.rfind(" ", 0, c + 1) + 1
    long = candidate[start:].strip()
    if len(long) <= len(short) or short.lower() in long.lower().split():
        return None
    return long
