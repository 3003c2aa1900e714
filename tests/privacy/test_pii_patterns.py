"""Pattern recognizers for structured identifiers and their merge with a model's spans."""

from __future__ import annotations

import pytest

from specialize.data.document import Span
from specialize.privacy.combine import PiiPredictor, merge_spans
from specialize.privacy.patterns import (
    STRUCTURED_TYPES,
    iban_valid,
    luhn_valid,
    phone_valid,
    pii_patterns,
    ssn_valid,
)


def found(text: str) -> list[tuple[str, str]]:
    (spans,) = pii_patterns().predict([text])
    return [(s.label, text[s.start : s.end]) for s in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail UtaKortig@jourrapide.com now", [("EMAIL_ADDRESS", "UtaKortig@jourrapide.com")]),
        ("Card 4111 1111 1111 1111 expired", [("CREDIT_CARD", "4111 1111 1111 1111")]),
        ("IBAN GB82WEST12345698765432 please", [("IBAN_CODE", "GB82WEST12345698765432")]),
        ("iban gb82 west 1234 5698 7654 32.", [("IBAN_CODE", "gb82 west 1234 5698 7654 32")]),
        ("SSN 460-89-9847 on file", [("US_SSN", "460-89-9847")]),
        ("from 10.0.0.1 and 2001:db8::1", [("IP_ADDRESS", "10.0.0.1"), ("IP_ADDRESS", "2001:db8::1")]),
        ("see https://www.UEarly.se/.", [("DOMAIN_NAME", "https://www.UEarly.se/")]),
        ("visit example.org today", [("DOMAIN_NAME", "example.org")]),
        (
            "call 905-674-3793 or +46 (0)8 928 571 38",
            [("PHONE_NUMBER", "905-674-3793"), ("PHONE_NUMBER", "+46 (0)8 928 571 38")],
        ),
        ("ext 345-899-3560x4587", [("PHONE_NUMBER", "345-899-3560x4587")]),
        ("my zip code is 35350", [("ZIP_CODE", "35350")]),
    ],
)
def test_patterns_find_structured_identifiers(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1112 expired",  # Luhn fails
        "IBAN GB83WEST12345698765432",  # wrong check digits
        "IP 999.1.1.1",  # not an address
        "on 2000-04-16 11:34:35",  # a date, not a phone number
        "we sold 12345 units in 1977",  # bare numbers
        "He lives at 370 3911 Fourth Avenue",  # house numbers joined by a space
    ],
)
def test_patterns_reject_lookalikes(text: str) -> None:
    assert found(text) == []


def test_never_issued_ssns_are_not_ssns() -> None:
    assert [label for label, _ in found("SSN 900-12-3456 and 123-00-4567")] == ["PHONE_NUMBER", "PHONE_NUMBER"]


def test_validators() -> None:
    assert luhn_valid("4111-1111-1111-1111") and not luhn_valid("0000 0000 0000 0000")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 0")
    assert ssn_valid("123-45-6789") and not ssn_valid("666-45-6789")
    assert phone_valid("(212) 555-1234") and not phone_valid("12-34")


def test_checked_identifier_outranks_a_loose_pattern() -> None:
    # the SSN also has a phone number's shape; the SSN's higher score wins the overlap
    assert found("SSN 514-69-0360") == [("US_SSN", "514-69-0360")]


def test_merge_patterns_win_on_structured_types_and_addresses_keep_their_codes() -> None:
    text = "Ada, 4111 1111 1111 1111, lives at 12 Oak St, zip code 90210"
    model = [Span(0, 12, "PERSON", 0.9), Span(35, 60, "STREET_ADDRESS", 0.8)]  # PERSON overlaps the card
    patterns = [Span(5, 24, "CREDIT_CARD", 1.0), Span(55, 60, "ZIP_CODE", 0.5)]
    merged = merge_spans(text, model, patterns, STRUCTURED_TYPES)
    assert [(s.label, text[s.start : s.end]) for s in merged] == [
        ("PERSON", "Ada"),  # cut back to the part outside the card number
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("STREET_ADDRESS", "12 Oak St, zip code 90210"),  # the ZIP code inside the address stays in it
    ]
    pay = "pay IBAN GB82WEST12345698765432 now"
    inside = merge_spans(pay, [Span(0, 31, "STREET_ADDRESS", 0.6)], [Span(9, 31, "IBAN_CODE", 1.0)], STRUCTURED_TYPES)
    assert [(s.label, pay[s.start : s.end]) for s in inside] == [
        ("STREET_ADDRESS", "pay IBAN"),
        ("IBAN_CODE", "GB82WEST12345698765432"),  # a validated identifier wins even inside a model span
    ]
    untouched = merge_spans("Dr. Ada", [Span(0, 3, "TITLE"), Span(4, 7, "PERSON")], [], STRUCTURED_TYPES)
    assert [(s.start, s.end) for s in untouched] == [(0, 3), (4, 7)]  # uncut model spans keep their boundaries
    covered = {i for s in model for i in range(s.start, s.end) if not text[i].isspace() and text[i].isalnum()}
    assert covered <= {i for s in merged for i in range(s.start, s.end)}  # merging never uncovers a character


class _Fixed:
    name = "fixed"

    @property
    def labels(self) -> list[str]:
        return ["PERSON"]

    def predict(self, texts):
        return [[Span(0, 3, "PERSON", 0.9)] for _ in texts]


def test_pii_predictor_combines_a_model_with_patterns() -> None:
    predictor = PiiPredictor(_Fixed(), pii_patterns())
    assert "PERSON" in predictor.labels and "CREDIT_CARD" in predictor.labels
    (spans,) = predictor.predict(["Ada paid with 4111111111111111"])
    assert [(s.label, s.start, s.end) for s in spans] == [("PERSON", 0, 3), ("CREDIT_CARD", 14, 30)]
    with pytest.raises(ValueError, match="needs a model, patterns or both"):
        PiiPredictor(None, None)
