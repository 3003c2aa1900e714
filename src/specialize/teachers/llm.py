"""An LLM behind any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp, Ollama...) as a teacher.

The model is asked for ``{"entities": [{"text", "label", "occurrence"?, "context"?}]}``; strings are
grounded to offsets by :mod:`specialize.teachers.grounding` (never trusted as offsets: LLMs count characters
badly). Long documents are cut into overlapping character windows on whitespace (the project's
``make_windows``, with characters as tokens); each span is kept from the window that owns its first
character, so overlaps never double-count. Requests run in a thread pool (``max_concurrency``), with
exponential backoff on 429, 5xx, timeouts and connection errors, honouring ``Retry-After``.

``openai`` is imported lazily: ``pip install 'specialize[llm]'``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from specialize.data.chunking import make_windows
from specialize.data.document import Document, Span
from specialize.teachers.base import TeacherBase, TeacherOutput, add_usage, make_fingerprint
from specialize.teachers.grounding import Mention, Policy, ground, resolve_overlaps
from specialize.utils.optional import require

logger = logging.getLogger(__name__)

PROMPT_VERSION = 1  # bump when the prompt template changes: the fingerprint (store key) changes with it

_SYSTEM_TEMPLATE = """You are a careful annotator for named-entity recognition.
Find every mention of these entity types in the user's text:
{types}
{instructions}
Answer with one JSON object and nothing else:
{{"entities": [{{"text": "<exact substring of the text>", "label": "<{label_names}>"}}]}}
Rules:
- Copy "text" character for character from the input (same case, spelling and punctuation); never paraphrase, \
translate, expand or fix it.
- Take the whole mention ("breast cancer", not "cancer") without surrounding punctuation or articles.
- List a string once when it is an entity everywhere it occurs. When it is an entity at only some of its \
occurrences, list each of those with "occurrence": n (1 = first time the string appears in the text).
- Answer {{"entities": []}} when there is none."""

_ENV_BASE_URL = "SPECIALIZE_LLM_BASE_URL"
_ENV_MODEL = "SPECIALIZE_LLM_MODEL"


class LLMRequestError(RuntimeError):
    """A request failed for good (retries exhausted, or an error retrying cannot fix)."""


def char_windows(text: str, max_chars: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """``(start, end, own_start, own_end)`` character windows over whitespace-separated words.

    Built with :func:`~specialize.data.chunking.make_windows` (characters as tokens, word starts as word
    boundaries), so windows start and end between words and each word is owned by exactly one window.
    """
    if len(text) <= max_chars:
        return [(0, len(text), 0, len(text))]
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    out = []
    for w in make_windows(starts, len(text), max_chars, overlap):
        if w.own_end <= w.own_start:
            continue  # owns no word: nothing it finds would be kept
        own_start = 0 if w.own_start == 0 else starts[w.own_start]
        own_end = len(text) if w.own_end >= len(starts) else starts[w.own_end]
        out.append((w.start, w.end, own_start, own_end))
    return out


def parse_json_answer(content: str) -> Any:
    """The answer as JSON: the whole content, else the first JSON object or array inside it (code fences,
    chatter around the JSON); None when there is none."""
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for attempt, match in enumerate(re.finditer(r"[{\[]", content)):
        if attempt >= 64:
            break
        try:
            return decoder.raw_decode(content, match.start())[0]
        except json.JSONDecodeError:
            continue
    return None


def mentions_from_answer(data: Any, labels: Sequence[str]) -> tuple[list[Mention | Mapping[str, Any]], int]:
    """Mention items from the shapes LLMs actually return, and how many items were malformed.

    ``{"entities": [...]}`` (or ``spans``/``mentions``/``results``), a bare list, or ``{label: [strings]}``;
    a bare string item is accepted only when there is a single label.
    """
    items: list[Any]
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        key = next((k for k in ("entities", "spans", "mentions", "results") if isinstance(data.get(k), list)), None)
        if key is not None:
            items = data[key]
        else:
            items = []
            for label, values in data.items():
                for value in values if isinstance(values, list) else [values]:
                    items.append({"text": value, "label": label} if isinstance(value, str) else value)
    else:
        return [], 1
    out: list[Mention | Mapping[str, Any]] = []
    malformed = 0
    for item in items:
        if isinstance(item, str) and len(labels) == 1:
            out.append(Mention(item, labels[0]))
        elif isinstance(item, Mapping):
            out.append(item)
        else:
            malformed += 1
    return out, malformed


class LLMTeacher(TeacherBase):
    """Entities from a chat model; see the module docstring.

    ``labels``: ``{label: description}`` (descriptions go into the prompt) or a list of labels.
    ``examples``: documents with gold spans shown as few-shot turns. Prices are per million tokens.
    ``model``/``base_url``/``api_key`` default to ``SPECIALIZE_LLM_MODEL``, ``SPECIALIZE_LLM_BASE_URL``
    (then ``OPENAI_BASE_URL``) and ``OPENAI_API_KEY``; a local server with a base URL needs no key.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        labels: Mapping[str, str] | Sequence[str],
        base_url: str | None = None,
        api_key: str | None = None,
        instructions: str | None = None,
        examples: Sequence[Document] = (),
        max_chars: int = 6000,
        overlap_chars: int = 300,
        max_concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        json_mode: bool = True,
        price_input_per_1m: float = 0.0,
        price_output_per_1m: float = 0.0,
        policy: Policy = "all",
        client: Any = None,
        name: str | None = None,
    ) -> None:
        self.model = model or os.environ.get(_ENV_MODEL) or ""
        if not self.model:
            raise ValueError(f"no LLM model given; use llm:MODEL (e.g. llm:gpt-4o-mini) or set {_ENV_MODEL}")
        self.descriptions = dict(labels) if isinstance(labels, Mapping) else {label: "" for label in labels}
        if not self.descriptions:
            raise ValueError("an LLM teacher needs labels; pass labels=['Disease', ...] (CLI: --labels)")
        self.base_url = base_url or os.environ.get(_ENV_BASE_URL) or os.environ.get("OPENAI_BASE_URL")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not self.api_key and client is None:
            if not self.base_url:
                raise ValueError(
                    "no API key: set OPENAI_API_KEY (or api_key=...), or point base_url "
                    f"(option base_url=URL or {_ENV_BASE_URL}) at a local OpenAI-compatible server"
                )
            self.api_key = "not-needed"  # local servers (vLLM, llama.cpp) ignore the key but the client wants one
        if overlap_chars >= max_chars:
            raise ValueError(f"overlap_chars ({overlap_chars}) must be smaller than max_chars ({max_chars})")
        self.max_chars, self.overlap_chars = max_chars, overlap_chars
        self.max_concurrency = max(1, int(max_concurrency))
        self.timeout, self.max_retries = timeout, max_retries
        self.backoff, self.max_backoff = backoff, max_backoff
        self.temperature, self.max_tokens = temperature, max_tokens
        self.json_mode = json_mode
        self.prices = (price_input_per_1m, price_output_per_1m)
        self.policy: Policy = policy
        self.name = name or f"llm:{self.model}"
        self._client = client
        self._client_lock = threading.Lock()
        self._prefix = self._prompt_prefix(instructions, examples)
        prompt_hash = hashlib.sha256(json.dumps(self._prefix, ensure_ascii=False).encode()).hexdigest()[:16]
        self._fingerprint = make_fingerprint(
            "llm",
            self.model,
            base_url=self.base_url,
            prompt_version=PROMPT_VERSION,
            prompt=prompt_hash,
            temperature=temperature,
            max_tokens=max_tokens,
            max_chars=max_chars,
            overlap_chars=overlap_chars,
            policy=policy,
        )

    # -- prompt ---------------------------------------------------------------------------------------------
    def _prompt_prefix(self, instructions: str | None, examples: Sequence[Document]) -> list[dict[str, str]]:
        types = "\n".join(f"- {lab}: {desc}" if desc else f"- {lab}" for lab, desc in self.descriptions.items())
        system = _SYSTEM_TEMPLATE.format(
            types=types,
            instructions=f"\n{instructions.strip()}\n" if instructions else "",
            label_names="|".join(self.descriptions),
        )
        messages = [{"role": "system", "content": system}]
        for doc in examples:
            entities = list(
                dict.fromkeys((doc.span_text(s), s.label) for s in sorted(doc.spans) if s.label in self.descriptions)
            )
            answer = {"entities": [{"text": t, "label": lab} for t, lab in entities]}
            messages.append({"role": "user", "content": doc.text})
            messages.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)})
        return messages

    def messages(self, text: str) -> list[dict[str, str]]:
        """The chat messages sent for one window of text."""
        return [*self._prefix, {"role": "user", "content": text}]

    # -- Teacher --------------------------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return list(self.descriptions)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        jobs = [(i, window) for i, text in enumerate(texts) for window in char_windows(text, *self._window_args())]
        outputs = [TeacherOutput() for _ in texts]
        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="llm-teacher")
        try:
            futures: list[Future[TeacherOutput]] = [
                pool.submit(self._label_window, texts[i], window) for i, window in jobs
            ]
            for (i, _), future in zip(jobs, futures, strict=True):
                part = future.result()  # re-raises a request that failed for good
                out = outputs[i]
                out.spans.extend(part.spans)
                out.rejected.update(part.rejected)
                add_usage(out.usage, part.usage)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for out in outputs:
            out.spans, dropped = resolve_overlaps(out.spans)
            if dropped:
                out.rejected["overlap"] += dropped
        return outputs

    def _window_args(self) -> tuple[int, int]:
        return self.max_chars, self.overlap_chars

    def _label_window(self, text: str, window: tuple[int, int, int, int]) -> TeacherOutput:
        start, end, own_start, own_end = window
        chunk = text[start:end]
        out = TeacherOutput()
        content, usage = self.complete(self.messages(chunk))
        out.usage = usage
        data = parse_json_answer(content)
        if data is None:
            logger.warning("%s: answer is not JSON (first 200 chars): %r", self.name, content[:200])
            out.rejected["invalid_json"] += 1
            return out
        mentions, malformed = mentions_from_answer(data, self.labels)
        if malformed:
            out.rejected["malformed"] += malformed
        grounded = ground(chunk, mentions, labels=self.labels, policy=self.policy)
        out.rejected.update(grounded.rejected)
        for span in grounded.spans:
            if own_start <= span.start + start < own_end:
                out.spans.append(Span(span.start + start, span.end + start, span.label))
        return out

    # -- transport ------------------------------------------------------------------------------------------
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                openai = require("openai", "llm")
                # Retries are ours (backoff, Retry-After, accounting); the client's own are switched off.
                self._client = openai.OpenAI(
                    base_url=self.base_url, api_key=self.api_key, timeout=self.timeout, max_retries=0
                )
            return self._client

    def complete(self, messages: list[dict[str, str]]) -> tuple[str, dict[str, float]]:
        """One chat completion with retries; returns the answer text and its usage (tokens, cost)."""
        openai = require("openai", "llm")
        client = self.client()
        usage: dict[str, float] = {"requests": 0, "retries": 0, "prompt_tokens": 0, "completion_tokens": 0}
        attempt = 0
        while True:
            kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature}
            if self.max_tokens is not None:
                kwargs["max_tokens"] = self.max_tokens
            json_mode = self.json_mode
            if json_mode:
                kwargs["response_format"] = {"type": "json_object"}
            usage["requests"] += 1
            try:
                response = client.chat.completions.create(**kwargs)
            except openai.BadRequestError as exc:
                if json_mode:
                    # Many local servers reject response_format; the prompt alone asks for JSON and the parser
                    # digs the object out of free text.
                    logger.warning("%s: server refused JSON mode (%s); retrying without it", self.name, exc)
                    self.json_mode = False
                    continue
                raise LLMRequestError(f"{self.name}: request rejected (400): {exc}") from exc
            except (openai.APIConnectionError, openai.APIStatusError) as exc:
                status = getattr(exc, "status_code", None)
                retryable = status is None or status in (408, 409, 429) or status >= 500
                if not retryable:
                    raise LLMRequestError(f"{self.name}: HTTP {status}: {exc}. {_fix_for(status)}") from exc
                if attempt >= self.max_retries:
                    raise LLMRequestError(
                        f"{self.name}: giving up after {attempt} retries ({type(exc).__name__}: {exc}); "
                        "lower max_concurrency, raise timeout/max_retries, or check the server"
                    ) from exc
                delay = self._delay(attempt, exc)
                logger.info("%s: %s, retry %d in %.1fs", self.name, type(exc).__name__, attempt + 1, delay)
                time.sleep(delay)
                attempt += 1
                usage["retries"] += 1
                continue
            break
        if response.usage is not None:
            usage["prompt_tokens"] += response.usage.prompt_tokens or 0
            usage["completion_tokens"] += response.usage.completion_tokens or 0
        usage["cost"] = (
            usage["prompt_tokens"] * self.prices[0] + usage["completion_tokens"] * self.prices[1]
        ) / 1_000_000
        choice = response.choices[0] if response.choices else None
        if choice is not None and choice.finish_reason == "length":
            logger.warning(
                "%s: answer cut at max_tokens=%s; raise max_tokens or lower max_chars", self.name, self.max_tokens
            )
        content = choice.message.content if choice is not None else None
        return content or "", usage

    def _delay(self, attempt: int, exc: Exception) -> float:
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        if header is not None:
            try:
                return min(self.max_backoff, max(0.0, float(header)))
            except ValueError:
                pass  # an HTTP date; fall back to our own backoff
        # Full jitter: concurrent workers that hit the same 429 do not come back in lockstep.
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


def _fix_for(status: int | None) -> str:
    if status in (401, 403):
        return "Check the API key (OPENAI_API_KEY or option api_key)."
    if status == 404:
        return "Check the model name and base_url (it usually ends in /v1)."
    return "Check the request options (model, max_tokens, temperature)."
