"""The window batches of a model call as steps, between which a scheduler may run other work.

A long document is many window batches (``WindowTagger.forward``, ``WindowClassifier.forward``). By default they
run back to back, as :func:`length_sorted_batches` groups them. A scheduler that runs model calls in a thread of
its own (the server's micro-batcher) can install a hook for that thread with :func:`between_steps`: the hook is
called before each batch, where it may run a short, other model call in the same thread (so the model is never
called from two threads at once), or raise to abandon this call when nobody waits for it any more. While a hook
is installed, each batch is also kept to ``max_tokens`` padded tokens, so that a step is short.

Results do not change: the same windows, each computed once, in batches of other sizes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from specialize.data.features import WindowFeatures, length_sorted_batches

_local = threading.local()


@contextmanager
def between_steps(hook: Callable[[], None], max_tokens: int) -> Iterator[None]:
    """Call ``hook`` before each window batch of model calls made in this thread, inside the ``with``."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    previous = getattr(_local, "scheduler", None)
    _local.scheduler = (hook, max_tokens)
    try:
        yield
    finally:
        _local.scheduler = previous


def window_batches(features: Sequence[WindowFeatures], batch_size: int) -> Iterator[list[int]]:
    """:func:`length_sorted_batches`, as steps: the hook of :func:`between_steps` (if any) runs before each."""
    scheduler = getattr(_local, "scheduler", None)
    for batch in length_sorted_batches(features, batch_size):
        if scheduler is None:
            yield batch
            continue
        hook, max_tokens = scheduler
        # Sorted by length: the longest window is the last; padded size = rows x longest.
        step: list[int] = []
        for index in batch:
            if step and (len(step) + 1) * len(features[index]) > max_tokens:
                hook()
                yield step
                step = []
            step.append(index)
        if step:
            hook()
            yield step
