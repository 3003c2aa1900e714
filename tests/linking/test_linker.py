"""The linker on a tiny PubTator fixture with a tiny random BERT encoder: dictionary, similarity, save/reload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from specialize.data.document import Document, Span
from specialize.data.formats import read_pubtator
from specialize.linking import Linker, LinkerConfig
from specialize.linking.encoder import MentionEncoder
from specialize.linking.linker import Mention

TRAIN = Path(__file__).parents[1] / "fixtures" / "data" / "linking_train.pubtator"


@pytest.fixture(scope="module")
def encoder(tiny_base: Path) -> MentionEncoder:
    return MentionEncoder.load(tiny_base)


def _doc(text: str, *mentions: tuple[str, str]) -> Document:
    spans = []
    for mention, label in mentions:
        start = text.index(mention)
        spans.append(Span(start, start + len(mention), label))
    return Document(text, spans, id="t")


def test_dictionary_majority_plurals_abbreviations_and_no_id() -> None:
    linker = Linker.build(read_pubtator(TRAIN), config=LinkerConfig(method="dictionary"))
    assert linker.train_info["mentions_without_id"] == 1  # "copper disorder" is -1: not learnt
    doc = _doc(
        "Kidney Failures and hepatolenticular degeneration (HD), then HD, breast-cancer, copper disorder.",
        ("Kidney Failures", "Disease"),
        ("hepatolenticular degeneration", "Disease"),
        ("breast-cancer", "Disease"),
        ("copper disorder", "Disease"),
    )
    (linked,) = linker.link_documents([doc])
    # kidney failure: D051437 three times, D007674 once -> the majority id; plural and case normalised away.
    assert [s.kb_id for s in linked.spans] == ["D051437", None, "D001943", None]
    assert [r["source"] for r in linked.meta["links"]] == ["dictionary", "none", "dictionary", "none"]
    # A short form unknown to the dictionary but defined in its document is looked up by its long form.
    fa = "Fanconi anemia (FA) in children; FA is rare."
    start = fa.rindex("FA is")
    (linked,) = linker.link_documents([Document(fa, [Span(start, start + 2, "Disease")])])
    assert linked.spans[0].kb_id == "D005199" and linked.meta["links"][0]["source"] == "abbreviation"
    assert linker.link_documents([Document("FA is rare.", [Span(0, 2, "Disease")])])[0].spans[0].kb_id is None
    # A composite training id is returned whole.
    assert linker.link_mentions([Mention("breast and ovarian cancer")])[0].kb_id == "D001943|D010051"
    with pytest.raises(ValueError, match="needs an encoder"):
        linker.link_mentions([Mention("x")], method="similarity")


def test_similarity_links_to_the_nearest_training_string(encoder: MentionEncoder) -> None:
    linker = Linker.build(read_pubtator(TRAIN), encoder=encoder)
    strings = [e.surface for e in linker.entries]
    # Every training string is its own nearest neighbour (cosine 1), so similarity alone recovers its id.
    links = linker.link_mentions([Mention(s) for s in strings], method="similarity")
    assert [link.kb_id for link in links] == [e.kb_id for e in linker.entries]
    assert all(link.score == pytest.approx(1.0, abs=1e-4) and link.source == "similarity" for link in links)
    # An unseen string gets the id of the entry with the highest cosine, computed here independently.
    query = "fanconi anemias of the kidney"
    vector = encoder.encode([query])[0]
    expected = linker.entries[int(np.argmax(encoder.encode(strings) @ vector))].kb_id
    (link,) = linker.link_mentions([Mention(query)])
    assert link.kb_id == expected and link.source == "similarity"
    assert linker.link_mentions([Mention("kidney failure")])[0].source == "dictionary"  # combined: dictionary first
    strict = Linker(linker.entries, LinkerConfig(min_similarity=1.01), encoder, linker.embeddings)
    assert strict.link_mentions([Mention(query)])[0].kb_id is None


def test_match_label_and_centroids(encoder: MentionEncoder) -> None:
    docs = read_pubtator(TRAIN)
    linker = Linker.build(docs, encoder=encoder, config=LinkerConfig(match_label=True, method="similarity"))
    chemical = [m.kb_id for m in linker.link_mentions([Mention("kidney failure", "Chemical")] * 1)]
    assert chemical == ["D001241"]  # the only Chemical concept, however close the Disease strings are
    centroid = Linker.build(docs, encoder=encoder, config=LinkerConfig(target="centroid", method="similarity"))
    concepts = {e.kb_id for e in centroid.entries}
    targets, matrix = centroid._targets()
    assert sorted(t.kb_id for t in targets) == sorted(concepts)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    assert centroid.link_mentions([Mention("Fanconi anemia")])[0].kb_id == "D005199"  # its own, one-string centroid


def test_save_and_reload_give_identical_links(encoder: MentionEncoder, tmp_path: Path) -> None:
    docs = read_pubtator(TRAIN)
    linker = Linker.build(docs, encoder=encoder, config=LinkerConfig(min_similarity=0.1))
    queries = [Mention(t) for t in ("renal failure", "WD", "breast tumours", "aspirin", "ovarian cancer")]
    before = linker.link_mentions(queries)
    linker.save(tmp_path / "linker")
    assert sorted(p.name for p in (tmp_path / "linker").iterdir()) == [
        "config.json",
        "embeddings.npy",
        "encoder",
        "entries.json",
    ]
    reloaded = Linker.load(tmp_path / "linker")
    assert reloaded.config == linker.config and reloaded.entries == linker.entries
    assert reloaded.link_mentions(queries) == before
    assert reloaded.link_documents(docs) == linker.link_documents(docs)
    with pytest.raises(FileNotFoundError, match="not a linker folder"):
        Linker.load(tmp_path)


def test_no_training_ids_is_an_error() -> None:
    with pytest.raises(ValueError, match="no training mention has a concept id"):
        Linker.build([Document("Gout.", [Span(0, 4, "Disease")])])
    with pytest.raises(ValueError, match="'similarity' needs an encoder"):
        Linker.build(read_pubtator(TRAIN), config=LinkerConfig(method="similarity"))
    assert Linker.build(read_pubtator(TRAIN)).config.method == "dictionary"  # combined without encoder
