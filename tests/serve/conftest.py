"""Shared by the server tests: a tiny deterministic specialist and a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
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


@pytest.fixture(scope="session")
def model_folder(tiny_base, tmp_path_factory) -> Path:
    return make_every_word_a_person(tiny_base, tmp_path_factory.mktemp("serve") / "every-word")
