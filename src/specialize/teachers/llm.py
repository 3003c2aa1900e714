"""An LLM behind any OpenAI-compatible chat endpoint (llama.cpp, vLLM, Ollama, the OpenAI API...) as a teacher.

The model is asked for ``{"entities": [{"text", "label"}]}``, constrained to that JSON schema
where the server supports it (see :mod:`specialize.teachers.llm_client`); strings are grounded to offsets by
:mod:`specialize.teachers.grounding` (never trusted as offsets: LLMs count characters badly). Long documents are
cut into overlapping character windows on whitespace (the project's ``make_windows``, with characters as
tokens); each span is kept from the window that owns its first character, so overlaps never double-count.
Requests run in a thread pool (``max_concurrency``). Settings: :class:`~specialize.teachers.llm_config.LLMConfig`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from specialize.data.chunking import make_windows
from specialize.data.document import Document, Span
from specialize.teachers.base import TeacherBase, TeacherOutput, add_usage, make_fingerprint
from specialize.teachers.grounding import Mention, ground, resolve_overlaps
from specialize.teachers.llm_client import ChatClient, LLMRequestError, by_label_schema, entities_schema
from specialize.teachers.llm_config import AnswerShape, ConfigError, LLMConfig, select_examples

logger = logging.getLogger(__name__)

__all__ = ["LLMConfig", "LLMRequestError", "LLMTeacher", "char_windows", "parse_json_answer"]

PROMPT_VERSION = 2  # bump when the prompt template changes: the fingerprint (store key) changes with it

# No placeholder strings such as "<exact substring>": small models copy them verbatim. The JSON shape is also
# enforced by the schema where the server supports structured output.
_SYSTEM_TEMPLATE = """You annotate named entities. Find every mention of these entity types in the user's text:
{types}
{instructions}
{answer}"""
# How to answer, per answer shape (AnswerShape): the `entities` text is the prompt of PROMPT_VERSION 2 unchanged, so
# label stores filled before by_label existed keep their keys.
_ANSWER_TEMPLATES = {
    AnswerShape.ENTITIES: """Answer with one JSON object and nothing else: {{"entities": [...]}}, with one item \
{{"text": ..., "label": ...}} per mention, where "text" is copied from the user's text and "label" is one of: \
{label_names}.
Rules:
- Copy "text" character for character (same case, spelling and punctuation); never paraphrase, translate, \
expand or fix it.
- Take the whole mention ("breast cancer", not "cancer"), without surrounding punctuation or articles.
- List each string once: it is labelled wherever it occurs.
- Answer {{"entities": []}} when there is none.""",
    AnswerShape.BY_LABEL: """Answer with one JSON object and nothing else, with one list per type: {label_lists}. \
Each item is a mention copied from the user's text.
Rules:
- Copy each mention character for character; never paraphrase, translate, expand or fix it.
- Put each mention in the list of its type only.
- Leave a list empty when the text has no mention of that type.""",
}


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


def parse_cut_answer(content: str) -> Any:
    """An answer cut at ``max_tokens`` (a small model repeating itself until the limit): the whole JSON when it
    happens to be complete, else its complete items: ``{"entities": [...]}`` from an ``entities`` answer,
    ``{label: [...]}`` from a ``by_label`` one (each list up to its last complete string); None when not one
    item is complete."""
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        pass
    lists = {m.group(1): m.end() for m in re.finditer(r'"([^"\\]*)"\s*:\s*\[', content)}
    if not lists:  # a bare list of items, cut
        start = content.find("[")
        items = _complete_items(content, start + 1) if start >= 0 else []
        return {"entities": items} if items else None
    if "entities" in lists:
        lists = {"entities": lists["entities"]}
    answer = {key: _complete_items(content, start) for key, start in lists.items()}
    answer = {key: items for key, items in answer.items() if items}
    return answer or None


def _complete_items(content: str, i: int) -> list[Any]:
    """The JSON values of the list whose items start at ``content[i]``, up to the first incomplete one."""
    decoder = json.JSONDecoder()
    items: list[Any] = []
    while True:
        while i < len(content) and content[i] in " \t\r\n,":
            i += 1
        if i >= len(content) or content[i] == "]":
            return items
        try:
            item, i = decoder.raw_decode(content, i)
        except json.JSONDecodeError:
            return items
        items.append(item)


class LLMTeacher(TeacherBase):
    """Entities from a chat model; see the module docstring.

    ``config`` holds every setting (see :class:`~specialize.teachers.llm_config.LLMConfig`); its model and
    endpoint are resolved here, so building a teacher without an explicit endpoint fails with the fix.
    ``examples``: documents with gold spans shown as few-shot turns; None = ``config.n_examples`` chosen from
    ``config.examples`` by :func:`~specialize.teachers.llm_config.select_examples`. ``client``: an OpenAI
    client object (tests); by default one is made for ``config.base_url``.
    """

    def __init__(self, config: LLMConfig, *, examples: Sequence[Document] | None = None, client: Any = None) -> None:
        config.validate()
        self.config = config.resolved()
        if client is None:
            config.api_key()  # a missing key is a configuration error now, not at the first request
        self.descriptions = dict(self.config.labels)
        self.name = self.config.name or f"llm:{self.config.model}"
        self.examples = list(examples) if examples is not None else self._load_examples()
        self._prefix = self._prompt_prefix(self.config.instructions, self.examples)
        by_label = self.config.answer_shape == AnswerShape.BY_LABEL
        self.schema = by_label_schema(self.labels) if by_label else entities_schema(self.labels)
        self.transport = ChatClient(self.config, name=self.name, schema=self.schema, client=client)
        cfg = self.config
        # The answer shape needs no key of its own: it changes the system prompt and the example answers, so the
        # prompt hash below already tells the shapes apart.
        prompt_hash = hashlib.sha256(json.dumps(self._prefix, ensure_ascii=False).encode()).hexdigest()[:16]
        self._fingerprint = make_fingerprint(
            "llm",
            str(cfg.model),
            base_url=cfg.base_url,
            prompt_version=PROMPT_VERSION,
            prompt=prompt_hash,
            structured_output=cfg.structured_output,
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,
            max_chars=cfg.max_chars,
            overlap_chars=cfg.overlap_chars,
            policy=cfg.policy,
        )
        logger.info("%s: %s at %s (provider %s)", self.name, cfg.model, cfg.base_url, cfg.provider)

    def _load_examples(self) -> list[Document]:
        cfg = self.config
        if not cfg.examples or cfg.n_examples == 0:
            return []
        from specialize.data.io import read_documents

        docs = read_documents(cfg.examples)
        try:
            return select_examples(docs, self.labels, cfg.n_examples, seed=cfg.examples_seed,
                                   max_chars=cfg.max_example_chars)  # fmt: skip
        except ConfigError as exc:
            raise ConfigError(f"llm.examples={cfg.examples!r}: {exc}") from None

    @property
    def settings(self) -> dict[str, Any]:
        """What made these labels, for the label store and records: the config (no secret in it), the few-shot
        examples by id, and the structured-output mode in use (``auto`` until the first request resolves it)."""
        return {
            **self.config.to_dict(),
            "prompt_version": PROMPT_VERSION,
            "example_ids": [d.id for d in self.examples],
            "structured_output_used": self.transport.mode,
        }

    # -- prompt ---------------------------------------------------------------------------------------------
    def _prompt_prefix(self, instructions: str | None, examples: Sequence[Document]) -> list[dict[str, str]]:
        types = "\n".join(f"- {lab}: {desc}" if desc else f"- {lab}" for lab, desc in self.descriptions.items())
        shape = AnswerShape(self.config.answer_shape)
        answer = _ANSWER_TEMPLATES[shape].format(
            label_names=", ".join(self.descriptions),
            label_lists="{" + ", ".join(f"{json.dumps(lab)}: [...]" for lab in self.descriptions) + "}",
        )
        system = _SYSTEM_TEMPLATE.format(
            types=types, instructions=f"\n{instructions.strip()}\n" if instructions else "", answer=answer
        )
        messages = [{"role": "system", "content": system}]
        for doc in examples:
            messages.append({"role": "user", "content": doc.text})
            messages.append({"role": "assistant", "content": json.dumps(self._answer(doc, shape), ensure_ascii=False)})
        return messages

    def _answer(self, doc: Document, shape: AnswerShape) -> dict[str, Any]:
        """The answer the model should give for a gold example, in the shape it is asked for."""
        entities = list(
            dict.fromkeys((doc.span_text(s), s.label) for s in sorted(doc.spans) if s.label in self.descriptions)
        )
        if shape == AnswerShape.BY_LABEL:
            return {label: [t for t, lab in entities if lab == label] for label in self.descriptions}
        return {"entities": [{"text": t, "label": lab} for t, lab in entities]}

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

    def check(self) -> None:
        """The pre-flight request (and structured-output detection): raises LLMRequestError naming the URL and
        the cause. ``label`` runs it before its first request; call it to fail before anything else starts."""
        self.transport.ready()

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        cfg = self.config
        jobs = [(i, w) for i, text in enumerate(texts) for w in char_windows(text, cfg.max_chars, cfg.overlap_chars)]
        outputs = [TeacherOutput() for _ in texts]
        if not jobs:
            return outputs
        self.check()
        pool = ThreadPoolExecutor(max_workers=cfg.max_concurrency, thread_name_prefix="llm-teacher")
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

    def _label_window(self, text: str, window: tuple[int, int, int, int]) -> TeacherOutput:
        start, end, own_start, own_end = window
        chunk = text[start:end]
        out = TeacherOutput()
        content, finish_reason, out.usage = self.transport.complete(self.messages(chunk))
        if finish_reason == "length":
            # Cut at max_tokens: keep the complete items, and count the cut so a run shows how often it happens.
            out.rejected["truncated_answer"] += 1
            data = parse_cut_answer(content)
        else:
            data = parse_json_answer(content)
        if data is None:
            logger.debug("%s: answer is not JSON (first 200 chars): %r", self.name, content[:200])
            out.rejected["invalid_json"] += 1
            return out
        mentions, malformed = mentions_from_answer(data, self.labels)
        if malformed:
            out.rejected["malformed"] += malformed
        grounded = ground(chunk, mentions, labels=self.labels, policy=self.config.policy)  # type: ignore[arg-type]
        out.rejected.update(grounded.rejected)
        for span in grounded.spans:
            if own_start <= span.start + start < own_end:
                out.spans.append(Span(span.start + start, span.end + start, span.label))
        return out


def load_llm_teacher(
    model: str | None, labels: Sequence[str] | Mapping[str, str] | None, options: Mapping[str, Any]
) -> LLMTeacher:
    """The teacher of an ``llm:MODEL`` spec. ``options`` are :class:`LLMConfig` keys (the CLI's LLM options,
    ``-O key=value``) over ``config`` (an LLMConfig, or a TOML file with an ``[llm]`` table; default
    ``$SPECIALIZE_LLM_CONFIG``); ``examples`` may also be documents, ``client`` an OpenAI client (tests)."""
    from specialize.teachers.llm_config import load_llm_config

    options = dict(options)
    base = options.pop("config", None)
    client = options.pop("client", None)
    examples = options.get("examples")
    documents = None
    if examples is not None and not isinstance(examples, str):
        documents = list(examples)
        del options["examples"]
    if model:
        options["model"] = model
    if labels is not None:
        options["labels"] = labels
    if isinstance(base, LLMConfig):
        config = load_llm_config(options=options, base=base)
    else:
        config = load_llm_config(base, options)
    return LLMTeacher(config, examples=documents, client=client)
