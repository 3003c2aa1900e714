"""What every teacher offers: texts in, spans plus bookkeeping (rejections, tokens, cost) out.

A teacher is a :class:`~specialize.models.base.SpanPredictor` that also says *who it is* (``fingerprint``,
the label-store key: change the model, options, label map or prompt and the fingerprint changes, so stale
labels are never reused) and *what it cost* (``TeacherOutput.usage``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.models.base import SpanPredictor

# ``rejected`` reason for a span whose label the label map does not cover, as ``unmapped_label:DATE``.
UNMAPPED = "unmapped_label"


@dataclass
class TeacherOutput:
    """One document's labels: spans (scored when the teacher knows a score) and what was thrown away.

    ``rejected`` counts candidate spans dropped per reason (``not_found``, ``ambiguous``, ``overlap``...).
    ``usage`` holds numbers that add up over documents: ``prompt_tokens``, ``completion_tokens``,
    ``requests``, ``retries``, ``cost`` (in the currency of the prices given, usually USD).
    ``conflicts`` (aggregated teachers only) counts disagreements between teachers by kind.
    """

    spans: list[Span] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    usage: dict[str, float] = field(default_factory=dict)
    conflicts: Counter[str] = field(default_factory=Counter)


@runtime_checkable
class Teacher(Protocol):
    """A source of (silver) labels for distillation."""

    name: str

    @property
    def labels(self) -> list[str]: ...

    @property
    def fingerprint(self) -> str:
        """Stable identity of model + options + label map/prompt version; the label-store key."""
        ...

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]: ...


def make_fingerprint(kind: str, identity: str, **options: Any) -> str:
    """``kind:identity#hash``: readable head, and a hash of the options so any change gives a new key.

    Options are serialised as sorted JSON, so dict order never changes the fingerprint.
    """
    blob = json.dumps(options, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
    return f"{kind}:{identity}#{digest}"


def add_usage(total: dict[str, float], usage: dict[str, float]) -> None:
    for key, value in usage.items():
        total[key] = total.get(key, 0) + value


class TeacherBase:
    """Shared by the teachers here: ``predict`` (so a teacher can be evaluated like any model) and repr."""

    name: str = "teacher"

    @property
    def labels(self) -> list[str]:
        raise NotImplementedError

    @property
    def fingerprint(self) -> str:
        raise NotImplementedError

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [out.spans for out in self.label(texts)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, labels={self.labels})"


class PredictorTeacher(TeacherBase):
    """Any ``SpanPredictor`` as a teacher.

    ``identity`` should pin the model (a path plus a weights hash, a package version...); without it the
    predictor's name is used, which is only safe while that name always means the same weights.
    """

    def __init__(
        self,
        predictor: SpanPredictor,
        *,
        name: str | None = None,
        identity: str | None = None,
        kind: str = "predictor",
        options: dict[str, Any] | None = None,
    ) -> None:
        self.predictor = predictor
        self.name = name or predictor.name
        self._fingerprint = make_fingerprint(
            kind, identity or predictor.name, cls=type(predictor).__qualname__, **(options or {})
        )

    @property
    def labels(self) -> list[str]:
        return list(self.predictor.labels)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        return [TeacherOutput(spans=sorted(spans)) for spans in self.predictor.predict(texts)]


class MappedTeacher(TeacherBase):
    """Rename and/or select a teacher's labels (``--label-map`` / ``--labels`` for teachers that have no
    mapping of their own). With a map, labels it does not cover are dropped, as in ``SpacyPipeline``."""

    def __init__(
        self,
        teacher: Teacher,
        *,
        label_map: Mapping[str, str] | None = None,
        keep: Collection[str] | None = None,
    ) -> None:
        self.teacher = teacher
        self.label_map = dict(label_map) if label_map is not None else None
        mapped = self._mapped_labels(teacher.labels)
        if keep is not None:
            unknown = sorted(set(keep) - set(mapped))
            if unknown and mapped:
                raise ConfigError(
                    f"teacher {teacher.name!r} never produces {unknown}; it produces {mapped}. "
                    "Fix --labels, or map the teacher's labels with --label-map"
                )
        self.keep = sorted(set(keep)) if keep is not None else None
        self.name = teacher.name
        self.dropped_counts: Counter[str] = Counter()  # spans of labels the map does not cover, so far

    def _mapped_labels(self, labels: Sequence[str]) -> list[str]:
        if self.label_map is None:
            return sorted(labels)
        return sorted({self.label_map[lab] for lab in labels if lab in self.label_map})

    @property
    def labels(self) -> list[str]:
        mapped = self._mapped_labels(self.teacher.labels)
        return [lab for lab in mapped if self.keep is None or lab in self.keep]

    @property
    def fingerprint(self) -> str:
        # The inner fingerprint stays readable at the front; the map and the kept labels change the key.
        return make_fingerprint("mapped", self.teacher.fingerprint, label_map=self.label_map, keep=self.keep)

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        outputs = self.teacher.label(texts)
        for out in outputs:
            spans = []
            for span in out.spans:
                label = span.label if self.label_map is None else self.label_map.get(span.label)
                if label is None:
                    out.rejected[f"{UNMAPPED}:{span.label}"] += 1
                    self.dropped_counts[span.label] += 1
                elif self.keep is not None and label not in self.keep:
                    out.rejected["label_not_requested"] += 1
                else:
                    spans.append(Span(span.start, span.end, label, span.score))
            out.spans = sorted(spans)
        return outputs
