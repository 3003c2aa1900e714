"""``specialize apply`` killed with SIGKILL: its worker processes end too, write no further shard, and leave no
semaphore files behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.scale.test_apply import make_every_word_a_person

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc (Linux)")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:  # field 4: the parent pid
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; it only waits to be reaped


def semaphores() -> set[str]:
    shm = Path("/dev/shm")
    return {p.name for p in shm.glob("sem.*")} if shm.is_dir() else set()


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_workers_end_with_a_killed_apply_and_write_nothing_more(tiny_base, tmp_path):
    model = make_every_word_a_person(tiny_base, tmp_path / "every-word")
    source = tmp_path / "in.jsonl"
    words = "obama met smith in berlin and paris " * 12
    with source.open("w", encoding="utf-8") as f:
        for i in range(20_000):
            f.write(json.dumps({"id": i, "text": words}) + "\n")
    out = tmp_path / "out"
    before = semaphores()
    command = [sys.executable, "-m", "specialize", "-q", "apply", str(model), "-i", str(source), "-o", str(out)]
    command += ["--workers", "2", "--shard-size", "50", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        assert wait_for(lambda: len(list(out.glob("part-*.jsonl"))) >= 2 or parent.poll() is not None, 180)
        assert parent.poll() is None, f"apply ended before it could be killed: {parent.stderr.read()[-2000:]}"
        workers = children_of(parent.pid)  # the two workers and multiprocessing's resource tracker
        assert len(workers) >= 2
        os.kill(parent.pid, signal.SIGKILL)
        shards_at_kill = len(list(out.glob("part-*.jsonl")))
        parent.wait(10)
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 5), "workers outlived their parent"
        time.sleep(1.0)
        assert len(list(out.glob("part-*.jsonl"))) == shards_at_kill  # no shard was written after the kill
        assert wait_for(lambda: semaphores() <= before, 5), f"left behind: {semaphores() - before}"
    finally:  # whatever happened, leave no process of this test behind
        if parent.poll() is None:
            parent.kill()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
