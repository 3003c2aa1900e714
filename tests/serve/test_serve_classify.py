"""``serve`` for text classifiers: POST /v1/classify against ``classify()`` on the same folder, the classifier
cascade, and the 404 that names the right endpoint when a client asks the wrong kind of model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from typing import ClassVar

import numpy as np
import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402
from tests.serve.conftest import serve_command  # noqa: E402
from tests.serve.test_server import Uncertain  # noqa: E402
from tests.tiny_classifier import MULTI_TEXTS, TEXTS, train_tiny_classifier  # noqa: E402

from specialize.evaluation.confidence import label_confidences  # noqa: E402
from specialize.models.predict import predict as classify  # noqa: E402
from specialize.serve.app import create_app  # noqa: E402
from specialize.serve.cascade import Cascade as ClassifierCascade  # noqa: E402

TEXT_LIST = [t.text for t in TEXTS]
LABELS = ["business", "clinical", "sport"]


@pytest.fixture(scope="module")
def classifier_folder(tiny_base, tmp_path_factory):
    return train_tiny_classifier(tiny_base, tmp_path_factory.mktemp("serve-cls") / "tiny-topics")


@pytest.fixture(scope="module")
def http(classifier_folder) -> Iterator[TestClient]:
    with TestClient(create_app(str(classifier_folder), max_wait_ms=2)) as client:
        yield client


def test_classify_answers_what_classify_gives_for_the_same_folder(http, classifier_folder):
    expected = classify(classifier_folder, TEXT_LIST)
    assert [r["labels"] for r in expected] == [t.labels for t in TEXTS]  # the model learned its texts

    one = http.post("/v1/classify", json={"text": TEXT_LIST[0]})
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["model"] == "tiny-topics" and body["labels"] == ["clinical"]
    assert body["scores"] == pytest.approx(expected[0]["scores"], abs=1e-5)
    assert sum(body["scores"].values()) == pytest.approx(1.0, abs=1e-4)  # single-label: a softmax

    many = http.post("/v1/classify", json={"texts": TEXT_LIST}).json()["documents"]
    assert [d["labels"] for d in many] == [r["labels"] for r in expected]
    for doc, record in zip(many, expected, strict=True):
        assert doc["scores"] == pytest.approx(record["scores"], abs=1e-5) and "id" not in doc

    docs = [{"id": "x", "text": TEXT_LIST[2]}, {"id": 7, "text": TEXT_LIST[4]}]
    with_ids = http.post("/v1/classify", json={"documents": docs}).json()["documents"]
    assert [(d["id"], d["labels"], d["model"]) for d in with_ids] == [
        ("x", ["sport"], "tiny-topics"),
        (7, ["business"], "tiny-topics"),
    ]


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(http):
    from concurrent.futures import ThreadPoolExecutor

    def ask(i: int) -> list[str]:
        return http.post("/v1/classify", json={"text": TEXT_LIST[i % len(TEXT_LIST)]}).json()["labels"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(20)))
    assert answers == [TEXTS[i % len(TEXTS)].labels for i in range(20)]
    assert "specialize_batch_size_count" in http.get("/metrics").text


def test_a_long_text_is_read_through_all_its_windows_not_cut(http, classifier_folder):
    from specialize.models.text_classifier import TextClassifier

    long_text = " ".join(TEXT_LIST * 12)
    assert len(TextClassifier.load(classifier_folder).preprocess([long_text])) > 1  # several windows
    body = http.post("/v1/classify", json={"text": long_text}).json()
    assert body["scores"] == pytest.approx(classify(classifier_folder, [long_text])[0]["scores"], abs=1e-5)


def test_readyz_metrics_card_and_schema_describe_a_classifier(http):
    ready = http.get("/readyz").json()
    assert ready["task"] == "classification" and ready["endpoints"] == ["/v1/classify"]
    assert ready["labels"] == ["business", "clinical", "sport"] and ready["multi_label"] is False
    http.post("/v1/classify", json={"text": "the team"})
    metrics = http.get("/metrics").text
    assert 'specialize_http_requests_total{path="/v1/classify",status="200"}' in metrics
    assert 'specialize_documents_total{model="tiny-topics"}' in metrics
    assert "text-classification" in http.get("/model-card").text  # the folder's README.md, written by train
    paths = http.get("/openapi.json").json()["paths"]
    assert "/v1/classify" in paths and "/v1/entities" not in paths and "/v1/redact" not in paths
    assert "/v1/classify" in http.get("/").text  # the demo page knows how to ask a classifier


def test_the_wrong_endpoint_is_a_404_that_names_the_right_one(http):
    for path in ("/v1/entities", "/v1/redact"):
        response = http.post(path, json={"text": "Obama visited Paris"})
        assert response.status_code == 404, response.text
        detail = response.json()["detail"]
        assert "text classifier (tiny-topics)" in detail and "POST /v1/classify" in detail and path in detail
    with TestClient(create_app(Uncertain(), batching=False)) as spans:
        response = spans.post("/v1/classify", json={"text": "a"})
        assert response.status_code == 404
        assert "POST /v1/entities and POST /v1/redact" in response.json()["detail"]
        assert spans.get("/readyz").json()["task"] == "ner"


def test_bad_classify_requests_are_4xx(http):
    assert http.post("/v1/classify", json={"text": "  "}).status_code == 422
    assert http.post("/v1/classify", json={"texts": ["a"] * 65}).status_code == 413
    assert http.post("/v1/classify", json={"text": "a", "labels": ["x"]}).status_code == 422  # no such option


# -- the classifier cascade ---------------------------------------------------------------------------------
class Table:
    """A fake classifier answering from a table text -> probabilities; records what it was asked."""

    def __init__(self, name: str, table: dict[str, list[float]], multi_label: bool = False, threshold: float = 0.5):
        self.name = name
        self.table = table
        self.seen: list[str] = []
        self._multi = multi_label

        class Settings:
            pass

        self.settings = Settings()
        self.settings.threshold = threshold  # type: ignore[attr-defined]

    labels_: ClassVar[list[str]] = ["neg", "pos"]

    @property
    def labels(self) -> list[str]:
        return list(self.labels_)

    @property
    def multi_label(self) -> bool:
        return self._multi

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([self.table[t] for t in texts], dtype=float).reshape(len(texts), 2)

    def decide(self, probabilities: np.ndarray) -> list[list[str]]:
        if self._multi:
            return [[self.labels_[j] for j in np.flatnonzero(row >= self.settings.threshold)] for row in probabilities]
        return [[self.labels_[int(np.argmax(row))]] for row in probabilities]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        return self.decide(self.predict_proba(texts))


def test_confidence_is_top_probability_or_scaled_distance_to_the_threshold():
    probs = np.array([[0.9, 0.1], [0.55, 0.45]])
    assert label_confidences(probs, None) == pytest.approx([0.9, 0.55])
    # Threshold 0.3: 0.9 is (0.9-0.3)/0.7 = 0.857 above it, 0.1 is (0.3-0.1)/0.3 = 0.667 below: the min counts.
    assert label_confidences(probs, 0.3) == pytest.approx([min(0.6 / 0.7, 0.2 / 0.3), min(0.25 / 0.7, 0.15 / 0.7)])
    assert label_confidences(np.array([[0.3, 1.0]]), 0.3) == pytest.approx([0.0])  # on the threshold: no confidence


def test_single_label_cascade_defers_only_unsure_texts_to_the_fallback():
    primary = Table("small", {"clear": [0.95, 0.05], "torn": [0.55, 0.45], "fairly": [0.2, 0.8]})
    fallback = Table("big", {"clear": [0.9, 0.1], "torn": [0.1, 0.9], "fairly": [0.1, 0.9]})
    routed = ClassifierCascade(primary, fallback, threshold=0.7).route(["clear", "torn", "fairly"])
    assert fallback.seen == ["torn"]  # one call, only the deferred text
    assert [(r.model, r.labels, r.deferred) for r in routed] == [
        ("small", ["neg"], False),
        ("big", ["pos"], True),
        ("small", ["pos"], False),
    ]
    assert routed[1].scores == {"neg": 0.1, "pos": 0.9} and routed[1].confidence == pytest.approx(0.55)


def test_multi_label_cascade_defers_texts_with_a_label_near_the_threshold():
    primary = Table("small", {"far": [0.02, 0.97], "near": [0.02, 0.55]}, multi_label=True, threshold=0.5)
    fallback = Table("big", {"near": [0.0, 0.1]}, multi_label=True, threshold=0.5)
    routed = ClassifierCascade(primary, fallback, threshold=0.5).route(["far", "near"])
    assert [(r.model, r.labels) for r in routed] == [("small", ["pos"]), ("big", [])]
    assert routed[1].confidence == pytest.approx(0.05 / 0.5)


def test_cascade_refuses_fallbacks_that_answer_differently():
    primary = Table("small", {})
    other = Table("other", {})
    other.labels_ = ["neg", "pos", "meh"]
    with pytest.raises(ValueError, match=r"same labels.*only 'other' has \['meh'\]"):
        ClassifierCascade(primary, other)
    with pytest.raises(ValueError, match="single-label but its fallback 'multi' is multi-label"):
        ClassifierCascade(primary, Table("multi", {}, multi_label=True))
    with pytest.raises(ValueError, match="confidence 'min_word_prob' does not apply to a text classifier"):
        create_app(primary, confidence="min_word_prob")
    with pytest.raises(ValueError, match="must be a text classifier"):
        create_app(primary, Uncertain())


def test_served_cascade_between_two_classifier_folders(classifier_folder, tmp_path):
    big = shutil.copytree(classifier_folder, tmp_path / "big-topics")
    with TestClient(create_app(str(classifier_folder), str(big), threshold=1.01, batching=False)) as client:
        docs = client.post("/v1/classify", json={"texts": TEXT_LIST}).json()["documents"]
        assert {d["model"] for d in docs} == {"big-topics"}  # nothing reaches confidence 1.01
        assert [d["labels"] for d in docs] == [t.labels for t in TEXTS]
        assert f"specialize_deferrals_total {len(TEXTS)}" in client.get("/metrics").text
        assert client.get("/readyz").json()["fallback"] == "big-topics"
    with TestClient(create_app(str(classifier_folder), str(big), threshold=0.0, batching=False)) as client:
        assert client.post("/v1/classify", json={"text": TEXT_LIST[0]}).json()["model"] == "tiny-topics"
    not_a_classifier = tmp_path / "empty"
    not_a_classifier.mkdir()
    with pytest.raises(ValueError, match="is not a model folder"):
        create_app(str(classifier_folder), str(not_a_classifier))


def test_multi_label_classifier_served(tiny_base, tmp_path):
    folder = train_tiny_classifier(tiny_base, tmp_path / "multi", multi_label=True)
    texts = [t.text for t in MULTI_TEXTS]
    with TestClient(create_app(str(folder), batching=False)) as client:
        assert client.get("/readyz").json()["multi_label"] is True
        docs = client.post("/v1/classify", json={"texts": texts}).json()["documents"]
    assert [sorted(d["labels"]) for d in docs] == [sorted(t.labels) for t in MULTI_TEXTS]  # "river city": none
    expected = classify(folder, texts)
    for doc, record in zip(docs, expected, strict=True):
        assert doc["scores"] == pytest.approx(record["scores"], abs=1e-5)


def test_serve_command_detects_a_classifier_folder(classifier_folder):
    with serve_command(str(classifier_folder)) as url:
        body = httpx.post(f"{url}/v1/classify", json={"text": TEXT_LIST[2]}, timeout=30).json()
    assert (body["model"], body["labels"], sorted(body["scores"])) == ("tiny-topics", ["sport"], LABELS)


def test_an_exported_classifier_is_served_like_its_torch_source(classifier_folder, tmp_path):
    # The folder a user's machine gets: model.onnx, no torch needed to answer (see the runtime's own test).
    pytest.importorskip("onnxruntime")
    from specialize.export.exporter import export

    exported = export(classifier_folder, tmp_path / "tiny-topics-onnx").output
    with TestClient(create_app(str(exported), batching=False)) as client:
        docs = client.post("/v1/classify", json={"texts": TEXT_LIST}).json()["documents"]
    assert {d["model"] for d in docs} == {"tiny-topics-onnx"}
    for doc, record in zip(docs, classify(classifier_folder, TEXT_LIST), strict=True):
        assert doc["labels"] == record["labels"]
        assert doc["scores"] == pytest.approx(record["scores"], abs=1e-4)
