"""Bounded requests over real HTTP: a deadline (504), no work for clients that left, small requests first, and
long documents answered in pieces with the same spans as a whole-document prediction."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from typing import ClassVar

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from tests.serve.conftest import Server  # noqa: E402

from specialize.data.document import Span  # noqa: E402
from specialize.serve.app import DEFAULTS, create_app  # noqa: E402


class Words:
    """Every capitalised word is a PER span. Records what it was asked; texts starting "WAIT" block until
    ``gate`` opens, texts starting "SLOW" sleep ``slow`` seconds."""

    name = "words"
    labels: ClassVar[list[str]] = ["PER"]

    def __init__(self, slow: float = 0.0) -> None:
        self.calls: list[list[str]] = []
        self.gate = threading.Event()
        self.waiting = threading.Event()
        self.slow = slow

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        self.calls.append(list(texts))
        if any(t.startswith("WAIT") for t in texts):
            self.waiting.set()
            assert self.gate.wait(30)
        if any(t.startswith("SLOW") for t in texts):
            time.sleep(self.slow)
        return [[Span(m.start(), m.end(), "PER", 0.9) for m in re.finditer(r"[A-Z]\w*", t)] for t in texts]

    def seen(self, text: str) -> bool:
        return any(text in t for call in self.calls for t in call)


def _errors(http: httpx.Client, kind: str) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(f'specialize_errors_total{{kind="{kind}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_a_request_past_its_deadline_is_504_with_a_json_error_and_the_server_goes_on():
    model = Words(slow=3.0)
    with (
        Server(create_app(model, request_timeout=0.5, max_wait_ms=1)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        response = http.post("/v1/entities", json={"text": "SLOW Obama"})
        assert response.status_code == 504
        assert response.headers["content-type"] == "application/json"
        assert "request timeout (0.5 s)" in response.json()["detail"]
        time.sleep(3)  # the batch already running finishes; the next request is answered normally
        ok = http.post("/v1/entities", json={"text": "Obama visited Paris"})
        assert ok.status_code == 200 and [s["text"] for s in ok.json()["spans"]] == ["Obama", "Paris"]
        assert _errors(http, "timeout") == 1
        assert http.get("/readyz").json()["request_timeout"] == 0.5


def test_the_work_of_a_client_that_disconnected_is_dropped():
    model = Words()
    with (
        Server(create_app(model, max_wait_ms=1)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        first: dict[str, int] = {}
        blocker = threading.Thread(
            target=lambda: first.update(status=http.post("/v1/entities", json={"text": "WAIT here"}).status_code)
        )
        blocker.start()
        assert model.waiting.wait(10)  # the model is busy with the first request
        with pytest.raises(httpx.ReadTimeout):  # this client gives up and closes its connection
            httpx.post(f"{server.url}/v1/entities", json={"text": "Abandoned text"}, timeout=0.5)
        deadline = time.monotonic() + 10
        while _errors(http, "client_gone") < 1:  # the server noticed
            assert time.monotonic() < deadline, "the disconnect was not noticed"
            time.sleep(0.05)
        model.gate.set()
        blocker.join(10)
        assert first["status"] == 200
        assert http.post("/v1/entities", json={"text": "After"}).status_code == 200
        assert not model.seen("Abandoned text")  # never computed
        assert 'specialize_http_requests_total{path="/v1/entities",status="499"} 1' in http.get("/metrics").text


def test_a_small_request_is_answered_between_the_pieces_of_huge_documents():
    model = Words()
    huge = ["WAIT " + "Name word " * 9_999] + ["Name word " * 10_000] * 3  # four texts of ~100 000 characters
    with (
        Server(create_app(model, max_wait_ms=1)) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        answers: dict[str, httpx.Response] = {}
        big = threading.Thread(target=lambda: answers.update(big=http.post("/v1/entities", json={"texts": huge})))
        big.start()
        assert model.waiting.wait(10)  # the first piece of the first huge text is in the model
        small = threading.Thread(
            target=lambda: answers.update(small=http.post("/v1/entities", json={"text": "Small Request"}))
        )
        small.start()
        time.sleep(0.3)  # the small request is queued behind the piece being computed
        model.gate.set()
        small.join(30)
        big.join(60)
    assert answers["small"].status_code == 200 and answers["big"].status_code == 200
    calls_with_small = [i for i, call in enumerate(model.calls) if "Small Request" in call]
    assert calls_with_small == [1]  # the very next model call, not after the ~200 pieces of the huge texts
    assert len(model.calls) > 50 and all(sum(map(len, call)) <= 4096 for call in model.calls[1:])
    # The huge texts' spans are what a whole-document prediction gives: nothing lost or doubled at the cuts.
    docs = answers["big"].json()["documents"]
    for text, doc in zip(huge, docs, strict=True):
        assert [(s["start"], s["end"]) for s in doc["spans"]] == [(s.start, s.end) for s in model.predict([text])[0]]


def test_a_long_document_through_a_real_specialist_gives_the_whole_document_spans(model_folder):
    from specialize.models.resolve import load_model

    text = " ".join(f"Word{i} café" for i in range(1500))  # about 15 000 characters: several pieces
    assert len(text) > 3 * DEFAULTS.piece_chars
    model = load_model(str(model_folder))
    model.settings.max_length = 128  # type: ignore[attr-defined]  # the tiny base's position limit
    expected = [(s.start, s.end, s.label) for s in model.predict([text])[0]]
    with (
        Server(create_app(model, max_wait_ms=1)) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        spans = http.post("/v1/entities", json={"text": text}).json()["spans"]
    assert [(s["start"], s["end"], s["label"]) for s in spans] == expected
    assert all(s["text"] == text[s["start"] : s["end"]] for s in spans)
