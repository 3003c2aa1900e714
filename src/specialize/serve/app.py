"""The HTTP service: ``create_app`` builds a FastAPI app around a model (and optionally a cascade fallback).

Endpoints: ``POST /v1/entities`` and ``POST /v1/redact`` for a span model, ``POST /v1/classify`` for a text
classifier (the other kind's paths answer 404 naming the right one), ``GET /healthz`` (the process answers),
``GET /readyz`` (the model is loaded and the batcher runs), ``GET /metrics`` (Prometheus), ``GET /`` (a small
demo page), ``GET /model-card``, and FastAPI's ``/docs`` and ``/openapi.json``.

Bad input is always a 4xx, never a 500: texts over ``max_text_chars`` or more than ``max_batch_docs``
documents get 413, malformed or empty input 422 (FastAPI's error detail), an undecodable body 400. Predictions
run in the micro-batcher's worker thread, so the event loop stays free while the model works.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from specialize import __version__
from specialize.command_configs.inference import ServerSection, ServeSection
from specialize.config import TaskName as Task
from specialize.errors import ConfigError, InputNotFoundError
from specialize.evaluation.confidence import ConfidenceFn
from specialize.models.base import Classifier, SpanPredictor
from specialize.models.resolve import load_model
from specialize.serve.auth import KEY_ENV, ApiKey, check_key, is_loopback
from specialize.serve.batcher import MicroBatcher
from specialize.serve.cascade import Cascade, Routed, load_fallback
from specialize.serve.docs import add_docs
from specialize.serve.examples import example_text
from specialize.serve.markdown import model_card_page
from specialize.serve.metrics import CONTENT_TYPE, ServerMetrics
from specialize.serve.middleware import BodyLimit, Deadline, RequestMetrics
from specialize.serve.page import INDEX_HTML
from specialize.serve.pieces import Piece, cut, merge_routed, piece_texts
from specialize.serve.redaction import SpanRedactor
from specialize.serve.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    DocumentId,
    DocumentOut,
    EntitiesRequest,
    EntitiesResponse,
    LabelsOut,
    RedactedOut,
    RedactRequest,
    RedactResponse,
    ReplacementOut,
    SpanOut,
    TextsRequest,
)
from specialize.tasks.registry import task_of
from specialize.utils.device import place_predictor

logger = logging.getLogger(__name__)

# The defaults are [server]'s and [serve]'s (ServerSection says why each is what it is): one source for the CLI and
# for create_app. A span model's documents longer than piece_chars are answered in pieces reading PIECE_CONTEXT
# characters on each side of their own stretch (specialize.serve.pieces).
DEFAULTS = ServerSection()
SERVE_DEFAULTS = ServeSection()
PIECE_CONTEXT = 250

# What each kind of model answers; the other kind's paths get a 404 that names these.
ENDPOINTS = {Task.NER: ("/v1/entities", "/v1/redact"), Task.CLASSIFICATION: ("/v1/classify",)}
ROUTES = (
    "/",
    *(path for paths in ENDPOINTS.values() for path in paths),
    "/healthz",
    "/readyz",
    "/metrics",
    "/model-card",
    "/report",
    "/docs",
    "/openapi.json",
    "/login",
)


# -- the service -----------------------------------------------------------------------------------------
class _Answer(Protocol):
    """What every routed answer says, spans or labels: which model gave it and whether it was deferred."""

    @property
    def model(self) -> str: ...

    @property
    def deferred(self) -> bool: ...


R = TypeVar("R", bound=_Answer)


class _Service(Generic[R]):
    """The model side of the app: routing (plain or cascade), batching and scheduling, and their counters.

    Every request goes through a :class:`MicroBatcher`, with or without micro-batching (``batching=False``
    puts one request per model call), so that cancellation and small-requests-first scheduling hold either way.
    With ``merge`` (span models), documents longer than ``piece_chars`` are cut into pieces first and their
    answers merged back (:mod:`specialize.serve.pieces`).
    """

    def __init__(
        self,
        route: Callable[[list[str]], list[R]],
        metrics: ServerMetrics,
        *,
        batching: bool,
        max_batch_size: int,
        max_wait_ms: float,
        max_batch_chars: int,
        merge: Callable[[Sequence[Piece], Sequence[R], int], list[R]] | None = None,
        piece_chars: int = DEFAULTS.piece_chars,
        step_tokens: int | None = DEFAULTS.step_tokens,
    ) -> None:
        self.route = route
        self.metrics = metrics
        self.batching = batching
        self.max_batch_size = max_batch_size
        self.max_wait_ms = max_wait_ms
        self.max_batch_chars = max_batch_chars
        self.merge = merge
        self.piece_chars = piece_chars
        self.step_tokens = step_tokens
        self.batcher: MicroBatcher[str, R] | None = None
        self.started = False

    def _on_batch(self, size: int, seconds: float) -> None:
        self.metrics.batch_size.observe(size)
        self.metrics.batch_seconds.observe(seconds)

    def start(self) -> None:
        self.batcher = MicroBatcher(
            self.route,
            max_batch_size=self.max_batch_size,
            max_wait_ms=self.max_wait_ms if self.batching else 0,
            cost=len,
            max_batch_cost=self.max_batch_chars,
            merge_requests=self.batching,
            step_tokens=self.step_tokens,
            on_batch=self._on_batch,
            name="specialize-batcher",
        )
        self.started = True

    def stop(self) -> None:
        self.started = False
        if self.batcher is not None:
            self.batcher.close()
            self.batcher = None

    @property
    def ready(self) -> bool:
        return self.started and self.batcher is not None and self.batcher.running

    async def answer(self, texts: list[str]) -> list[R]:
        """The routed answers, or HTTP 500 (counted, logged) when the model fails. Cancelling the awaiting task
        (client gone, deadline passed) cancels the work not yet done."""
        if self.batcher is None:
            raise HTTPException(503, "the model is not ready")
        pieces = cut(texts, self.piece_chars, PIECE_CONTEXT) if self.merge is not None else None
        if pieces is not None and len(pieces) == len(texts):
            pieces = None  # nothing was cut: the texts go as they are
        try:
            results = await self.batcher.run(piece_texts(texts, pieces) if pieces else texts)
            if pieces and self.merge is not None:
                results = self.merge(pieces, results, len(texts))
        except Exception as exc:
            self.metrics.errors.inc(kind="model")
            logger.exception("prediction failed on %d documents", len(texts))
            raise HTTPException(500, f"the model failed on this request ({type(exc).__name__})") from exc
        for r in results:
            self.metrics.documents.inc(model=r.model)
            if r.deferred:
                self.metrics.deferrals.inc()
        return results


class _Limits:
    """The checks every POST runs before the model sees anything: sizes (413) and readiness (503)."""

    def __init__(self, max_text_chars: int, max_batch_docs: int, service: _Service[Any]) -> None:
        self.max_text_chars = max_text_chars
        self.max_batch_docs = max_batch_docs
        self.service = service

    def admit(self, request: TextsRequest) -> list[tuple[DocumentId, str]]:
        items = request.items()
        if len(items) > self.max_batch_docs:
            raise HTTPException(413, f"{len(items)} documents in one request; the limit is {self.max_batch_docs}")
        for index, (_, text) in enumerate(items):
            if len(text) > self.max_text_chars:
                where = "the text" if request.text is not None else f"document {index}"
                raise HTTPException(
                    413,
                    f"{where} has {len(text)} characters; the limit is {self.max_text_chars} per document. "
                    "Split it into shorter documents (or start the server with a higher --max-text-chars)",
                )
        if not self.service.ready:
            raise HTTPException(503, "the model is not ready")
        return items


def _shorten(value: Any, limit: int = 200) -> Any:
    """Cut long strings in an error detail: a 422 should not echo a 100 000-character text back."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"... ({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shorten(v, limit) for v in value]
    return value


async def _validation_error(_: Request, exc: Exception) -> Response:
    # FastAPI's own handler echoes the input; a text with a lone surrogate cannot be encoded as UTF-8 and would
    # turn the 422 into a 500. ASCII-escaped JSON (\ud800) is valid JSON for any string.
    errors = exc.errors() if isinstance(exc, RequestValidationError) else [{"msg": str(exc)}]
    body = json.dumps({"detail": _shorten(jsonable_encoder(errors))}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")


def _spans_out(text: str, routed: Routed) -> list[SpanOut]:
    return [
        SpanOut(start=s.start, end=s.end, label=s.label, text=text[s.start : s.end], score=s.score)
        for s in routed.spans
    ]


def _add_entity_routes(app: FastAPI, service: _Service[Routed], limits: _Limits, redactor: SpanRedactor) -> None:
    @app.post("/v1/entities", response_model=EntitiesResponse, response_model_exclude_none=True, tags=["entities"])
    async def entities(request: EntitiesRequest) -> EntitiesResponse:
        """Find entities in one text or a batch; offsets count Unicode code points (Python string indices)."""
        items = limits.admit(request)
        texts = [text for _, text in items]
        routed = await service.answer(texts)
        if request.text is not None:
            return EntitiesResponse(model=routed[0].model, spans=_spans_out(texts[0], routed[0]))
        docs = [
            DocumentOut(id=doc_id, model=r.model, spans=_spans_out(text, r))
            for (doc_id, text), r in zip(items, routed, strict=True)
        ]
        return EntitiesResponse(documents=docs)

    @app.post("/v1/redact", response_model=RedactResponse, response_model_exclude_none=True, tags=["entities"])
    async def redact(request: RedactRequest) -> RedactResponse:
        """Replace what the model (and, unless ``patterns`` is false, the pattern recognizers) finds, as
        ``specialize redact`` does. ``start``/``end`` point into the input, ``out_*`` into the redacted text."""
        items = limits.admit(request)
        try:
            redactor.check_labels(request.labels, request.patterns)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        texts = [text for _, text in items]
        routed = await service.answer(texts)
        redactions = await asyncio.to_thread(
            redactor.redact,
            texts,
            [r.spans for r in routed],
            operator=request.operator,
            salt=request.salt,
            scope=request.scope,
            labels=request.labels,
            patterns=request.patterns,
        )
        docs = [
            RedactedOut(
                id=doc_id,
                model=r.model,
                text=red.text,
                spans=[ReplacementOut(**x.to_dict()) for x in red.replacements],
            )
            for (doc_id, _), r, red in zip(items, routed, redactions, strict=True)
        ]
        if request.text is not None:
            return RedactResponse(model=docs[0].model, text=docs[0].text, spans=docs[0].spans)
        return RedactResponse(documents=docs)


def _add_classify_route(app: FastAPI, service: _Service[Routed], limits: _Limits) -> None:
    @app.post(
        "/v1/classify", response_model=ClassifyResponse, response_model_exclude_none=True, tags=["classification"]
    )
    async def classify(request: ClassifyRequest) -> ClassifyResponse:
        """Labels of one text or a batch, with every label's probability; long texts are read window by window."""
        items = limits.admit(request)
        labelled = await service.answer([text for _, text in items])
        if request.text is not None:
            return ClassifyResponse(model=labelled[0].model, labels=labelled[0].labels, scores=labelled[0].scores)
        docs = [
            LabelsOut(id=doc_id, model=r.model, labels=r.labels, scores=r.scores or {})
            for (doc_id, _), r in zip(items, labelled, strict=True)
        ]
        return ClassifyResponse(documents=docs)


def _refuse_other_tasks(app: FastAPI, model_name: str, task: Task) -> None:
    """The other task's endpoints answer 404 saying which ones this server has, instead of a bare Not Found."""
    kind = "a text classifier" if task is Task.CLASSIFICATION else "an entity (span) model"
    served = " and ".join(f"POST {path}" for path in ENDPOINTS[task])
    for other, paths in ENDPOINTS.items():
        if other is task:
            continue
        for path in paths:
            message = f"this server runs {kind} ({model_name}): use {served}, not POST {path}"
            app.post(path, include_in_schema=False)(_refusal(message))


def _refusal(message: str) -> Callable[[], Awaitable[None]]:
    async def refuse() -> None:
        raise HTTPException(404, message)

    return refuse


def create_app(
    model: SpanPredictor | Classifier | str,
    fallback: SpanPredictor | Classifier | str | None = None,
    *,
    threshold: float = SERVE_DEFAULTS.threshold,
    confidence: str | ConfidenceFn | None = None,
    label_map: Mapping[str, str] | None = None,
    max_text_chars: int = DEFAULTS.max_text_chars,
    max_batch_docs: int = DEFAULTS.max_batch_docs,
    batching: bool = DEFAULTS.batching,
    max_batch_size: int = DEFAULTS.max_batch_size,
    max_wait_ms: float = DEFAULTS.max_wait_ms,
    max_batch_chars: int = DEFAULTS.max_batch_chars,
    piece_chars: int = DEFAULTS.piece_chars,
    step_tokens: int | None = DEFAULTS.step_tokens,
    request_timeout: float | None = DEFAULTS.request_timeout,
    api_key: str | None = None,
    model_card: str | Path | None = None,
    report: str | Path | None = None,
    max_body_bytes: int | None = None,
    redact_salt: str | None = None,
    device: str = SERVE_DEFAULTS.device,
) -> FastAPI:
    """A FastAPI app serving ``model``: a span predictor, a text classifier, or a spec of either (a specialist,
    classifier or exported folder, ``spacy:NAME``; ``label_map`` renames a spaCy pipeline's labels).

    A span model answers ``POST /v1/entities`` and ``POST /v1/redact``, a classifier ``POST /v1/classify``.
    With ``fallback`` texts whose confidence is below ``threshold`` are answered by the fallback (see
    :class:`~specialize.serve.cascade.Cascade`; ``confidence`` picks the measure): for spans any model or teacher
    spec, for a classifier another classifier with the same labels. Models load here, so a bad path fails at startup,
    not at the first request. ``model_card`` defaults to the model folder's README.md; ``report`` is an HTML
    report card (``specialize report``) served at ``/report``. ``max_body_bytes`` defaults to what
    ``max_batch_docs`` texts of ``max_text_chars`` need even when every character is sent as a ``\\uXXXX``
    surrogate pair. ``redact_salt`` keys hashes and surrogates of ``/v1/redact`` (default: a random one).
    ``device`` is where a torch model runs (auto: a CUDA GPU when torch sees one; see utils/device.py).

    Each request gets ``request_timeout`` seconds (then 504; ``None``: no limit), and its work is dropped when
    its client disconnects. A batch holds at most ``max_batch_chars`` characters, small requests go first, and
    a span model answers documents longer than ``piece_chars`` in pieces; a model call runs in steps of
    ``step_tokens`` padded tokens, between which small requests are answered (``None``: in one go; see
    :mod:`specialize.serve.batcher`). With ``api_key`` every route but ``/healthz`` needs the key (see
    :mod:`specialize.serve.auth`).
    """
    if api_key is not None:
        check_key(api_key)  # here, not when the middleware is first built at startup
    if piece_chars <= 2 * PIECE_CONTEXT:
        raise ConfigError(f"piece_chars must be over {2 * PIECE_CONTEXT} (a piece reads {PIECE_CONTEXT} on each side)")
    card_path = Path(model_card) if model_card is not None else None
    report_path = Path(report) if report is not None else None
    if report_path is not None and not report_path.is_file():
        raise InputNotFoundError(f"report {report_path} does not exist; make one with `specialize report RESULTS...`")
    if isinstance(model, str) and card_path is None and Path(model).is_dir():
        card_path = Path(model) / "README.md"
    loaded: SpanPredictor | Classifier = place_predictor(load_model(model, label_map=label_map), device)
    model = loaded
    metrics = ServerMetrics()
    ready_info: dict[str, Any]
    redactor: SpanRedactor | None = None  # span models only
    fallback_model = load_fallback(fallback, model, label_map=label_map) if fallback is not None else None
    cascade = Cascade(model, fallback_model, threshold, confidence)
    fallback_name = fallback_model.name if fallback_model is not None else None
    route: Callable[[list[str]], list[Routed]] = cascade.route
    if task_of(model).name == Task.CLASSIFICATION:
        task = Task.CLASSIFICATION
        ready_info = {"multi_label": cascade.multi_label}
        what = "Labels of texts from a text classifier"
    else:
        task = Task.NER
        redactor = SpanRedactor(cascade.labels, redact_salt)
        ready_info = {"redact_labels": redactor.labels()}  # with the pattern recognizers' types
        what = "Named-entity spans (character offsets), and redaction, from a specialist model"
    service: _Service[Any] = _Service(
        route,
        metrics,
        batching=batching,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        max_batch_chars=max_batch_chars,
        merge=merge_routed if task is Task.NER else None,
        piece_chars=piece_chars,
        step_tokens=step_tokens,
    )
    limits = _Limits(max_text_chars, max_batch_docs, service)
    name = model.name

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        logger.info("serving %s%s", name, f" with fallback {fallback_name}" if fallback_name else "")
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title=f"specialize: {name}",
        version=__version__,
        description=what
        + (f", deferring documents below confidence {threshold:g} to {fallback_name}." if fallback_name else ".")
        + (" Send the API key as `Authorization: Bearer KEY` or `X-API-Key: KEY`." if api_key else ""),
        lifespan=lifespan,
        docs_url=None,  # served by add_docs from the packaged Swagger UI: FastAPI's loads it from a CDN
        redoc_url=None,
    )
    add_docs(app, app.title)
    app.state.service = service
    app.add_exception_handler(RequestValidationError, _validation_error)
    if redactor is None:
        _add_classify_route(app, service, limits)
    else:
        _add_entity_routes(app, service, limits, redactor)
    _refuse_other_tasks(app, name, task)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is up and answering."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "not ready"}})
    async def readyz() -> JSONResponse:
        """Ready to predict: model loaded, batcher running. Also says which models, labels and endpoints."""
        body: dict[str, Any] = {
            "status": "ready" if service.ready else "not ready",
            "model": name,
            "task": task.value,
            "endpoints": list(ENDPOINTS[task]),
            "labels": list(model.labels),
            "example": example_text(task.value, list(model.labels)),
            **ready_info,
            "batching": batching,
            "request_timeout": request_timeout,
        }
        if fallback_name is not None:
            body.update(fallback=fallback_name, threshold=threshold)
        return JSONResponse(body, status_code=200 if service.ready else 503)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def prometheus() -> Response:
        """Prometheus text format: requests by status, latency and batch-size histograms, deferrals, errors."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(INDEX_HTML)

    @app.get("/report", tags=["model"], response_class=HTMLResponse, responses={404: {"description": "no report"}})
    async def report_card() -> HTMLResponse:
        """The report card given with ``--report`` (self-contained HTML from ``specialize report``)."""
        if report_path is None:
            raise HTTPException(404, "no report: start the server with --report report.html (see `specialize report`)")
        return HTMLResponse(report_path.read_text(encoding="utf-8"))

    @app.get("/model-card", tags=["model"], responses={404: {"description": "no model card"}})
    async def card(format: Annotated[str, Query(pattern="^(markdown|html)$")] = "markdown") -> Response:
        """The model folder's README.md, as markdown or (``?format=html``) rendered as an HTML page."""
        if card_path is None or not card_path.is_file():
            raise HTTPException(404, "this model has no model card (README.md in its folder)")
        text = card_path.read_text(encoding="utf-8", errors="replace")
        if format == "html":
            return HTMLResponse(model_card_page(name, text))
        return Response(text, media_type="text/markdown; charset=utf-8")

    limit = max_body_bytes if max_body_bytes is not None else max_batch_docs * max_text_chars * 12 + (1 << 20)
    # The last added runs first: metrics see every answer, the key is checked before a body is read, the deadline
    # covers the upload, and the body limit reads it.
    app.add_middleware(BodyLimit, max_bytes=limit)
    app.add_middleware(Deadline, seconds=request_timeout, metrics=metrics)
    if api_key is not None:
        app.add_middleware(ApiKey, key=api_key)
    app.add_middleware(RequestMetrics, metrics=metrics, routes=ROUTES)
    return app


def serve(
    model: SpanPredictor | Classifier | str,
    fallback: SpanPredictor | Classifier | str | None = None,
    *,
    host: str = DEFAULTS.host,
    port: int = DEFAULTS.port,
    log_level: str = "info",
    **options: Any,
) -> None:
    """Serve ``model`` over HTTP with uvicorn until interrupted; ``options`` go to :func:`create_app`. Warns
    when the address is reachable from other machines and no ``api_key`` is set."""
    from specialize.utils.optional import require

    uvicorn = require("uvicorn", "serve")
    app = create_app(model, fallback, **options)
    if options.get("api_key") is None and not is_loopback(host):
        logger.warning(
            "listening on %s without an API key: anyone who can reach this address can use the model. Set one "
            "with --api-key or $%s",
            host,
            KEY_ENV,
        )
    logger.info("listening on http://%s:%d (docs at /docs)", host, port)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__: Sequence[str] = (
    "ClassifyRequest",
    "ClassifyResponse",
    "EntitiesRequest",
    "EntitiesResponse",
    "RedactRequest",
    "RedactResponse",
    "create_app",
    "serve",
)
