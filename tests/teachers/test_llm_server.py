"""The LLM teacher against a real OpenAI-compatible server: llama.cpp (llama-cpp-python) serving
SmolLM2-135M-Instruct. Installed by scripts/setup_llm.sh (a llama.cpp compile), so skipped where it is not.

The 135M model is a weak annotator: these tests check the code path (the server's structured output detected,
answers grounded to valid offsets, tokens counted, the label and cascade commands), not its accuracy, which
benchmarks/llm_vs_specialist.py measures.
"""

from __future__ import annotations

import json

import pytest

from specialize.teachers.local_llm import unavailable_reason

REASON = unavailable_reason()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

TEXTS = ["The patient was diagnosed with breast cancer .", "Rain is expected on Monday ."]


@pytest.fixture(scope="module")
def server():
    from specialize.teachers.local_llm import LlamaServer

    with LlamaServer(threads=1, n_ctx=2048) as running:
        yield running


def test_the_teacher_labels_through_llama_cpp_with_its_structured_output(server):
    from specialize.teachers.llm import LLMConfig, LLMTeacher

    config = LLMConfig(model="smollm2", base_url=server.base_url, labels={"Disease": "a disease"}, max_tokens=64)
    teacher = LLMTeacher(config)
    outputs = teacher.label(TEXTS)
    # llama-cpp-python answers response_format json_schema with a 500 and takes json_object + schema.
    assert teacher.transport.mode == "json_object_schema"
    for text, out in zip(TEXTS, outputs, strict=True):
        assert all(0 <= s.start < s.end <= len(text) and s.label == "Disease" for s in out.spans)
        assert out.usage["requests"] == 1 and out.usage["prompt_tokens"] > 0 and out.usage["completion_tokens"] > 0
        assert set(out.rejected) <= {"not_found", "inside_word", "ambiguous", "overlap", "truncated_answer", "empty"}
    assert server.describe()["model"] == "SmolLM2-135M-Instruct Q4_1"


def _specialist(tiny_base, folder):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from specialize.data.features import InferenceSettings
    from specialize.models.specialist import Specialist

    tags = ["O", "B-Disease", "I-Disease"]
    model = AutoModelForTokenClassification.from_pretrained(
        str(tiny_base), num_labels=len(tags), id2label=dict(enumerate(tags))
    )
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    settings = InferenceSettings(word_shapes=False, cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id)
    Specialist(model, tokenizer, settings, name="tiny").save(folder)
    return folder


def test_the_label_and_cascade_commands_talk_to_the_server(server, tiny_base, tmp_path, capsys, monkeypatch):
    from specialize.cli.main import main

    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = tmp_path / "silver.jsonl"
    argv = ["label", "-t", "llm:smollm2", "--labels", "Disease", "-i", str(inputs), "-o", str(out), "--no-progress"]
    assert main([*argv, "--base-url", server.base_url, "--max-tokens", "64", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 2 and stats["settings"]["structured_output_used"] == "json_object_schema"
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2

    gold = tmp_path / "gold.jsonl"
    text = TEXTS[0]
    start = text.index("breast cancer")
    span = {"start": start, "end": start + len("breast cancer"), "label": "Disease"}
    gold.write_text(json.dumps({"id": "g1", "text": text, "spans": [span]}) + "\n", encoding="utf-8")
    monkeypatch.setenv("SPECIALIZE_LLM_BASE_URL", server.base_url)  # evaluate --cascade takes no LLM options
    primary = _specialist(tiny_base, tmp_path / "tiny")
    assert main(["evaluate", str(primary), "--data", str(gold), "--cascade", "llm:smollm2"]) == 0
    printed = capsys.readouterr().out
    assert "Cascade tiny -> llm:smollm2 on 1 texts" in printed
