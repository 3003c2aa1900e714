"""The HTTP service: ``create_app`` builds a FastAPI app around a model (and optionally a cascade fallback).

Endpoints: ``POST /v1/entities``, ``GET /healthz`` (the process answers), ``GET /readyz`` (the model is loaded
and the batcher runs), ``GET /metrics`` (Prometheus), ``GET /`` (a small demo page), ``GET /model-card``,
and FastAPI's ``/docs`` and ``/openapi.json``.

Bad input is always a 4xx, never a 500: texts over ``max_text_chars`` or more than ``max_batch_docs``
documents get 413, malformed or empty input 422 (FastAPI's error detail), an undecodable body 400. Predictions
run in the micro-batcher's worker thread, so the event loop stays free while the model works.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from specialize import __version__
from specialize.models.base import SpanPredictor
from specialize.serve.batcher import MicroBatcher
from specialize.serve.cascade import Cascade, ConfidenceFn, Routed, load_fallback, span_confidence
from specialize.serve.metrics import CONTENT_TYPE, ServerMetrics
from specialize.serve.middleware import BodyLimit, RequestMetrics
from specialize.serve.page import INDEX_HTML

logger = logging.getLogger(__name__)

ROUTES = ("/", "/v1/entities", "/healthz", "/readyz", "/metrics", "/model-card", "/report", "/docs", "/openapi.json")


# -- request and response bodies ---------------------------------------------------------------------------
def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("text is empty; send at least one non-space character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # JSON allows "\ud800" escapes that decode to lone surrogates; the tokenizer cannot take them.
        raise ValueError(
            "text holds an unpaired surrogate (a lone \\ud800-\\udfff escape); send valid Unicode"
        ) from None
    return value


Text = Annotated[str, AfterValidator(_check_text)]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | int | None = None
    text: Text


class EntitiesRequest(BaseModel):
    """Exactly one of ``text`` (one document), ``texts`` or ``documents`` (with ids echoed back)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "Obama visited Paris."},
                {"texts": ["Obama visited Paris.", "Merkel met Smith in Berlin."]},
                {"documents": [{"id": "a1", "text": "Obama visited Paris."}]},
            ]
        },
    )
    text: Text | None = None
    texts: list[Text] | None = Field(default=None, min_length=1)
    documents: list[DocumentIn] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> EntitiesRequest:
        given = [name for name in ("text", "texts", "documents") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of 'text', 'texts' or 'documents' (got {given or 'none'})")
        return self

    def items(self) -> list[tuple[str | int | None, str]]:
        if self.text is not None:
            return [(None, self.text)]
        if self.texts is not None:
            return [(None, t) for t in self.texts]
        return [(d.id, d.text) for d in self.documents or []]


class SpanOut(BaseModel):
    start: int = Field(description="character offset (Unicode code points) of the first character")
    end: int = Field(description="character offset just past the last character")
    label: str
    text: str
    score: float | None = Field(default=None, description="model confidence in [0, 1]; absent when unscored")


class DocumentOut(BaseModel):
    id: str | int | None = None
    model: str = Field(description="the model that answered (the fallback's name when deferred)")
    spans: list[SpanOut]


class EntitiesResponse(BaseModel):
    """``model`` and ``spans`` answer a ``text`` request; ``documents`` answers ``texts``/``documents``."""

    model: str | None = None
    spans: list[SpanOut] | None = None
    documents: list[DocumentOut] | None = None


# -- the service -----------------------------------------------------------------------------------------
class _Service:
    """The model side of the app: routing (plain or cascade), batching, and the counters they feed."""

    def __init__(
        self,
        model: SpanPredictor,
        cascade: Cascade | None,
        metrics: ServerMetrics,
        *,
        batching: bool,
        max_batch_size: int,
        max_wait_ms: float,
    ) -> None:
        self.model = model
        self.cascade = cascade
        self.metrics = metrics
        self.batching = batching
        self.max_batch_size = max_batch_size
        self.max_wait_ms = max_wait_ms
        self.batcher: MicroBatcher[str, Routed] | None = None
        self._lock = threading.Lock()  # without batching, still one model call at a time
        self.started = False

    def _route(self, texts: list[str]) -> list[Routed]:
        if self.cascade is not None:
            return self.cascade.route(texts)
        return [Routed(sorted(s), self.model.name, span_confidence(s), False) for s in self.model.predict(texts)]

    def _on_batch(self, size: int, seconds: float) -> None:
        self.metrics.batch_size.observe(size)
        self.metrics.batch_seconds.observe(seconds)

    def _unbatched(self, texts: list[str]) -> list[Routed]:
        with self._lock:
            start = time.perf_counter()
            out = self._route(texts)
            self._on_batch(len(texts), time.perf_counter() - start)
            return out

    def start(self) -> None:
        if self.batching:
            self.batcher = MicroBatcher(
                self._route,
                max_batch_size=self.max_batch_size,
                max_wait_ms=self.max_wait_ms,
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
        return self.started and (self.batcher is None or self.batcher.running)

    async def answer(self, texts: list[str]) -> list[Routed]:
        if self.batcher is not None:
            results = await self.batcher.run(texts)
        else:
            results = await asyncio.to_thread(self._unbatched, texts)
        for r in results:
            self.metrics.documents.inc(model=r.model)
            if r.deferred:
                self.metrics.deferrals.inc()
        return results


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


def create_app(
    model: SpanPredictor | str,
    fallback: SpanPredictor | str | None = None,
    *,
    threshold: float = 0.8,
    confidence: str | ConfidenceFn = "min_span_score",
    max_text_chars: int = 100_000,
    max_batch_docs: int = 64,
    batching: bool = True,
    max_batch_size: int = 32,
    max_wait_ms: float = 5,
    model_card: str | Path | None = None,
    report: str | Path | None = None,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """A FastAPI app serving ``model`` (a predictor or a spec: specialist/exported folder, ``spacy:NAME``).

    With ``fallback`` (a predictor or any teacher/predictor spec) documents whose confidence is below
    ``threshold`` are answered by the fallback (see :class:`~specialize.serve.cascade.Cascade`). Models load
    here, so a bad path fails at startup, not at the first request. ``model_card`` defaults to the model
    folder's README.md; ``report`` is an HTML report card (``specialize report``) served at ``/report``.
    ``max_body_bytes`` defaults to what ``max_batch_docs`` texts of ``max_text_chars``
    need even when every character is sent as a ``\\uXXXX`` surrogate pair.
    """
    card_path = Path(model_card) if model_card is not None else None
    report_path = Path(report) if report is not None else None
    if report_path is not None and not report_path.is_file():
        raise FileNotFoundError(f"report {report_path} does not exist; make one with `specialize report RESULTS...`")
    if isinstance(model, str):
        from specialize.models.loading import load_predictor

        if card_path is None and Path(model).is_dir():
            card_path = Path(model) / "README.md"
        model = load_predictor(model)
    cascade = None
    if fallback is not None:
        cascade = Cascade(model, load_fallback(fallback, labels=model.labels), threshold, confidence)
    metrics = ServerMetrics()
    service = _Service(
        model, cascade, metrics, batching=batching, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        logger.info("serving %s%s", model.name, f" with fallback {cascade.fallback.name}" if cascade else "")
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title=f"specialize: {model.name}",
        version=__version__,
        description="Named-entity spans (character offsets) from a specialist model"
        + (f", deferring documents below confidence {threshold:g} to {cascade.fallback.name}." if cascade else "."),
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.post("/v1/entities", response_model=EntitiesResponse, response_model_exclude_none=True, tags=["entities"])
    async def entities(request: EntitiesRequest) -> EntitiesResponse:
        """Find entities in one text or a batch; offsets count Unicode code points (Python string indices)."""
        items = request.items()
        if len(items) > max_batch_docs:
            raise HTTPException(413, f"{len(items)} documents in one request; the limit is {max_batch_docs}")
        for index, (_, text) in enumerate(items):
            if len(text) > max_text_chars:
                where = "the text" if request.text is not None else f"document {index}"
                raise HTTPException(
                    413,
                    f"{where} has {len(text)} characters; the limit is {max_text_chars} per document. "
                    "Split it into shorter documents (or start the server with a higher --max-text-chars)",
                )
        if not service.ready:
            raise HTTPException(503, "the model is not ready")
        texts = [text for _, text in items]
        try:
            routed = await service.answer(texts)
        except Exception as exc:
            metrics.errors.inc(kind="model")
            logger.exception("prediction failed on %d documents", len(texts))
            raise HTTPException(500, f"the model failed on this request ({type(exc).__name__})") from exc
        if request.text is not None:
            return EntitiesResponse(model=routed[0].model, spans=_spans_out(texts[0], routed[0]))
        docs = [
            DocumentOut(id=doc_id, model=r.model, spans=_spans_out(text, r))
            for (doc_id, text), r in zip(items, routed, strict=True)
        ]
        return EntitiesResponse(documents=docs)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is up and answering."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "not ready"}})
    async def readyz() -> JSONResponse:
        """Ready to predict: model loaded, batcher running. Also says which models and labels are served."""
        body: dict[str, Any] = {
            "status": "ready" if service.ready else "not ready",
            "model": model.name,
            "labels": list(model.labels),
            "batching": batching,
        }
        if cascade is not None:
            body.update(fallback=cascade.fallback.name, threshold=threshold)
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
        """The model folder's README.md, as markdown or (``?format=html``) as a plain HTML page."""
        if card_path is None or not card_path.is_file():
            raise HTTPException(404, "this model has no model card (README.md in its folder)")
        text = card_path.read_text(encoding="utf-8", errors="replace")
        if format == "html":
            title = html.escape(model.name)
            page = (
                f"<!doctype html><meta charset=utf-8><title>{title}: model card</title>"
                f"<pre style='white-space:pre-wrap;font:14px/1.5 system-ui;max-width:60em;margin:2em auto'>"
                f"{html.escape(text)}</pre>"
            )
            return HTMLResponse(page)
        return Response(text, media_type="text/markdown; charset=utf-8")

    limit = max_body_bytes if max_body_bytes is not None else max_batch_docs * max_text_chars * 12 + (1 << 20)
    app.add_middleware(BodyLimit, max_bytes=limit)
    app.add_middleware(RequestMetrics, metrics=metrics, routes=ROUTES)  # added last: sees every response
    return app


def serve(
    model: SpanPredictor | str,
    fallback: SpanPredictor | str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "info",
    **options: Any,
) -> None:
    """Serve ``model`` over HTTP with uvicorn until interrupted; ``options`` go to :func:`create_app`."""
    from specialize.utils.optional import require

    uvicorn = require("uvicorn", "serve")
    app = create_app(model, fallback, **options)
    logger.info("listening on http://%s:%d (docs at /docs)", host, port)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__: Sequence[str] = ("EntitiesRequest", "EntitiesResponse", "create_app", "serve")
