"""``ChatCompletionsTestDouble``: a local HTTP server speaking the OpenAI chat-completions protocol.

A test double, not a model: it answers from a canned table (or a function of the request), can fail the
next requests with given statuses (429, 500...), can be slowed down, accepts only the structured-output
formats it is told to (refusing the others with ``format_status``: 400 like most servers, 500 like
llama-cpp-python for ``json_schema``), lists its models on ``GET /v1/models``, and reports fixed token counts so
cost accounting can be checked exactly. It runs ``http.server`` in a daemon thread on 127.0.0.1 with a free port.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 100
COMPLETION_TOKENS = 20

Answer = Callable[[dict[str, Any]], str]


def entities_answer(lexicon: dict[str, str]) -> Answer:
    """Answer with every lexicon string found in the last user message, as ``{"entities": [...]}``."""

    def answer(request: dict[str, Any]) -> str:
        text = request["messages"][-1]["content"]
        found = [{"text": term, "label": label} for term, label in lexicon.items() if term in text]
        return json.dumps({"entities": found})

    return answer


def format_kind(response_format: dict[str, Any] | None) -> str | None:
    """``json_schema``, ``json_object_schema`` (json_object with a schema), ``json_object``, or None."""
    if not response_format:
        return None
    if response_format.get("type") == "json_object" and "schema" in response_format:
        return "json_object_schema"
    return str(response_format.get("type"))


class ChatCompletionsTestDouble:
    def __init__(
        self,
        answer: Answer,
        *,
        delay: float = 0.0,
        formats: Collection[str] | None = None,
        format_status: int = 400,
        models: Collection[str] = ("test-model",),
    ) -> None:
        self.answer = answer
        self.delay = delay
        self.formats = formats  # accepted response_format kinds (see format_kind); None = all
        self.format_status = format_status
        self.models = list(models)
        self.fail_next: list[int] = []  # statuses returned, in order, before normal answers resume
        self.requests: list[dict[str, Any]] = []  # chat completion requests, in order
        self.gets: list[str] = []  # paths of GET requests
        self.finish_reason = "stop"  # "length": answers as if cut at max_tokens
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ChatCompletionsTestDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
                with double._lock:
                    double.statuses.append(status)

            def do_GET(self) -> None:
                with double._lock:
                    double.gets.append(self.path)
                if self.path.endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in double.models]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with double._lock:
                    double.requests.append(request)
                    status = double.fail_next.pop(0) if double.fail_next else None
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                if status is not None:
                    error = {"error": {"message": f"test double status {status}", "type": "test", "code": status}}
                    self._send(status, error, {"Retry-After": "0"})
                    return
                kind = format_kind(request.get("response_format"))
                if kind is not None and double.formats is not None and kind not in double.formats:
                    message = f"response_format {kind} is not supported"
                    self._send(double.format_status, {"error": {"message": message, "type": "invalid"}})
                    return
                if double.delay:
                    time.sleep(double.delay)
                content = double.answer(request)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": request.get("model", "test"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": double.finish_reason,
                            }
                        ],
                        "usage": {
                            "prompt_tokens": PROMPT_TOKENS,
                            "completion_tokens": COMPLETION_TOKENS,
                            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
                        },
                    },
                )

        return Handler


if __name__ == "__main__":  # run standalone: python tests/teachers/chat_server.py
    with ChatCompletionsTestDouble(entities_answer({"cancer": "Disease"})) as server:
        print(server.base_url, flush=True)
        threading.Event().wait()
