"""Several span models as one: the mean of their per-word tag distributions (``mean:A+B[+C...]``).

Averaging the distributions of models trained apart (an MPNet teacher and a MiniLM specialist, two seeds) is the
cheapest ensemble there is, and usually beats its best member by a little; its distributions are also the soft
targets a student distils from (``specialize distill --teacher mean:A+B``). Unlike ``vote:``, which counts the
members' spans, it needs members that give per-word distributions over one label list: folders written by
``train``/``distill``, or exports of them.

Members may tokenize differently (MPNet and BERT word pieces): each member's distributions are carried onto the
first member's words by character offsets (:func:`~specialize.data.alignment.map_word_probabilities`), and a word
a member has no distribution for is averaged over the members that have one.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specialize.data.alignment import TokenizedDocument, map_word_probabilities
from specialize.data.document import Span
from specialize.data.model_folder import model_fingerprint
from specialize.data.tagging import SpanDecoder, entity_types
from specialize.errors import ConfigError


def gives_word_probabilities(model: Any) -> bool:
    return callable(getattr(model, "word_probabilities", None)) and hasattr(model, "label_list")


class AveragedTagger:
    """The mean of ``members``' per-word distributions (weighted by ``weights``, equal by default), decoded into
    spans like one specialist's."""

    def __init__(
        self,
        members: Sequence[Any],
        *,
        weights: Sequence[float] | None = None,
        folders: Sequence[Path | None] | None = None,
        name: str | None = None,
    ) -> None:
        if len(members) < 2:
            raise ConfigError(f"mean: averages at least two span models, got {len(members)}; join them with '+'")
        for member in members:
            if not gives_word_probabilities(member):
                raise ConfigError(
                    f"mean: needs per-word distributions, which {getattr(member, 'name', member)!r} "
                    f"({type(member).__name__}) does not give; use folders written by train/distill (or their "
                    "exports), or vote: for models that only give spans"
                )
        first = list(members[0].label_list)
        for member in members[1:]:
            if list(member.label_list) != first:
                raise ConfigError(
                    f"mean: members must share one label list: {members[0].name!r} has {first}, {member.name!r} has "
                    f"{list(member.label_list)}"
                )
        self.weights = [1.0] * len(members) if weights is None else [float(w) for w in weights]
        if len(self.weights) != len(members) or any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ConfigError(f"mean: needs one weight >= 0 per member with a positive sum, got {self.weights}")
        self.members = list(members)
        self.folders = list(folders) if folders is not None else [None] * len(members)
        self.label_list = first
        self.labels = entity_types(first)
        self.decoder = SpanDecoder(first)
        self.name = name or "mean(" + "+".join(str(m.name) for m in members) + ")"
        # Read whole documents or sentences as its members learned to; members that disagree get what they are
        # given (None: not known).
        kinds = {getattr(m, "trained_on", None) for m in members}
        self.trained_on = kinds.pop() if len(kinds) == 1 else None

    @functools.cached_property
    def fingerprint(self) -> str | None:
        """What its distributions depend on (its members' folder fingerprints and the weights), for kept teacher
        targets; None when a member is not a model folder. Hashed once per object, on first use: the members' weights
        are already in memory, and hashing MPNet's ~0.4 GB of files again on every access bought nothing."""
        if any(folder is None for folder in self.folders):
            return None
        parts = [model_fingerprint(folder) for folder in self.folders if folder is not None]
        return hashlib.sha256(repr(("mean", parts, self.weights)).encode()).hexdigest()[:32]

    def word_probabilities(self, texts: Sequence[str]) -> tuple[list[TokenizedDocument], list[np.ndarray]]:
        """The first member's words, each with the weighted mean of the members' distributions for it."""
        texts = list(texts)
        docs, first = self.members[0].word_probabilities(texts)
        totals = [p.astype(np.float64) * self.weights[0] for p in first]
        mass = [np.full((len(p), 1), self.weights[0]) for p in first]
        for member, weight in zip(self.members[1:], self.weights[1:], strict=True):
            member_docs, member_probs = member.word_probabilities(texts)
            for i, (member_doc, probs) in enumerate(zip(member_docs, member_probs, strict=True)):
                mapped = map_word_probabilities(member_doc, probs, docs[i], self.label_list)
                known = ~np.isnan(mapped).any(axis=1, keepdims=True)
                totals[i] += np.where(known, mapped, 0.0) * weight
                mass[i] += known * weight
        return docs, [(t / np.maximum(m, 1e-12)).astype(np.float32) for t, m in zip(totals, mass, strict=True)]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        docs, probs = self.word_probabilities(texts)
        return [self.decoder.decode(p, d.word_offsets) for p, d in zip(probs, docs, strict=True)]
