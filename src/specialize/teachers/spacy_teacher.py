"""A spaCy pipeline's entities as a teacher, labels mapped (e.g. OntoNotes PERSON -> PER)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from specialize.models.spacy_pipeline import SpacyPipeline
from specialize.teachers.base import TeacherBase, TeacherOutput, make_fingerprint


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

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        return [TeacherOutput(spans=sorted(spans)) for spans in self.pipeline.predict(texts)]
