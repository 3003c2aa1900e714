"""The LLM teacher's transport: a dead endpoint fails fast with the URL and the cause, retries only for errors that
retrying can fix, and structured output is detected (json_schema, llama-cpp-python's json_object + schema,
json_object, then the prompt alone) against the test double."""

from __future__ import annotations

import json
import socket
import time

import pytest
from chat_server import ChatCompletionsTestDouble, entities_answer

from specialize.cli.main import main
from specialize.teachers.llm import LLMConfig, LLMRequestError, LLMTeacher
from specialize.teachers.llm_client import connection_problem, status_problem

LEXICON = {"cancer": "Disease", "BRCA1": "Gene"}
URL = "http://127.0.0.1:8080/v1"


def closed_port() -> int:
    """A port nothing listens on: bound to find a free one, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def teacher_at(base_url: str, **options) -> LLMTeacher:
    options.setdefault("backoff", 0.01)
    return LLMTeacher(LLMConfig(model="test-model", labels={"Disease": "", "Gene": ""}, base_url=base_url, **options))


def test_a_dead_endpoint_fails_within_seconds_naming_the_url_and_the_cause():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.perf_counter()
    with pytest.raises(LLMRequestError, match=rf"connection refused at {url}: is the server running\?"):
        teacher_at(url, max_retries=6).label(["cancer"])
    assert time.perf_counter() - started < 10


def test_the_label_command_reports_a_dead_endpoint_in_one_line_within_seconds(tmp_path, capsys):
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu\nmeasles\n", encoding="utf-8")
    url = f"http://127.0.0.1:{closed_port()}/v1"
    argv = ["label", "-t", "llm:m", "--labels", "Disease", "-i", str(inputs), "-o", str(tmp_path / "o.jsonl")]
    started = time.perf_counter()
    assert main([*argv, "--base-url", url, "--no-progress"]) == 2
    assert time.perf_counter() - started < 10
    err = capsys.readouterr().err.strip()
    assert err == f"error: llm:m: connection refused at {url}: is the server running?"
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("status", "message", "mode", "retryable"),
    [
        (429, "rate limited", "json_schema", True),
        (500, "internal error", "json_schema", True),
        (503, "overloaded", "none", True),
        (408, "request timeout", "none", True),
        (400, "bad max_tokens", "none", False),
        (401, "invalid key", "none", False),
        (404, "no such model", "none", False),
        (422, "unprocessable", "none", False),
        # llama-cpp-python's answer to json_schema: a 500 that retrying cannot fix
        (500, "response_format type json_schema is not supported", "json_schema", False),
        (400, "Invalid schema for response_format 'entities'", "json_schema", False),
    ],
)
def test_http_errors_are_retried_only_when_retrying_can_fix_them(status, message, mode, retryable):
    got, problem = status_problem(status, message, URL, mode)
    assert got is retryable
    assert URL in problem


def _chained(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("inner", "retryable", "words"),
    [
        (ConnectionRefusedError(111, "Connection refused"), False, "connection refused at"),
        (socket.gaierror(-2, "Name or service not known"), False, "cannot resolve the host"),
        (ConnectionResetError(104, "Connection reset by peer"), True, "connection to"),
        (TimeoutError("timed out"), True, "no answer from"),
    ],
)
def test_connection_errors_are_classified_by_their_root_cause(inner, retryable, words):
    got, problem = connection_problem(_chained(RuntimeError("Connection error."), inner), URL, 5)
    assert got is retryable and words in problem and URL in problem


def test_a_schema_error_from_the_server_is_not_retried():
    double = ChatCompletionsTestDouble(entities_answer(LEXICON), formats={"json_object"}, format_status=500)
    with double, pytest.raises(LLMRequestError, match=r"rejected structured output 'json_schema'.*=auto"):
        teacher_at(double.base_url, structured_output="json_schema").label(["cancer"])
    assert double.statuses == [200, 500] and len(double.requests) == 1  # the pre-flight, then once: no retries


@pytest.mark.parametrize(
    ("formats", "status", "expected"),
    [
        (None, 400, "json_schema"),  # OpenAI, vLLM
        ({"json_object_schema", "json_object"}, 500, "json_object_schema"),  # llama-cpp-python
        ({"json_object"}, 400, "json_object"),
        (set(), 400, "none"),  # the prompt alone
    ],
)
def test_structured_output_is_detected_once_and_falls_back_to_the_prompt(formats, status, expected):
    with ChatCompletionsTestDouble(entities_answer(LEXICON), formats=formats, format_status=status) as double:
        teacher = teacher_at(double.base_url)  # structured_output="auto"
        assert teacher.settings["structured_output_used"] == "auto"
        outputs = teacher.label(["cancer", "BRCA1"])
        teacher.label(["cancer again"])
        probes = len(double.requests) - 3
    assert [len(o.spans) for o in outputs] == [1, 1]
    assert teacher.transport.mode == expected == teacher.settings["structured_output_used"]
    answered = [r for r in double.requests[probes:]]
    kinds = {json.dumps(r.get("response_format", {}).get("type")) for r in answered}
    assert len(kinds) == 1  # every labelling request used the detected format
    assert probes == {"json_schema": 1, "json_object_schema": 2, "json_object": 3, "none": 3}[expected]
    assert double.gets == ["/v1/models"]


def test_the_preflight_names_a_bad_key():
    with ChatCompletionsTestDouble(entities_answer(LEXICON)) as double:
        teacher = teacher_at(double.base_url, structured_output="none")
        double.fail_next = [401]  # applies to the next POST: the first labelling request
        with pytest.raises(LLMRequestError, match=r"HTTP 401.*check the API key"):
            teacher.label(["cancer"])
