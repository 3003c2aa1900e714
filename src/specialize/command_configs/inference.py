"""The configs of the commands that run a model over texts: ``serve``, ``label``, ``predict``, ``apply``, ``link``,
``redact`` and ``review``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from specialize.command_configs._common import _at_least, _one_of, _required
from specialize.command_configs.learning import LINK_METHODS
from specialize.config import CommandConfig
from specialize.errors import ConfigError
from specialize.evaluation.confidence import CONFIDENCES
from specialize.integrations.spacy_docs import ALIGNMENT_MODES
from specialize.teachers.llm_config import LLMConfig
from specialize.utils.device import check_device

# --------------------------------------------------------------------------------------------------------- serve

# Secrets have no place in a file that is saved and printed; they come from the command line or the environment.
_SERVE_SECRETS = {
    "api_key": "secrets are not read from configs (they would be saved and printed); use $SPECIALIZE_API_KEY",
    "redact_salt": "secrets are not read from configs (they would be saved and printed); use $SPECIALIZE_REDACT_SALT",
}


@dataclass
class ServeSection:
    """``[serve]``: what is served and how a document is answered; create_app takes its defaults from here."""

    REFUSED: ClassVar[dict[str, str]] = _SERVE_SECRETS

    model: str | None = None  # a folder written by train or export, or spacy:NAME
    fallback: str | None = None  # model or teacher for low-confidence documents (a folder, spacy:NAME, llm:...)
    threshold: float = 0.8  # defer documents whose confidence is below this to the fallback
    # Span models: min_span_score (None: the default), min_word_prob or min_token_margin.
    confidence: str | None = None
    label_map: str | None = None  # for spacy: models (served or fallback), e.g. "PERSON=PER,GPE=LOC"
    report: str | None = None  # an HTML report card (specialize report) served at /report
    device: str = "auto"  # where a torch model runs: auto, cpu, cuda or cuda:N
    threads: int | None = None  # CPU threads for the model; None = one per core

    def validate(self) -> None:
        _required("serve", "model", self.model, "MODEL")
        if not 0 <= self.threshold <= 1:
            raise ValueError(f"serve.threshold must be in [0, 1], got {self.threshold}")
        if self.confidence is not None and self.confidence not in CONFIDENCES:
            raise ValueError(f"serve.confidence must be one of {', '.join(CONFIDENCES)}, got {self.confidence!r}")
        _at_least("serve", 1, threads=self.threads)
        try:
            check_device(self.device)
        except ValueError as exc:
            raise ValueError(f"serve.{exc}") from None


@dataclass
class ServerSection:
    """``[server]``: the HTTP server, request limits and micro-batching (see specialize.serve.batcher); create_app
    and serve take their defaults from here."""

    REFUSED: ClassVar[dict[str, str]] = _SERVE_SECRETS

    host: str = "127.0.0.1"  # address to listen on (0.0.0.0 for all interfaces)
    port: int = 8080
    batching: bool = True  # gather concurrent requests into model batches
    max_batch_size: int = 32  # documents per model batch
    # Characters per model batch: no single model call keeps a small request waiting for long.
    max_batch_chars: int = 4096
    max_wait_ms: float = 5.0  # how long a batch waits for more requests
    max_text_chars: int = 100_000  # longest document accepted (characters)
    piece_chars: int = 4000  # span models answer longer documents in overlapping pieces
    # A model call runs in steps of this many padded tokens (0: in one go), one window of a specialist's default
    # 256 tokens; between steps the small requests waiting are answered (specialize.data.steps). Two windows a step
    # (512) doubled the longest wait and left the mixed load test's p99 at 2.4x its value without the huge requests
    # (1.95x at 256), and the huge requests were no faster for it.
    step_tokens: int = 256
    max_batch_docs: int = 64  # most documents accepted in one request
    request_timeout: float = 30.0  # seconds before a request is answered 504 (0: no limit)

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"server.port must be in [1, 65535], got {self.port}")
        _at_least(
            "server",
            1,
            max_batch_size=self.max_batch_size,
            max_batch_chars=self.max_batch_chars,
            max_text_chars=self.max_text_chars,
            piece_chars=self.piece_chars,
            max_batch_docs=self.max_batch_docs,
        )
        _at_least(
            "server",
            0,
            max_wait_ms=self.max_wait_ms,
            step_tokens=self.step_tokens,
            request_timeout=self.request_timeout,
        )


@dataclass
class ServeConfig(CommandConfig):
    """``specialize serve``; it writes no folder, so ``--print-config`` shows the resolved config. The API key
    and the redaction salt are never part of it."""

    COMMAND: ClassVar[str] = "serve"
    OUTPUT: ClassVar[str | None] = None

    serve: ServeSection = field(default_factory=ServeSection)
    server: ServerSection = field(default_factory=ServerSection)

    def serve_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`specialize.serve.app.serve` (host, port, and create_app's) it sets."""
        from specialize.data.labels import parse_label_map

        s, srv = self.serve, self.server
        return {
            "threshold": s.threshold,
            "confidence": s.confidence,
            "label_map": parse_label_map(s.label_map) if s.label_map else None,
            "report": s.report,
            "device": s.device,
            "host": srv.host,
            "port": srv.port,
            "batching": srv.batching,
            "max_batch_size": srv.max_batch_size,
            "max_batch_chars": srv.max_batch_chars,
            "max_wait_ms": srv.max_wait_ms,
            "max_text_chars": srv.max_text_chars,
            "piece_chars": srv.piece_chars,
            "step_tokens": srv.step_tokens or None,
            "max_batch_docs": srv.max_batch_docs,
            "request_timeout": srv.request_timeout or None,
        }


# --------------------------------------------------------------------------------------------------------- label

ENGINES = ("local", "ray")


@dataclass
class LabelSection:
    """``[label]``: the teacher, the input and how the run goes. The output file is the run's ``--output``."""

    teacher: str | None = None  # spacy:NAME, a specialist folder (or hf:PATH), gazetteer:FILE, regex:FILE, llm:...
    input: str | None = None  # .txt (one document per line), .jsonl/.json, .csv or a folder of .txt files
    store: str | None = None  # SQLite label store (created if missing) to resume from and fill
    label_map: str | None = None  # rename teacher labels, e.g. "PERSON=PER,GPE=LOC" (or a preset: conll)
    # Labels to keep; for llm: the label set, "A,B" or a JSON file {label: description} (wins over llm.labels).
    labels: str | list[str] | None = None
    text_field: str = "text"  # field/column holding the text in JSONL or CSV input
    batch_size: int = 32  # documents per batch (one store commit each)
    limit: int | None = None  # label only the first `limit` documents of the input
    sample: int | None = None  # label `sample` documents drawn with `seed`, kept in input order
    seed: int = 0
    # Teacher options (-O KEY=VALUE), e.g. {case_sensitive = true} for a gazetteer, {"llm.base_url" = ...} for
    # a vote; LLM settings belong in [llm].
    options: dict[str, Any] = field(default_factory=dict)
    engine: str = "local"  # local, or ray: the teacher on Ray actors (the store stays local)
    workers: int = 2  # Ray actors, each loading the teacher once
    address: str | None = None  # an existing Ray cluster; None = start a local one
    progress: bool = True  # progress bar

    def validate(self) -> None:
        _required("label", "teacher", self.teacher, "--teacher")
        _required("label", "input", self.input, "--input")
        if self.engine not in ENGINES:
            raise ValueError(f"label.engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        _at_least("label", 1, batch_size=self.batch_size, workers=self.workers, limit=self.limit, sample=self.sample)


def llm_option(teacher: str) -> str | None:
    """The teacher option the ``[llm]`` settings go to: ``config`` for an llm: teacher, ``llm.config`` for a vote
    with an llm: member (see specialize.models.resolve), None for a teacher without an LLM."""
    if teacher.startswith("llm:"):
        return "config"
    if teacher.startswith("vote:") and any(part.startswith("llm:") for part in teacher[5:].split("+")):
        return "llm.config"
    return None


@dataclass
class LabelConfig(CommandConfig):
    """``specialize label``: ``[label]`` and, for an ``llm:`` teacher (or a vote with one), ``[llm]``
    (:class:`~specialize.teachers.llm_config.LLMConfig`). A file holding only ``[llm]`` (the earlier
    ``label --config``) still loads."""

    COMMAND: ClassVar[str] = "label"
    OUTPUT: ClassVar[str | None] = "NEW_FILE.jsonl"

    label: LabelSection = field(default_factory=LabelSection)
    llm: LLMConfig = field(default_factory=LLMConfig)

    def validate(self) -> None:
        assert self.label.teacher is not None  # LabelSection.validate ran
        if self.llm != LLMConfig() and llm_option(self.label.teacher) is None:
            raise ConfigError(
                f"[llm] settings are given but the teacher {self.label.teacher} is no llm: teacher; drop them, or "
                "use an llm: teacher"
            )

    def teacher_options(self) -> dict[str, Any]:
        """The options :func:`specialize.teachers.label.label` passes to the teacher: ``[label] options``, the
        label set, and the ``[llm]`` settings where they were set (left alone, an LLM teacher reads
        ``$SPECIALIZE_LLM_CONFIG`` as before)."""
        options = dict(self.label.options)
        if self.label.labels is not None:
            options["labels"] = self.label.labels
        key = llm_option(self.label.teacher or "")
        if key is not None and self.llm != LLMConfig():
            options[key] = self.llm
        return options


# ------------------------------------------------------------------------------------------------------- predict

PREDICT_FORMATS = ("jsonl", "spacy")


@dataclass
class PredictSection:
    """``[predict]``: the model, the input and the output's form. The output file is the run's ``--output``."""

    model: str | None = None  # a folder written by train or export, or spacy:NAME
    input: str | None = None  # .txt, .jsonl/.json, .csv or a folder of .txt files; None = standard input
    text_field: str = "text"  # field/column holding the text in JSONL or CSV input
    label_map: str | None = None  # for spacy: models, e.g. "PERSON=PER,GPE=LOC"
    device: str = "auto"  # where a torch model runs: auto, cpu, cuda or cuda:N
    threads: int | None = None  # CPU threads for the model; None = one per core
    format: str = "jsonl"  # "spacy": write the output as a spaCy DocBin (.spacy)
    displacy: str | None = None  # also render the predictions as a displaCy HTML page here
    alignment_mode: str = "expand"  # spacy/displacy: spans whose edges fall inside a token: expand, contract, strict

    def validate(self) -> None:
        _required("predict", "model", self.model, "MODEL")
        _one_of("predict", "format", self.format, PREDICT_FORMATS)
        _one_of("predict", "alignment_mode", self.alignment_mode, ALIGNMENT_MODES)
        _at_least("predict", 1, threads=self.threads)
        try:
            check_device(self.device)
        except ValueError as exc:
            raise ValueError(f"predict.{exc}") from None


@dataclass
class PredictConfig(CommandConfig):
    """``specialize predict``; saved as ``OUTPUT.config.toml`` next to its ``--output`` file."""

    COMMAND: ClassVar[str] = "predict"
    OUTPUT: ClassVar[str | None] = "OUT.jsonl"

    predict: PredictSection = field(default_factory=PredictSection)


# --------------------------------------------------------------------------------------------------------- apply


@dataclass
class ApplySection:
    """``[apply]``: the model, the input and how the work is spread. The shards go to the run's ``--output``."""

    model: str | None = None  # a folder written by train or export (span model or text classifier), or spacy:NAME
    input: str | None = None  # a .jsonl/.csv/.parquet file, or a folder of one kind
    engine: str = "local"  # local: worker processes; ray: Ray Data
    address: str | None = None  # Ray cluster address; None = a running or new local Ray
    workers: int = 2  # worker processes or Ray actors (0: local, in process)
    shard_size: int = 1000  # records per output shard
    batch_size: int = 64  # texts per model call
    threads: int | None = None  # CPU threads per worker; None = the cores shared among the workers
    text_field: str = "text"  # field/column holding the text
    progress: bool = True  # progress bar

    def validate(self) -> None:
        _required("apply", "model", self.model, "MODEL")
        _required("apply", "input", self.input, "--input")
        _one_of("apply", "engine", self.engine, ENGINES)
        _at_least("apply", 0, workers=self.workers)
        _at_least("apply", 1, shard_size=self.shard_size, batch_size=self.batch_size, threads=self.threads)


@dataclass
class ApplyConfig(CommandConfig):
    """``specialize apply``; saved as ``specialize_config.toml`` in the output folder, next to the manifest."""

    COMMAND: ClassVar[str] = "apply"
    OUTPUT: ClassVar[str | None] = "FOLDER"

    apply: ApplySection = field(default_factory=ApplySection)


# ---------------------------------------------------------------------------------------------------------- link


@dataclass
class LinkSection:
    """``[link]``: the linker, the input and how its spans are found and linked. The output file is the run's
    ``--output``."""

    model: str | None = None  # a folder written by train-linker
    input: str | None = None  # documents with spans (file, folder or dataset name), or raw text with `ner`
    ner: str | None = None  # find the spans with this specialist (or spacy:NAME) first
    method: str | None = None  # dictionary, similarity or combined; None = the linker's own
    format: str | None = None  # input format when it cannot be detected (conll, jsonl, brat, pubtator)
    text_field: str = "text"  # with ner: field/column holding the text
    threads: int | None = None  # torch threads for the encoder; None (or 0) = torch's choice

    def validate(self) -> None:
        _required("link", "model", self.model, "LINKER")
        _required("link", "input", self.input, "--input")
        _one_of("link", "method", self.method, LINK_METHODS)
        _at_least("link", 0, threads=self.threads)


@dataclass
class LinkConfig(CommandConfig):
    """``specialize link``; saved as ``OUTPUT.config.toml`` next to its ``--output`` file (nothing is saved when
    it writes to standard output)."""

    COMMAND: ClassVar[str] = "link"
    OUTPUT: ClassVar[str | None] = "OUT.jsonl"

    link: LinkSection = field(default_factory=LinkSection)


# -------------------------------------------------------------------------------------------------------- redact

REDACT_OPERATORS = ("mask", "tag", "hash", "surrogate")  # the values of specialize.privacy.operators.Operator
REDACT_SCOPES = ("run", "document")  # and of its Scope


@dataclass
class RedactSection:
    """``[redact]``: the model, the input and how what it finds is replaced. The output file is the run's
    ``--output``; the salt is never part of the config."""

    REFUSED: ClassVar[dict[str, str]] = {
        "salt": "secrets are not read from configs (they would be saved and printed); use --salt or "
        "$SPECIALIZE_REDACT_SALT"
    }

    model: str | None = None  # a specialist or ONNX folder, spacy:NAME, patterns, or presidio[:SPACY_MODEL]
    input: str | None = None  # .txt, .jsonl/.json, .csv or a folder of .txt files; None = standard input
    operator: str = "tag"  # mask: *****; tag: <PERSON>; hash: keyed SHA-256; surrogate: a consistent fake value
    scope: str = "run"  # surrogates: the same fake for a value across the whole run, or within each document
    labels: list[str] | None = None  # redact only these types, e.g. ["PERSON", "EMAIL_ADDRESS"]; None = all found
    patterns: bool = True  # combine the model with pattern recognizers for structured identifiers
    text_field: str = "text"  # field/column holding the text in JSONL or CSV input
    label_map: str | None = None  # for spacy: models, e.g. "PERSON=PERSON,GPE=GPE"

    def validate(self) -> None:
        _required("redact", "model", self.model, "MODEL")
        _one_of("redact", "operator", self.operator, REDACT_OPERATORS)
        _one_of("redact", "scope", self.scope, REDACT_SCOPES)


@dataclass
class RedactConfig(CommandConfig):
    """``specialize redact``; saved as ``OUTPUT.config.toml`` next to its ``--output`` file (nothing is saved
    when it writes to standard output). The salt is never part of it."""

    COMMAND: ClassVar[str] = "redact"
    OUTPUT: ClassVar[str | None] = "OUT.jsonl"

    redact: RedactSection = field(default_factory=RedactSection)


# -------------------------------------------------------------------------------------------------------- review


@dataclass
class ReviewSection:
    """``[review]``: the clause classifier and the contracts. The JSON file is the run's ``--output``."""

    model: str | None = None  # a multi-label text classifier folder
    contracts: list[str] = field(default_factory=list)  # contract text files; empty = one from standard input

    def validate(self) -> None:
        _required("review", "model", self.model, "MODEL")


@dataclass
class ReviewConfig(CommandConfig):
    """``specialize review``; saved as ``OUT.json.config.toml`` next to its ``--output`` file (nothing is saved
    when only the summary is printed)."""

    COMMAND: ClassVar[str] = "review"
    OUTPUT: ClassVar[str | None] = "OUT.json"

    review: ReviewSection = field(default_factory=ReviewSection)
