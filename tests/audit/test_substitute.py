"""Name substitution: exact offsets, consistent names within a document, determinism, and the name lists."""

from __future__ import annotations

from specialize.audit import NAME_GROUPS, name_groups, substitute_names
from specialize.data.document import Document, Span

GROUP = name_groups(["arabic-female"])[0]


def _doc(text: str, *marked: tuple[str, str], **kw: object) -> Document:
    """A document with spans at the successive occurrences of each (string, label)."""
    spans, cursor = [], 0
    for string, label in marked:
        start = text.index(string, cursor)
        spans.append(Span(start, start + len(string), label))
        cursor = start + len(string) if label else cursor
    return Document(text, spans, **kw)  # type: ignore[arg-type]


def _check_other_spans_kept(original: Document, variant: Document) -> None:
    """Every non-person span keeps its text; person spans are single names of the group."""
    assert len(original.spans) == len(variant.spans)
    for before, after in zip(original.spans, variant.spans, strict=True):
        assert before.label == after.label
        if before.label == "PER":
            words = variant.span_text(after).split()
            assert words and words[0].title() in GROUP.first_names + GROUP.surnames
        else:
            assert original.span_text(before) == variant.span_text(after)


def test_multi_token_and_surname_mentions_and_casing() -> None:
    doc = _doc(
        "Marcello Cuttitta and Massimo Franco Cuttitta of Italy beat Wales ; CUTTITTA scored , Cuttitta said .",
        ("Marcello Cuttitta", "PER"),
        ("Massimo Franco Cuttitta", "PER"),
        ("Italy", "LOC"),
        ("Wales", "LOC"),
        ("CUTTITTA", "PER"),
        ("Cuttitta", "PER"),
    )
    sub = substitute_names([doc], GROUP, seed=3)
    variant = sub.documents[0]
    assert sub.replaced == 4 and sub.kept == 0 and sub.changed_docs == [0]
    _check_other_spans_kept(doc, variant)
    first, second, _, _, caps, last = (variant.span_text(s) for s in variant.spans)
    given1, surname = first.split()
    given2, surname2 = second.split()  # three words become given name + surname
    assert surname == surname2 and given1 != given2  # brothers keep one surname, get two given names
    assert caps == surname.upper() and last == surname  # surname-only mentions, casing kept
    assert given1 in GROUP.first_names and surname in GROUP.surnames


def test_same_string_same_name_and_one_word_is_a_given_name() -> None:
    doc = _doc("Obama met Merkel ; Obama left .", ("Obama", "PER"), ("Merkel", "PER"), ("Obama", "PER"))
    variant = substitute_names([doc], GROUP).documents[0]
    a, b, c = (variant.span_text(s) for s in variant.spans)
    assert a == c and a != b and {a, b} <= set(GROUP.first_names)


def test_adjacent_spans_and_unicode_offsets() -> None:
    text = "☕𝒜 José Núñez—Zürich,SmithJones visited Köln ."
    doc = Document(
        text,
        [
            Span(3, 13, "PER"),  # José Núñez
            Span(14, 20, "LOC"),  # Zürich, right after an em dash
            Span(21, 26, "PER"),  # Smith
            Span(26, 31, "PER"),  # Jones, adjacent to Smith
            Span(40, 44, "LOC"),  # Köln
        ],
    )
    assert [doc.span_text(s) for s in doc.spans] == ["José Núñez", "Zürich", "Smith", "Jones", "Köln"]
    variant = substitute_names([doc], GROUP, seed=1).documents[0]
    _check_other_spans_kept(doc, variant)
    assert variant.text.startswith("☕𝒜 ") and variant.text.endswith(" visited Köln .")
    per = [s for s in variant.spans if s.label == "PER"]
    assert per[1].end == per[2].start  # still adjacent
    assert variant.text[per[0].end] == "—"


def test_overlapping_person_span_is_left_and_counted() -> None:
    doc = _doc("The Obama Foundation said Biden agreed .", ("Obama Foundation", "ORG"), ("Biden", "PER"))
    doc.spans.append(Span(4, 9, "PER"))  # Obama, nested in the ORG span
    doc.spans.sort()
    sub = substitute_names([doc], GROUP)
    variant = sub.documents[0]
    assert sub.replaced == 1 and sub.kept == 1
    assert variant.text.startswith("The Obama Foundation said ") and "Biden" not in variant.text


def test_conll_token_boundaries_move_with_the_names() -> None:
    text = "Franco Properzi Curti ( Italy ) scored"
    tokens = [[m.start(), m.end()] for m in __import__("re").finditer(r"\S+", text)]
    doc = _doc(text, ("Franco Properzi Curti", "PER"), ("Italy", "LOC"), id="test:1", meta={"tokens": tokens})
    variant = substitute_names([doc], GROUP).documents[0]
    words = [variant.text[a:b] for a, b in variant.meta["tokens"]]
    assert words == variant.text.split() and len(words) == 6  # 3 name words became 2


def test_deterministic_and_independent_of_other_documents() -> None:
    docs = [
        _doc("Smith met Jones .", ("Smith", "PER"), ("Jones", "PER"), id="a"),
        _doc("Anna Berg spoke .", ("Anna Berg", "PER"), id="b"),
    ]
    once = substitute_names(docs, GROUP, seed=7).documents
    again = substitute_names(docs, GROUP, seed=7).documents
    alone = substitute_names(docs[1:], GROUP, seed=7).documents
    assert [d.text for d in once] == [d.text for d in again]
    assert once[1].text == alone[0].text
    other_seeds = {substitute_names(docs, GROUP, seed=s).documents[1].text for s in range(8)}
    assert len(other_seeds) > 1


def test_articles_share_names_across_sentences() -> None:
    meta = {"doc_index": 0}
    docs = [
        _doc("Salem Bitar saved .", ("Salem Bitar", "PER"), id="test:1", meta=meta),
        _doc("Bitar was hurt .", ("Bitar", "PER"), id="test:2", meta=meta),
    ]
    out = substitute_names(docs, GROUP).documents
    assert out[1].span_text(out[1].spans[0]) == out[0].span_text(out[0].spans[0]).split()[1]


def test_name_lists_are_balanced_distinct_single_ascii_words() -> None:
    assert len(NAME_GROUPS) == 12
    assert {len(g.first_names) for g in NAME_GROUPS} == {24} and {len(g.surnames) for g in NAME_GROUPS} == {24}
    seen_first: set[str] = set()
    surnames_by_origin: dict[str, tuple[str, ...]] = {}
    for g in NAME_GROUPS:
        assert len(set(g.first_names)) == len(g.first_names) and len(set(g.surnames)) == len(g.surnames)
        assert all(n.isascii() and n.isalpha() and n[0].isupper() for n in g.first_names + g.surnames)
        assert not seen_first & set(g.first_names), g.name
        seen_first |= set(g.first_names)
        surnames_by_origin[g.origin] = g.surnames
    all_surnames = [n for names in surnames_by_origin.values() for n in names]
    assert len(all_surnames) == len(set(all_surnames)) == 6 * 24
