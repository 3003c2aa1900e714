"""POST /v1/redact: the same redacted text and replacements as ``specialize redact`` (privacy.redact) gives for
the same model, operator, salt and options; pattern recognizers on and off; label filters; salts."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import ClassVar

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient
from tests.serve.test_server import Big, Uncertain

from specialize.data.document import Span
from specialize.privacy.combine import PiiPredictor
from specialize.privacy.patterns import pii_patterns
from specialize.privacy.redact import load_redaction_model, redact
from specialize.serve.app import create_app

TEXTS = [
    "John Smith wrote to jane.doe@example.com from 10.0.0.12.",
    "Call John Smith on 555-123-4567 or mail smith@acme.org",
    "Nothing to hide here.",
    "Jane Doe and John Smith met Jane Doe.",
]


class Names:
    """A span model that finds the names it knows (scored), as a PII specialist would."""

    name = "names"
    labels: ClassVar[list[str]] = ["PERSON"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [
            [Span(m.start(), m.end(), "PERSON", 0.9) for m in re.finditer(r"John Smith|Jane Doe", t)] for t in texts
        ]


@pytest.fixture(scope="module")
def http():
    with TestClient(create_app(Names(), max_wait_ms=2)) as client:
        yield client


def _library(model, operator: str, **options) -> list[dict]:
    return [d.to_dict() for d in redact(model, TEXTS, operator=operator, **options)]


@pytest.mark.parametrize("operator", ["mask", "tag", "hash", "surrogate"])
@pytest.mark.parametrize("scope", ["run", "document"])
def test_redact_gives_what_specialize_redact_gives(http, operator, scope):
    body = {"texts": TEXTS, "operator": operator, "salt": "s3cret", "scope": scope}
    response = http.post("/v1/redact", json=body)
    assert response.status_code == 200, response.text
    served = [{"text": d["text"], "spans": d["spans"]} for d in response.json()["documents"]]
    expected = _library(PiiPredictor(Names(), pii_patterns()), operator, salt="s3cret", scope=scope)
    assert served == expected
    assert all(d["model"] == "names" for d in response.json()["documents"])
    # Nothing of the values is left in the output, and the originals are not sent back.
    for doc in served:
        for secret in ("John Smith", "Jane Doe", "jane.doe@example.com", "555-123-4567", "smith@acme.org"):
            assert secret not in doc["text"] and all(secret not in str(s) for s in doc["spans"])


def test_one_text_tag_operator_by_default(http):
    body = http.post("/v1/redact", json={"text": TEXTS[0]}).json()
    assert body["model"] == "names"
    assert body["text"] == "<PERSON> wrote to <EMAIL_ADDRESS> from <IP_ADDRESS>."
    first = body["spans"][0]
    assert (first["start"], first["end"], first["out_start"], first["out_end"]) == (0, 10, 0, 8)
    assert first["label"] == "PERSON" and first["score"] == 0.9


def test_patterns_off_and_label_filters(http):
    assert {"PERSON", "EMAIL_ADDRESS", "CREDIT_CARD"} <= set(http.get("/readyz").json()["redact_labels"])
    no_patterns = http.post("/v1/redact", json={"text": TEXTS[1], "patterns": False}).json()
    assert no_patterns["text"] == "Call <PERSON> on 555-123-4567 or mail smith@acme.org"
    alone = _library(Names(), "tag")[1]  # the model alone, as `specialize redact --no-patterns` runs it
    assert {"text": no_patterns["text"], "spans": no_patterns["spans"]} == alone
    only_mail = http.post("/v1/redact", json={"text": TEXTS[1], "labels": ["EMAIL_ADDRESS"]}).json()
    assert only_mail["text"] == "Call John Smith on 555-123-4567 or mail <EMAIL_ADDRESS>"
    unknown = http.post("/v1/redact", json={"text": TEXTS[1], "labels": ["PASSPORT"]})
    assert unknown.status_code == 422 and "PASSPORT" in unknown.json()["detail"]
    assert "EMAIL_ADDRESS" in unknown.json()["detail"]  # the known types are listed
    needs_patterns = http.post("/v1/redact", json={"text": "x", "labels": ["EMAIL_ADDRESS"], "patterns": False})
    assert needs_patterns.status_code == 422 and "patterns: true" in needs_patterns.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "John Smith", "operator": "shred"},
        {"text": "John Smith", "scope": "galaxy"},
        {"text": "John Smith", "salt": ""},
        {"text": "John Smith", "labels": []},
        {"operator": "tag"},
    ],
)
def test_bad_options_are_422(http, body):
    assert http.post("/v1/redact", json=body).status_code == 422


def test_server_salt_keys_hashes_across_requests():
    expected = hmac.new(b"server-key", b"John Smith", hashlib.sha256).hexdigest()[:16]
    with TestClient(create_app(Names(), redact_salt="server-key", batching=False)) as client:
        for _ in range(2):
            body = client.post("/v1/redact", json={"text": "John Smith", "operator": "hash"}).json()
            assert body["text"] == expected
        own = client.post("/v1/redact", json={"text": "John Smith", "operator": "hash", "salt": "mine"}).json()
        assert own["text"] == hmac.new(b"mine", b"John Smith", hashlib.sha256).hexdigest()[:16]
    answers = []
    for _ in range(2):  # no salt at all: one random salt per server, the same for all its requests
        with TestClient(create_app(Names(), batching=False)) as client:
            first, second = (
                client.post("/v1/redact", json={"text": "John Smith", "operator": "hash"}).json()["text"]
                for _ in range(2)
            )
            assert first == second
            answers.append(first)
    assert answers[0] != answers[1]


def test_redaction_goes_through_the_cascade():
    with TestClient(create_app(Uncertain(), Big(), threshold=0.8, batching=False)) as client:
        docs = client.post("/v1/redact", json={"texts": ["ab sure", "ab maybe?"], "patterns": False}).json()
    assert [(d["model"], d["text"]) for d in docs["documents"]] == [("small", "<PER>b sure"), ("big", "<PER> maybe?")]


def test_a_specialist_folder_redacts_like_specialize_redact(model_folder):
    # The every-word specialist tags every word PER; the e-mail pattern wins over it, as in `specialize redact`.
    texts = ["Obama mailed obama@example.com", "Merkel met Smith"]
    with TestClient(create_app(str(model_folder), batching=False)) as client:
        docs = client.post("/v1/redact", json={"texts": texts, "operator": "mask"}).json()["documents"]
    expected = [d.to_dict() for d in redact(load_redaction_model(str(model_folder)), texts, operator="mask")]
    assert [{"text": d["text"], "spans": d["spans"]} for d in docs] == expected
    assert [s["label"] for s in docs[0]["spans"]] == ["PER", "PER", "EMAIL_ADDRESS"]
