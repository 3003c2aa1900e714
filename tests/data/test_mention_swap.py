"""Mention replacement (specialize augment): spans move with their new text, tokens and documents follow."""

from __future__ import annotations

import json
import re

import pytest

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.files import write_documents
from specialize.data.grouping import join_documents
from specialize.data.io import read_documents
from specialize.data.mention_swap import MentionSwap, mention_pool, swap_mentions
from specialize.errors import ConfigError

CONLL = """-DOCSTART- O

Mark B-PER
Knowles I-PER
visited O
Paris B-LOC
. O

Acme B-ORG
hired O
Jo B-PER
. O

-DOCSTART- O

Berlin B-LOC
beat O
Globex B-ORG
Corporation I-ORG
in O
London B-LOC
. O
"""


@pytest.fixture
def conll_file(tmp_path):
    path = tmp_path / "train.conll"
    path.write_text(CONLL)
    return path


def _skeleton(doc: Document) -> str:
    """The text with every span replaced by its label: what a swap must leave as it was."""
    out, pos = [], 0
    for span in sorted(doc.spans):
        out += [doc.text[pos : span.start], f"<{span.label}>"]
        pos = span.end
    return "".join(out) + doc.text[pos:]


def test_every_copy_keeps_the_text_around_the_mentions_and_swaps_in_mentions_of_the_same_type(conll_file):
    documents = read_documents(conll_file)
    pool = mention_pool(documents)
    result = swap_mentions(documents, MentionSwap(copies=3, probability=1.0, seed=1))
    assert len(result.documents) == 3 * len(documents)
    for i, copy in enumerate(result.documents):
        original = documents[i % len(documents)]
        assert _skeleton(copy) == _skeleton(original)
        assert [s.label for s in sorted(copy.spans)] == [s.label for s in sorted(original.spans)]
        for span, old in zip(sorted(copy.spans), sorted(original.spans), strict=True):
            assert copy.span_text(span) in pool[span.label]
            # probability 1: swapped for another mention, unless the type has only one (ORG here has two)
            assert copy.span_text(span) != original.span_text(old) or len(pool[span.label]) == 1
        # CoNLL token boundaries follow: the copy's tokens are its whitespace words, names re-tokenised.
        tokens = [copy.text[a:b] for a, b in copy.meta["tokens"]]
        assert tokens == copy.text.split()
    assert result.swapped == sum(len(d.spans) for d in documents) * 3


def test_the_same_seed_gives_the_same_copies_and_another_seed_others(conll_file):
    documents = read_documents(conll_file)
    first = swap_mentions(documents, MentionSwap(copies=2, probability=0.5, seed=7)).documents
    again = swap_mentions(documents, MentionSwap(copies=2, probability=0.5, seed=7)).documents
    assert [d.text for d in first] == [d.text for d in again]
    others = [swap_mentions(documents, MentionSwap(copies=2, probability=0.5, seed=s)).documents for s in range(5)]
    assert len({tuple(d.text for d in copies) for copies in others}) > 1


def test_copies_join_into_their_own_documents_never_into_the_originals(conll_file, tmp_path):
    documents = read_documents(conll_file)
    assert [d.meta["doc_index"] for d in documents] == [0, 0, 1]
    result = swap_mentions(documents, MentionSwap(copies=2, seed=0))
    path = tmp_path / "augmented.jsonl"
    write_documents(result.documents, path)
    back = read_documents(path)  # what train reads: meta (doc_index, tokens) survives the file
    assert [d.meta["doc_index"] for d in back] == [2, 2, 3, 4, 4, 5]
    joined = join_documents([*documents, *back])
    assert len(joined) == 6 and all(len(d.meta["sentences"]) == n for d, n in zip(joined, [2, 1] * 3, strict=True))
    assert back[0].id == f"{documents[0].id}~swap1" and back[0].meta["augmented"] == {
        "from": documents[0].id,
        "copy": 1,
    }


def test_a_record_with_overlapping_spans_is_copied_as_it_is_and_counted():
    doc = Document("New York University", [Span(0, 8, "LOC"), Span(0, 19, "ORG")])
    other = Document("Boston is big", [Span(0, 6, "LOC")])
    result = swap_mentions([doc, other], MentionSwap(probability=1.0))
    assert result.documents[0].text == doc.text and result.documents[0].spans == sorted(doc.spans)
    assert result.unchanged_overlapping == 1 and result.documents[1].text.startswith("New York is big")


def test_a_swapped_mention_loses_its_concept_id_and_a_kept_one_keeps_it():
    docs = [Document("Asthma here", [Span(0, 6, "Disease", kb_id="D001249")]),
            Document("Gout there", [Span(0, 4, "Disease", kb_id="D006073")])]  # fmt: skip
    swapped = swap_mentions(docs, MentionSwap(probability=1.0)).documents
    assert [d.text for d in swapped] == ["Gout here", "Asthma there"] and all(d.spans[0].kb_id is None for d in swapped)


@pytest.mark.parametrize(("copies", "probability"), [(0, 0.5), (1, 0.0), (1, 1.5)])
def test_settings_outside_their_range_are_refused(copies, probability):
    with pytest.raises(ConfigError, match=r"copies|probability"):
        MentionSwap(copies=copies, probability=probability)


def test_cli_writes_its_folder_and_replaces_only_its_own(conll_file, tmp_path, capsys):
    out = tmp_path / "aug"
    assert main(["augment", str(conll_file), "--copies", "2", "--output", str(out)]) == 0
    assert "wrote 6 records" in capsys.readouterr().out
    report = json.loads((out / "augment.json").read_text())
    assert report["copies"] == 2 and report["documents"] == 6 and report["sources"] == [str(conll_file)]
    assert report["command"]  # the command line that ran (sys.argv: pytest here)
    assert len((out / "augmented.jsonl").read_text().splitlines()) == 6
    assert main(["augment", str(conll_file), "--output", str(out)]) == 2  # exists: refused without --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(["augment", str(conll_file), "--output", str(out), "--overwrite", "--seed", "3"]) == 0
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("keep me")
    assert main(["augment", str(conll_file), "--output", str(mine), "--overwrite"]) == 2
    assert (mine / "todo.txt").read_text() == "keep me"


def test_cli_refuses_data_without_spans_naming_it(tmp_path, capsys):
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"text": "no entities here"}) + "\n")
    assert main(["augment", str(plain), "--output", str(tmp_path / "aug")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"no labelled spans in .*plain\.jsonl", err) and not (tmp_path / "aug").exists()
