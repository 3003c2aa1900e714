"""The transport of the ``llm:`` teacher: one OpenAI-compatible chat endpoint, checked before use.

* A **pre-flight** request (``GET /models``, ``connect_timeout`` seconds, no retry) runs once before the first
  labelling request, so a dead or wrong endpoint stops the run at once with the URL and the cause
  ("connection refused at http://127.0.0.1:9/v1: is the server running?") instead of after minutes of retries.
* **Structured output**: ``auto`` asks the server, with one tiny request per format, which way of constraining
  the answer to the entities JSON schema it accepts (OpenAI's ``json_schema``; llama-cpp-python's
  ``json_object`` + ``schema`` grammar, since its ``json_schema`` fails with a 500; plain ``json_object``), and
  falls back to the prompt alone when it accepts none.
* **Retries** only for what retrying can fix: timeouts, dropped connections, 408/409/429 and 5xx, with
  exponential backoff and jitter, honouring ``Retry-After``. A refused connection, an unknown host, a 4xx, or a
  server that rejects the structured-output format fails at once with the cause and the fix.

``openai`` is imported lazily: ``pip install 'specialize[llm]'``.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from specialize.errors import TeacherError
from specialize.teachers.llm_config import LLMConfig, StructuredOutput
from specialize.utils.optional import require

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = (408, 409, 429)
# Words of a server's error message that say it is the structured-output request it cannot handle.
_FORMAT_WORDS = ("response_format", "json_schema", "schema", "grammar")
_PROBE_ORDER = (StructuredOutput.JSON_SCHEMA, StructuredOutput.JSON_OBJECT_SCHEMA, StructuredOutput.JSON_OBJECT)


class LLMRequestError(TeacherError):
    """A request failed for good: an error retrying cannot fix, or retries exhausted."""


def entities_schema(labels: Sequence[str]) -> dict[str, Any]:
    """The JSON schema of an answer: ``{"entities": [{"text", "label" (one of labels)}]}``. (Grounding also
    reads an ``occurrence`` field, but asking for it costs every mention tokens and confuses small models.)"""
    mention = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "label": {"type": "string", "enum": list(labels)},
        },
        "required": ["text", "label"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"entities": {"type": "array", "items": mention}},
        "required": ["entities"],
        "additionalProperties": False,
    }


def by_label_schema(labels: Sequence[str]) -> dict[str, Any]:
    """The JSON schema of a ``by_label`` answer: ``{label: [mention strings]}`` with every label as a key."""
    mentions = {"type": "array", "items": {"type": "string", "minLength": 1}}
    return {
        "type": "object",
        "properties": {label: mentions for label in labels},
        "required": list(labels),
        "additionalProperties": False,
    }


def response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The ``response_format`` request field for a structured-output mode (None: leave it out)."""
    if mode == StructuredOutput.JSON_SCHEMA:
        return {"type": "json_schema", "json_schema": {"name": "entities", "schema": schema, "strict": True}}
    if mode == StructuredOutput.JSON_OBJECT_SCHEMA:
        return {"type": "json_object", "schema": schema}
    if mode == StructuredOutput.JSON_OBJECT:
        return {"type": "json_object"}
    return None


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain (the ``ConnectionRefusedError`` under httpx's and openai's)."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def connection_problem(exc: BaseException, url: str, timeout: float | None = None) -> tuple[bool, str]:
    """``(retryable, description)`` of a failed connection to ``url``."""
    cause = root_cause(exc)
    if isinstance(cause, ConnectionRefusedError):
        return False, f"connection refused at {url}: is the server running?"
    if isinstance(cause, socket.gaierror):
        return False, f"cannot resolve the host of {url} ({cause}): check base_url"
    if isinstance(cause, ssl.SSLError):
        return False, f"TLS error talking to {url} ({cause}): check base_url (http:// or https://)"
    if "timeout" in type(exc).__name__.lower() or "timeout" in type(cause).__name__.lower():
        within = f" within {timeout:g} s" if timeout is not None else ""
        return True, f"no answer from {url}{within}"
    return True, f"connection to {url} failed ({type(cause).__name__}: {cause})"


def status_problem(status: int, message: str, url: str, mode: str) -> tuple[bool, str]:
    """``(retryable, description)`` of an HTTP error status from the server at ``url``."""
    if mode != StructuredOutput.NONE and any(w in message.lower() for w in _FORMAT_WORDS):
        # llama-cpp-python answers an unsupported response_format with a 500: retrying would fail the same way.
        return False, (
            f"the server at {url} rejected structured output {mode!r} (HTTP {status}: {message}); "
            "use structured_output=auto to detect what it accepts, or none"
        )
    if status in RETRYABLE_STATUSES or status >= 500:
        return True, f"HTTP {status} from {url}: {message}"
    if status in (401, 403):
        fix = "check the API key (the variable named by api_key_env, or OPENAI_API_KEY)"
    elif status == 404:
        fix = "check the model name and base_url (it usually ends in /v1)"
    else:
        fix = "check the request options (model, max_tokens, temperature, structured_output)"
    return False, f"HTTP {status} from {url}: {message}; {fix}"


class ChatClient:
    """Chat completions against one endpoint (``config`` resolved: model and base_url set)."""

    def __init__(self, config: LLMConfig, *, name: str, schema: dict[str, Any], client: Any = None) -> None:
        self.config = config
        self.url = str(config.base_url)
        self.name = name
        self.schema = schema
        self.mode = config.structured_output
        self._client = client
        self._lock = threading.Lock()
        self._client_lock = threading.Lock()
        self._ready = False

    def client(self) -> Any:
        with self._client_lock:  # worker threads ask at once; one client (one connection pool) serves them all
            if self._client is None:
                openai = require("openai", "llm")
                # Retries are ours (classification, backoff, accounting); the client's own are switched off.
                self._client = openai.OpenAI(
                    base_url=self.url,
                    api_key=self.config.api_key() or "not-needed",  # local servers ignore it; the client wants one
                    timeout=self.config.timeout,
                    max_retries=0,
                )
            return self._client

    # -- before the first request --------------------------------------------------------------------------
    def ready(self) -> None:
        """Pre-flight and structured-output detection, once; raises LLMRequestError with the cause."""
        with self._lock:
            if self._ready:
                return
            self._preflight()
            if self.mode == StructuredOutput.AUTO:
                self.mode = self._detect_mode()
            self._ready = True

    def _preflight(self) -> None:
        # Plain urllib, not the openai client: the answer comes before openai is even imported (seconds on a
        # busy machine), so a dead endpoint is reported at once.
        timeout = self.config.connect_timeout
        key = self.config.api_key()
        request = urllib.request.Request(
            f"{self.url}/models", headers={"Authorization": f"Bearer {key}"} if key else {}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                logger.info("%s: %s has no /models route; skipping the model check", self.name, self.url)
                return
            _, problem = status_problem(exc.code, _http_message(exc), self.url, StructuredOutput.NONE)
            raise LLMRequestError(f"{self.name}: {problem}") from None
        except (OSError, ValueError) as exc:  # URLError, refused, timeout, TLS; ValueError: not JSON
            cause = (
                exc.reason if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException) else exc
            )
            _, problem = connection_problem(cause, self.url, timeout)
            raise LLMRequestError(f"{self.name}: {problem}") from None
        data = body.get("data") if isinstance(body, dict) else None
        served = [str(m.get("id")) for m in data if isinstance(m, dict)] if isinstance(data, list) else []
        if served and self.config.model not in served:
            logger.warning(
                "%s: %s lists models %s, not %r; the request may fail or go to another model",
                self.name, self.url, served[:10], self.config.model,
            )  # fmt: skip

    def _detect_mode(self) -> str:
        openai = require("openai", "llm")
        messages = [
            {"role": "system", "content": 'Answer in JSON: {"entities": []}.'},
            {"role": "user", "content": "Nothing to find here."},
        ]
        for mode in _PROBE_ORDER:
            try:
                self.client().with_options(max_retries=0).chat.completions.create(
                    model=self.config.model,
                    messages=messages,
                    max_tokens=16,
                    temperature=0.0,
                    response_format=response_format(mode, self.schema),
                )
            except openai.APIStatusError as exc:
                if exc.status_code in (401, 403, 404):  # the key or the model, not the format: say so now
                    _, problem = status_problem(exc.status_code, _message(exc), self.url, StructuredOutput.NONE)
                    raise LLMRequestError(f"{self.name}: {problem}") from None
                logger.info("%s: %s refuses structured output %s (HTTP %s)", self.name, self.url, mode,
                            exc.status_code)  # fmt: skip
                continue
            except openai.APIConnectionError as exc:
                _, problem = connection_problem(exc, self.url, self.config.timeout)
                raise LLMRequestError(f"{self.name}: {problem}") from None
            logger.info("%s: structured output %s", self.name, mode.value)
            return mode.value
        logger.warning("%s: %s accepts no structured output; asking for JSON in the prompt only", self.name, self.url)
        return StructuredOutput.NONE.value

    # -- requests ------------------------------------------------------------------------------------------
    def complete(self, messages: list[dict[str, str]]) -> tuple[str, str | None, dict[str, float]]:
        """One chat completion with retries: ``(answer text, finish_reason, usage)``."""
        openai = require("openai", "llm")
        self.ready()
        cfg = self.config
        kwargs: dict[str, Any] = {"model": cfg.model, "messages": messages, "temperature": cfg.temperature}
        if cfg.max_tokens is not None:
            kwargs["max_tokens"] = cfg.max_tokens
        fmt = response_format(self.mode, self.schema)
        if fmt is not None:
            kwargs["response_format"] = fmt
        usage: dict[str, float] = {"requests": 0, "retries": 0, "prompt_tokens": 0, "completion_tokens": 0}
        attempt = 0
        while True:
            usage["requests"] += 1
            try:
                response = self.client().chat.completions.create(**kwargs)
                break
            except openai.APIStatusError as exc:
                failure: Exception = exc
                retryable, problem = status_problem(exc.status_code, _message(exc), self.url, self.mode)
            except openai.APIConnectionError as exc:
                failure = exc
                retryable, problem = connection_problem(exc, self.url, cfg.timeout)
            if not retryable:
                raise LLMRequestError(f"{self.name}: {problem}")
            if attempt >= cfg.max_retries:
                raise LLMRequestError(
                    f"{self.name}: giving up after {attempt} retries ({problem}); lower max_concurrency, raise "
                    "timeout or max_retries, or check the server"
                )
            delay = self._delay(attempt, failure)
            logger.info("%s: %s; retry %d in %.1f s", self.name, problem, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1
            usage["retries"] += 1
        if response.usage is not None:
            usage["prompt_tokens"] += response.usage.prompt_tokens or 0
            usage["completion_tokens"] += response.usage.completion_tokens or 0
        usage["cost"] = (
            usage["prompt_tokens"] * cfg.price_input_per_1m + usage["completion_tokens"] * cfg.price_output_per_1m
        ) / 1_000_000
        choice = response.choices[0] if response.choices else None
        if choice is None:
            return "", None, usage
        return choice.message.content or "", choice.finish_reason, usage

    def _delay(self, attempt: int, exc: Exception) -> float:
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        if header is not None:
            try:
                return min(self.config.max_backoff, max(0.0, float(header)))
            except ValueError:
                pass  # an HTTP date; fall back to our own backoff
        # Full jitter: concurrent workers that hit the same 429 do not come back in lockstep.
        return random.uniform(0, min(self.config.max_backoff, self.config.backoff * 2**attempt))


def _message(exc: Any) -> str:
    """The server's own error message (``{"error": {"message": ...}}`` or ``{"detail": ...}``), else str(exc)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or error.get("detail")
            if message:
                return str(message)[:300]
        if isinstance(error, str):
            return error[:300]
    return str(exc)[:300]


def _http_message(exc: urllib.error.HTTPError) -> str:
    """The server's error message from a urllib HTTPError body, else its reason."""
    try:
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        body = None
    error = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(error, dict) and (error.get("message") or error.get("detail")):
        return str(error.get("message") or error.get("detail"))[:300]
    return str(exc.reason)[:300]
