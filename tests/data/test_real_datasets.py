"""The readers reproduce the counts in the shared/data READMEs (skipped without the mirror)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from specialize.data import registry
from specialize.data.formats import ReadReport
from specialize.data.io import read_documents

SHARED = Path(os.environ.get("SPECIALIZE_DATA_DIR") or Path(__file__).parents[3] / "shared" / "data")
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data mirror not available")


@pytest.fixture(autouse=True)
def _mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(SHARED))


def test_conll2003_test_counts() -> None:
    report = ReadReport()
    docs = registry.load("conll2003:test", report=report)
    assert len(docs) == 3453
    assert sum(len(d.spans) for d in docs) == 5648
    assert sum(len(d.meta["tokens"]) for d in docs) == 46435
    assert len({d.meta["doc_index"] for d in docs}) == 231
    assert Counter(s.label for d in docs for s in d.spans) == {
        "LOC": 1668,
        "ORG": 1661,
        "PER": 1617,
        "MISC": 702,
    }
    assert report.scheme == "iob2" and not report.repairs


def test_ncbi_disease_conll_and_original_test_counts() -> None:
    docs = registry.load("ncbi-disease:test")
    assert (len(docs), sum(len(d.spans) for d in docs)) == (940, 960)
    original = read_documents(SHARED / "ncbi_disease" / "original" / "NCBItestset_corpus.txt")
    assert (len(original), sum(len(d.spans) for d in original)) == (100, 960)
    assert Counter(s.label for d in original for s in d.spans) == {
        "SpecificDisease": 555,
        "Modifier": 264,
        "DiseaseClass": 121,
        "CompositeMention": 20,
    }
    assert all(len(d.meta["concepts"]) == len(d.spans) for d in original)


def test_ncbi_disease_and_bc5cdr_sentences_know_their_abstracts() -> None:
    from specialize.data.grouping import join_documents

    for name, n_sentences, n_documents in (("ncbi-disease:test", 940, 100), ("ncbi-disease:train", 5432, 592),
                                           ("bc5cdr:dev", 4579, 500)):  # fmt: skip
        assert not any("doc_index" in d.meta for d in registry.load(name))  # read only when documents are asked for
        sentences = registry.with_documents(name, registry.load(name))
        assert len(sentences) == n_sentences and all("doc_index" in d.meta for d in sentences)
        documents = join_documents(sentences)
        assert len(documents) == n_documents  # NCBI train: two abstracts share a PMID in the original file
        mentions = [sorted(d.text[s.start : s.end] for d in docs for s in d.spans) for docs in (sentences, documents)]
        assert mentions[0] == mentions[1] and len(mentions[0]) > 900
