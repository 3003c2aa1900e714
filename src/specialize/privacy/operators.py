"""Redaction operators: replace each found span of a text with a mask, a type tag, a keyed hash or a surrogate.

* ``mask``: the value's characters as ``*`` (line breaks kept, so a redacted address keeps its layout).
* ``tag``: ``<PERSON>``.
* ``hash``: the first 16 hex digits of HMAC-SHA256(salt, value): the same value gives the same hash for a
  salt (records can still be linked), and without the salt a hash cannot be reversed by hashing guesses.
* ``surrogate``: a type-appropriate fake (``surrogates.fake_value``); within one ``Redactor`` (a run, or a
  document with ``scope=document``) the same value always gets the same fake and two values never share one.

Overlapping spans are joined into one replacement (the label of the longest), so no character slips through
between them. Without a salt a random one is drawn per ``Redactor``: hashes and fakes are then consistent
within the run only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.privacy.surrogates import fake_value, keyed_seed

logger = logging.getLogger(__name__)


class Operator(StrEnum):
    MASK = "mask"
    TAG = "tag"
    HASH = "hash"
    SURROGATE = "surrogate"


class Scope(StrEnum):
    """How far surrogate consistency reaches: one run (all documents of a ``Redactor``) or one document."""

    RUN = "run"
    DOCUMENT = "document"


@dataclass(frozen=True)
class Replacement:
    """One replaced range: ``start:end`` in the input text, ``out_start:out_end`` in the redacted text."""

    start: int
    end: int
    label: str
    replacement: str
    out_start: int
    out_end: int
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        # The original value is left out on purpose: the output must not carry what it redacts.
        out: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "replacement": self.replacement,
            "out_start": self.out_start,
            "out_end": self.out_end,
        }
        if self.score is not None:
            out["score"] = round(float(self.score), 6)
        return out


@dataclass
class Redaction:
    text: str
    replacements: list[Replacement] = field(default_factory=list)


def join_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Overlapping spans as one span covering all of them, labelled as the longest (then highest-scored)."""
    groups: list[list[Span]] = []
    for span in sorted(spans):
        if span.end <= span.start:
            continue
        if groups and span.start < max(s.end for s in groups[-1]):
            groups[-1].append(span)
        else:
            groups.append([span])
    joined = []
    for group in groups:
        head = max(group, key=lambda s: (s.end - s.start, s.score or 0.0, -s.start))
        scores = [s.score for s in group if s.score is not None]
        joined.append(Span(group[0].start, max(s.end for s in group), head.label, min(scores) if scores else None))
    return joined


# Parts of a URL or e-mail address that fakes keep on purpose; they reveal nothing.
_STRUCTURAL_WORDS = frozenset({"http", "https", "www", "com", "org", "net", "example"})


def _shares_a_word(fake: str, value: str) -> bool:
    """The fake equals the value or repeats one of its words (letters only, 3+ long: names, streets)."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]{3,}", value)} - _STRUCTURAL_WORDS
    return fake == value or any(w.lower() in words for w in re.findall(r"[^\W\d_]{3,}", fake))


class Redactor:
    """Applies one operator to texts; holds the salt and, for surrogates, the value -> fake table."""

    def __init__(
        self,
        operator: Operator | str = Operator.TAG,
        *,
        salt: str | bytes | None = None,
        scope: Scope | str = Scope.RUN,
        mask_char: str = "*",
    ) -> None:
        self.operator = Operator(operator)
        self.scope = Scope(scope)
        if len(mask_char) != 1:
            raise ConfigError(f"mask_char must be one character, got {mask_char!r}")
        self.mask_char = mask_char
        if salt is None:
            if self.operator in (Operator.HASH, Operator.SURROGATE):
                logger.warning(
                    "no salt given: a random one is used, so %s values are consistent within this run only; "
                    "pass a secret salt (--salt or SPECIALIZE_REDACT_SALT) for stable values across runs",
                    self.operator.value,
                )
            salt = os.urandom(32)
        self.salt = salt.encode() if isinstance(salt, str) else salt
        self._fakes: dict[tuple[str, str], str] = {}
        self._taken: dict[str, tuple[str, str]] = {}

    def replacement(self, label: str, value: str) -> str:
        if self.operator is Operator.MASK:
            return "".join(c if c in "\n\r" else self.mask_char for c in value)
        if self.operator is Operator.TAG:
            return f"<{label}>"
        if self.operator is Operator.HASH:
            return hmac.new(self.salt, value.encode(), hashlib.sha256).hexdigest()[:16]
        return self._surrogate(label, value)

    def _surrogate(self, label: str, value: str) -> str:
        key = (label, value)
        if key in self._fakes:
            return self._fakes[key]
        rng = random.Random(keyed_seed(self.salt, label, value))
        fake = fake_value(label, value, rng)
        # Two values must not share a fake (that would merge two people), and a fake must not repeat a word of
        # its value ("John Smith" -> "Drew Smith" would leave the surname in the output).
        for _ in range(50):
            if self._taken.get(fake, key) == key and not _shares_a_word(fake, value):
                break
            fake = fake_value(label, value, rng)
        else:
            fake = f"{fake}-{len(self._fakes)}"
        self._fakes[key] = fake
        self._taken[fake] = key
        return fake

    def redact(self, text: str, spans: Sequence[Span]) -> Redaction:
        """``text`` with every span replaced; the replacements map input offsets to output offsets."""
        if self.scope is Scope.DOCUMENT:
            self._fakes.clear()
            self._taken.clear()
        for span in spans:
            if not 0 <= span.start <= span.end <= len(text):
                raise ValueError(f"span {span} is outside the text (length {len(text)})")
        parts: list[str] = []
        replacements: list[Replacement] = []
        position = out_length = 0
        for span in join_overlaps(spans):
            parts.append(text[position : span.start])
            out_length += span.start - position
            new = self.replacement(span.label, text[span.start : span.end])
            replacements.append(
                Replacement(span.start, span.end, span.label, new, out_length, out_length + len(new), span.score)
            )
            parts.append(new)
            out_length += len(new)
            position = span.end
        parts.append(text[position:])
        return Redaction("".join(parts), replacements)
