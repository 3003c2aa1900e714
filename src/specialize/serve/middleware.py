"""Two pure-ASGI middlewares of the HTTP app: a streaming body-size limit and per-route request metrics.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware`` so that the body limit can answer 413 before a large
upload is read whole, and so that metrics see the status of every response, including those the middleware
itself or FastAPI's error handlers send.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

from specialize.serve.metrics import ServerMetrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _send_json(send: Send, status: int, detail: str) -> None:
    response = JSONResponse({"detail": detail}, status_code=status)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


class BodyLimit:
    """Refuse bodies over ``max_bytes`` before reading them whole (chunked uploads declare no length), and JSON
    bodies that are not UTF-8 (FastAPI would answer those with a bare "error parsing the body")."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        message = f"request body over {self.max_bytes} bytes; send fewer or shorter documents per request"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_json(send, 413, message)
            return
        chunks, size = [], 0
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                return
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_json(send, 413, message)
                return
            chunks.append(chunk)
            if not event.get("more_body"):
                break
        body, replayed = b"".join(chunks), False
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type == b"application/json":
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await _send_json(send, 400, f"request body is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON")
                return

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RequestMetrics:
    """Count every response by route and status and time it; unknown paths share one label (bounded series)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, routes: Collection[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = frozenset(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in self.routes else "other"
        status = 500
        start = time.perf_counter()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.metrics.requests.inc(path=path, status=str(status))
            self.metrics.latency.observe(time.perf_counter() - start, path=path)
