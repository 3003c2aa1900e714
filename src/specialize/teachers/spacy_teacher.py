"""A spaCy pipeline's entities as a teacher, labels mapped (e.g. OntoNotes PERSON -> PER)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from specialize.models.spacy_pipeline import SpacyPipeline
from specialize.teachers.base import UNMAPPED, TeacherBase, TeacherOutput, make_fingerprint


class SpacyTeacher(TeacherBase):
    """Labels from :class:`~specialize.models.spacy_pipeline.SpacyPipeline`; spaCy's NER gives no scores."""

    def __init__(self, pipeline: SpacyPipeline) -> None:
        self.pipeline = pipeline
        self.name = pipeline.name
        meta = pipeline.nlp.meta
        # Package name + version pin the weights; the label map and components change what comes out.
        identity = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '?')}"
        self._fingerprint = make_fingerprint(
            "spacy",
            identity,
            label_map=pipeline.label_map,
            keep_unmapped=pipeline.keep_unmapped,
            components=pipeline.active_components,
        )

    @classmethod
    def load(
        cls, name_or_path: str, label_map: Mapping[str, str] | None = None, keep_unmapped: bool = False, **kwargs: Any
    ) -> SpacyTeacher:
        """``spacy:en_core_web_sm`` or a pipeline path; ``kwargs`` go to ``SpacyPipeline`` (batch_size...)."""
        return cls(SpacyPipeline.load(name_or_path, label_map=label_map, keep_unmapped=keep_unmapped, **kwargs))

    @property
    def labels(self) -> list[str]:
        return self.pipeline.labels

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def dropped_counts(self) -> Counter[str]:
        """Spans the label map dropped so far, per spaCy label (see ``data.labels.label_map_drops``)."""
        return self.pipeline.dropped_counts

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        # Spans of types the label map does not cover are dropped by the pipeline; count them per type so the
        # run's summary says what was lost (issue #15: `--label-map conll` dropped 247 spans without a word).
        outputs = []
        for spans, dropped in zip(*self.pipeline.predict_with_drops(texts), strict=True):
            rejected = Counter({f"{UNMAPPED}:{label}": n for label, n in dropped.items()})
            outputs.append(TeacherOutput(spans=sorted(spans), rejected=rejected))
        return outputs
