"""The spaCy pipeline component ``specialize_ner``: a specialist's entities on spaCy docs.

    import spacy
    nlp = spacy.blank("en")                       # or any pipeline: its tokenization is kept
    nlp.add_pipe("specialize_ner", config={"model": "runs/ncbi"})   # a specialist folder or an exported one
    doc = nlp("BRCA1 mutations cause hereditary breast cancer.")
    doc.ents                                      # the specialist's entities
    doc.spans["specialize"], doc.spans["specialize"].attrs["scores"]   # every aligned span, with its score

The factory is registered under the ``spacy_factories`` entry point of the ``specialize`` distribution, so spaCy
finds it once specialize is installed (``pip install 'specialize[spacy]'``); importing this module registers it
too. spaCy imports every ``spacy_factories`` entry point whenever it creates a pipeline, so this module imports
nothing heavy: the model (torch, or onnxruntime for an exported folder) loads when the component is created.

Config: ``model`` (folder path), ``alignment_mode`` (``expand``, ``contract`` or ``strict``: how a span whose
edges fall inside a spaCy token is mapped to tokens, see :mod:`specialize.integrations.spacy_docs`),
``spans_key`` (``"specialize"``), ``overwrite_ents`` (True: replace ``doc.ents``; False: keep the existing
entities and add only spans that do not overlap them), ``batch_size`` (texts per model call in ``nlp.pipe``).
The component reads ``doc.text``, so the spans are the same as ``specialize predict`` gives for that text, up
to the alignment, whose counts accumulate in ``component.alignment``. Saving the pipeline (``nlp.to_disk``)
keeps the config, not the weights: the model path must stay valid where the pipeline is loaded again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from specialize.errors import ConfigError
from specialize.integrations.spacy_docs import DEFAULT_SPANS_KEY, AlignmentCounts, check_alignment_mode, set_spans

logger = logging.getLogger(__name__)

FACTORY = "specialize_ner"
DEFAULT_CONFIG: dict[str, Any] = {
    "alignment_mode": "expand",
    "spans_key": DEFAULT_SPANS_KEY,
    "overwrite_ents": True,
    "batch_size": 64,
}


class SpecializeNER:
    """Runs a span predictor on ``doc.text`` and sets ``doc.ents`` and ``doc.spans[spans_key]``."""

    def __init__(
        self,
        predictor: Any,
        *,
        name: str = FACTORY,
        alignment_mode: str = "expand",
        spans_key: str = DEFAULT_SPANS_KEY,
        overwrite_ents: bool = True,
        batch_size: int = 64,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.predictor = predictor
        self.name = name
        self.alignment_mode = check_alignment_mode(alignment_mode)
        self.spans_key = spans_key
        self.overwrite_ents = overwrite_ents
        self.batch_size = batch_size
        self.alignment = AlignmentCounts()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.predictor.labels)

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            predicted = self.predictor.predict([doc.text for doc in batch])
            for doc, spans in zip(batch, predicted, strict=True):
                counts = set_spans(
                    doc,
                    spans,
                    alignment_mode=self.alignment_mode,
                    spans_key=self.spans_key,
                    overwrite_ents=self.overwrite_ents,
                )
                self.alignment.add(counts)
                yield doc


@Language.factory(FACTORY, default_config=DEFAULT_CONFIG)
def make_specialize_ner(
    nlp: Language,
    name: str,
    model: str,
    alignment_mode: str,
    spans_key: str,
    overwrite_ents: bool,
    batch_size: int,
) -> SpecializeNER:
    """Load the specialist (or exported ONNX) folder ``model`` as a pipeline component."""
    from specialize.models.resolve import load_model

    predictor = load_model(model)
    logger.info("%s: %s with labels %s", name, model, predictor.labels)
    return SpecializeNER(
        predictor,
        name=name,
        alignment_mode=alignment_mode,
        spans_key=spans_key,
        overwrite_ents=overwrite_ents,
        batch_size=batch_size,
    )
