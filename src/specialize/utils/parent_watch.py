"""Processes that end with their parent: a killed ``specialize apply`` must leave no worker running, and a killed
benchmark no llama.cpp server.

A spawned worker whose parent is killed (``kill -9``) is adopted by init and would go on predicting and writing
shards nobody collects. On Linux the kernel ends it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` asks for SIGKILL when
the parent dies. Everywhere, and as a second line on Linux, a daemon thread polls the parent's pid and ends the
process when it changes; :func:`check_parent` lets a worker make sure right before it writes. Once the workers
are gone, multiprocessing's resource tracker (which they share with the parent) unlinks the pool's semaphores.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_SECONDS = 0.5
EXIT_CODE = 70  # what a worker whose parent died exits with (the watch thread's way out)


def _parent_gone(parent_pid: int) -> bool:
    return os.getppid() != parent_pid


def check_parent(parent_pid: int) -> None:
    """End this process at once when its parent is no longer ``parent_pid``."""
    if _parent_gone(parent_pid):
        os._exit(EXIT_CODE)  # no cleanup: the parent that would collect our work is gone


def _watch(parent_pid: int, poll_seconds: float) -> None:
    while True:
        time.sleep(poll_seconds)
        check_parent(parent_pid)


def kill_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (a no-op elsewhere). Safe as a ``Popen``
    ``preexec_fn``: it only calls prctl, and logs nothing."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: callers that need more also poll the parent's pid
            pass


def die_with_parent(parent_pid: int, poll_seconds: float = POLL_SECONDS) -> None:
    """Make this process end when its parent ``parent_pid`` dies (see the module docstring)."""
    kill_with_parent()
    check_parent(parent_pid)  # it may have died before prctl took effect
    threading.Thread(target=_watch, args=(parent_pid, poll_seconds), name="parent-watch", daemon=True).start()
