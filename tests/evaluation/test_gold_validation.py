"""One validation of gold spans everywhere gold is scored or learned (issue #15, item 6): evaluate refused
nothing and scored a perfect prediction F1 0.667 on a file with a duplicated span."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.validation import check_gold, resolve_gold
from specialize.evaluation.evaluate import evaluate


class Perfect:
    """Predicts each text's gold spans, once each."""

    name = "perfect"
    labels = ["PER", "LOC"]  # noqa: RUF012

    def __init__(self, docs: Sequence[Document]) -> None:
        self.answers = {d.text: sorted({s.key(): s for s in d.spans if s.start < s.end}.values()) for d in docs}

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [list(self.answers[t]) for t in texts]


def _write(path: Path, docs: Sequence[Document]) -> Path:
    rows = [
        {"id": d.id, "text": d.text, "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in d.spans]}
        for d in docs
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


DUPLICATED = [Document("Ann met Bob in Oslo .", [Span(0, 3, "PER"), Span(0, 3, "PER"), Span(15, 19, "LOC")], id="a")]
OVERLAPPING = [Document("New York City", [Span(0, 8, "LOC"), Span(4, 13, "LOC")], id="b")]
EMPTY = [Document("Ann", [Span(0, 0, "PER"), Span(0, 3, "PER")], id="c")]


@pytest.mark.parametrize(
    ("docs", "count"), [(DUPLICATED, "1 duplicate"), (OVERLAPPING, "1 overlapping"), (EMPTY, "1 empty")]
)
def test_evaluate_refuses_gold_with_span_problems_naming_the_file_and_counts(docs, count, tmp_path):
    path = _write(tmp_path / "gold.jsonl", docs)
    with pytest.raises(DataFormatError) as caught:
        evaluate([Perfect(docs)], str(path), n_bootstrap=0)
    message = str(caught.value)
    assert str(path) in message and count in message and "resolve_gold" in message


def test_evaluate_cli_says_which_file_and_what_to_do(tiny_specialist, tmp_path, capsys):
    path = _write(tmp_path / "gold.jsonl", DUPLICATED)
    assert main(["evaluate", str(tiny_specialist), "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: test data has span problems") and "1 duplicate" in err


def test_resolved_gold_scores_a_perfect_prediction_one_and_reports_what_was_dropped():
    docs = DUPLICATED + OVERLAPPING + EMPTY
    resolved, dropped = resolve_gold(docs)
    assert dropped == {"duplicate": 1, "overlapping": 1, "out_of_range_or_empty": 1}
    assert check_gold(resolved).ok
    result = evaluate([Perfect(resolved)], resolved, n_bootstrap=0)
    assert result.models[0].scores.micro.f1 == 1.0
    assert [s.key() for s in resolved[1].spans] == [(4, 13, "LOC")]  # the longest of the overlapping pair


def test_export_check_refuses_bad_gold_before_exporting(tiny_specialist, tmp_path):
    from specialize.export import export

    path = _write(tmp_path / "dev.jsonl", DUPLICATED)
    with pytest.raises(DataFormatError, match="export --check data has span problems"):
        export(tiny_specialist, tmp_path / "onnx", check=str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.jsonl"]


def test_training_refuses_the_same_gold_with_the_same_message(tiny_base, tmp_path):
    from tests.conftest import overfit_config

    from specialize.training.train import train

    path = _write(tmp_path / "train.jsonl", DUPLICATED)
    with pytest.raises(DataFormatError, match=r"train data has span problems: .*1 duplicate"):
        train(overfit_config(tiny_base, **{"data.train": str(path)}), tmp_path / "m")
