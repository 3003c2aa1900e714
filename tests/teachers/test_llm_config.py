"""LLMConfig: filled from a TOML [llm] table, the environment and the command line, validated with errors naming
the key; few-shot examples chosen from gold deterministically; every setting listed by `label --help`; the
settings saved with the labels."""

from __future__ import annotations

import json

import pytest
from chat_server import ChatCompletionsTestDouble, entities_answer

from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.formats.jsonl import document_to_json
from specialize.teachers.label import label
from specialize.teachers.llm_config import FIELDS, HELP, ConfigError, LLMConfig, load_llm_config, select_examples
from specialize.teachers.spec import load_teacher
from specialize.teachers.store import LabelStore


def test_toml_then_options_with_readable_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("SPECIALIZE_LLM_CONFIG", raising=False)
    path = tmp_path / "llm.toml"
    path.write_text(
        '[llm]\nbase_url = "http://127.0.0.1:8080/v1"\nmax_tokens = 256\nlabels = {Disease = "a disease"}\n',
        encoding="utf-8",
    )
    config = load_llm_config(path, {"max_tokens": "128", "temperature": None})
    assert (config.base_url, config.max_tokens, config.labels) == (
        "http://127.0.0.1:8080/v1",
        128,
        {"Disease": "a disease"},
    )
    assert load_llm_config(path, {"max_tokens": "none"}).max_tokens is None
    monkeypatch.setenv("SPECIALIZE_LLM_CONFIG", str(path))  # for commands without teacher options (cascades)
    assert load_llm_config().max_tokens == 256

    cases = [
        ("[llm]\nmax_tokkens = 5\n", "unknown LLM option 'max_tokkens'; did you mean 'max_tokens'?"),
        ('[llm]\ntimeout = "soon"\n', "llm.timeout: expected float, got 'soon'"),
        ('[llm]\nstructured_output = "xml"\n', "llm.structured_output must be one of auto, json_schema"),
        ('[llm]\napi_key = "sk-1"\n', "API keys are not taken from options or configs"),
        ('[llm]\nbase_url = "127.0.0.1:8080"\n', "llm.base_url must start with http://"),
        ("[llm]\noverlap_chars = 10\nmax_chars = 10\n", "llm.overlap_chars (10) must be in [0, max_chars=10)"),
        ("[training]\nepochs = 1\n", "unexpected table(s) ['training']; the LLM teacher reads only [llm]"),
        ("[llm\n", "not valid TOML"),
    ]
    for text, message in cases:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_llm_config(path)
        assert message in str(info.value) and str(path) in str(info.value)


def test_every_setting_has_help_and_a_label_option(capsys):
    assert set(HELP) == set(FIELDS)
    with pytest.raises(SystemExit):
        main(["label", "--help"])
    text = capsys.readouterr().out
    assert "LLM teacher (llm:MODEL)" in text and "--config TOML" in text
    flags = {"name": "--teacher-name", "model": "llm:MODEL", "labels": "--labels"}
    for name in FIELDS:
        assert flags.get(name, "--" + name.replace("_", "-")) in text, name


def _gold() -> list[Document]:
    docs = []
    for i in range(40):
        text = f"Case {i}: flu and BRCA1." if i % 4 == 0 else f"Case {i}: flu only."
        spans = [Span(text.index("flu"), text.index("flu") + 3, "Disease")]
        if "BRCA1" in text:
            spans.append(Span(text.index("BRCA1"), text.index("BRCA1") + 5, "Gene"))
        docs.append(Document(text, spans, id=f"d{i}"))
    docs.append(Document("x" * 500 + " flu", [Span(501, 504, "Disease")], id="long"))
    return docs


def test_few_shot_examples_are_chosen_deterministically_covering_every_label():
    gold = _gold()
    chosen = select_examples(gold, ["Disease", "Gene"], 3, seed=0, max_chars=400)
    assert len(chosen) == 3 and chosen == select_examples(list(gold), ["Disease", "Gene"], 3, seed=0)
    assert {s.label for d in chosen for s in d.spans} == {"Disease", "Gene"}
    assert "long" not in {d.id for d in chosen}
    assert [d.id for d in select_examples(gold, ["Disease"], 3, seed=1)] != [d.id for d in chosen]
    assert select_examples(gold, ["Disease"], 0) == []
    with pytest.raises(ConfigError, match="no example text of at most 400 characters has a span labelled"):
        select_examples(gold, ["Chemical"], 2)


def test_few_shot_from_a_gold_file_enters_the_prompt_and_the_saved_settings(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(document_to_json(d)) + "\n" for d in _gold()), encoding="utf-8")
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu and BRCA1\n", encoding="utf-8")
    store = tmp_path / "labels.sqlite"
    with ChatCompletionsTestDouble(entities_answer({"flu": "Disease", "BRCA1": "Gene"})) as server:
        options = {"base_url": server.base_url, "examples": str(gold), "n_examples": 2, "structured_output": "auto"}
        teacher = load_teacher("llm:test-model", labels="Disease,Gene", **options)
        stats = label(teacher, inputs, tmp_path / "out.jsonl", store=store, progress=False)
        messages = server.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    ids = [d.id for d in select_examples(_gold(), ["Disease", "Gene"], 2)]
    assert stats.spans == 2
    settings = stats.settings
    assert settings is not None and settings["example_ids"] == ids and settings["n_examples"] == 2
    assert settings["structured_output_used"] == "json_schema" and "api_key" not in settings
    with LabelStore(store) as db:
        assert db.settings(teacher.fingerprint) == settings
    assert LLMConfig().to_dict().keys() <= settings.keys()


def test_cli_options_win_over_the_config_file(tmp_path):
    config = tmp_path / "llm.toml"
    config.write_text('[llm]\nbase_url = "http://127.0.0.1:1/v1"\nmax_tokens = 64\nn_examples = 0\n', encoding="utf-8")
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with ChatCompletionsTestDouble(entities_answer({"flu": "Disease"})) as server:
        argv = ["label", "-t", "llm:test-model", "--labels", "Disease", "-i", str(inputs), "-o", str(out)]
        argv += ["--config", str(config), "--base-url", server.base_url, "--max-tokens", "32", "--no-progress"]
        assert main(argv) == 0
        assert server.requests[-1]["max_tokens"] == 32
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [s["text"] for s in record["spans"]] == ["flu"]
