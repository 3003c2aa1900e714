"""The HTTP service end to end: a real uvicorn on 127.0.0.1 serving a tiny specialist, good and bad requests."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import ClassVar

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from tests.serve.conftest import Server, serve_command  # noqa: E402

from specialize.data.document import Span  # noqa: E402
from specialize.serve.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(model_folder) -> Iterator[httpx.Client]:
    with (
        Server(create_app(str(model_folder), max_wait_ms=2)) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        yield http


def test_single_text_gets_spans_with_offsets_labels_text_scores_and_model(client):
    response = client.post("/v1/entities", json={"text": "Obama visited Paris"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "every-word"
    assert [(s["start"], s["end"], s["label"], s["text"]) for s in body["spans"]] == [
        (0, 5, "PER", "Obama"),
        (6, 13, "PER", "visited"),
        (14, 19, "PER", "Paris"),
    ]
    assert all(0.5 < s["score"] < 1 for s in body["spans"])


def test_batches_of_texts_and_of_documents_keep_order_and_ids(client):
    texts = ["Obama", "Merkel met Smith", "Paris"]
    body = client.post("/v1/entities", json={"texts": texts}).json()
    assert [[s["text"] for s in d["spans"]] for d in body["documents"]] == [
        ["Obama"],
        ["Merkel", "met", "Smith"],
        ["Paris"],
    ]
    docs = [{"id": "a", "text": "Obama"}, {"id": 7, "text": "😀 Paris"}]
    body = client.post("/v1/entities", json={"documents": docs}).json()
    assert [d["id"] for d in body["documents"]] == ["a", 7]
    span = body["documents"][1]["spans"][-1]
    assert (span["start"], span["end"], span["text"]) == (2, 7, "Paris")  # code-point offsets, past an emoji
    assert {d["model"] for d in body["documents"]} == {"every-word"}


def test_concurrent_requests_are_answered_correctly(client):
    from concurrent.futures import ThreadPoolExecutor

    def ask(i: int) -> list[str]:
        response = client.post("/v1/entities", json={"text": " ".join(["word"] * (i % 5 + 1))})
        return [s["text"] for s in response.json()["spans"]]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, range(24)))
    assert results == [["word"] * (i % 5 + 1) for i in range(24)]


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and sorted(ready.json()["labels"]) == ["LOC", "PER"]


def test_a_one_megabyte_text_is_413_with_a_clear_message(client):
    response = client.post("/v1/entities", json={"text": "a" * 1_000_000})
    assert response.status_code == 413
    assert "1000000 characters; the limit is 100000" in response.json()["detail"]
    too_many = client.post("/v1/entities", json={"texts": ["x"] * 65})
    assert too_many.status_code == 413 and "the limit is 64" in too_many.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n"},
        {"texts": ["fine", ""]},
        {"texts": []},
        {"documents": [{"id": "a"}]},
        {"text": 42},
        {"texts": "not a list"},
        {"text": "a", "texts": ["b"]},
        {},
        {"txt": "typo"},
        [1, 2],
        "just a string",
    ],
)
def test_malformed_requests_are_422_with_detail(client, body):
    response = client.post("/v1/entities", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_broken_bodies_are_4xx_never_500(client):
    headers = {"content-type": "application/json"}
    invalid_json = client.post("/v1/entities", content=b'{"text": "unterminated', headers=headers)
    assert invalid_json.status_code == 422
    invalid_utf8 = client.post("/v1/entities", content=b'{"text": "caf\xe9 \xff\xfe"}', headers=headers)
    assert invalid_utf8.status_code == 400 and "not valid UTF-8" in invalid_utf8.json()["detail"]
    lone_surrogate = client.post("/v1/entities", content=b'{"text": "a \\ud800 b"}', headers=headers)
    assert lone_surrogate.status_code == 422 and "surrogate" in lone_surrogate.text
    # A 422 does not echo a long text back whole.
    long_and_wrong = client.post("/v1/entities", json={"text": "y" * 50_000, "extra": 1})
    assert long_and_wrong.status_code == 422 and len(long_and_wrong.content) < 5000
    not_json = client.post("/v1/entities", content=b"text=hello", headers={"content-type": "text/plain"})
    assert 400 <= not_json.status_code < 500
    # The server is still up and still right after all that.
    assert client.post("/v1/entities", json={"text": "Obama"}).json()["spans"][0]["text"] == "Obama"


def test_metrics_are_prometheus_text(client):
    client.post("/v1/entities", json={"text": "Obama"})
    client.post("/v1/entities", json={"text": ""})
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'specialize_http_requests_total{path="/v1/entities",status="200"}' in text
    assert 'specialize_http_requests_total{path="/v1/entities",status="422"}' in text
    assert 'specialize_http_request_duration_seconds_bucket{path="/v1/entities",le="+Inf"}' in text
    assert "# TYPE specialize_batch_size histogram" in text and "specialize_batch_size_count" in text
    assert 'specialize_documents_total{model="every-word"}' in text
    assert "specialize_deferrals_total 0" in text
    assert "# TYPE specialize_errors_total counter" in text


def test_demo_page_model_card_and_openapi(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/v1/entities" in page.text and "/model-card" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # self-contained
    card = client.get("/model-card")
    assert card.headers["content-type"].startswith("text/markdown") and "# every-word" in card.text
    assert "<h1>every-word</h1>" in client.get("/model-card", params={"format": "html"}).text  # rendered
    schema = client.get("/openapi.json").json()
    assert "/v1/entities" in schema["paths"]


# -- in-process (no socket): other settings of the same app ------------------------------------------------
class Uncertain:
    """A primary that is unsure of texts containing '?'."""

    name = "small"
    labels: ClassVar[list[str]] = ["PER"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[Span(0, 1, "PER", 0.3 if "?" in t else 0.95)] for t in texts]


class Big:
    name = "big"
    labels: ClassVar[list[str]] = ["PER"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[Span(0, 2, "PER")] for _ in texts]


def test_cascade_answers_say_which_model_answered_and_count_deferrals():
    from fastapi.testclient import TestClient

    app = create_app(Uncertain(), Big(), threshold=0.8, batching=False)
    with TestClient(app) as http:
        body = http.post("/v1/entities", json={"texts": ["ab sure", "ab maybe?"]}).json()
        assert [d["model"] for d in body["documents"]] == ["small", "big"]
        assert [d["spans"][0]["text"] for d in body["documents"]] == ["a", "ab"]
        assert "score" not in body["documents"][1]["spans"][0]  # unscored fallback span
        assert "specialize_deferrals_total 1" in http.get("/metrics").text
        assert http.get("/readyz").json()["fallback"] == "big"
        assert http.get("/model-card").status_code == 404


def test_body_limit_and_model_errors():
    from fastapi.testclient import TestClient

    class Broken(Uncertain):
        def predict(self, texts: Sequence[str]) -> list[list[Span]]:
            raise RuntimeError("out of memory")

    with TestClient(create_app(Uncertain(), max_body_bytes=1000)) as http:
        big = http.post("/v1/entities", json={"text": "x" * 2000})
        assert big.status_code == 413 and "over 1000 bytes" in big.json()["detail"]
        chunked = http.post("/v1/entities", content=iter([b'{"text": "', b"x" * 2000, b'"}']))
        assert chunked.status_code == 413
        assert http.post("/v1/entities", json={"text": "ok"}).status_code == 200
    with TestClient(create_app(Broken())) as http:
        failed = http.post("/v1/entities", json={"text": "boom"})
        assert failed.status_code == 500 and "RuntimeError" in failed.json()["detail"]
        assert 'specialize_errors_total{kind="model"} 1' in http.get("/metrics").text
        assert http.get("/healthz").status_code == 200


def test_readyz_is_503_before_startup():
    from fastapi.testclient import TestClient

    http = TestClient(create_app(Uncertain()))  # no context manager: lifespan never ran
    assert http.get("/readyz").status_code == 503
    assert http.post("/v1/entities", json={"text": "a"}).status_code == 503
    assert json.loads(http.get("/healthz").text) == {"status": "ok"}


def test_serve_command_starts_a_server_that_answers(model_folder):
    with serve_command(str(model_folder), "--max-wait-ms", "1") as url:
        body = httpx.post(f"{url}/v1/entities", json={"text": "Obama"}, timeout=30).json()
        assert body["model"] == "every-word" and body["spans"][0]["text"] == "Obama"


def test_report_card_is_served_and_linked_from_the_page(tmp_path):
    from fastapi.testclient import TestClient

    report = tmp_path / "report.html"
    report.write_text("<!doctype html><title>report</title><svg></svg>")
    with TestClient(create_app(Uncertain(), report=report, batching=False)) as http:
        assert 'href="/report"' in http.get("/").text
        response = http.get("/report")
        assert response.status_code == 200 and "<svg>" in response.text
    with TestClient(create_app(Uncertain(), batching=False)) as http:
        missing = http.get("/report")
        assert missing.status_code == 404 and "--report" in missing.text
    with pytest.raises(FileNotFoundError, match="specialize report"):
        create_app(Uncertain(), report=tmp_path / "nope.html")
