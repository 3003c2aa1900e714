"""The demo page fits the model (issue #15, item 17): an example text for its labels, and the model card link
rendering the markdown instead of showing it raw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest

from specialize.data.document import Span
from specialize.serve.examples import example_text
from specialize.serve.markdown import markdown_to_html

pytest.importorskip("fastapi")


class Diseases:
    name = "disease-tagger"
    labels: ClassVar[list[str]] = ["Disease"]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[] for _ in texts]


def test_the_example_text_follows_the_labels():
    assert "Merkel" in example_text("ner", ["LOC", "MISC", "ORG", "PER"])
    assert "breast cancer" in example_text("ner", ["Disease"])
    assert "jane.smith@example.com" in example_text("ner", ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER"])
    assert "CHIEF COMPLAINT" in example_text("classification", ["Cardiovascular / Pulmonary", "Surgery"])
    assert "governed by" in example_text("classification", ["Governing Law", "Parties"])
    assert example_text("ner", ["Planet", "Moon"]) == "Paste a text with mentions of Moon, Planet to see them found."


def test_readyz_gives_the_page_an_example_for_the_loaded_model():
    from fastapi.testclient import TestClient

    from specialize.serve.app import create_app

    with TestClient(create_app(Diseases(), batching=False)) as http:
        assert "breast cancer" in http.get("/readyz").json()["example"]
        page = http.get("/").text
    assert "Obama visited Paris" not in page and "info.example" in page


def test_the_model_card_renders_as_html_and_stays_inert(tmp_path):
    from fastapi.testclient import TestClient

    from specialize.serve.app import create_app

    card = tmp_path / "README.md"
    card.write_text(
        "---\nlibrary_name: onnxruntime\n---\n\n# my-model\n\nA **small** model, see "
        "[specialize](https://pypi.org/project/specialize/) and [x](javascript:alert(1)).\n\n## Evaluation\n\n"
        "| type | F1 |\n|---|---|\n| Disease | 0.852 |\n\n- one\n- two <script>alert(1)</script>\n\n"
        "```bash\nspecialize predict THIS_FOLDER --input a.txt\n```\n"
    )
    with TestClient(create_app(Diseases(), batching=False, model_card=card)) as http:
        page = http.get("/model-card", params={"format": "html"}).text
        assert http.get("/model-card").text == card.read_text()  # markdown as it is
    assert "<h1>my-model</h1>" in page and "<h2>Evaluation</h2>" in page and "<strong>small</strong>" in page
    assert "<td>Disease</td><td>0.852</td>" in page and "<li>one</li>" in page
    assert '<a href="https://pypi.org/project/specialize/">specialize</a>' in page
    assert "<pre><code>specialize predict THIS_FOLDER --input a.txt</code></pre>" in page
    assert "<th>library_name</th><td>onnxruntime</td>" in page  # front matter as a small table
    assert "<script>" not in page and "&lt;script&gt;" in page and 'href="javascript' not in page
    assert "# my-model" not in page  # rendered, not raw


def test_markdown_renderer_handles_what_cards_hold():
    html = markdown_to_html("Plain `a<b` text\nwraps.\n\n1. first\n2. second\n")
    assert html == "<p>Plain <code>a&lt;b</code> text wraps.</p>\n<ol><li>first</li><li>second</li></ol>"
