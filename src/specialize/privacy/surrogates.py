"""Type-appropriate fake values for the ``surrogate`` operator, generated locally (no service, no Faker).

Each fake is drawn from a random generator seeded with a keyed hash of (type, value): the same salt gives the
same fake for the same value in every run, and the fake says nothing about the value without the salt.
Identifiers keep their layout (separators, length, country) and stay valid where a checksum exists (cards pass
Luhn, IBANs mod-97) yet can never be real: SSNs get an area number of 900-999, which the SSA never issues,
IP addresses come from the documentation ranges (RFC 5737 / RFC 3849), e-mails and URLs use example.com.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re

FIRST_NAMES = [
    "Alex",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Robin",
    "Sam",
    "Charlie",
    "Drew",
    "Kim",
    "Lee",
    "Noor",
    "Ari",
    "Sasha",
    "Toni",
    "Eli",
    "Mika",
    "Jules",
    "Rene",
    "Dana",
    "Nico",
    "Remy",
    "Kai",
    "Ira",
    "Lou",
    "Max",
]
LAST_NAMES = [
    "Smith",
    "Garcia",
    "Novak",
    "Okafor",
    "Tanaka",
    "Larsen",
    "Moreau",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Silva",
    "Nguyen",
    "Jensen",
    "Kaur",
    "Fischer",
    "Petrov",
    "Dubois",
    "Santos",
    "Ito",
    "Costa",
    "Berg",
    "Murphy",
    "Walsh",
    "Vidal",
    "Lund",
    "Horvat",
    "Meyer",
    "Young",
    "Park",
    "Ross",
]
CITIES = [
    "Springfield",
    "Riverton",
    "Lakeside",
    "Fairview",
    "Greenville",
    "Ashford",
    "Brookfield",
    "Clearwater",
    "Millbrook",
    "Oakdale",
    "Westbury",
    "Northgate",
    "Eastwood",
    "Southport",
    "Hillcrest",
]
ORGANIZATIONS = [
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam Inc",
    "Globex Corporation",
    "Initech",
    "Umbrella Services",
    "Acme Supplies",
    "Stark Logistics",
    "Wayne Holdings",
    "Tyrell Systems",
    "Vandelay Industries",
    "Hooli",
    "Pied Piper",
    "Soylent Foods",
]
STREETS = [
    "Oak",
    "Maple",
    "Pine",
    "Cedar",
    "Elm",
    "Birch",
    "Willow",
    "Lake",
    "Hill",
    "Park",
    "Church",
    "Mill",
    "River",
    "Station",
    "Meadow",
]
STREET_KINDS = ["Street", "Avenue", "Road", "Lane", "Drive", "Way", "Court", "Place"]
NATIONALITIES = [
    "Canadian",
    "Norwegian",
    "Chilean",
    "Kenyan",
    "Irish",
    "Portuguese",
    "Malaysian",
    "Uruguayan",
    "Estonian",
    "Maltese",
]
JOB_TITLES = [
    "Accountant",
    "Engineer",
    "Teacher",
    "Nurse",
    "Analyst",
    "Architect",
    "Pharmacist",
    "Designer",
    "Technician",
    "Editor",
]
HONORIFICS = ("Mr.", "Ms.", "Mx.", "Dr.", "Prof.")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def keyed_seed(salt: bytes, label: str, value: str) -> int:
    """A seed from HMAC-SHA256(salt, label NUL value): stable for a salt, unpredictable without it."""
    digest = hmac.new(salt, f"{label}\0{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def shape_preserving(value: str, rng: random.Random) -> str:
    """Digits -> random digits, letters -> random letters of the same case; everything else kept."""
    out = []
    for c in value:
        if c.isdigit():
            out.append(str(rng.randrange(10)))
        elif c.isalpha() and c.isascii():
            letter = chr(ord("a") + rng.randrange(26))
            out.append(letter.upper() if c.isupper() else letter)
        elif c.isalpha():
            out.append(rng.choice("aeiou").upper() if c.isupper() else rng.choice("aeiou"))
        else:
            out.append(c)
    return "".join(out)


def _person(value: str, rng: random.Random) -> str:
    words = value.split()
    if len(words) <= 1:
        return rng.choice(LAST_NAMES)
    middle = [f"{chr(ord('A') + rng.randrange(26))}." for _ in words[1:-1]]
    return " ".join([rng.choice(FIRST_NAMES), *middle, rng.choice(LAST_NAMES)])


def _email(value: str, rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES).lower()}.{rng.choice(LAST_NAMES).lower()}{rng.randrange(100)}@example.com"


def _domain(value: str, rng: random.Random) -> str:
    scheme = re.match(r"(?i)(https?://)?(www\.)?", value)
    prefix = "".join(g for g in scheme.groups() if g) if scheme else ""
    tail = "/" if value.endswith("/") else ""
    return f"{prefix}{rng.choice(STREETS).lower()}{rng.randrange(1000)}.example.com{tail}"


def _ip(value: str, rng: random.Random) -> str:
    if ":" in value:
        return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"


def _luhn_complete(digits: list[int]) -> int:
    """The check digit that makes ``digits + [check]`` pass Luhn."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


def _card(value: str, rng: random.Random) -> str:
    n = sum(c.isdigit() for c in value)
    digits = [rng.randrange(10) for _ in range(max(n, 2) - 1)]
    digits.append(_luhn_complete(digits))
    it = iter(digits)
    return "".join(str(next(it)) if c.isdigit() else c for c in value)


def _iban(value: str, rng: random.Random) -> str:
    compact = re.sub(r"\s", "", value)
    country = compact[:2].upper() if compact[:2].isalpha() else "GB"
    bban = shape_preserving(compact[4:], rng).upper()
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    fake = f"{country}{check:02d}{bban}"
    if " " in value.strip():
        fake = " ".join(fake[i : i + 4] for i in range(0, len(fake), 4))
    return fake.lower() if value.islower() else fake


def _ssn(value: str, rng: random.Random) -> str:
    fake = list(shape_preserving(value, rng))
    first = next((i for i, c in enumerate(fake) if c.isdigit()), None)
    if first is not None:
        fake[first] = "9"  # areas 900-999 are never issued
    return "".join(fake)


def _date(value: str, rng: random.Random) -> str:
    def number(m: re.Match[str]) -> str:
        text = m.group()
        if len(text) == 4:
            return str(rng.randrange(1950, 2024))
        if len(text) <= 2:
            return f"{rng.randrange(1, 29):0{len(text)}d}"
        return shape_preserving(text, rng)

    def name(m: re.Match[str]) -> str:
        word = m.group().lower()
        if any(word.startswith(d[:3].lower()) for d in WEEKDAYS):
            return rng.choice(WEEKDAYS)
        if any(word.startswith(mo[:3].lower()) for mo in MONTHS):
            return rng.choice(MONTHS)
        return m.group()

    return re.sub(r"[A-Za-z]+", name, re.sub(r"\d+", number, value))


def _age(value: str, rng: random.Random) -> str:
    return str(rng.randrange(18, 90)) if value.strip().isdigit() else shape_preserving(value, rng)


def _title(value: str, rng: random.Random) -> str:
    return rng.choice(HONORIFICS) if value.endswith(".") and len(value) <= 5 else rng.choice(JOB_TITLES)


def _address(value: str, rng: random.Random) -> str:
    if not any(c.isalpha() for c in value):
        return shape_preserving(value, rng)  # a bare house number or postal code
    return f"{rng.randrange(1, 999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"


GENERATORS = {
    "PERSON": _person,
    "PER": _person,
    "EMAIL_ADDRESS": _email,
    "DOMAIN_NAME": _domain,
    "URL": _domain,
    "IP_ADDRESS": _ip,
    "CREDIT_CARD": _card,
    "IBAN_CODE": _iban,
    "US_SSN": _ssn,
    "DATE_TIME": _date,
    "AGE": _age,
    "TITLE": _title,
    "STREET_ADDRESS": _address,
    "GPE": lambda value, rng: rng.choice(CITIES),
    "LOCATION": lambda value, rng: rng.choice(CITIES),
    "LOC": lambda value, rng: rng.choice(CITIES),
    "ORGANIZATION": lambda value, rng: rng.choice(ORGANIZATIONS),
    "ORG": lambda value, rng: rng.choice(ORGANIZATIONS),
    "NRP": lambda value, rng: rng.choice(NATIONALITIES),
}


def fake_value(label: str, value: str, rng: random.Random) -> str:
    """A fake of type ``label`` for ``value``; unknown types (phone numbers, licence ids...) keep their shape."""
    generator = GENERATORS.get(label, shape_preserving)
    return generator(value, rng)
