"""The spaCy component ``specialize_ner``, DocBin and displaCy output of ``specialize predict``."""

from __future__ import annotations

import importlib
import json
import tomllib
from pathlib import Path

import pytest

from specialize.cli.main import main
from specialize.data.document import Document, Span

spacy = pytest.importorskip("spacy")
spacy_ner = importlib.import_module("specialize.integrations.spacy_ner")  # registers the factory
from specialize.integrations.spacy_docs import AlignmentCounts, set_spans, to_spacy_docs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Fixed:
    """A predictor answering fixed spans per text."""

    name = "fixed"

    def __init__(self, answers: dict[str, list[Span]]) -> None:
        self.answers = answers
        self.batches: list[int] = []

    @property
    def labels(self) -> list[str]:
        return sorted({s.label for spans in self.answers.values() for s in spans})

    def predict(self, texts: list[str]) -> list[list[Span]]:
        self.batches.append(len(texts))
        return [list(self.answers[t]) for t in texts]


def test_component_gives_the_same_spans_as_specialize_predict(tiny_specialist: Path, sentences, tmp_path: Path):
    texts = [d.text for d in sentences]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    out = tmp_path / "pred.jsonl"
    assert main(["predict", str(tiny_specialist), "--input", str(tmp_path / "in.txt"), "--output", str(out)]) == 0
    expected = [json.loads(line)["spans"] for line in out.read_text().splitlines()]

    nlp = spacy.blank("en")
    component = nlp.add_pipe("specialize_ner", config={"model": str(tiny_specialist)})
    docs = list(nlp.pipe(texts, batch_size=2))
    for doc, spans in zip(docs, expected, strict=True):
        keys = [(s["start"], s["end"], s["label"]) for s in spans]
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == keys
        group = doc.spans["specialize"]
        assert [(s.start_char, s.end_char, s.label_) for s in group] == keys
        assert group.attrs["scores"] == pytest.approx([s["score"] for s in spans], abs=1e-5)
    assert component.alignment.exact == sum(len(s) for s in expected) and component.alignment.dropped == 0
    assert set(component.labels) == {"LOC", "ORG", "PER"}
    # nlp(text) goes through __call__, the same path with a batch of one.
    assert [e.text for e in nlp(texts[0]).ents] == [texts[0][s["start"] : s["end"]] for s in expected[0]]


def test_predict_writes_a_docbin_spacy_reloads_and_a_displacy_page(tiny_specialist: Path, sentences, tmp_path):
    (tmp_path / "in.txt").write_text("\n".join(d.text for d in sentences) + "\n")
    docbin, page = tmp_path / "pred.spacy", tmp_path / "pred.html"
    args = ["predict", str(tiny_specialist), "--input", str(tmp_path / "in.txt"), "--format", "spacy"]
    assert main([*args, "--output", str(docbin), "--displacy", str(page)]) == 0
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(docbin).get_docs(nlp.vocab))
    assert [d.text for d in docs] == [d.text for d in sentences]
    predicted = _load(tiny_specialist).predict([d.text for d in sentences])
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs] == [
        [s.key() for s in spans] for spans in predicted
    ]
    assert docs[0].user_data["id"] == "in:1" and "scores" in docs[0].spans["specialize"].attrs
    html = page.read_text()
    assert "<!DOCTYPE html>" in html or "<html" in html
    assert "Obama" in html and "PER" in html
    assert main([*args]) == 2  # a binary DocBin needs --output


def _load(folder: Path):
    from specialize.models.resolve import load_model

    return load_model(folder)


def test_alignment_modes_expand_contract_strict_are_counted():
    nlp = spacy.blank("en")
    text = "BRCA1-associated breast cancer"
    # spaCy keeps "BRCA1-associated" as tokens BRCA1 - associated; the span [0:3] ends inside "BRCA1".
    spans = [Span(0, 3, "Gene", 0.6), Span(17, 30, "Disease", 0.9)]
    for mode, expected in (("expand", (1, 1, 0, 0)), ("contract", (1, 0, 0, 1)), ("strict", (1, 0, 0, 1))):
        doc = nlp.make_doc(text)
        counts = set_spans(doc, spans, alignment_mode=mode)
        assert (counts.exact, counts.expanded, counts.contracted, counts.dropped) == expected, mode
    doc = nlp.make_doc(text)
    set_spans(doc, spans, alignment_mode="expand")
    assert [e.text for e in doc.ents] == ["BRCA1", "breast cancer"]
    assert doc.spans["specialize"].attrs["scores"] == [0.6, 0.9]
    contracted = nlp.make_doc("the BRCA1-associated gene")
    counts = set_spans(contracted, [Span(2, 20, "Gene")], alignment_mode="contract")  # "e BRCA1-associated"
    assert counts.contracted == 1 and [e.text for e in contracted.ents] == ["BRCA1-associated"]
    with pytest.raises(ValueError, match="alignment_mode"):
        set_spans(nlp.make_doc(text), spans, alignment_mode="fuzzy")


def test_expanded_spans_that_overlap_stay_in_the_group_but_not_in_ents():
    nlp = spacy.blank("en")
    doc = nlp.make_doc("Xylo-cancer here")  # one spaCy token per part: Xylo - cancer
    counts = set_spans(doc, [Span(0, 2, "A"), Span(1, 4, "B")], alignment_mode="expand")
    assert counts.expanded == 2 and counts.overlapping == 1
    assert len(doc.spans["specialize"]) == 2 and len(doc.ents) == 1


def test_existing_entities_are_kept_when_asked():
    text = "Obama visited Paris"
    fixed = Fixed({text: [Span(0, 5, "PER", 0.9), Span(14, 19, "LOC", 0.8)]})
    nlp = spacy.blank("en")
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(0, 13, label="EVENT")]
    component = spacy_ner.SpecializeNER(fixed, overwrite_ents=False)
    component(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Obama visited", "EVENT"), ("Paris", "LOC")]
    assert component.alignment.conflicting == 1


def test_pipe_batches_and_config_errors(tiny_specialist: Path):
    texts = [f"text {i}" for i in range(5)]
    fixed = Fixed({t: [] for t in texts})
    component = spacy_ner.SpecializeNER(fixed, batch_size=2)
    nlp = spacy.blank("en")
    assert len(list(component.pipe(nlp.make_doc(t) for t in texts))) == 5
    assert fixed.batches == [2, 2, 1]
    with pytest.raises(ValueError, match="batch_size"):
        spacy_ner.SpecializeNER(fixed, batch_size=0)
    with pytest.raises(Exception, match="model"):  # the model path is required
        spacy.blank("en").add_pipe("specialize_ner")


def test_an_exported_onnx_folder_works_too(tiny_specialist: Path, sentences, tmp_path: Path):
    pytest.importorskip("onnxruntime")
    from specialize.export.exporter import export

    folder = export(tiny_specialist, tmp_path / "onnx").output
    nlp = spacy.blank("en")
    nlp.add_pipe("specialize_ner", config={"model": str(folder)})
    torch_nlp = spacy.blank("en")
    torch_nlp.add_pipe("specialize_ner", config={"model": str(tiny_specialist)})
    texts = [d.text for d in sentences]
    ents = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    assert ents == [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in torch_nlp.pipe(texts)]


def test_to_spacy_docs_keeps_ids_and_counts():
    docs, counts = to_spacy_docs([Document("Obama visited Paris", [Span(0, 5, "PER")], id="d1", meta={"k": 1})])
    assert docs[0].user_data == {"id": "d1", "meta": {"k": 1}} and isinstance(counts, AlignmentCounts)
    assert counts.exact == 1


def test_the_entry_point_names_the_factory():
    """pyproject's spacy_factories entry point resolves to the registered factory (an installed wheel's metadata
    is checked in test_entry_point_in_a_built_wheel)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["entry-points"]["spacy_factories"]["specialize_ner"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is spacy_ner.make_specialize_ner
    from spacy.language import Language

    assert Language.has_factory("specialize_ner")


@pytest.mark.slow
def test_entry_point_in_a_built_wheel(tmp_path: Path):
    """Build the wheel (no dependencies, no isolation) from a copy of the project, so no build folder or egg-info
    lands in the checkout, and read the entry_points.txt that importlib.metadata reads once it is installed."""
    import shutil
    import subprocess
    import sys
    import zipfile

    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(project)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("specialize-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(name).decode()
    assert "[spacy_factories]" in text
    assert "specialize_ner = specialize.integrations.spacy_ner:make_specialize_ner" in text
