"""Serving and scaling benchmarks, written to benchmarks/results/serve.json (load, fault and cascade records).

    python benchmarks/serve.py load --model runs/benchmarks/conll2003
    python benchmarks/serve.py load --model runs/domains/mtsamples-specialty --texts mtsamples-specialty:test
    python benchmarks/serve.py mixed --model runs/benchmarks/conll2003-int8
    python benchmarks/serve.py faults --model runs/benchmarks/conll2003-int8
    python benchmarks/serve.py cascade --model runs/benchmarks/distill-conll-soft-L3 \
        --fallback runs/benchmarks/conll2003

- load:    `specialize serve` on 127.0.0.1, 16 concurrent clients for 30 s from a second process
           (benchmarks/load_client.py), CoNLL-2003 test sentences, with micro-batching on and off. A text
           classifier folder is loaded on /v1/classify with the texts of --texts (a classification dataset).
- mixed:   small requests (CoNLL-2003 test sentences, --clients clients) for --seconds alone, then as long again
           next to --huge-clients clients each sending four texts of 99 000 characters per request, back to back,
           on the same server: the small requests' p99 with the huge ones must stay within 2x of it without them.
- faults:  (1) `specialize apply --engine ray` over CoNLL-2003 test with a Ray actor killed (SIGKILL) mid-run:
           every input document must come back exactly once; (2) the server gets 1 MB of text, empty text,
           invalid JSON and invalid UTF-8: each must get a 4xx and the server must stay up.
- cascade: F1 against the share of documents deferred to the fallback, over a range of thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "serve.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _texts_file(folder: Path, dataset: str = "conll2003:test", labelled: bool = False) -> Path:
    """The texts of ``dataset`` as JSONL: documents with spans, or (``labelled``) classification texts."""
    if labelled:
        from specialize.data.io import read_labelled

        texts = [t.text for t in read_labelled(dataset)]
    else:
        from specialize.data.io import read_documents

        texts = [doc.text for doc in read_documents(dataset)]
    path = folder / "texts.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": f"doc-{i}", "text": text}) + "\n")
    return path


class Server:
    def __init__(self, model: str, extra: list[str]):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "specialize", "-q", "serve", model, "--port", str(self.port), *extra]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError("server did not become ready in 180 s")

    def request(self, body: bytes, content_type: str = "application/json") -> int:
        req = urllib.request.Request(self.url + "/v1/entities", data=body, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def load(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from specialize.data.model_folder import folder_task

    classifier = folder_task(args.model) == "classification"
    path = "/v1/classify" if classifier else "/v1/entities"
    dataset = args.texts or ("mtsamples-specialty:test" if classifier else "conll2003:test")
    texts = _texts_file(work, dataset, labelled=classifier)
    records = []
    for batching in (True, False):
        server = Server(args.model, [] if batching else ["--no-batching"])
        try:
            result = _load_client(server, texts, path, args.clients, args.seconds)
        finally:
            server.stop()
        record = {"kind": "load", "model": args.model, "endpoint": path, "texts": dataset, "micro_batching": batching}
        records.append({**record, **result})
        print(f"load batching={batching}: {result}")
    return records


def _load_client(server: Server, texts: Path, path: str, clients: int, seconds: float, *extra: str) -> dict:
    cmd = [
        sys.executable, str(ROOT / "benchmarks" / "load_client.py"), "--url", server.url, "--clients", str(clients),
        "--seconds", str(seconds), "--texts", str(texts), "--path", path, *extra,
    ]  # fmt: skip
    return dict(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))


def mixed(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    texts = _texts_file(work, args.texts or "conll2003:test")
    path = "/v1/entities"
    # A long deadline: the huge requests are measured to the end rather than cut at the default 30 s.
    server = Server(args.model, ["--request-timeout", "600", *args.server_arg])
    try:
        _load_client(server, texts, path, args.clients, 5)  # warm-up, not recorded
        alone = _load_client(server, texts, path, args.clients, args.seconds)
        print(f"small requests alone: {alone}")
        huge = ["--huge-clients", str(args.huge_clients), "--huge-texts", "4", "--huge-chars", "99000"]
        with_huge = _load_client(server, texts, path, args.clients, args.seconds, *huge)
        print(f"small requests next to huge ones: {with_huge}")
    finally:
        server.stop()
    load_average = [round(x, 2) for x in os.getloadavg()]  # other work on the machine shows here
    ratio = with_huge["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] else float("inf")
    print(f"small-request p99: {alone['p99_ms']} ms alone, {with_huge['p99_ms']} ms with huge requests ({ratio:.2f}x)")
    return [
        {
            "kind": "load-mixed",
            "model": args.model,
            "model_note": args.note,
            "endpoint": path,
            "texts": args.texts or "conll2003:test",
            "server_args": args.server_arg,
            "small_clients": args.clients,
            "small_alone": alone,
            "small_with_huge": {k: v for k, v in with_huge.items() if k != "huge"},
            "huge": with_huge["huge"],
            "p99_ratio": round(ratio, 3),
            "p99_within_2x": ratio <= 2.0,
            "load_average_1_5_15_min_after": load_average,
        }
    ]


def _count_output(folder: Path) -> Counter[str]:
    ids: Counter[str] = Counter()
    for shard in sorted(folder.glob("part-*.jsonl")):
        for line in shard.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ids[json.loads(line)["id"]] += 1
    return ids


def _ray_actor_pids() -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "RayPredictor" in line or "MapWorker" in line]


def faults(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    texts = _texts_file(work)
    n_input = sum(1 for line in texts.read_text().splitlines() if line.strip())
    output = work / "apply-out"
    cmd = [
        sys.executable, "-m", "specialize", "-q", "apply", args.model, "--input", str(texts), "--output",
        str(output), "--engine", "ray", "--workers", "2", "--shard-size", "200",
    ]  # fmt: skip
    apply_proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed: list[int] = []
    deadline = time.time() + 600
    # Kill one model actor once some shards are written, i.e. in the middle of the run.
    while time.time() < deadline and apply_proc.poll() is None and not killed:
        if len(list(output.glob("part-*.jsonl"))) >= 2:
            pids = _ray_actor_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
        time.sleep(0.2)
    log, _ = apply_proc.communicate(timeout=900)
    reruns = 0
    if apply_proc.returncode != 0:  # the run itself failed: a rerun must resume and complete
        reruns = 1
        subprocess.run(cmd, check=True, capture_output=True)
    ids = _count_output(output)
    record = {
        "kind": "fault",
        "fault": "ray actor SIGKILL during apply",
        "model": args.model,
        "input_docs": n_input,
        "killed_pids": killed,
        "first_run_exit_code": apply_proc.returncode,
        "reruns_needed": reruns,
        "output_docs": sum(ids.values()),
        "distinct_docs": len(ids),
        "duplicates": sum(v - 1 for v in ids.values() if v > 1),
        "missing": n_input - len(ids),
        "exactly_once": len(ids) == n_input and all(v == 1 for v in ids.values()),
        "log_tail": log[-1500:],
    }
    records.append(record)
    print({k: v for k, v in record.items() if k != "log_tail"})

    server = Server(args.model, [])
    try:
        cases = {
            "1 MB of text": json.dumps({"text": "word " * 210_000}).encode(),
            "empty text": json.dumps({"text": ""}).encode(),
            "invalid JSON": b'{"text": "unterminated',
            "invalid UTF-8": b'{"text": "caf\xe9 \xff\xfe"}',
        }
        for name, body in cases.items():
            status = server.request(body)
            up = server.healthy()
            records.append({"kind": "fault", "fault": f"server: {name}", "status": status, "server_up": up,
                            "ok": 400 <= status < 500 and up})  # fmt: skip
            print(f"server {name}: HTTP {status}, still up: {up}")
    finally:
        server.stop()
    return records


def cascade(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from specialize.serve.cascade import cascade_curve, format_curve

    curve = cascade_curve(args.model, args.fallback, "conll2003:test", label_map=args.label_map)
    print(format_curve(curve))
    return [{"kind": "cascade", "primary": args.model, "fallback": args.fallback, **curve.to_dict()}]


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    # Mixed-load runs with other server options (e.g. --step-tokens) are other experiments: kept side by side.
    return str(record.get("kind")), str(record.get("endpoint", "/v1/entities")), " ".join(record.get("server_args", []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["load", "mixed", "faults", "cascade"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--fallback", help="cascade: the bigger model")
    parser.add_argument("--label-map", help="cascade: for a spacy: fallback")
    parser.add_argument("--texts", help="load: dataset of the texts sent (default conll2003:test, or for a "
                        "classifier mtsamples-specialty:test)")  # fmt: skip
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (mixed: small-request ones)")
    parser.add_argument("--huge-clients", type=int, default=1, help="mixed: clients sending huge requests")
    parser.add_argument("--server-arg", action="append", default=[], help="mixed: an option for specialize serve")
    parser.add_argument("--note", help="mixed: what the model is, for the record")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from specialize.evaluation.evaluate import machine_info

    with tempfile.TemporaryDirectory() as tmp:
        new = {"load": load, "mixed": mixed, "faults": faults, "cascade": cascade}[args.what](args, Path(tmp))
    command = shlex.join(["python", *sys.argv])
    machine = machine_info()
    for record in new:
        record.update(command=command, machine=machine)
    records = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    # A rerun replaces the records of its own kind (and, for load, its own endpoint): a classifier's load run
    # keeps the span model's.
    replaced = {_key(r) for r in new} or {(args.what, "/v1/entities", "")}
    records = [r for r in records if _key(r) not in replaced] + new
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
