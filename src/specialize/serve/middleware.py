"""Pure-ASGI middlewares of the HTTP app: a streaming body-size limit, a request deadline that also notices
clients that went away, and per-route request metrics (the API key check is in :mod:`specialize.serve.auth`).

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware`` so that the body limit can answer 413 before a large
upload is read whole, so that the deadline can cancel the handler (and with it the model work it waits on), and
so that metrics see the status of every response, including those the middleware itself or FastAPI's error
handlers send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

from specialize.errors import ConfigError
from specialize.serve.metrics import ServerMetrics

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_json(send: Send, status: int, detail: str) -> None:
    response = JSONResponse({"detail": detail}, status_code=status)
    await response({"type": "http"}, no_receive, send)


async def no_receive() -> Message:
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
            await send_json(send, 413, message)
            return
        chunks, size = [], 0
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                return
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_json(send, 413, message)
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
                await send_json(send, 400, f"request body is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON")
                return

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class Deadline:
    """Answer 504 when a request takes longer than ``seconds``, and stop the work of a client that went away.

    The handler runs as a task. When the deadline passes, or the client disconnects, the task is cancelled, and
    the cancellation reaches what it awaits: the micro-batcher's future, so the model skips that request's
    documents, or stops at its next step when nobody else waits on them. A disconnect is the ASGI
    ``http.disconnect`` message, which servers deliver once the body has been read and the connection closes;
    a watcher task listens for it after the handler has read the body, and hands it on to the handler if it
    asks. ``seconds=None``: no deadline, disconnects still stop the work. The response to a gone client is
    recorded as status 499 (the server discards it).
    """

    def __init__(self, app: ASGIApp, seconds: float | None, metrics: ServerMetrics) -> None:
        if seconds is not None and seconds <= 0:
            raise ConfigError(f"the request timeout must be positive, got {seconds}")
        self.app = app
        self.seconds = seconds
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = asyncio.Event()
        gone = asyncio.Event()
        started = finished = False

        async def app_receive() -> Message:
            if body_read.is_set():  # the watcher owns receive() now
                await gone.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                body_read.set()
            return message

        async def app_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        async def watch() -> None:
            await body_read.wait()
            while not gone.is_set():
                if (await receive())["type"] == "http.disconnect":
                    gone.set()

        handler = asyncio.ensure_future(self.app(scope, app_receive, app_send))
        helpers = [asyncio.ensure_future(watch()), asyncio.ensure_future(gone.wait())]
        try:
            done, _ = await asyncio.wait(
                [handler, helpers[1]], timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in helpers:
                task.cancel()
            if not handler.done():
                handler.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await handler
        if handler in done:
            handler.result()  # re-raise what the handler raised
            return
        if finished:  # answered; servers report a disconnect once the response is complete
            return
        if gone.is_set():
            self.metrics.errors.inc(kind="client_gone")
            logger.info("%s %s: the client went away; its work was dropped", scope["method"], scope["path"])
            if not started:
                with contextlib.suppress(Exception):  # the connection is closed: only the metrics see this
                    await send_json(send, 499, "the client closed the request")
            return
        self.metrics.errors.inc(kind="timeout")
        logger.warning("%s %s: no answer within %g s; answered 504", scope["method"], scope["path"], self.seconds)
        if not started:
            await send_json(
                send,
                504,
                f"no answer within the request timeout ({self.seconds:g} s); send fewer or shorter documents per "
                "request, or start the server with a longer --request-timeout",
            )


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
