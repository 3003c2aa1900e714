"""``LLMConfig``: every setting of the ``llm:`` teacher as one typed dataclass, validated at load.

It is filled, in this order, from the defaults, the ``[llm]`` table of a TOML file (``--config``), the
environment (``SPECIALIZE_LLM_MODEL``, ``SPECIALIZE_LLM_BASE_URL``, ``SPECIALIZE_LLM_CONFIG`` naming a TOML
file, for commands such as ``evaluate --cascade llm:MODEL`` that take no teacher options), and the command line
(``specialize label --base-url ...`` or ``-O key=value``). Unknown keys and wrong types are errors naming the
source and the key::

    [llm]
    model = "smollm2"
    base_url = "http://127.0.0.1:8080/v1"
    examples = "ncbi-disease:train"   # few-shot examples drawn from gold
    n_examples = 3

Where the requests go is never a silent default: a ``base_url`` is required, unless ``provider = "openai"``
says the hosted OpenAI API is meant. API keys are never part of the config (configs get committed and saved
with labels); they come from the environment variable named by ``api_key_env``.
"""

from __future__ import annotations

import difflib
import os
import random
import typing
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from specialize.config import ConfigError, read_toml
from specialize.config import _coerce as coerce_value
from specialize.data.document import Document

ENV_MODEL = "SPECIALIZE_LLM_MODEL"
ENV_BASE_URL = "SPECIALIZE_LLM_BASE_URL"
ENV_CONFIG = "SPECIALIZE_LLM_CONFIG"
ENV_SERVER_KEY = "SPECIALIZE_LLM_API_KEY"
OPENAI_URL = "https://api.openai.com/v1"
API_KEY_REFUSED = (
    "API keys are not taken from options or configs (they would be saved and shown); put the key in "
    "OPENAI_API_KEY or another variable named by api_key_env"
)


class Provider(StrEnum):
    SERVER = "server"  # any OpenAI-compatible server at base_url (llama.cpp, vLLM, Ollama, a gateway...)
    OPENAI = "openai"  # the hosted OpenAI API (base_url defaults to it; needs OPENAI_API_KEY)


class StructuredOutput(StrEnum):
    """How the answer is constrained to the entities JSON; ``auto`` tries them in this order, once per teacher."""

    AUTO = "auto"
    JSON_SCHEMA = "json_schema"  # response_format {"type": "json_schema"}: OpenAI, vLLM, llama-server, Ollama
    JSON_OBJECT_SCHEMA = "json_object_schema"  # {"type": "json_object", "schema": ...}: llama-cpp-python's grammar
    JSON_OBJECT = "json_object"  # {"type": "json_object"}: valid JSON, shape from the prompt only
    NONE = "none"  # the prompt alone; the parser digs the JSON out of free text


class AnswerShape(StrEnum):
    """The JSON the model is asked to answer with."""

    ENTITIES = "entities"  # {"entities": [{"text": ..., "label": ...}]}: one list, a label on each mention
    # {"PER": [...], "ORG": [...]}: one list of strings per label, keys in the order the labels are given. Small
    # models type better this way: the key they are writing under decides the label, instead of a label field
    # they must pick per mention (SmolLM2-135M on CoNLL-2003 train sentences labelled nearly every name MISC).
    BY_LABEL = "by_label"


def _labels(value: Any, where: str) -> dict[str, str]:
    """A TOML table ``{label = "description"}``, a list, or ``"A,B"``. (The CLI's ``--labels``, which may also
    name a JSON file, arrives here already parsed by :func:`specialize.teachers.spec.parse_labels`.)"""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return {label: "" for label in value}
    raise ConfigError(f'{where}: expected a list of labels or a table {{label = "description"}}, got {value!r}')


@dataclass
class LLMConfig:
    """Settings of the ``llm:`` teacher; :data:`HELP` says what each one does. Also the ``[llm]`` table of a
    ``specialize label`` config (:class:`specialize.command_configs.LabelConfig`)."""

    # Keys never read from configs or options, with the reason (the config loaders say it).
    REFUSED: ClassVar[dict[str, str]] = {"api_key": API_KEY_REFUSED}

    model: str | None = None
    base_url: str | None = None
    provider: str = Provider.SERVER.value
    api_key_env: str | None = None
    labels: dict[str, str] = field(default_factory=dict, metadata={"parse": _labels})
    instructions: str | None = None
    examples: str | None = None
    n_examples: int = 3
    examples_seed: int = 0
    max_example_chars: int = 400
    structured_output: str = StructuredOutput.AUTO.value
    answer_shape: str = AnswerShape.ENTITIES.value
    max_chars: int = 6000
    overlap_chars: int = 300
    max_concurrency: int = 4
    timeout: float = 60.0
    connect_timeout: float = 5.0
    max_retries: int = 6
    backoff: float = 1.0
    max_backoff: float = 60.0
    temperature: float = 0.0
    max_tokens: int | None = 512
    price_input_per_1m: float = 0.0
    price_output_per_1m: float = 0.0
    policy: str = "all"
    name: str | None = None

    def validate(self) -> None:
        """Raise ConfigError naming the key for a value that cannot work."""
        choices = {"provider": Provider, "structured_output": StructuredOutput, "answer_shape": AnswerShape}
        for key, enum in choices.items():
            if getattr(self, key) not in {e.value for e in enum}:
                raise ConfigError(
                    f"llm.{key} must be one of {', '.join(e.value for e in enum)}, got {getattr(self, key)!r}"
                )
        if self.policy not in ("all", "unique"):
            raise ConfigError(f"llm.policy must be all or unique, got {self.policy!r}")
        for key in ("n_examples", "max_retries"):
            if getattr(self, key) < 0:
                raise ConfigError(f"llm.{key} must be 0 or more, got {getattr(self, key)}")
        for key in ("max_chars", "max_concurrency", "max_example_chars"):
            if getattr(self, key) < 1:
                raise ConfigError(f"llm.{key} must be at least 1, got {getattr(self, key)}")
        for key in ("timeout", "connect_timeout"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"llm.{key} must be a positive number of seconds, got {getattr(self, key)}")
        if not 0 <= self.overlap_chars < self.max_chars:
            raise ConfigError(f"llm.overlap_chars ({self.overlap_chars}) must be in [0, max_chars={self.max_chars})")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"llm.max_tokens must be at least 1 (or none), got {self.max_tokens}")
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"llm.base_url must start with http:// or https://, got {self.base_url!r}")

    def resolved(self) -> LLMConfig:
        """A copy with the model and the endpoint filled from the environment and the provider; raises
        ConfigError when no model is named or no endpoint is chosen explicitly."""
        model = self.model or os.environ.get(ENV_MODEL) or None
        if not model:
            raise ConfigError(f"no LLM model given; use llm:MODEL (e.g. llm:smollm2) or set {ENV_MODEL}")
        if not self.labels:
            raise ConfigError("an LLM teacher needs labels: --labels Disease,Chemical or labels = [...] in [llm]")
        base_url = self.base_url or os.environ.get(ENV_BASE_URL) or None
        if base_url is None:
            if self.provider != Provider.OPENAI:
                raise ConfigError(
                    "no LLM endpoint: pass --base-url http://HOST:PORT/v1 (or base_url in [llm], or set "
                    f"{ENV_BASE_URL}) for a server such as llama.cpp or vLLM (scripts/llm_server.sh start runs "
                    "one), or --provider openai for the hosted OpenAI API"
                )
            base_url = OPENAI_URL
        return replace(self, model=model, base_url=base_url.rstrip("/"))

    def api_key(self) -> str | None:
        """The key from the environment; None when none is needed (a local server without auth)."""
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ConfigError(f"llm.api_key_env names {self.api_key_env}, which is not set")
            return key
        if self.provider == Provider.OPENAI:
            key = os.environ.get("OPENAI_API_KEY")
            if not key:
                raise ConfigError(
                    "provider openai needs OPENAI_API_KEY in the environment (or name another with api_key_env)"
                )
            return key
        return os.environ.get(ENV_SERVER_KEY) or None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; holds no secret (keys are never in the config), so it is saved with the labels."""
        return asdict(self)


# One line per setting: the docs of the [llm] table and the help of `specialize label`'s LLM options.
HELP: dict[str, str] = {
    "model": "model name the server knows (the MODEL of llm:MODEL; default $SPECIALIZE_LLM_MODEL)",
    "base_url": "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (default $SPECIALIZE_LLM_BASE_URL); "
    "required unless provider=openai",
    "provider": "server (any OpenAI-compatible server at base_url) or openai (the hosted OpenAI API)",
    "api_key_env": "environment variable holding the API key (default: OPENAI_API_KEY for provider=openai, "
    f"{ENV_SERVER_KEY} if set for a server); keys are never read from configs or saved",
    "labels": "label set: {label: description} or a list of labels (CLI: --labels)",
    "instructions": "extra annotation guidelines appended to the system prompt",
    "examples": "few-shot examples: a gold file or dataset name (e.g. ncbi-disease:train)",
    "n_examples": "how many few-shot examples to take from examples",
    "examples_seed": "seed of the deterministic choice of few-shot examples",
    "max_example_chars": "longest example text considered (keeps the prompt short)",
    "structured_output": "auto (detected once per run), json_schema, json_object_schema (llama-cpp-python), "
    "json_object, none",
    "answer_shape": 'entities ({"entities": [{"text", "label"}]}) or by_label (one list of mentions per label, '
    '{"PER": [...], "ORG": [...]}: small models type mentions better this way)',
    "max_chars": "longer documents are cut into windows of this many characters",
    "overlap_chars": "overlap between windows",
    "max_concurrency": "requests in flight at once",
    "timeout": "seconds before a request times out (then it is retried)",
    "connect_timeout": "seconds the pre-flight request may take before the run stops",
    "max_retries": "retries of a request that failed for a reason retrying can fix (timeout, 429, 5xx)",
    "backoff": "first retry delay in seconds (doubles each retry, with jitter)",
    "max_backoff": "longest retry delay in seconds",
    "temperature": "sampling temperature",
    "max_tokens": "longest answer in tokens (none = the server's limit)",
    "price_input_per_1m": "price per million prompt tokens, for the cost figures",
    "price_output_per_1m": "price per million completion tokens",
    "policy": "a string found several times: all (label every occurrence) or unique (reject it)",
    "name": "teacher name in outputs and the label store (default llm:MODEL)",
}
FIELDS = {f.name: f for f in fields(LLMConfig)}
_HINTS = typing.get_type_hints(LLMConfig)


def _set(config: LLMConfig, key: str, value: Any, source: str) -> None:
    if key not in FIELDS:
        hint = difflib.get_close_matches(key, list(FIELDS), n=1)
        if key in LLMConfig.REFUSED:
            raise ConfigError(f"{source}: {LLMConfig.REFUSED[key]}")
        raise ConfigError(
            f"{source}: unknown LLM option '{key}'"
            + (f"; did you mean '{hint[0]}'?" if hint else f"; known: {', '.join(FIELDS)}")
        )
    if key == "labels":
        setattr(config, key, _labels(value, f"{source}: llm.labels"))
        return
    setattr(config, key, coerce_value(value, _HINTS[key], f"{source}: llm.{key}"))


def read_llm_table(path: str | Path) -> dict[str, Any]:
    """The ``[llm]`` table of a TOML file; other tables are an error (this file configures the LLM teacher)."""
    raw = read_toml(path)
    other = sorted(k for k in raw if k != "llm")
    if other:
        raise ConfigError(f"{path}: unexpected table(s) {other}; the LLM teacher reads only [llm]")
    table = raw.get("llm", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'llm' must be a table like [llm], not a plain value")
    return table


def load_llm_config(
    path: str | Path | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    base: LLMConfig | None = None,
    source: str = "options",
) -> LLMConfig:
    """``base`` (default: the defaults, then the ``[llm]`` table of ``path``, or of ``$SPECIALIZE_LLM_CONFIG``
    when ``path`` is None), then ``options`` (None values skipped); validated. The endpoint and model are
    resolved later (:meth:`LLMConfig.resolved`), when the teacher is built."""
    config = replace(base) if base is not None else LLMConfig()
    path = path if path is not None or base is not None else os.environ.get(ENV_CONFIG) or None
    if path is not None:
        for key, value in read_llm_table(path).items():
            _set(config, key, value, str(path))
    for key, value in (options or {}).items():
        if value is not None:
            _set(config, key, value, source)
    try:
        config.validate()
    except ConfigError as exc:
        sources = [str(path)] if path is not None else []
        sources += [source] if options or not sources else []
        raise ConfigError(f"{' + '.join(sources)}: {exc}") from None
    return config


def select_examples(
    docs: Sequence[Document], labels: Sequence[str], n: int, *, seed: int = 0, max_chars: int = 400
) -> list[Document]:
    """``n`` few-shot examples from gold ``docs``, the same for the same inputs.

    Candidates are texts of at most ``max_chars`` with a span of one of ``labels``, in a seeded shuffle; texts
    that show a label not shown yet come first, so every label gets an example before any gets two.
    """
    if n <= 0:
        return []
    wanted = set(labels)
    candidates = [d for d in docs if len(d.text) <= max_chars and any(s.label in wanted for s in d.spans)]
    if not candidates:
        raise ConfigError(
            f"no example text of at most {max_chars} characters has a span labelled {sorted(wanted)}; check that the "
            "examples use the same label names as --labels, or raise max_example_chars"
        )
    random.Random(seed).shuffle(candidates)
    chosen: list[Document] = []
    covered: set[str] = set()
    for doc in candidates:
        new = {s.label for s in doc.spans} & wanted - covered
        if new and len(chosen) < n:
            chosen.append(doc)
            covered |= new
    for doc in candidates:
        if len(chosen) >= n:
            break
        if doc not in chosen:
            chosen.append(doc)
    return chosen
