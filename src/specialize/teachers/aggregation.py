"""Combine several teachers into one: weighted votes, per-type precedence, counted conflicts.

For each document every teacher proposes spans. A span (exact start, end, label) is kept when the teachers
proposing it carry at least ``min_votes`` of the weight (default: a strict majority of the total weight).
For a type with a precedence list (``{"Disease": ["gazetteer", "llm"]}``) votes do not count: the first
teacher's spans of that type are taken, then the next teacher's where they do not overlap those, and so on;
teachers not in the list are ignored for that type. Remaining overlaps between kept spans are resolved
deterministically: higher vote share, then longer, then leftmost, then label name.

``conflicts`` counts pairs of overlapping, different proposals by kind: ``label`` (same offsets),
``boundary`` (same label) and ``label_and_boundary``; ``rejected`` counts proposals dropped by
``below_votes``, ``precedence`` and ``overlap``, plus each teacher's own rejections as ``name/reason``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.teachers.base import Teacher, TeacherBase, TeacherOutput, add_usage, make_fingerprint
from specialize.teachers.grounding import resolve_overlaps


def _resolve_reference(reference: str, names: Sequence[str]) -> int:
    """Index of the teacher named ``reference``: its full name, or its kind (the part before ':')."""
    exact = [i for i, n in enumerate(names) if n == reference]
    if exact:
        return exact[0]
    by_kind = [i for i, n in enumerate(names) if n.split(":", 1)[0] == reference]
    if len(by_kind) == 1:
        return by_kind[0]
    if by_kind:
        raise ConfigError(f"{reference!r} matches several teachers {[names[i] for i in by_kind]}; use a full name")
    raise ConfigError(f"no teacher named {reference!r}; teachers are {list(names)}")


def count_conflicts(proposals: Sequence[Sequence[Span]]) -> Counter[str]:
    """Pairs of overlapping, different proposals (by span key) across all teachers, by kind."""
    keys = sorted({s.key() for spans in proposals for s in spans})
    conflicts: Counter[str] = Counter()
    for i, (start, end, label) in enumerate(keys):
        for other_start, other_end, other_label in keys[i + 1 :]:
            if other_start >= end:
                break  # sorted by start: nothing later overlaps
            same_bounds = (start, end) == (other_start, other_end)
            if same_bounds:
                conflicts["label"] += 1
            elif label == other_label:
                conflicts["boundary"] += 1
            else:
                conflicts["label_and_boundary"] += 1
    return conflicts


def aggregate(
    proposals: Sequence[Sequence[Span]],
    weights: Sequence[float],
    *,
    min_votes: float | None = None,
    precedence: Mapping[str, Sequence[int]] | None = None,
) -> TeacherOutput:
    """One document: ``proposals[t]`` are teacher ``t``'s spans; ``precedence`` maps a label to teacher indices."""
    if len(proposals) != len(weights):
        raise ValueError(f"{len(proposals)} proposal lists but {len(weights)} weights")
    total = float(sum(weights))
    precedence = precedence or {}
    out = TeacherOutput(conflicts=count_conflicts(proposals))
    support: dict[tuple[int, int, str], float] = {}
    for spans, weight in zip(proposals, weights, strict=True):
        for key in {s.key() for s in spans}:
            support[key] = support.get(key, 0.0) + weight

    kept: list[Span] = []
    for key, votes in support.items():
        if key[2] in precedence:
            continue
        # Without min_votes a strict majority is needed; the 1e-9 guards float sums like 0.1 + 0.2.
        enough = votes >= min_votes - 1e-9 if min_votes is not None else votes * 2 > total + 1e-9
        if enough:
            kept.append(Span(key[0], key[1], key[2], votes / total))
        else:
            out.rejected["below_votes"] += 1

    for label, order in precedence.items():
        taken: list[Span] = []
        for index in order:
            for span in sorted({s.key() for s in proposals[index] if s.label == label}):
                if any(span[0] < t.end and t.start < span[1] for t in taken):
                    continue
                taken.append(Span(span[0], span[1], label, support[span] / total))
        chosen = {s.key() for s in taken}
        out.rejected["precedence"] += sum(1 for k in support if k[2] == label and k not in chosen)
        kept.extend(taken)

    out.spans, dropped = resolve_overlaps(kept)
    if dropped:
        out.rejected["overlap"] += dropped
    out.rejected = +out.rejected  # drop zero counts
    return out


class VotingTeacher(TeacherBase):
    """Several teachers as one (see the module docstring). Weights and precedence name teachers by full
    name or by kind (``gazetteer``, ``llm``...)."""

    def __init__(
        self,
        teachers: Sequence[Teacher],
        *,
        weights: Mapping[str, float] | None = None,
        min_votes: float | None = None,
        precedence: Mapping[str, Sequence[str]] | None = None,
        name: str | None = None,
    ) -> None:
        if len(teachers) < 2:
            raise ConfigError("aggregation needs at least two teachers, e.g. vote:gazetteer:terms.tsv+llm:MODEL")
        self.teachers = list(teachers)
        names = [t.name for t in self.teachers]
        self.weights = [1.0] * len(teachers)
        for reference, weight in (weights or {}).items():
            self.weights[_resolve_reference(reference, names)] = float(weight)
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ConfigError(f"teacher weights must be >= 0 with a positive sum, got {self.weights}")
        self.min_votes = min_votes
        self.precedence = {
            label: [_resolve_reference(r, names) for r in order] for label, order in (precedence or {}).items()
        }
        self.name = name or "vote(" + "+".join(names) + ")"

    @property
    def labels(self) -> list[str]:
        return sorted({label for t in self.teachers for label in t.labels})

    @property
    def fingerprint(self) -> str:
        return make_fingerprint(
            "vote",
            "+".join(t.fingerprint for t in self.teachers),
            weights=self.weights,
            min_votes=self.min_votes,
            precedence=self.precedence,
        )

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        per_teacher = [t.label(texts) for t in self.teachers]
        outputs = []
        for d in range(len(texts)):
            doc_outputs = [outs[d] for outs in per_teacher]
            out = aggregate(
                [o.spans for o in doc_outputs], self.weights, min_votes=self.min_votes, precedence=self.precedence
            )
            for teacher, teacher_out in zip(self.teachers, doc_outputs, strict=True):
                for reason, n in teacher_out.rejected.items():
                    out.rejected[f"{teacher.name}/{reason}"] += n
                add_usage(out.usage, teacher_out.usage)
            outputs.append(out)
        return outputs
