"""Grounding LLM strings to offsets: repeated mentions, overlaps, case variants, hallucinations, unicode."""

from __future__ import annotations

import unicodedata

import pytest

from specialize.teachers.grounding import Mention, ground, normalize_with_offsets


def texts_of(text: str, result) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in result.spans]


# -- repeated mentions ---------------------------------------------------------------------------------------
REPEATED = "Flu in May. Flu in June. Flu again."


def test_policy_all_labels_every_occurrence():
    result = ground(REPEATED, [{"text": "Flu", "label": "Disease"}])
    assert [(s.start, s.end) for s in result.spans] == [(0, 3), (12, 15), (25, 28)]
    assert not result.rejected


def test_policy_unique_rejects_an_undisambiguated_repeated_mention():
    result = ground(REPEATED, [{"text": "Flu", "label": "Disease"}], policy="unique")
    assert result.spans == [] and result.rejected == {"ambiguous": 1}


def test_policy_unique_accepts_as_many_copies_as_occurrences():
    mentions = [{"text": "Flu", "label": "Disease"}] * 3
    result = ground(REPEATED, mentions, policy="unique")
    assert len(result.spans) == 3 and not result.rejected


def test_occurrence_picks_the_nth_and_rejects_one_that_does_not_exist():
    result = ground(REPEATED, [Mention("Flu", "Disease", occurrence=2), Mention("Flu", "Disease", occurrence=4)])
    assert [(s.start, s.end) for s in result.spans] == [(12, 15)]
    assert result.rejected == {"bad_occurrence": 1}


def test_context_picks_the_occurrence_it_surrounds():
    mentions = [{"text": "Flu", "label": "Disease", "context": "Flu in  june"}]  # loose copy: case, spaces
    result = ground(REPEATED, mentions, policy="unique")
    assert [(s.start, s.end) for s in result.spans] == [(12, 15)]


def test_context_that_is_not_in_the_text_falls_back_to_the_policy():
    mention = [{"text": "Flu", "label": "Disease", "context": "Flu in July"}]
    assert ground(REPEATED, mention, policy="unique").rejected == {"ambiguous": 1}
    assert len(ground(REPEATED, mention, policy="all").spans) == 3


def test_repeated_identical_mentions_are_deduplicated():
    result = ground(REPEATED, [{"text": "Flu", "label": "Disease"}, {"text": "Flu", "label": "Disease"}])
    assert len(result.spans) == 3


# -- overlaps and conflicts --------------------------------------------------------------------------------
def test_longest_mention_wins_and_the_shorter_keeps_its_own_occurrences():
    text = "Breast cancer is not the only cancer."
    result = ground(text, [{"text": "cancer", "label": "Disease"}, {"text": "Breast cancer", "label": "Disease"}])
    assert texts_of(text, result) == [("Breast cancer", "Disease"), ("cancer", "Disease")]
    assert not result.rejected  # "cancer" kept an occurrence of its own: not a rejection


def test_a_mention_with_no_surviving_occurrence_counts_as_overlap():
    text = "She has breast cancer."
    result = ground(text, [{"text": "breast cancer", "label": "Disease"}, {"text": "cancer", "label": "Disease"}])
    assert texts_of(text, result) == [("breast cancer", "Disease")]
    assert result.rejected == {"overlap": 1}


def test_crossing_spans_resolve_deterministically_whatever_the_order():
    text = "acute kidney injury syndrome"
    a = {"text": "acute kidney injury", "label": "Disease"}
    b = {"text": "injury syndrome", "label": "Disease"}
    assert (
        texts_of(text, ground(text, [a, b]))
        == texts_of(text, ground(text, [b, a]))
        == [("acute kidney injury", "Disease")]
    )


def test_same_string_with_two_labels_is_a_conflict_not_a_guess():
    text = "Paris is nice."
    result = ground(text, [{"text": "Paris", "label": "LOC"}, {"text": "Paris", "label": "PER"}])
    assert result.spans == [] and result.rejected == {"label_conflict": 2}


def test_overlaps_can_be_kept_on_request():
    text = "She has breast cancer."
    mentions = [{"text": "breast cancer", "label": "Disease"}, {"text": "cancer", "label": "Disease"}]
    assert len(ground(text, mentions, allow_overlaps=True).spans) == 2


# -- case and whitespace variants ----------------------------------------------------------------------------
def test_sentence_initial_capital_is_added_to_case_preserving_matches():
    text = "Breast cancer is common; breast cancer screening helps."
    result = ground(text, [{"text": "breast cancer", "label": "Disease"}])
    assert [(s.start, s.end) for s in result.spans] == [(0, 13), (25, 38)]


def test_case_changed_by_the_llm_is_found_when_nothing_else_matches():
    text = "Mutations in BRCA1 matter."
    assert texts_of(text, ground(text, [{"text": "brca1", "label": "Gene"}])) == [("BRCA1", "Gene")]
    assert ground(text, [{"text": "brca1", "label": "Gene"}], case_insensitive=False).rejected == {"not_found": 1}


def test_an_all_caps_mention_does_not_label_the_lowercase_word():
    text = "AS is as painful as it sounds."
    assert [(s.start, s.end) for s in ground(text, [{"text": "AS", "label": "Disease"}]).spans] == [(0, 2)]


def test_whitespace_and_typography_variants_map_back_to_original_offsets():
    text = "Crohn’s\n  disease and type\u00a02 diabetes"
    mentions = [{"text": "Crohn's disease", "label": "D"}, {"text": " type 2 diabetes ", "label": "D"}]
    assert texts_of(text, ground(text, mentions)) == [("Crohn’s\n  disease", "D"), ("type\u00a02 diabetes", "D")]


def test_labels_are_matched_case_insensitively_and_returned_canonical():
    result = ground("flu", [{"text": "flu", "label": "disease"}], labels=["Disease"])
    assert [s.label for s in result.spans] == ["Disease"]


# -- hallucinations and malformed items ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mention", "reason"),
    [
        ({"text": "unicorn pox", "label": "Disease"}, "not_found"),
        ({"text": "cancer", "label": "Disease"}, "inside_word"),  # only inside "cancers"
        ({"text": "   ", "label": "Disease"}, "empty"),
        ({"text": "cancers", "label": "Planet"}, "unknown_label"),
        ({"text": "cancers"}, "malformed"),
        ("cancers", "malformed"),
        ({"text": 3, "label": "Disease"}, "malformed"),
    ],
)
def test_each_rejection_is_counted_with_its_reason(mention, reason):
    result = ground("Many cancers.", [mention], labels=["Disease"])
    assert result.spans == [] and result.rejected == {reason: 1}


def test_a_partial_word_inside_an_nfkc_expansion_is_not_grounded():
    text = "the ﬁnal ﬁle"  # U+FB01 "fi" ligature: "f" alone would cut through one original character
    assert ground(text, [{"text": "f", "label": "X"}]).rejected == {"inside_word": 1}
    assert texts_of(text, ground(text, [{"text": "final", "label": "X"}])) == [("ﬁnal", "X")]


def test_policy_must_be_known():
    with pytest.raises(ValueError, match="'all' or 'unique'"):
        ground("x", [], policy="first")  # type: ignore[arg-type]


# -- unicode ------------------------------------------------------------------------------------------------
def test_nfd_text_and_nfc_mention():
    text = unicodedata.normalize("NFD", "Le patient a la maladie de Crème et Zoë aussi.")
    result = ground(text, [{"text": "maladie de Crème", "label": "D"}, {"text": "Zoë", "label": "P"}])
    found = texts_of(text, result)
    assert [unicodedata.normalize("NFC", t) for t, _ in found] == ["maladie de Crème", "Zoë"]
    assert all(len(t) > len(unicodedata.normalize("NFC", t)) for t, _ in found)  # original NFD slices


def test_emoji_and_combining_marks_before_the_mention_keep_str_offsets():
    text = "👩‍⚕️ e\u0301 🇫🇷 said: flu 🤒 again"
    result = ground(text, [{"text": "flu", "label": "D"}, {"text": "again", "label": "X"}])
    assert texts_of(text, result) == [("flu", "D"), ("again", "X")]
    assert result.spans[0].start == text.index("flu")


def test_a_mention_never_ends_between_a_letter_and_its_combining_mark():
    text = "cafe\u0301 cafe"
    result = ground(text, [{"text": "cafe", "label": "X"}])
    assert [(s.start, s.end) for s in result.spans] == [(6, 10)]  # not the "cafe" of "café"


def test_scripts_without_spaces_ground_inside_a_sentence():
    text = "患者は糖尿病と診断された。"
    assert texts_of(text, ground(text, [{"text": "糖尿病", "label": "Disease"}])) == [("糖尿病", "Disease")]


def test_fullwidth_and_casefold_expansions():
    text = "ＢＲＣＡ１ and STRASSE and Straße"
    result = ground(text, [{"text": "BRCA1", "label": "G"}, {"text": "Straße", "label": "L"}])
    assert texts_of(text, result) == [("ＢＲＣＡ１", "G"), ("Straße", "L")]  # case kept: not STRASSE
    # No case-preserving match: case-folded, "ß" becomes "ss" (one character, two), mapped back exactly.
    result = ground(text, [{"text": "strasse", "label": "L"}])
    assert texts_of(text, result) == [("STRASSE", "L"), ("Straße", "L")]


def test_normalized_offsets_always_point_into_the_original():
    text = unicodedata.normalize("NFD", "Ça  va?\tﬁne ½ 👍🏽 Straße") + "\u0301"
    for casefold in (False, True):
        norm = normalize_with_offsets(text, casefold=casefold)
        assert len(norm.starts) == len(norm.ends) == len(norm.text)
        assert norm.starts == sorted(norm.starts)
        assert all(0 <= s < e <= len(text) for s, e in zip(norm.starts, norm.ends, strict=True))
