"""The SQLite label store, and resuming `specialize label` after the process is killed with SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest
from chat_server import ChatCompletionsTestDouble, entities_answer

from specialize.data.document import Span
from specialize.teachers.base import TeacherOutput
from specialize.teachers.label import label
from specialize.teachers.spec import load_teacher
from specialize.teachers.store import LabelStore, text_key


def test_put_get_roundtrip_and_stats(tmp_path):
    path = tmp_path / "labels.sqlite"
    outputs = [
        TeacherOutput([Span(0, 3, "D", 0.5)], Counter(not_found=2), {"prompt_tokens": 10, "cost": 0.25}),
        TeacherOutput([], Counter(), {"prompt_tokens": 5, "completion_tokens": 1, "cost": 0.5}),
    ]
    with LabelStore(path) as store:
        assert store.get_many("fp", ["flu", "cold"]) == [None, None]
        store.put_many("fp", ["flu", "cold"], outputs)
        got = store.get_many("fp", ["cold", "flu", "flu", "measles"])
        assert got[0] == outputs[1] and got[1] == outputs[0] and got[2] == outputs[0] and got[3] is None
        assert got[1] is not None and got[1].spans[0].score == 0.5
        assert store.get_many("other-teacher", ["flu"]) == [None]
    with LabelStore(path) as store:  # persisted
        stats = store.stats("fp")
        assert (stats.documents, stats.spans, stats.prompt_tokens, stats.completion_tokens) == (2, 1, 15, 1)
        assert stats.cost == pytest.approx(0.75) and stats.rejected == {"not_found": 2}
        assert store.count() == 2 and store.stats("nobody").documents == 0
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_register_names_fingerprints(tmp_path):
    with LabelStore(tmp_path / "s.sqlite") as store:
        store.register("fp1", "llm:model", ["D"])
        store.put_many("fp1", ["x"], [TeacherOutput()])
        assert store.fingerprints() == {"fp1": "llm:model"}


def test_text_key_is_sha256_of_utf8():
    assert text_key("é") == hashlib.sha256("é".encode()).hexdigest()
    assert text_key("e\u0301") != text_key("é")  # the exact text: no normalisation


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("this is not a database" * 100)
    with pytest.raises(ValueError, match="not a usable label store"):
        LabelStore(bad)


def test_label_reuses_the_store_and_writes_every_document_once(tmp_path):
    teacher = load_teacher("regex:" + str(_regex_file(tmp_path)))
    texts = ["flu here", "cold", "flu here", "flu and flu"]
    store = tmp_path / "s.sqlite"
    first = label(teacher, texts, tmp_path / "a.jsonl", store=store, batch_size=3, progress=False)
    assert (first.labeled, first.from_store, first.duplicates, first.documents) == (3, 0, 1, 4)
    assert first.spans == 5 and first.per_label == {"Disease": 5}
    second = label(teacher, texts, tmp_path / "b.jsonl", store=store, batch_size=3, progress=False)
    assert (second.labeled, second.from_store) == (0, 4)
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
    assert second.store is not None and second.store.documents == 3  # distinct texts


def _regex_file(tmp_path):
    path = tmp_path / "patterns.json"
    path.write_text(json.dumps({"Disease": ["flu", "cold"]}))
    return path


# -- kill -9 and resume --------------------------------------------------------------------------------------
N_DOCS = 30


def _count_rows(path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM labels").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


def test_label_resumes_after_sigkill(tmp_path):
    inputs = tmp_path / "notes.txt"
    inputs.write_text("".join(f"Note {i}: patient {i} has cancer.\n" for i in range(N_DOCS)), encoding="utf-8")
    output, store = tmp_path / "labeled.jsonl", tmp_path / "labels.sqlite"
    with ChatCompletionsTestDouble(entities_answer({"cancer": "Disease"}), delay=0.15) as server:
        command = [
            sys.executable, "-m", "specialize", "-q", "label", "--teacher", "llm:test-model", "--labels", "Disease",
            "--input", str(inputs), "--output", str(output), "--store", str(store), "--batch-size", "2",
            "--no-progress", "-O", f"base_url={server.base_url}", "-O", "max_concurrency=1",
            "--structured-output", "json_schema",  # no detection request: each request below labels a document
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            deadline = time.monotonic() + 120
            while _count_rows(store) < 4:  # two batches committed
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the labeling process made no progress"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == -signal.SIGKILL
        done = _count_rows(store)
        assert 4 <= done < N_DOCS
        assert not output.exists()  # only a complete output is ever renamed into place
        requests_before = len(server.requests)

        stats = label(
            "llm:test-model", inputs, output, store=store, batch_size=2, progress=False,
            labels=["Disease"], base_url=server.base_url, structured_output="json_schema",
        )  # fmt: skip
        assert (stats.from_store, stats.labeled, stats.documents) == (done, N_DOCS - done, N_DOCS)
        assert len(server.requests) - requests_before == N_DOCS - done  # nothing labeled twice

    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [f"notes:{i}" for i in range(1, N_DOCS + 1)]  # each once, in order
    assert all([s["text"] for s in r["spans"]] == ["cancer"] for r in records)
    assert all(r["meta"]["teacher"] == "llm:test-model" for r in records)
    assert not list(tmp_path.glob(".labeled.jsonl.partial"))
    with LabelStore(store) as db:
        assert db.stats(stats.fingerprint).documents == N_DOCS
