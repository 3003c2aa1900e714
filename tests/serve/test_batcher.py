"""MicroBatcher: concurrent callers share batches, each gets its own results, errors reach only their callers."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from specialize.serve.batcher import STARVATION_LIMIT, MicroBatcher


class Recorder:
    """A batch function that records the batches it saw; optionally slow, optionally failing on one item."""

    def __init__(self, delay: float = 0.0, poison: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.delay = delay
        self.poison = poison
        self.lock = threading.Lock()

    def __call__(self, items: list[str]) -> list[str]:
        with self.lock:
            self.batches.append(list(items))
        if self.delay:
            time.sleep(self.delay)
        if self.poison is not None and self.poison in items:
            raise ValueError(f"cannot handle {self.poison}")
        return [item.upper() for item in items]


def test_concurrent_threads_get_their_own_results_in_batches():
    fn = Recorder(delay=0.01)
    with MicroBatcher(fn, max_batch_size=8, max_wait_ms=20) as batcher:
        with ThreadPoolExecutor(32) as pool:
            futures = [pool.submit(batcher, [f"r{i}a", f"r{i}b"]) for i in range(40)]
            results = [f.result(timeout=10) for f in futures]
        stats = batcher.stats()
    assert results == [[f"R{i}A", f"R{i}B"] for i in range(40)]
    assert all(len(b) <= 8 for b in fn.batches)
    assert sum(len(b) for b in fn.batches) == 80 == stats.items
    assert stats.batches == len(fn.batches) < 40  # requests were gathered, not run one by one
    assert stats.mean_batch_size > 2
    assert sum(size * n for size, n in stats.sizes.items()) == 80


def test_asyncio_callers_are_batched_without_blocking_the_loop():
    fn = Recorder()

    async def main(batcher: MicroBatcher[str, str]) -> list[list[str]]:
        return await asyncio.gather(*(batcher.run([f"t{i}"]) for i in range(20)))

    with MicroBatcher(fn, max_batch_size=32, max_wait_ms=50) as batcher:
        results = asyncio.run(main(batcher))
    assert results == [[f"T{i}"] for i in range(20)]
    assert len(fn.batches) <= 2


def test_a_request_larger_than_a_batch_is_split_and_reassembled_in_order():
    fn = Recorder()
    items = [f"x{i}" for i in range(23)]
    with MicroBatcher(fn, max_batch_size=5, max_wait_ms=1) as batcher:
        assert batcher(items) == [i.upper() for i in items]
        assert batcher([]) == []
    assert [len(b) for b in fn.batches] == [5, 5, 5, 5, 3]


def test_an_error_reaches_only_the_caller_whose_documents_caused_it():
    fn = Recorder(delay=0.02, poison="bad")
    with MicroBatcher(fn, max_batch_size=16, max_wait_ms=50) as batcher:
        good = [batcher.submit([f"ok{i}"]) for i in range(5)]
        bad = batcher.submit(["fine", "bad"])
        more = [batcher.submit([f"later{i}"]) for i in range(3)]
        with pytest.raises(ValueError, match="cannot handle bad"):
            bad.result(timeout=10)
        assert [f.result(timeout=10) for f in good] == [[f"OK{i}"] for i in range(5)]
        assert [f.result(timeout=10) for f in more] == [[f"LATER{i}"] for i in range(3)]
        assert batcher.stats().failed_batches >= 1
        assert batcher(["after"]) == ["AFTER"]  # the worker survived


def test_wrong_result_count_is_an_error_not_a_hang():
    batcher = MicroBatcher(lambda items: items[:-1], max_batch_size=4, max_wait_ms=1)
    with batcher, pytest.raises(RuntimeError, match="returned 1 results for 2 items"):
        batcher.submit(["a", "b"]).result(timeout=10)


def test_on_batch_sees_sizes_and_a_failing_callback_does_not_fail_requests():
    seen: list[int] = []

    def on_batch(size: int, seconds: float) -> None:
        seen.append(size)
        raise RuntimeError("metrics backend down")

    with MicroBatcher(Recorder(), max_batch_size=4, max_wait_ms=1, on_batch=on_batch) as batcher:
        assert batcher(["a", "b", "c"]) == ["A", "B", "C"]
    assert seen == [3]


def test_close_finishes_queued_work_then_refuses_new_work():
    fn = Recorder(delay=0.05)
    batcher = MicroBatcher(fn, max_batch_size=1, max_wait_ms=0)
    futures = [batcher.submit([f"q{i}"]) for i in range(4)]
    batcher.close()
    assert [f.result(timeout=1) for f in futures] == [[f"Q{i}"] for i in range(4)]
    assert not batcher.running
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(["late"])
    batcher.close()  # idempotent


def test_a_cancelled_request_is_skipped():
    gate = threading.Event()

    def blocking(items: list[str]) -> list[str]:
        gate.wait(5)
        return items

    with MicroBatcher(blocking, max_batch_size=1, max_wait_ms=0) as batcher:
        first = batcher.submit(["first"])  # occupies the worker until the gate opens
        time.sleep(0.05)
        cancelled = batcher.submit(["never"])
        assert cancelled.cancel()
        last = batcher.submit(["last"])
        gate.set()
        assert first.result(timeout=5) == ["first"] and last.result(timeout=5) == ["last"]
        assert batcher.stats().items == 2


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="max_batch_size"):
        MicroBatcher(Recorder(), max_batch_size=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(Recorder(), max_wait_ms=-1)
    with pytest.raises(ValueError, match="max_batch_cost"):
        MicroBatcher(Recorder(), max_batch_cost=0)
    with pytest.raises(ValueError, match="step_tokens"):
        MicroBatcher(Recorder(), step_tokens=0)


# -- scheduling and cancellation --------------------------------------------------------------------------------
class Gated(Recorder):
    """A Recorder whose first call blocks until ``gate`` opens: the worker is busy while the test queues work."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.first = threading.Event()

    def __call__(self, items: list[str]) -> list[str]:
        if not self.first.is_set():
            self.first.set()
            assert self.gate.wait(10)
        return super().__call__(items)


def test_a_small_request_joins_the_next_batch_ahead_of_a_big_one_queued_earlier():
    fn = Gated()
    big = [f"big{i}-" + "x" * 995 for i in range(12)]  # 12 items of 1000 characters
    with MicroBatcher(fn, max_batch_size=32, max_wait_ms=0, cost=len, max_batch_cost=2500) as batcher:
        busy = batcher.submit(["busy"])
        assert fn.first.wait(5)
        queued = batcher.submit(big)  # first in the queue ...
        small = batcher.submit(["tiny"])  # ... but this one has less work left
        fn.gate.set()
        assert small.result(timeout=5) == ["TINY"] and busy.result(timeout=5) == ["BUSY"]
        assert queued.result(timeout=5) == [b.upper() for b in big]
    # The batch after the busy one holds the small request alone, then the big one goes on, 2 items a batch.
    assert fn.batches[1] == ["tiny"]
    assert all(sum(map(len, b)) <= 2500 for b in fn.batches)  # the cost cap holds
    assert [len(b) for b in fn.batches[2:]] == [2, 2, 2, 2, 2, 2]


def test_an_item_costlier_than_the_cap_runs_alone_and_is_not_cut():
    fn = Recorder()
    with MicroBatcher(fn, max_batch_size=8, max_wait_ms=20, cost=len, max_batch_cost=10) as batcher:
        assert batcher(["a" * 50, "bb", "cc"]) == ["A" * 50, "BB", "CC"]
    assert fn.batches == [["a" * 50], ["bb", "cc"]]  # alone: nothing else fits next to it


def test_a_big_request_is_not_starved_by_a_stream_of_small_ones():
    fn = Gated()
    with MicroBatcher(fn, max_batch_size=4, max_wait_ms=0, cost=len, max_batch_cost=4) as batcher:
        busy = batcher.submit(["busy"])
        assert fn.first.wait(5)
        big = batcher.submit(["bigger"])  # 6 characters: never fits next to a small item
        smalls = [batcher.submit(["s"]) for _ in range(40)]  # enough to fill 10 batches
        fn.gate.set()
        assert big.result(timeout=5) == ["BIGGER"] and busy.result(timeout=5) == ["BUSY"]
        assert all(f.result(timeout=5) == ["S"] for f in smalls)
    position = next(i for i, b in enumerate(fn.batches) if b == ["bigger"])
    assert position <= 1 + STARVATION_LIMIT + 1  # passed over at most STARVATION_LIMIT batches


def test_a_small_request_never_rides_in_the_batch_of_a_big_one():
    # The big request's items (pieces of a long document) nearly fill a batch: a 100-character request would fit
    # next to one, and would then wait for all of it, steps included (the 0.7 s tail of the mixed load test).
    fn = Gated()
    piece = "p" * 3900
    with MicroBatcher(fn, max_batch_size=2, max_wait_ms=0, cost=len, max_batch_cost=4096) as batcher:
        busy = batcher.submit(["busy"])
        assert fn.first.wait(5)
        big = batcher.submit([piece] * 3)
        smalls = [batcher.submit(["s" * 100]) for _ in range(16)]  # 8 batches of two: the big one starves first
        fn.gate.set()
        assert big.result(timeout=5) == [piece.upper()] * 3 and busy.result(timeout=5) == ["BUSY"]
        assert all(f.result(timeout=5) == ["S" * 100] for f in smalls)
    big_batches = [b for b in fn.batches if piece in b]
    assert len(big_batches) == 3 and all(b == [piece] for b in big_batches)  # each piece alone
    position = fn.batches.index([piece])
    assert position <= 1 + STARVATION_LIMIT  # still not starved: it went first after STARVATION_LIMIT batches


def test_cancelled_work_is_never_computed():
    fn = Gated()
    with MicroBatcher(fn, max_batch_size=1, max_wait_ms=0) as batcher:
        first = batcher.submit(["a0", "a1", "a2", "a3"])  # one item per batch: a0 blocks the worker
        assert fn.first.wait(5)
        assert first.cancel()  # the caller gives up while a0 is computed
        other = batcher.submit(["b0"])
        fn.gate.set()
        assert other.result(timeout=5) == ["B0"]
        assert batcher.stats().cancelled == 1
    assert fn.batches == [["a0"], ["b0"]]  # a1..a3 were dropped


def test_cancelling_the_awaiting_task_cancels_the_request():
    fn = Gated()

    async def main(batcher: MicroBatcher[str, str]) -> None:
        task = asyncio.ensure_future(batcher.run(["gone0", "gone1"]))
        await asyncio.to_thread(fn.first.wait, 5)
        task.cancel()  # what the HTTP app does when the client disconnects or the deadline passes
        with pytest.raises(asyncio.CancelledError):
            await task

    with MicroBatcher(fn, max_batch_size=1, max_wait_ms=0) as batcher:
        asyncio.run(main(batcher))
        fn.gate.set()
        assert batcher(["next"]) == ["NEXT"]
    assert fn.batches == [["gone0"], ["next"]]


def test_without_merging_each_batch_holds_one_request():
    fn = Gated()
    with MicroBatcher(fn, max_batch_size=8, max_wait_ms=0, merge_requests=False) as batcher:
        busy = batcher.submit(["busy"])
        assert fn.first.wait(5)
        futures = [batcher.submit([f"r{i}a", f"r{i}b"]) for i in range(3)]
        fn.gate.set()
        assert [f.result(timeout=5) for f in futures] == [[f"R{i}A", f"R{i}B"] for i in range(3)]
        assert busy.result(timeout=5) == ["BUSY"]
    assert fn.batches[1:] == [[f"r{i}a", f"r{i}b"] for i in range(3)]


# -- steps: small requests between the steps of a long call -------------------------------------------------------
class Stepping:
    """A batch function that computes each item as one 10-token window, in steps (specialize.data.steps), and
    records the items of every step. The first step blocks until ``gate`` opens."""

    def __init__(self) -> None:
        self.steps: list[list[str]] = []
        self.gate = threading.Event()
        self.started = threading.Event()

    def __call__(self, items: list[str]) -> list[str]:
        from specialize.data.chunking import Window
        from specialize.data.features import WindowFeatures
        from specialize.data.steps import window_batches

        features = [WindowFeatures(0, Window(0, 10, 0, 1), [0] * 10, [0] * 10, [1]) for _ in items]
        for step in window_batches(features, batch_size=32):
            self.steps.append([items[i] for i in step])
            if not self.started.is_set():
                self.started.set()
                assert self.gate.wait(10)
        return [item.upper() for item in items]


def test_a_small_request_is_answered_between_the_steps_of_a_big_batch():
    fn = Stepping()
    big = [f"big{i}-" + "x" * 995 for i in range(3)]  # one batch of 3 items: 3 steps of one 10-token window
    with MicroBatcher(fn, max_batch_size=8, max_wait_ms=0, cost=len, max_batch_cost=4000, step_tokens=10) as b:
        queued = b.submit(big)
        assert fn.started.wait(5)  # the first step of the big batch is in the model
        small = b.submit(["tiny"])
        fn.gate.set()
        assert small.result(timeout=5) == ["TINY"] and queued.result(timeout=5) == [x.upper() for x in big]
    assert fn.steps == [[big[0]], ["tiny"], [big[1]], [big[2]]]  # the small one went in after one step


def test_a_batch_whose_callers_all_gave_up_stops_at_its_next_step():
    fn = Stepping()
    items = [f"item{i}" for i in range(5)]
    with MicroBatcher(fn, max_batch_size=8, max_wait_ms=0, step_tokens=10) as b:
        future = b.submit(items)
        assert fn.started.wait(5)
        assert future.cancel()
        fn.gate.set()
        assert b(["after"]) == ["AFTER"]
        assert b.stats().abandoned_batches == 1
    assert fn.steps == [["item0"], ["after"]]  # items 1-4 never computed
