"""Shared by the server tests: a tiny deterministic specialist and a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def make_every_word_a_person(base: Path, folder: Path) -> Path:
    """A specialist that tags every word B-PER (zero weights, biased head): deterministic and instant."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from specialize.data.features import InferenceSettings
    from specialize.models.specialist import Specialist

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForTokenClassification.from_pretrained(
        str(base), id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)}
    )
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 3.0, 0.0, 0.0, 0.0]))
    settings = InferenceSettings(
        word_shapes=False, cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id, pad_id=tokenizer.pad_token_id
    )
    Specialist(model, tokenizer, settings, name="every-word").save(folder)
    (folder / "README.md").write_text("# every-word\n\nTags every word as a person.\n")
    return folder


class Server:
    """uvicorn in a thread on a socket bound to a free port on 127.0.0.1."""

    def __init__(self, app) -> None:
        import uvicorn  # here, not at the top: the other serve tests run without the serve extra

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@contextmanager
def serve_command(*args: str) -> Iterator[str]:
    """``specialize serve ARGS`` in a subprocess on a free port; yields its URL once /readyz answers 200."""
    import httpx  # here, not at the top: the other serve tests run without the serve extra

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "specialize", "serve", *args, "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else "server exited"
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="session")
def model_folder(tiny_base, tmp_path_factory) -> Path:
    return make_every_word_a_person(tiny_base, tmp_path_factory.mktemp("serve") / "every-word")
