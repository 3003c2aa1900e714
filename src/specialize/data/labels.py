"""Label maps: rename entity types (a general model's onto yours, a corpus's fine types onto coarse ones)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from specialize.data.document import Document, Span
from specialize.errors import ConfigError

# OntoNotes (spaCy en_core_web_*) -> CoNLL-2003, chosen on strict micro F1 over CoNLL-2003 dev (3,250
# sentences, tokens joined by single spaces; spaCy 3.8.18, ner component only): coordinate ascent from the
# obvious map, trying each OntoNotes type as PER/ORG/LOC/MISC/dropped, converged on this map for
# en_core_web_md. Resulting strict micro F1 (P/R):
#   en_core_web_md  dev 0.676 (0.717/0.639)  test 0.618 (0.655/0.585)
#   en_core_web_sm  dev 0.651 (0.719/0.595)  test 0.611 (0.683/0.553)
# Dropping NORP (nationalities, CoNLL MISC) costs the most: md dev 0.674 -> 0.618. FAC->LOC, LAW->MISC and
# PRODUCT->MISC each change dev F1 by < 0.002 (noise); adding all three gives md dev 0.674, test 0.618.
# ORG stays weak whatever the map (md test F1 0.38): CoNLL tags sports teams named after places ("Essex beat
# Somerset") as ORG, spaCy as GPE; ORG->LOC is the most frequent confusion.
# DATE, TIME, CARDINAL, ORDINAL, QUANTITY, MONEY, PERCENT are not CoNLL entities: dropped.
CONLL_LABEL_MAP: dict[str, str] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "WORK_OF_ART": "MISC",
    "LANGUAGE": "MISC",
}

# NCBI-disease's original (PubTator) release types its mentions; the usual task, and its CoNLL release, has one
# type: every mention is a Disease.
NCBI_DISEASE_LABEL_MAP: dict[str, str] = {
    "SpecificDisease": "Disease",
    "DiseaseClass": "Disease",
    "Modifier": "Disease",
    "CompositeMention": "Disease",
}

LABEL_MAP_PRESETS: dict[str, dict[str, str]] = {"conll": CONLL_LABEL_MAP, "ncbi-disease": NCBI_DISEASE_LABEL_MAP}


def parse_label_map(spec: str) -> dict[str, str]:
    """Parse ``"PERSON=PER,GPE=LOC"`` (or a preset name such as ``"conll"``) into a label map.

    Whitespace around items is ignored and so is a trailing comma. Raises ``ValueError`` on an item without
    exactly one ``=``, an empty source or target label, or a source label mapped twice to different targets.
    """
    spec = spec.strip()
    if spec.lower() in LABEL_MAP_PRESETS:
        return dict(LABEL_MAP_PRESETS[spec.lower()])
    out: dict[str, str] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        parts = item.split("=")
        if len(parts) != 2:
            raise ConfigError(
                f"Malformed label map item {item!r}: expected SOURCE=TARGET, e.g. 'PERSON=PER,GPE=LOC' "
                f"(or a preset: {', '.join(LABEL_MAP_PRESETS)})"
            )
        source, target = parts[0].strip(), parts[1].strip()
        if not source or not target:
            raise ConfigError(f"Malformed label map item {item!r}: empty label on one side of '='")
        if source in out and out[source] != target:
            raise ConfigError(f"Label {source!r} mapped twice: to {out[source]!r} and to {target!r}")
        out[source] = target
    if not out:
        raise ConfigError(f"Empty label map: {spec!r}")
    return out


def label_map_drops(predictor: object, before: Mapping[str, int] | None = None) -> Counter[str]:
    """Spans a predictor's label map dropped (``dropped_counts``, per original label; spaCy pipelines keep it)
    since the snapshot ``before``; empty for predictors without a map."""
    counts = Counter(getattr(predictor, "dropped_counts", None) or {})
    counts.subtract(before or {})
    return +counts


def describe_drops(counts: Mapping[str, int], why: str, unit: str = "span") -> str:
    """``"dropped 247 spans (types not in the label map): DATE 120, CARDINAL 80..."``, most frequent first."""
    total = sum(counts.values())
    parts = ", ".join(f"{label} {n}" for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"dropped {total} {unit}{'s' if total != 1 else ''} ({why}): {parts}"


def map_document_labels(
    docs: Iterable[Document], mapping: Mapping[str, str], *, keep_unmapped: bool = True
) -> tuple[list[Document], Counter[str]]:
    """Documents with their span labels renamed; returns them with the count of spans per label not in the map
    (kept unchanged with ``keep_unmapped``, else dropped: the counts say how many, nothing goes silently)."""
    unmapped: Counter[str] = Counter()
    out = []
    for doc in docs:
        spans: list[Span] = []
        for span in doc.spans:
            if span.label in mapping:
                spans.append(replace(span, label=mapping[span.label]))
            else:
                unmapped[span.label] += 1
                if keep_unmapped:
                    spans.append(span)
        out.append(replace(doc, spans=spans))
    return out, unmapped
