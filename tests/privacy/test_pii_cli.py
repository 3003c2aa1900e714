"""``specialize redact`` end to end with a tiny specialist: model spans + pattern spans, operators, JSONL out."""

from __future__ import annotations

import json

from specialize.cli.main import main
from specialize.privacy.patterns import luhn_valid


def _write_inputs(path) -> None:
    lines = [
        {"id": "a", "text": "Obama visited Paris .", "meta": {"source": "x"}},
        {"id": "b", "text": "write to obama@example.com , card 4111 1111 1111 1111"},
        {"id": "c", "text": "Acme said Jones works in London"},
        {"id": "d", "text": "Jones lives near the river in Berlin ."},
        {"id": "e", "text": "Merkel met Smith in Berlin ."},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _read(path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


def test_redact_tags_model_and_pattern_spans(tiny_specialist, tmp_path, capsys) -> None:
    _write_inputs(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    code = main(["redact", str(tiny_specialist), "--input", str(tmp_path / "in.jsonl"), "--output", str(out)])
    assert code == 0
    assert "redacted" in capsys.readouterr().err
    records = _read(out)
    assert records["a"]["text"] == "<PER> visited <LOC> ."
    assert records["a"]["meta"] == {"source": "x"}
    assert records["b"]["text"] == "write to <EMAIL_ADDRESS> , card <CREDIT_CARD>"
    for record in records.values():
        assert "obama" not in record["text"].lower()
        for span in record["spans"]:
            assert "text" not in span  # no original values in the output
            assert record["text"][span["out_start"] : span["out_end"]] == span["replacement"]


def test_redact_surrogates_are_consistent_and_patterns_can_be_left_out(tiny_specialist, tmp_path) -> None:
    _write_inputs(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    args = ["redact", str(tiny_specialist), "--input", str(tmp_path / "in.jsonl"), "--output", str(out)]
    assert main([*args, "--operator", "surrogate", "--salt", "secret"]) == 0
    records = _read(out)

    def fakes(doc_id: str) -> list[str]:
        return [s["replacement"] for s in records[doc_id]["spans"] if s["label"] == "PER"]

    assert fakes("c") == fakes("d")  # Jones gets the same fake in both documents of the run
    assert len(fakes("e")) == 2 and fakes("c")[0] not in fakes("e")  # Merkel and Smith get other ones
    assert "Jones" not in records["c"]["text"] and "Jones" not in records["d"]["text"]
    card = next(s["replacement"] for s in records["b"]["spans"] if s["label"] == "CREDIT_CARD")
    assert luhn_valid(card) and card != "4111 1111 1111 1111"
    assert main([*args, "--no-patterns", "--operator", "mask"]) == 0
    assert (
        _read(out)["b"]["text"] == "write to obama@example.com , card 4111 1111 1111 1111"
    )  # the model has no such types


def test_redact_with_patterns_only_from_stdin_and_label_errors(tmp_path, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("SSN 460-89-9847 and IP 10.1.2.3\n"))
    assert main(["redact", "patterns", "--operator", "tag"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["text"] == "SSN <US_SSN> and IP <IP_ADDRESS>"
    (tmp_path / "t.txt").write_text("x\n")
    assert main(["redact", "patterns", "--input", str(tmp_path / "t.txt"), "--labels", "DISEASE"]) == 2
    assert "never finds ['DISEASE']" in capsys.readouterr().err


def test_redact_runs_an_exported_onnx_folder(tiny_specialist, tmp_path) -> None:
    from specialize.export import export

    onnx = export(tiny_specialist, tmp_path / "onnx").output
    _write_inputs(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    assert main(["redact", str(onnx), "--input", str(tmp_path / "in.jsonl"), "--output", str(out)]) == 0
    records = _read(out)
    assert records["a"]["text"] == "<PER> visited <LOC> ."  # same spans as the torch specialist
    assert records["b"]["text"] == "write to <EMAIL_ADDRESS> , card <CREDIT_CARD>"
