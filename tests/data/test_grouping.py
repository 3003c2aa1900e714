"""Sentences back into their documents: join_documents joins consecutive sentences of one document (offsets and
spans moved, sentence ranges kept), and attach_documents finds the document a corpus's sentences were cut from
when the corpus itself does not say (NCBI-disease and BC5CDR ship sentences and abstracts in separate files)."""

from __future__ import annotations

from specialize.data.document import Document, Span
from specialize.data.grouping import SEPARATOR, attach_documents, join_documents

ABSTRACTS = [
    Document("Ataxia-telangiectasia is recessive. Results were clear.", id="pmid1"),
    Document("BRCA1 mutations cause breast cancer. Results were clear. It is rare.", id="pmid2"),
]


def test_sentences_find_their_abstract_in_any_order_and_repeated_sentences_stay_in_their_own():
    sentences = [  # tokenized (spaces moved), abstracts in the other order, a sentence both abstracts have
        Document("BRCA1 mutations cause breast cancer .", [Span(22, 35, "Disease")]),
        Document("Results were clear ."),
        Document("It is rare ."),
        Document("Ataxia - telangiectasia is recessive ."),
        Document("Results were clear ."),
        Document("A sentence of no abstract ."),
    ]
    attached, missing = attach_documents(sentences, ABSTRACTS)
    assert [d.meta.get("document") for d in attached] == ["pmid2", "pmid2", "pmid2", "pmid1", "pmid1", None]
    assert missing == 1 and "doc_index" not in attached[-1].meta

    joined = join_documents(attached)
    assert [d.text.count(SEPARATOR) for d in joined] == [2, 1, 0]
    first = joined[0]
    assert [first.text[s.start : s.end] for s in first.spans] == ["breast cancer"]
    assert [first.text[r["start"] : r["end"]] for r in first.meta["sentences"]] == [d.text for d in sentences[:3]]
