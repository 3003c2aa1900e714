"""``POST /v1/redact`` without the web part: a span model's spans, plus pattern spans, replaced by an operator.

The spans come from the served model through the app's batcher (and cascade, if any); this module adds what
``specialize redact`` adds on top of a model: the pattern recognizers for structured identifiers, merged as
:func:`specialize.privacy.combine.merge_spans` does, the label filter, and a :class:`~specialize.privacy.
operators.Redactor`. One redactor per request: ``scope=run`` keeps surrogates consistent across the request's
documents; across requests they stay consistent through the salt (fakes are drawn from a keyed seed).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.privacy.combine import merge_spans
from specialize.privacy.operators import Operator, Redaction, Redactor, Scope
from specialize.privacy.patterns import pii_patterns

logger = logging.getLogger(__name__)


class SpanRedactor:
    """Redacts texts given the served model's spans; holds the pattern recognizers and the server's salt."""

    def __init__(self, model_labels: Sequence[str], salt: str | bytes | None = None) -> None:
        self.patterns = pii_patterns()
        self.structured = frozenset(self.patterns.labels)
        self.model_labels = sorted(model_labels)
        # Without a salt, one is drawn per server rather than per request, so hashes and fakes agree across
        # requests until the server restarts; a fixed salt (--redact-salt) keeps them across restarts too.
        self.salt = salt if salt is not None else os.urandom(32)
        self._warn = salt is None

    def labels(self, patterns: bool = True) -> list[str]:
        """The types a request can ask for: the model's, plus the patterns' when they are on."""
        return sorted(set(self.model_labels) | (self.structured if patterns else set()))

    def check_labels(self, labels: Collection[str] | None, patterns: bool) -> None:
        """ValueError naming the types neither the model nor (when on) the patterns ever find."""
        if labels is None:
            return
        known = self.labels(patterns)
        unknown = sorted(set(labels) - set(known))
        if unknown:
            hint = " (pattern types need patterns: true)" if not patterns and set(unknown) & self.structured else ""
            raise ConfigError(f"no span of type {unknown} is ever found{hint}; known types: {known}")

    def redact(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[Span]],
        *,
        operator: Operator | str = Operator.TAG,
        salt: str | None = None,
        scope: Scope | str = Scope.RUN,
        labels: Collection[str] | None = None,
        patterns: bool = True,
    ) -> list[Redaction]:
        """Each text with its spans (plus pattern spans, then only ``labels``) replaced by ``operator``."""
        self.check_labels(labels, patterns)
        found = [list(s) for s in spans]
        if patterns:
            pattern_spans = self.patterns.predict(list(texts))
            found = [
                merge_spans(text, model_spans, own, self.structured)
                for text, model_spans, own in zip(texts, found, pattern_spans, strict=True)
            ]
        if labels is not None:
            found = [[s for s in doc if s.label in labels] for doc in found]
        if self._warn and salt is None and Operator(operator) in (Operator.HASH, Operator.SURROGATE):
            self._warn = False
            logger.warning(
                "no redaction salt: hashes and surrogates of POST /v1/redact stay the same only until this server "
                "stops; start it with --redact-salt (or SPECIALIZE_REDACT_SALT), or send a salt with the request"
            )
        redactor = Redactor(operator, salt=salt or self.salt, scope=scope)
        return [redactor.redact(text, doc) for text, doc in zip(texts, found, strict=True)]
