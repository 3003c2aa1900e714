"""LLMTeacher against ChatCompletionsTestDouble: prompts, grounding, retries, JSON fallbacks, windows, cost."""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest
from chat_server import (
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    ChatCompletionsTestDouble,
    entities_answer,
)

from specialize.data.document import Document, Span
from specialize.teachers.base import Teacher
from specialize.teachers.llm import LLMConfig, LLMRequestError, LLMTeacher, char_windows, parse_json_answer

LEXICON = {"breast cancer": "Disease", "cancer": "Disease", "BRCA1": "Gene"}
LABELS = {"Disease": "a disease or syndrome", "Gene": "a gene or protein"}


@pytest.fixture()
def server():
    with ChatCompletionsTestDouble(entities_answer(LEXICON)) as double:
        yield double


def make_teacher(server, examples=None, **options) -> LLMTeacher:
    options.setdefault("backoff", 0.01)
    options.setdefault("structured_output", "json_schema")  # no detection requests; see test_llm_transport.py
    config = LLMConfig(model="test-model", labels=LABELS, base_url=server.base_url, **options)
    return LLMTeacher(config, examples=examples)


def spans_text(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in spans]


def test_labels_ground_and_account_for_tokens_and_cost(server):
    teacher = make_teacher(server, price_input_per_1m=2.0, price_output_per_1m=10.0)
    assert isinstance(teacher, Teacher)
    texts = ["BRCA1 carriers get breast cancer; cancer screening helps.", "Nothing here."]
    first, second = teacher.label(texts)
    assert spans_text(texts[0], first.spans) == [
        ("BRCA1", "Gene"),
        ("breast cancer", "Disease"),
        ("cancer", "Disease"),
    ]
    assert second.spans == [] and not second.rejected
    assert first.usage["prompt_tokens"] == PROMPT_TOKENS and first.usage["completion_tokens"] == COMPLETION_TOKENS
    assert first.usage["cost"] == pytest.approx((PROMPT_TOKENS * 2.0 + COMPLETION_TOKENS * 10.0) / 1e6)
    request = server.requests[0]
    assert request["model"] == "test-model" and request["response_format"]["type"] == "json_schema"
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["entities"]["items"]["properties"]["label"]["enum"] == ["Disease", "Gene"]
    assert server.gets == ["/v1/models"]  # the pre-flight, once
    system = request["messages"][0]["content"]
    assert "- Disease: a disease or syndrome" in system and '"entities"' in system


def test_hallucinated_and_unknown_label_answers_are_rejected_and_counted():
    answer = json.dumps(
        {
            "entities": [
                {"text": "cancer", "label": "Disease"},
                {"text": "unicorn pox", "label": "Disease"},
                {"text": "cancer", "label": "Planet"},
                {"label": "Disease"},
            ]
        }
    )
    with ChatCompletionsTestDouble(lambda request: answer) as double:
        (out,) = make_teacher(double).label(["a cancer"])
    assert [(s.start, s.end) for s in out.spans] == [(2, 8)]
    assert out.rejected == {"not_found": 1, "unknown_label": 1, "malformed": 1}


def test_retries_a_429_then_succeeds(server):
    server.fail_next = [429]
    (out,) = make_teacher(server).label(["cancer"])
    assert len(out.spans) == 1
    assert server.statuses == [200, 429, 200]  # the pre-flight, the 429, its retry
    assert out.usage["retries"] == 1 and out.usage["requests"] == 2


def test_retries_5xx_and_gives_up_after_max_retries(server):
    server.fail_next = [500, 503]
    (out,) = make_teacher(server).label(["cancer"])
    assert out.usage["retries"] == 2
    server.fail_next = [502] * 5
    with pytest.raises(LLMRequestError, match="giving up after 2 retries"):
        make_teacher(server, max_retries=2).label(["cancer"])


def test_client_errors_are_not_retried(server):
    server.fail_next = [401]
    with pytest.raises(LLMRequestError, match=r"HTTP 401 from http://127.0.0.1:\d+/v1.*API key"):
        make_teacher(server).label(["cancer"])
    assert server.statuses[-1:] == [401] and len(server.requests) == 1


def test_timeouts_are_retried():
    calls = []

    def slow_first(request):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(1.0)
        return json.dumps({"entities": [{"text": "cancer", "label": "Disease"}]})

    with ChatCompletionsTestDouble(slow_first) as double:
        (out,) = make_teacher(double, timeout=0.3).label(["cancer"])
    assert len(out.spans) == 1 and out.usage["retries"] == 1


def test_json_wrapped_in_prose_and_label_keyed_answers_are_parsed():
    answers = {
        "one": 'Sure! Here you go:\n```json\n{"entities": [{"text": "cancer", "label": "Disease"}]}\n```',
        "two": '{"Disease": ["cancer"], "Gene": []}',
        "three": "I cannot help with that.",
    }

    def answer(request):
        text = request["messages"][-1]["content"]
        return answers[text.split()[0]]

    with ChatCompletionsTestDouble(answer) as double:
        outputs = make_teacher(double).label(["one cancer", "two cancer", "three cancer"])
    assert [len(o.spans) for o in outputs] == [1, 1, 0]
    assert outputs[2].rejected == {"invalid_json": 1}


def test_parse_json_answer_edge_cases():
    assert parse_json_answer('[{"text": "a"}]') == [{"text": "a"}]
    assert parse_json_answer('noise {"broken": } then {"ok": 1}') == {"ok": 1}
    assert parse_json_answer("no json at all") is None


def test_long_documents_are_windowed_and_offsets_shifted_back(server):
    sentences = [f"Patient {i} has {'breast cancer' if i % 2 else 'BRCA1 variants'} noted." for i in range(40)]
    text = " ".join(sentences)
    teacher = make_teacher(server, max_chars=200, overlap_chars=60)
    (out,) = teacher.label([text])
    assert len(server.requests) > 5
    expected = sorted(
        [(text.index(s) + s.index("breast cancer"), "Disease") for s in sentences if "breast" in s]
        + [(text.index(s) + s.index("BRCA1"), "Gene") for s in sentences if "BRCA1" in s]
    )
    assert [(s.start, s.label) for s in out.spans] == expected  # every mention once, none doubled by overlaps
    assert all(text[s.start : s.end] in ("breast cancer", "BRCA1") for s in out.spans)
    assert out.usage["requests"] == len(server.requests)


def test_char_windows_cover_every_word_exactly_once():
    text = "  ".join(f"word{i}" for i in range(300))
    windows = char_windows(text, 120, 30)
    assert windows[0][0] == 0 and windows[-1][1] == len(text)
    assert all(end - start <= 120 for start, end, _, _ in windows)
    owned = [(own_start, own_end) for _, _, own_start, own_end in windows]
    assert owned[0][0] == 0 and owned[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(owned))  # a partition of the text


def test_requests_never_exceed_max_concurrency():
    active, peak, lock = [0], [0], threading.Lock()

    def answer(request):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return '{"entities": []}'

    with ChatCompletionsTestDouble(answer) as double:
        make_teacher(double, max_concurrency=3).label([f"text {i}" for i in range(12)])
    assert 1 < peak[0] <= 3


def test_few_shot_examples_and_instructions_enter_the_prompt_and_the_fingerprint(server):
    example = Document("Flu and BRCA1.", [Span(0, 3, "Disease"), Span(8, 13, "Gene")])
    teacher = make_teacher(server, examples=[example], instructions="Ignore animal diseases.")
    teacher.label(["cancer"])
    messages = server.requests[0]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "Ignore animal diseases." in messages[0]["content"]
    assert json.loads(messages[2]["content"]) == {
        "entities": [{"text": "Flu", "label": "Disease"}, {"text": "BRCA1", "label": "Gene"}]
    }
    assert teacher.fingerprint != make_teacher(server).fingerprint
    assert make_teacher(server).fingerprint == make_teacher(server, max_concurrency=9).fingerprint


def test_an_answer_cut_at_max_tokens_keeps_its_complete_items_and_is_counted():
    cut = '{"entities": [{"text": "cancer", "label": "Disease"}, {"text": "BRCA1", "label": "Gene"}, {"text": "canc'
    with ChatCompletionsTestDouble(lambda request: cut) as double:
        double.finish_reason = "length"
        (out,) = make_teacher(double).label(["BRCA1 and cancer"])
    assert spans_text("BRCA1 and cancer", out.spans) == [("BRCA1", "Gene"), ("cancer", "Disease")]
    assert out.rejected == {"truncated_answer": 1}


def test_settings_come_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("SPECIALIZE_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("SPECIALIZE_LLM_MODEL", "env-model")
    teacher = LLMTeacher(LLMConfig(labels={"Disease": ""}, structured_output="none"))
    teacher.label(["cancer"])
    assert server.requests[0]["model"] == "env-model" and teacher.name == "llm:env-model"
    assert "response_format" not in server.requests[0]


def test_no_endpoint_is_an_error_even_with_an_openai_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("SPECIALIZE_LLM_BASE_URL", raising=False)
    with pytest.raises(ValueError, match=r"no LLM endpoint: pass --base-url.*--provider openai"):
        LLMTeacher(LLMConfig(model="gpt-x", labels={"Disease": ""}))
    hosted = LLMTeacher(LLMConfig(model="gpt-x", labels={"Disease": ""}, provider="openai"))  # said explicitly
    assert hosted.config.base_url == "https://api.openai.com/v1"
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ValueError, match="provider openai needs OPENAI_API_KEY"):
        LLMTeacher(LLMConfig(model="gpt-x", labels={"Disease": ""}, provider="openai"))
    with pytest.raises(ValueError, match="needs labels"):
        LLMTeacher(LLMConfig(model="gpt-x", base_url="http://127.0.0.1:1/v1"))


def test_by_label_answers_one_list_per_label_in_prompt_schema_and_examples():
    example = Document("Flu and BRCA1.", [Span(0, 3, "Disease"), Span(8, 13, "Gene")])

    def answer(request):
        return json.dumps({"Disease": ["cancer", "unicorn pox"], "Gene": ["BRCA1"]})

    with ChatCompletionsTestDouble(answer) as double:
        teacher = make_teacher(double, examples=[example], answer_shape="by_label")
        (out,) = teacher.label(["BRCA1 carriers get cancer"])
    assert spans_text("BRCA1 carriers get cancer", out.spans) == [("BRCA1", "Gene"), ("cancer", "Disease")]
    assert out.rejected == {"not_found": 1}
    request = double.requests[0]
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["Disease", "Gene"] and schema["properties"]["Gene"]["type"] == "array"
    messages = request["messages"]
    assert '{"Disease": [...], "Gene": [...]}' in messages[0]["content"]
    assert json.loads(messages[2]["content"]) == {"Disease": ["Flu"], "Gene": ["BRCA1"]}
    with ChatCompletionsTestDouble(answer) as double:
        assert teacher.fingerprint != make_teacher(double, examples=[example]).fingerprint


def test_a_by_label_answer_cut_at_max_tokens_keeps_each_lists_complete_strings():
    cut = '{"Disease": ["cancer"], "Gene": ["BRCA1", "BRC'
    with ChatCompletionsTestDouble(lambda request: cut) as double:
        double.finish_reason = "length"
        (out,) = make_teacher(double, answer_shape="by_label").label(["BRCA1 and cancer"])
    assert spans_text("BRCA1 and cancer", out.spans) == [("BRCA1", "Gene"), ("cancer", "Disease")]
    assert out.rejected == {"truncated_answer": 1}


def test_an_unknown_answer_shape_is_a_config_error_naming_the_choices():
    with pytest.raises(ValueError, match=r"llm\.answer_shape must be one of entities, by_label"):
        LLMConfig(model="m", labels={"Disease": ""}, answer_shape="lists").validate()


def test_parse_cut_answer_keeps_complete_items_of_every_shape():
    from specialize.teachers.llm import parse_cut_answer

    item = {"text": "a", "label": "X"}
    assert parse_cut_answer('[{"text": "a", "label": "X"}, {"te') == {"entities": [item]}
    assert parse_cut_answer('{"mentions": [{"text": "a", "label": "X"}, {"te') == {"mentions": [item]}
    assert parse_cut_answer('{"PER": ["Kohl"], "LOC": ["Bo') == {"PER": ["Kohl"]}
    assert parse_cut_answer('{"entit') is None
