"""Gather concurrent requests into model batches: one worker thread, many callers (threads or asyncio tasks).

A model call on 32 documents costs far less than 32 calls on one, and a model runs one batch at a time anyway
(CPU threads are shared, and a torch model is not safe to call from several threads at once). So callers
``submit`` their documents and get a future; a single worker thread takes the waiting requests, up to
``max_batch_size`` documents, waiting at most ``max_wait_ms`` after the first one for more to arrive, runs
the model once, and hands each caller its own slice of the results.

Scheduling: small requests first. Each item has a cost (``cost``, e.g. its length in characters) and a batch
holds at most ``max_batch_cost`` (an item costlier than that runs alone). A batch is filled from the requests
with the least work left first, so a 13-character request waiting next to four 100 000-character documents
joins the next batch instead of queueing behind them. A request with more work left than one batch holds
("big") and small requests never share a batch: theirs stays quick, and in its batch they would wait for all
of it; it advances in the batches between theirs. A request passed over ``STARVATION_LIMIT`` batches in a row
goes first (the oldest such first), so none waits forever. The server cuts long documents into pieces first
(:mod:`specialize.serve.pieces`), so that no single item is huge.

Steps: with ``step_tokens``, a model built on ``specialize.data`` windows (specialists, exported models, text
classifiers) runs each call in steps of at most that many padded tokens, and before each step the batcher runs
a batch of the small requests waiting, in the same thread (see :mod:`specialize.data.steps`). A small request
then waits for one step of a big batch, not for all of it.

Cancellation: a caller that gives up cancels its future (the HTTP app does when the client disconnects or the
request deadline passes); its documents not yet in a batch are never computed, and a model call running only
for requests given up stops at its next step. Futures stay pending until
their result is set, so ``cancel()`` works at any time. When a batch fails, each request in it is re-run on
its own, so that an exception reaches only the caller(s) whose documents cause it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from specialize.data.steps import between_steps
from specialize.errors import ConfigError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# A request passed over this many batches in a row is served first in the next one.
STARVATION_LIMIT = 4


@dataclass
class BatcherStats:
    """A snapshot of what the batcher has done: ``sizes`` maps batch size -> number of batches of that size;
    ``cancelled`` counts requests given up by their callers before all their items were computed;
    ``abandoned_batches`` the model calls stopped midway because nobody waited for them any more."""

    batches: int = 0
    items: int = 0
    requests: int = 0
    failed_batches: int = 0
    cancelled: int = 0
    abandoned_batches: int = 0
    sizes: Counter[int] = field(default_factory=Counter)

    @property
    def mean_batch_size(self) -> float:
        return self.items / self.batches if self.batches else 0.0


class _Request(Generic[T, R]):
    """One caller's items, the future it waits on, what is not yet taken into a batch, and the results."""

    def __init__(self, seq: int, items: list[T], costs: list[int], future: Future[list[R]]) -> None:
        self.seq = seq
        self.items = items
        self.costs = costs
        self.future = future
        self.results: list[R | None] = [None] * len(items)
        self.next = 0  # items[next:] are not in a batch yet
        self.left_cost = sum(costs)  # cost of items[next:]
        self.remaining = len(items)  # items without a result yet
        self.passed_over = 0  # batches in a row that took nothing from this request
        self.failed = False

    @property
    def given_up(self) -> bool:
        return self.failed or self.future.done()


class _Abandoned(Exception):
    """Raised between the steps of a model call when every request it computes for was given up."""


@dataclass
class _Part(Generic[T, R]):
    """A contiguous slice ``items[start:end]`` of a request, the unit packed into batches."""

    request: _Request[T, R]
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


class MicroBatcher(Generic[T, R]):
    """Run ``fn`` (a list of items -> one result per item, same order) over batches gathered from many callers.

    >>> batcher = MicroBatcher(model.predict, max_batch_size=32, max_wait_ms=5, cost=len, max_batch_cost=4096)
    >>> spans = await batcher.run(["text one", "text two"])   # from async code
    >>> spans = batcher.submit(["text"]).result()              # from a thread
    >>> batcher.close()

    ``cost`` gives each item's cost (default 1) and ``max_batch_cost`` caps a batch's total (default: no cap);
    see the module docstring for how batches are filled. ``merge_requests=False`` puts one request per batch
    (no micro-batching, the same scheduling and cancellation). ``step_tokens`` lets small requests run between
    the steps of a long model call (see the module docstring). ``on_batch`` is called (in the worker thread)
    with the size of each batch and the seconds it took, for metrics. Thread-safe; use as a context manager or
    call :meth:`close` to stop the worker.
    """

    def __init__(
        self,
        fn: Callable[[list[T]], Sequence[R]],
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 5.0,
        cost: Callable[[T], int] | None = None,
        max_batch_cost: int | None = None,
        merge_requests: bool = True,
        step_tokens: int | None = None,
        on_batch: Callable[[int, float], None] | None = None,
        name: str = "micro-batcher",
    ) -> None:
        if max_batch_size < 1:
            raise ConfigError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if max_wait_ms < 0:
            raise ConfigError(f"max_wait_ms must be >= 0, got {max_wait_ms}")
        if max_batch_cost is not None and max_batch_cost < 1:
            raise ConfigError(f"max_batch_cost must be at least 1, got {max_batch_cost}")
        if step_tokens is not None and step_tokens < 1:
            raise ConfigError(f"step_tokens must be at least 1, got {step_tokens}")
        self.fn = fn
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self.cost = cost
        self.max_batch_cost = max_batch_cost
        self.merge_requests = merge_requests
        self.step_tokens = step_tokens
        self.on_batch = on_batch
        self._running: list[_Part[T, R]] = []  # the batch in the model now (worker thread only)
        self._nested = False  # a batch run between the steps of another (worker thread only)
        self._waiting: list[_Request[T, R]] = []  # requests with items not yet in a batch
        self._seq = itertools.count()
        self._stats = BatcherStats()
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    # -- callers -------------------------------------------------------------------------------------------
    def submit(self, items: Sequence[T]) -> Future[list[R]]:
        """Queue ``items``; the future resolves to their results in order, or to the exception ``fn`` raised.
        Cancel the future to give up: what is not computed yet will not be."""
        future: Future[list[R]] = Future()
        batch = list(items)
        costs = [max(0, int(self.cost(item))) for item in batch] if self.cost is not None else [1] * len(batch)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._stats.requests += 1
            if not batch:
                future.set_result([])
                return future
            self._waiting.append(_Request(next(self._seq), batch, costs, future))
            self._cond.notify_all()
        return future

    async def run(self, items: Sequence[T]) -> list[R]:
        """``submit`` for async code: awaits without blocking the event loop; cancelling the awaiting task
        cancels the request."""
        return await asyncio.wrap_future(self.submit(items))

    def __call__(self, items: Sequence[T]) -> list[R]:
        """Blocking ``submit(items).result()``."""
        return self.submit(items).result()

    def stats(self) -> BatcherStats:
        with self._cond:
            s = self._stats
            return BatcherStats(
                s.batches, s.items, s.requests, s.failed_batches, s.cancelled, s.abandoned_batches, Counter(s.sizes)
            )

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._closed

    def close(self, timeout: float | None = 10.0) -> None:
        """Finish the work already queued, then stop the worker. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def __enter__(self) -> MicroBatcher[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scheduling (called with the lock held) --------------------------------------------------------------
    def _prune(self) -> None:
        """Drop requests whose caller gave up (cancelled) or that failed."""
        live = []
        for request in self._waiting:
            if request.given_up:
                if request.future.cancelled():
                    self._stats.cancelled += 1
                    logger.debug("request %d cancelled: %d items not computed", request.seq, request.remaining)
            else:
                live.append(request)
        self._waiting = live

    def _full(self) -> bool:
        """Enough is waiting to fill a batch: no reason to wait for more."""
        if not self.merge_requests:
            return bool(self._waiting)
        items = sum(len(r.items) - r.next for r in self._waiting)
        cost = sum(r.left_cost for r in self._waiting)
        return items >= self.max_batch_size or (self.max_batch_cost is not None and cost >= self.max_batch_cost)

    def _take(self, small_only: bool = False) -> list[_Part[T, R]]:
        """The next batch: starving requests first, then those with the least work left (see module docstring).
        ``small_only``: only requests that fit in one batch, for a batch run between the steps of another."""
        self._prune()
        # Requests passed over too often go first, oldest first (under overload this is first come, first
        # served); the others by the work they have left.
        order = sorted(
            self._waiting,
            key=lambda r: (0, r.seq, 0) if r.passed_over >= STARVATION_LIMIT else (1, r.left_cost, r.seq),
        )
        limit = self.max_batch_cost
        parts: list[_Part[T, R]] = []
        size = cost = 0
        holds_big = False
        for request in order:
            if size >= self.max_batch_size or (limit is not None and cost >= limit):
                break
            if parts and not self.merge_requests:
                break
            big = limit is not None and request.left_cost > limit
            if big and small_only:
                continue
            if parts and big != holds_big:
                # A batch holds small requests or big ones, never both. Next to a big item the small ones would
                # wait for all of it; in its batch, a small one would wait for the whole batch, where between its
                # steps (or right after it) it waits for one step (or one batch).
                continue
            holds_big = big
            start = request.next
            while request.next < len(request.items) and size < self.max_batch_size:
                item_cost = request.costs[request.next]
                if limit is not None and size > 0 and cost + item_cost > limit:
                    break  # does not fit; an item costlier than the limit runs alone, in an empty batch
                size += 1
                cost += item_cost
                request.left_cost -= item_cost
                request.next += 1
            if request.next > start:
                parts.append(_Part(request, start, request.next))
        taken = {id(p.request) for p in parts}
        if not small_only:  # a batch between steps passes nobody over: the big one is in the model meanwhile
            for request in self._waiting:
                request.passed_over = 0 if id(request) in taken else request.passed_over + 1
        self._waiting = [r for r in self._waiting if r.next < len(r.items)]
        return parts

    # -- worker --------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if not self._waiting:  # closed and nothing left
                    return
                # Wait a little for more requests to share the batch, unless it is full already.
                deadline = time.monotonic() + self.max_wait
                while self.merge_requests and not self._closed and not self._full():
                    timeout = deadline - time.monotonic()
                    if timeout <= 0:
                        break
                    self._cond.wait(timeout)
                parts = self._take()
            if parts:
                self._running = parts
                try:
                    if self.step_tokens is None:
                        self._run_batch(parts)
                    else:
                        with between_steps(self._between_steps, self.step_tokens):
                            self._run_batch(parts)
                finally:
                    self._running = []

    def _between_steps(self) -> None:
        """Called by the model before each step of the running batch, in this worker thread: stop a batch that
        nobody waits for, else run the small requests waiting (their batch does not step in turn)."""
        if self._nested:
            return
        if all(p.request.given_up for p in self._running):
            raise _Abandoned
        with self._cond:
            parts = self._take(small_only=True)
        if not parts:
            return
        self._nested = True
        try:
            self._run_batch(parts)
        finally:
            self._nested = False

    def _call(self, parts: list[_Part[T, R]]) -> None:
        items = [item for p in parts for item in p.request.items[p.start : p.end]]
        start = time.perf_counter()
        results = list(self.fn(items))
        seconds = time.perf_counter() - start
        if len(results) != len(items):
            raise RuntimeError(f"batch function returned {len(results)} results for {len(items)} items")
        with self._cond:
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
            if request.remaining == 0:
                _settle(request.future, result=list(request.results))  # type: ignore[arg-type]

    def _run_batch(self, parts: list[_Part[T, R]]) -> None:
        try:
            self._call(parts)
            return
        except _Abandoned:
            with self._cond:
                self._stats.abandoned_batches += 1
            logger.debug("a batch of %d items stopped: its callers gave up", sum(len(p) for p in parts))
            return
        except Exception as exc:
            with self._cond:
                self._stats.failed_batches += 1
            requests = list(dict.fromkeys(p.request for p in parts))
            if len(requests) == 1:
                self._fail(requests[0], exc)
                return
            logger.debug("batch of %d requests failed (%s); retrying each alone", len(requests), exc)
        # Isolate the culprit: each request's parts of this batch again, alone.
        for request in dict.fromkeys(p.request for p in parts):
            if request.given_up:
                continue
            own = [p for p in parts if p.request is request]
            try:
                self._call(own)
            except _Abandoned:
                return
            except Exception as exc:
                self._fail(request, exc)

    def _fail(self, request: _Request[T, R], exc: BaseException) -> None:
        with self._cond:
            request.failed = True
            self._waiting = [r for r in self._waiting if r is not request]
        _settle(request.future, error=exc)


def _settle(future: Future[list[R]], result: list[R] | None = None, error: BaseException | None = None) -> None:
    """Set a future's outcome unless its caller cancelled it meanwhile (then nobody is waiting)."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result if result is not None else [])
    except InvalidStateError:
        pass
