"""The optional API key: every route but /healthz needs it (header, or a browser's login cookie)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import ClassVar

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from tests.serve.conftest import Server  # noqa: E402

from specialize.data.document import Span  # noqa: E402
from specialize.serve.app import create_app, serve  # noqa: E402
from specialize.serve.auth import COOKIE, is_loopback  # noqa: E402

KEY = "s3cret-key"


class Names:
    name = "names"
    labels: ClassVar[list[str]] = ["PER"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[Span(0, 5, "PER", 0.9)] for _ in texts]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with Server(create_app(Names(), api_key=KEY, max_wait_ms=1)) as server:
        yield server.url


ENTITIES = {"text": "Obama visited Paris"}


def test_healthz_is_open_and_everything_else_needs_the_key(url):
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        for method, path in [
            ("POST", "/v1/entities"),
            ("POST", "/v1/redact"),
            ("GET", "/readyz"),
            ("GET", "/metrics"),
            ("GET", "/"),
            ("GET", "/docs"),
            ("GET", "/docs/assets/swagger-ui-bundle.js"),
            ("GET", "/openapi.json"),
            ("GET", "/model-card"),
            ("GET", "/no-such-page"),
        ]:
            response = http.request(method, path, json=ENTITIES if method == "POST" else None)
            assert response.status_code == 401, path
            assert response.headers["content-type"] == "application/json", path
            assert "Authorization: Bearer KEY" in response.json()["detail"], path
            assert response.headers["www-authenticate"] == "Bearer"


def test_the_key_is_accepted_as_bearer_token_or_x_api_key_and_a_wrong_one_is_refused(url):
    with httpx.Client(base_url=url, timeout=30) as http:
        for headers in ({"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"}, {"X-API-Key": KEY}):
            response = http.post("/v1/entities", json=ENTITIES, headers=headers)
            assert response.status_code == 200 and response.json()["spans"][0]["text"] == "Obama"
            assert http.get("/readyz", headers=headers).status_code == 200
        for headers in ({"Authorization": "Bearer wrong"}, {"X-API-Key": KEY + "x"}, {"Authorization": KEY}):
            response = http.post("/v1/entities", json=ENTITIES, headers=headers)
            assert response.status_code == 401 and response.json() == {"detail": "wrong API key"}
        metrics = http.get("/metrics", headers={"X-API-Key": KEY}).text
        assert 'specialize_http_requests_total{path="/v1/entities",status="401"}' in metrics


def test_a_browser_gets_a_login_form_and_then_a_cookie_for_the_page_and_its_calls(url):
    with httpx.Client(base_url=url, timeout=30) as browser:
        form = browser.get("/docs?x=1", headers={"Accept": "text/html"})
        assert form.status_code == 401 and form.headers["content-type"].startswith("text/html")
        assert 'name="key"' in form.text and 'value="/docs?x=1"' in form.text
        wrong = browser.post("/login", data={"key": "nope", "next": "/docs"})
        assert wrong.status_code == 401 and "Wrong API key" in wrong.text and COOKIE not in browser.cookies
        login = browser.post("/login", data={"key": KEY, "next": "/docs?x=1"})
        assert login.status_code == 303 and login.headers["location"] == "/docs?x=1"
        set_cookie = login.headers["set-cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and KEY not in set_cookie
        assert browser.get("/", headers={"Accept": "text/html"}).status_code == 200  # the cookie is sent now
        assert browser.post("/v1/entities", json=ENTITIES).status_code == 200  # the page's own calls
        # Only paths on this server are followed after login.
        elsewhere = browser.post("/login", data={"key": KEY, "next": "//evil.example/x"})
        assert elsewhere.headers["location"] == "/"
    forged = httpx.get(f"{url}/readyz", cookies={COOKIE: "0" * 64}, timeout=30)
    assert forged.status_code == 401


def test_an_empty_key_is_refused_at_startup():
    with pytest.raises(ValueError, match="empty"):
        create_app(Names(), api_key="  ")


def test_serving_on_a_public_address_without_a_key_warns(monkeypatch, caplog):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    with caplog.at_level(logging.WARNING, logger="specialize.serve.app"):
        serve(Names(), host="0.0.0.0")
    assert "without an API key" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="specialize.serve.app"):
        serve(Names(), host="0.0.0.0", api_key=KEY)
        serve(Names(), host="127.0.0.1")
    assert "without an API key" not in caplog.text
    assert is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com") and not is_loopback("10.0.0.1")
