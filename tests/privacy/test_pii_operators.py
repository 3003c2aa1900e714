"""Redaction operators (mask, tag, hash, surrogate) and the redaction metrics (F2, character scores, leaks)."""

from __future__ import annotations

import re

import pytest

from specialize.data.document import Document, Span
from specialize.evaluation.span_metrics import score_spans
from specialize.privacy.metrics import char_scores, f2_table, fbeta, leak_report
from specialize.privacy.operators import Redactor, join_overlaps
from specialize.privacy.patterns import iban_valid, luhn_valid, ssn_valid

TEXT = "Ada Lovelace met Alan Turing; Ada Lovelace paid with 4111 1111 1111 1111."
SPANS = [Span(0, 12, "PERSON"), Span(17, 28, "PERSON"), Span(30, 42, "PERSON"), Span(53, 72, "CREDIT_CARD")]


def test_mask_keeps_length_and_line_breaks() -> None:
    out = Redactor("mask").redact("at 12 Oak St\nSpringfield now", [Span(3, 24, "STREET_ADDRESS")])
    assert out.text == "at " + "*" * 9 + "\n" + "*" * 11 + " now"
    (r,) = out.replacements
    assert (r.start, r.end, r.out_start, r.out_end) == (3, 24, 3, 24)


def test_tag_and_offsets_into_the_output() -> None:
    out = Redactor("tag").redact(TEXT, SPANS)
    assert out.text == "<PERSON> met <PERSON>; <PERSON> paid with <CREDIT_CARD>."
    for r in out.replacements:
        assert out.text[r.out_start : r.out_end] == r.replacement
    assert "text" not in out.replacements[0].to_dict()  # the original value is never echoed


def test_hash_is_keyed_and_stable() -> None:
    a = Redactor("hash", salt="s1").redact(TEXT, SPANS)
    b = Redactor("hash", salt="s1").redact(TEXT, SPANS)
    c = Redactor("hash", salt="s2").redact(TEXT, SPANS)
    assert a.text == b.text != c.text
    hashes = [r.replacement for r in a.replacements]
    assert hashes[0] == hashes[2] != hashes[1]  # same value, same hash; different values differ
    assert all(re.fullmatch(r"[0-9a-f]{16}", h) for h in hashes)


def test_surrogates_are_consistent_distinct_and_typed() -> None:
    redactor = Redactor("surrogate", salt="k")
    first = redactor.redact(TEXT, SPANS)
    fakes = [r.replacement for r in first.replacements]
    assert fakes[0] == fakes[2]  # the same person gets the same fake within the document...
    assert fakes[0] != fakes[1]  # ...and two people never share one
    assert "Ada" not in first.text and "Turing" not in first.text
    assert luhn_valid(fakes[3]) and re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", fakes[3])
    second = redactor.redact("Ada Lovelace again", [Span(0, 12, "PERSON")])
    assert second.replacements[0].replacement == fakes[0]  # ...and across documents of one run
    assert Redactor("surrogate", salt="k").redact(TEXT, SPANS).text == first.text  # same salt, same fakes
    scoped = Redactor("surrogate", salt="k", scope="document")
    scoped.redact(TEXT, SPANS)
    assert len(scoped._fakes) == 3  # three distinct values
    scoped.redact("x", [])
    assert scoped._fakes == {}  # document scope forgets the table between documents


def test_surrogates_never_repeat_a_word_of_the_value() -> None:
    for salt in range(200):
        fake = Redactor("surrogate", salt=str(salt)).replacement("PERSON", "Drew Smith")
        assert "smith" not in fake.lower() and "drew" not in fake.lower(), fake


@pytest.mark.parametrize(
    ("label", "value", "check"),
    [
        ("EMAIL_ADDRESS", "UtaKortig@jourrapide.com", lambda v: v.endswith("@example.com")),
        ("IBAN_CODE", "GB82WEST12345698765432", lambda v: iban_valid(v) and v.startswith("GB")),
        ("US_SSN", "460-89-9847", lambda v: re.fullmatch(r"9\d\d-\d\d-\d{4}", v) and not ssn_valid(v)),
        ("IP_ADDRESS", "106.31.73.20", lambda v: v.startswith(("192.0.2.", "198.51.100.", "203.0.113."))),
        ("DOMAIN_NAME", "https://www.UEarly.se/", lambda v: v.startswith("https://www.") and v.endswith(".com/")),
        ("PHONE_NUMBER", "(37) 788-063", lambda v: re.fullmatch(r"\(\d\d\) \d{3}-\d{3}", v)),
        ("DATE_TIME", "2000-04-16 11:34:35", lambda v: re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", v)),
    ],
)
def test_surrogates_keep_the_type(label: str, value: str, check) -> None:
    out = Redactor("surrogate", salt="k").redact(value, [Span(0, len(value), label)])
    assert out.text != value and check(out.text), out.text


def test_overlapping_spans_are_joined_so_nothing_leaks_between_them() -> None:
    joined = join_overlaps([Span(0, 5, "A", 0.9), Span(3, 12, "B", 0.8), Span(20, 22, "C")])
    assert [(s.start, s.end, s.label) for s in joined] == [(0, 12, "B"), (20, 22, "C")]
    with pytest.raises(ValueError, match="outside the text"):
        Redactor("tag").redact("short", [Span(0, 10, "X")])


def test_fbeta_and_f2_table() -> None:
    assert fbeta(0.5, 1.0) == pytest.approx(5 * 0.5 / (4 * 0.5 + 1))
    assert fbeta(1.0, 0.5, beta=1) == pytest.approx(2 / 3)
    assert fbeta(0.0, 0.0) == 0.0
    gold = [[Span(0, 3, "PERSON"), Span(5, 9, "GPE")]]
    pred = [[Span(0, 3, "PERSON"), Span(10, 12, "GPE")]]
    table = f2_table(score_spans(gold, pred))
    assert table["recall"] == pytest.approx(0.5) and table["precision"] == pytest.approx(0.5)
    assert table["per_type"]["PERSON"]["f2"] == pytest.approx(1.0)
    assert table["per_type"]["GPE"]["recall"] == 0.0 and table["per_type"]["GPE"]["support"] == 1


def test_char_scores_ignore_types_and_whitespace() -> None:
    doc = Document("Ada Lovelace in Paris", [Span(0, 12, "PERSON"), Span(16, 21, "GPE")])
    pred = [[Span(0, 3, "GPE"), Span(13, 21, "LOC")]]  # wrong types; half a name; "in" redacted too
    scores = char_scores([doc], pred)
    assert (scores.tp, scores.fp, scores.fn) == (3 + 5, 2, 8)
    assert scores.to_dict()["recall"] == pytest.approx(8 / 16)


def test_leak_report_counts_gold_characters_left_in_the_output() -> None:
    doc = Document("Ada Lovelace in Paris, Ada", [Span(0, 12, "PERSON"), Span(16, 21, "GPE"), Span(23, 26, "PERSON")])
    redaction = Redactor("tag").redact(doc.text, [Span(0, 3, "PERSON"), Span(16, 21, "GPE")])
    report = leak_report([doc], [redaction])
    # gold non-space characters: 11 (name) + 5 + 3; left: "Lovelace" (8) and the second "Ada" (3)
    assert (report.gold_chars, report.leaked_chars) == (19, 11)
    assert report.rate == pytest.approx(11 / 19)
    assert report.to_dict()["per_type"]["GPE"]["leak_rate"] == 0.0
    assert (report.entities, report.entities_leaked) == (3, 2)
    assert report.entities_verbatim == 1  # "Ada" (the third span) is still in the output; "Ada Lovelace" is not
    perfect = leak_report([doc], [Redactor("mask").redact(doc.text, doc.spans)])
    assert perfect.rate == 0.0 and perfect.entities_verbatim == 0
