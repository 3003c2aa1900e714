"""Gather concurrent requests into model batches: one worker thread, many callers (threads or asyncio tasks).

A model call on 32 documents costs far less than 32 calls on one, and a model runs one batch at a time anyway
(CPU threads are shared, and a torch model is not safe to call from several threads at once). So callers
``submit`` their documents and get a future; a single worker thread takes the waiting requests, up to
``max_batch_size`` documents, waiting at most ``max_wait_ms`` after the first one for more to arrive, runs
the model once, and hands each caller its own slice of the results.

A request larger than ``max_batch_size`` is cut into several batches; its future resolves when all of its
documents are done. When a batch fails, each request in it is re-run on its own, so that an exception reaches
only the caller(s) whose documents cause it and the others still get their results.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class BatcherStats:
    """A snapshot of what the batcher has done: ``sizes`` maps batch size -> number of batches of that size."""

    batches: int = 0
    items: int = 0
    requests: int = 0
    failed_batches: int = 0
    sizes: Counter[int] = field(default_factory=Counter)

    @property
    def mean_batch_size(self) -> float:
        return self.items / self.batches if self.batches else 0.0


class _Request(Generic[T, R]):
    """One caller's documents, the future it waits on, and its results as they arrive."""

    def __init__(self, items: list[T], future: Future[list[R]]) -> None:
        self.items = items
        self.future = future
        self.results: list[R | None] = [None] * len(items)
        self.remaining = len(items)
        self.started = False
        self.failed = False


@dataclass
class _Part(Generic[T, R]):
    """A contiguous slice ``items[start:end]`` of a request, the unit packed into batches."""

    request: _Request[T, R]
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


_STOP = object()


class MicroBatcher(Generic[T, R]):
    """Run ``fn`` (a list of items -> one result per item, same order) over batches gathered from many callers.

    >>> batcher = MicroBatcher(model.predict, max_batch_size=32, max_wait_ms=5)
    >>> spans = await batcher.run(["text one", "text two"])   # from async code
    >>> spans = batcher.submit(["text"]).result()              # from a thread
    >>> batcher.close()

    ``on_batch`` is called (in the worker thread) with the size of each batch and the seconds it took, for
    metrics. Thread-safe; use as a context manager or call :meth:`close` to stop the worker.
    """

    def __init__(
        self,
        fn: Callable[[list[T]], Sequence[R]],
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 5.0,
        on_batch: Callable[[int, float], None] | None = None,
        name: str = "micro-batcher",
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, got {max_wait_ms}")
        self.fn = fn
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self.on_batch = on_batch
        self._queue: queue.SimpleQueue[_Part[T, R] | object] = queue.SimpleQueue()
        self._stats = BatcherStats()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    # -- callers -------------------------------------------------------------------------------------------
    def submit(self, items: Sequence[T]) -> Future[list[R]]:
        """Queue ``items``; the future resolves to their results in order, or to the exception ``fn`` raised."""
        future: Future[list[R]] = Future()
        batch = list(items)
        with self._lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._stats.requests += 1
            if not batch:
                future.set_result([])
                return future
            request: _Request[T, R] = _Request(batch, future)
            # Cut here so the worker only packs parts, each no larger than a batch.
            for start in range(0, len(batch), self.max_batch_size):
                self._queue.put(_Part(request, start, min(start + self.max_batch_size, len(batch))))
        return future

    async def run(self, items: Sequence[T]) -> list[R]:
        """``submit`` for async code: awaits without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(items))

    def __call__(self, items: Sequence[T]) -> list[R]:
        """Blocking ``submit(items).result()``."""
        return self.submit(items).result()

    def stats(self) -> BatcherStats:
        with self._lock:
            s = self._stats
            return BatcherStats(s.batches, s.items, s.requests, s.failed_batches, Counter(s.sizes))

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._closed

    def close(self, timeout: float | None = 10.0) -> None:
        """Finish the batches already queued, then stop the worker. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def __enter__(self) -> MicroBatcher[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- worker --------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        carry: deque[_Part[T, R]] = deque()  # parts taken from the queue that did not fit the last batch
        stopping = False
        while not (stopping and not carry):
            if not carry:
                first = self._queue.get()
                if first is _STOP:
                    break
                carry.append(first)  # type: ignore[arg-type]
            batch: list[_Part[T, R]] = []
            size = 0
            deadline = time.monotonic() + self.max_wait
            while size < self.max_batch_size:
                if carry:
                    part = carry.popleft()
                else:
                    if stopping:
                        break
                    timeout = deadline - time.monotonic()
                    try:
                        got = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if got is _STOP:
                        stopping = True
                        continue
                    part = got  # type: ignore[assignment]
                if size + len(part) > self.max_batch_size:
                    carry.appendleft(part)
                    break
                if not self._claim(part.request):
                    continue
                batch.append(part)
                size += len(part)
            if batch:
                self._run_batch(batch)
        # Anything submitted after close() raced past the lock check: fail it rather than leave it hanging.
        while True:
            try:
                leftover = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(leftover, _Part) and not leftover.request.future.done():
                leftover.request.future.set_exception(RuntimeError("the batcher was closed"))

    @staticmethod
    def _claim(request: _Request[T, R]) -> bool:
        """False when the caller gave up (future cancelled, e.g. client disconnected) or the request failed."""
        if request.failed:
            return False
        if not request.started:
            request.started = True
            return request.future.set_running_or_notify_cancel()
        return not request.future.done()

    def _call(self, parts: list[_Part[T, R]]) -> None:
        items = [item for p in parts for item in p.request.items[p.start : p.end]]
        start = time.perf_counter()
        results = list(self.fn(items))
        seconds = time.perf_counter() - start
        if len(results) != len(items):
            raise RuntimeError(f"batch function returned {len(results)} results for {len(items)} items")
        with self._lock:
            self._stats.batches += 1
            self._stats.items += len(items)
            self._stats.sizes[len(items)] += 1
        if self.on_batch is not None:
            try:
                self.on_batch(len(items), seconds)
            except Exception:  # metrics must never fail a request
                logger.exception("on_batch callback failed")
        offset = 0
        for p in parts:
            request = p.request
            request.results[p.start : p.end] = results[offset : offset + len(p)]
            offset += len(p)
            request.remaining -= len(p)
            if request.remaining == 0 and not request.future.done():
                request.future.set_result(list(request.results))  # type: ignore[arg-type]

    def _run_batch(self, parts: list[_Part[T, R]]) -> None:
        try:
            self._call(parts)
            return
        except Exception as exc:
            with self._lock:
                self._stats.failed_batches += 1
            requests = list(dict.fromkeys(p.request for p in parts))
            if len(requests) == 1:
                self._fail(requests[0], exc)
                return
            logger.debug("batch of %d requests failed (%s); retrying each alone", len(requests), exc)
        # Isolate the culprit: each request's parts of this batch again, alone.
        for request in dict.fromkeys(p.request for p in parts):
            own = [p for p in parts if p.request is request]
            try:
                self._call(own)
            except Exception as exc:
                self._fail(request, exc)

    @staticmethod
    def _fail(request: _Request[T, R], exc: BaseException) -> None:
        request.failed = True
        if not request.future.done():
            request.future.set_exception(exc)
