"""One setting for the CPU threads that model code uses in this process (``--threads`` of predict, serve, apply).

torch, onnxruntime, BLAS/OpenMP and the tokenizers' pool each start one thread per core by default. Two servers
on one machine, or one next to other work, then fight over the cores. ``set_threads(n)`` caps all of them:
torch at once if it is loaded, else through ``OMP_NUM_THREADS`` when it loads; onnxruntime sessions built
afterwards (``specialize.runtime.session``); the OpenMP/BLAS and Rayon (tokenizers) pools through their
environment variables, which they read when they start, so call it before loading a model.
"""

from __future__ import annotations

import os
import sys

from specialize.errors import ConfigError

ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS")

_threads: int | None = None


def set_threads(threads: int | None) -> None:
    """Cap this process's model threads at ``threads`` (``None``: leave the defaults)."""
    global _threads
    if threads is None:
        return
    if threads < 1:
        raise ConfigError(f"threads must be at least 1, got {threads}")
    _threads = int(threads)
    for var in ENV_VARS:
        os.environ[var] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def configured_threads() -> int | None:
    """What :func:`set_threads` set, or ``None``."""
    return _threads
