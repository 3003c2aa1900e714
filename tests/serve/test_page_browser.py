"""The demo page, the API docs and the HTML report in a real headless Chromium (selenium), with no network but
the loopback: what a person sees offline, not just the HTML.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and ``pip install selenium`` (the dev extra);
skipped with that message when they are missing. Nothing is downloaded: the driver and browser paths are given
explicitly and ``SE_OFFLINE`` keeps selenium-manager from looking for either online. Screenshots go to
``test-artifacts/`` at the repository root (ignored by git; CI can upload them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[dev]' (or pip install selenium)")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from tests.serve.conftest import Server  # noqa: E402

from specialize.evaluation.report import report  # noqa: E402
from specialize.serve.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
RESULTS = ROOT / "tests" / "fixtures" / "results"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium not found (chromium and chromedriver on PATH): "
    "apt-get install -y chromium chromium-driver",
)

# The marks as the page shows them: the entity's own text (the first child) and its small label tag.
READ_MARKS = """
return Array.from(document.querySelectorAll('#result mark')).map((m) => ({
  text: m.firstChild.textContent, tag: m.querySelector('small').textContent, title: m.title}));
"""
# The result box's text without the label tags: must be the input text exactly (offsets applied right).
READ_PLAIN = """
const copy = document.getElementById('result').cloneNode(true);
copy.querySelectorAll('small').forEach((s) => s.remove());
return copy.textContent;
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must never try the network
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1100,800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        # No network but the loopback: every host name fails to resolve and anything else goes to a closed port,
        # so a page that needs the internet (a CDN script) breaks here as it would offline.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1;localhost",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        if previous is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = previous


def _submit(browser: Any, text: str, *, type_it: bool = True, expect: str = "entities, answered by") -> str:
    """Put ``text`` in the box, press the button, wait until the status line shows ``expect``; return it."""
    box = browser.find_element(By.ID, "text")
    box.clear()
    if type_it:
        box.send_keys(text)
    else:
        # ChromeDriver cannot type characters outside the BMP (emoji); set the value as a paste would.
        browser.execute_script("arguments[0].value = arguments[1];", box, text)
    # Clear the previous answer's status, so the wait below cannot be satisfied by it.
    browser.execute_script("document.getElementById('status').textContent = '';")
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, 60).until(lambda d: expect in d.find_element(By.ID, "status").text)
    return str(browser.find_element(By.ID, "status").text)


def _assert_page_shows(browser: Any, text: str, api: dict[str, Any]) -> None:
    marks = browser.execute_script(READ_MARKS)
    assert [(m["text"], m["tag"].split()[0]) for m in marks] == [(s["text"], s["label"]) for s in api["spans"]]
    for mark, span in zip(marks, api["spans"], strict=True):
        assert abs(float(mark["tag"].split()[1]) - span["score"]) <= 0.0051  # shown with two decimals
        assert mark["title"].startswith(span["label"])
    assert browser.execute_script(READ_PLAIN) == text
    status = browser.find_element(By.ID, "status").text
    assert f"{len(api['spans'])} entities, answered by {api['model']}" in status


def test_demo_page_highlights_the_entities_the_api_returns(browser, model_folder):
    text = "Merkel met Smith in Berlin, café Zürich"
    emoji_text = "😀 Obama 👩‍🔬 visited Paris"  # offsets count code points; JavaScript strings count UTF-16
    with Server(create_app(str(model_folder), max_wait_ms=2)) as server:
        browser.get(server.url + "/")
        WebDriverWait(browser, 30).until(lambda d: "every-word" in d.find_element(By.ID, "info").text)
        assert browser.title == "specialize: every-word"

        api = httpx.post(f"{server.url}/v1/entities", json={"text": emoji_text}, timeout=60).json()
        _submit(browser, emoji_text, type_it=False)
        _assert_page_shows(browser, emoji_text, api)

        api = httpx.post(f"{server.url}/v1/entities", json={"text": text}, timeout=60).json()
        assert {"Merkel", "Berlin", "café", "Zürich"} <= {s["text"] for s in api["spans"]}
        _submit(browser, text)
        _assert_page_shows(browser, text, api)
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "page.png"))

        # Empty text: the API's 422 and its message are shown as an error, not a crash of the page.
        status = _submit(browser, "   ", type_it=False, expect="422")
        assert "text is empty" in status and browser.find_element(By.ID, "status").get_attribute("class") == "error"


def test_demo_page_example_fits_the_labels_and_the_card_link_renders_markdown(browser, model_folder):
    """Issue #15 item 17: the example text was "Obama visited Paris." for any model; the card link showed raw
    markdown."""
    with Server(create_app(str(model_folder), max_wait_ms=2)) as server:
        browser.get(server.url + "/")
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "text").get_property("value"))
        example = browser.find_element(By.ID, "text").get_property("value")
        assert example == httpx.get(f"{server.url}/readyz").json()["example"] and "Merkel" in example  # PER, LOC
        browser.find_element(By.LINK_TEXT, "model card").click()
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.TAG_NAME, "h1"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "every-word"
        assert "# every-word" not in browser.find_element(By.TAG_NAME, "body").text


def test_report_renders_its_charts_in_chromium(browser, tmp_path):
    files = [RESULTS / "evaluation.json", RESULTS / "speed.json", RESULTS / "cascade.json"]
    page = report(files, tmp_path / "report.html", title="specialize report (test fixtures)")
    browser.get(page.as_uri())
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert [c.get_attribute("id") for c in charts] == ["chart-tradeoff-0", "chart-types-0", "chart-cascade-0"]
    for chart in charts:
        assert chart.size["width"] > 300 and chart.size["height"] > 100, chart.get_attribute("id")
        assert chart.get_attribute("role") == "img" and chart.find_element(By.TAG_NAME, "title").get_attribute(
            "textContent"
        )
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-tradeoff-0 g.point")) == 3
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-tradeoff-0 polyline.pareto")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-types-0 rect")) == 4  # 2 types x 2 models
    assert len(browser.find_elements(By.CSS_SELECTOR, "#examples mark")) > 5
    # The whole page in one picture: make the window as tall as the document first.
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1100, min(int(height) + 40, 12000))
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "report.png"))
    finally:
        browser.set_window_size(1100, 800)


class _Topics:
    """A fake single-label classifier: "sport" for texts that mention a team, else "clinical"."""

    name = "topics"
    multi_label = False
    labels: ClassVar[list[str]] = ["clinical", "sport"]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[0.1, 0.9] if "team" in t else [0.7, 0.3] for t in texts])

    def decide(self, probabilities: np.ndarray) -> list[list[str]]:
        return [[self.labels[int(np.argmax(row))]] for row in probabilities]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        return self.decide(self.predict_proba(texts))


def test_demo_page_classifies_with_a_classifier_and_redacts_with_a_span_model(browser, model_folder):
    with Server(create_app(_Topics(), max_wait_ms=2)) as server:
        browser.get(server.url + "/")
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "go").text == "Classify")
        assert not browser.find_element(By.ID, "redact").is_displayed()
        status = _submit(browser, "the team won", expect="answered by topics")
        assert status.startswith("sport, answered by topics")
        rows = browser.find_elements(By.CSS_SELECTOR, "#result .label")
        assert [r.text.split() for r in rows] == [["sport", "0.900"], ["clinical", "0.100"]]
        assert "chosen" in rows[0].get_attribute("class") and "chosen" not in rows[1].get_attribute("class")
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "page-classify.png"))

    text = "Obama mailed obama@example.com"
    with Server(create_app(str(model_folder), max_wait_ms=2)) as server:
        browser.get(server.url + "/")
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "redact").is_displayed())
        api = httpx.post(f"{server.url}/v1/redact", json={"text": text}, timeout=60).json()
        box = browser.find_element(By.ID, "text")
        box.clear()
        box.send_keys(text)
        browser.find_element(By.ID, "redact").click()
        WebDriverWait(browser, 60).until(lambda d: "replaced, answered by" in d.find_element(By.ID, "status").text)
        assert browser.execute_script(READ_PLAIN) == api["text"] == "<PER> <PER> <EMAIL_ADDRESS>"
        marks = browser.execute_script(READ_MARKS)
        assert [(m["text"], m["tag"].split()[0]) for m in marks] == [
            (s["replacement"], s["label"]) for s in api["spans"]
        ]


def test_api_docs_render_from_the_packaged_swagger_ui_without_network(browser, model_folder):
    with Server(create_app(str(model_folder), max_wait_ms=2)) as server:
        # The network is blocked: FastAPI's CDN copy of Swagger UI cannot load here.
        blocked = browser.execute_async_script(
            "const done = arguments[0]; fetch('https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css')"
            ".then(() => done('loaded'), () => done('blocked'));"
        )
        assert blocked == "blocked"
        browser.get(server.url + "/docs")
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))
        assert "specialize: every-word" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
        paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert {"/v1/entities", "/v1/redact", "/healthz"} <= paths
        # Styled by the packaged stylesheet, and nothing came from anywhere but this server.
        assert browser.execute_script("return document.styleSheets.length") >= 1
        resources = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
        assert resources and all(r.startswith(server.url) for r in resources), resources
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "docs.png"))


def test_with_an_api_key_the_page_asks_for_it_once_and_then_works(browser, model_folder):
    with Server(create_app(str(model_folder), max_wait_ms=2, api_key="page-key")) as server:
        browser.delete_all_cookies()
        browser.get(server.url + "/")
        box = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "key"))
        box.send_keys("wrong")
        browser.find_element(By.ID, "enter").click()
        WebDriverWait(browser, 30).until(lambda d: "Wrong API key" in d.page_source)
        browser.find_element(By.ID, "key").send_keys("page-key")
        browser.find_element(By.ID, "enter").click()
        WebDriverWait(browser, 30).until(lambda d: "every-word" in d.find_element(By.ID, "info").text)
        status = _submit(browser, "Merkel met Smith")
        assert "3 entities, answered by every-word" in status
        browser.get(server.url + "/docs")  # the same cookie opens the docs and their "Try it out" calls
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))
        browser.delete_all_cookies()
