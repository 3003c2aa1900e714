"""Bounded HTTP load from a second process: N concurrent clients POST texts to /v1/entities for S seconds.

    python benchmarks/load_client.py --url http://127.0.0.1:8080 --clients 16 --seconds 30 --texts texts.jsonl
    python benchmarks/load_client.py --url http://127.0.0.1:8080 --path /v1/classify --texts texts.jsonl
    python benchmarks/load_client.py --url http://127.0.0.1:8080 --clients 4 --texts texts.jsonl \
        --huge-clients 1 --huge-texts 4 --huge-chars 99000

Prints one JSON object: requests, errors (by status), requests/s, latency p50/p90/p99 in ms. Loopback only.
With ``--huge-clients``, that many more clients each send ``--huge-texts`` texts of ``--huge-chars`` characters
(the texts file joined) per request, back to back, and their figures come under ``huge``; the main figures are
then those of the small requests alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlparse

# The field a good answer of each endpoint holds: a 200 without it counts as "200-bad-body".
ANSWER_FIELD = {"/v1/entities": b"spans", "/v1/classify": b"labels", "/v1/redact": b"spans"}


def client(
    host: str,
    port: int,
    path: str,
    texts: list[str],
    deadline: float,
    seed: int,
    out: dict,
    batch: int = 0,
    timeout: float = 30,
) -> None:
    """POST one random text per request (or, with ``batch``, ``batch`` of them as ``texts``) until ``deadline``."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    while time.perf_counter() < deadline:
        chosen = [rng.choice(texts) for _ in range(batch)]
        body = json.dumps({"texts": chosen} if batch else {"text": rng.choice(texts)})
        start = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            ok = response.status == 200 and ANSWER_FIELD[path] in payload
            statuses[str(response.status) if ok or response.status != 200 else "200-bad-body"] += 1
        except (OSError, http.client.HTTPException) as exc:
            statuses[type(exc).__name__] += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            continue
        latencies.append(time.perf_counter() - start)
    conn.close()
    out["latencies"] = latencies
    out["statuses"] = statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--texts", required=True, help="JSONL with a text field")
    parser.add_argument("--path", default="/v1/entities", choices=sorted(ANSWER_FIELD), help="endpoint to load")
    parser.add_argument("--huge-clients", type=int, default=0, help="clients sending huge requests meanwhile")
    parser.add_argument("--huge-texts", type=int, default=4, help="texts per huge request")
    parser.add_argument("--huge-chars", type=int, default=99_000, help="characters per huge text")
    args = parser.parse_args()
    url = urlparse(args.url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests target loopback only")
    with open(args.texts, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    host, port = url.hostname, url.port or 80
    deadline = time.perf_counter() + args.seconds
    results: list[dict] = [{} for _ in range(args.clients)]
    threads = [
        threading.Thread(target=client, args=(host, port, args.path, texts, deadline, i, results[i]))
        for i in range(args.clients)
    ]
    huge_results: list[dict] = [{} for _ in range(args.huge_clients)]
    if args.huge_clients:
        huge = huge_texts(texts, args.huge_texts, args.huge_chars)
        threads += [
            threading.Thread(
                target=client,
                args=(host, port, args.path, huge, deadline, 1000 + i, huge_results[i], args.huge_texts, 600),
            )
            for i in range(args.huge_clients)
        ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    summary = {"clients": args.clients, "seconds": round(elapsed, 2), **figures(results, elapsed)}
    if args.huge_clients:
        summary["huge"] = {
            "clients": args.huge_clients,
            "texts_per_request": args.huge_texts,
            "chars_per_text": args.huge_chars,
            **figures(huge_results, elapsed),
        }
    print(json.dumps(summary))
    return 0


def huge_texts(texts: list[str], n: int, chars: int) -> list[str]:
    """``n`` different texts of ``chars`` characters (cut on a space) made of the given texts, joined."""
    out = []
    for k in range(n):
        parts, size, i = [], 0, k * 97
        while size < chars:
            part = texts[i % len(texts)]
            parts.append(part)
            size += len(part) + 1
            i += 1
        joined = " ".join(parts)[:chars]
        out.append(joined[: joined.rfind(" ")] if " " in joined else joined)
    return out


def figures(results: list[dict], elapsed: float) -> dict:
    """Requests, errors and latency percentiles over the clients' results."""
    latencies = sorted(x for r in results for x in r.get("latencies", []))
    statuses: Counter[str] = sum((r.get("statuses", Counter()) for r in results), Counter())

    def pct(q: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else 0.0

    return {
        "requests": sum(statuses.values()),
        "ok": statuses.get("200", 0),
        "errors": {k: v for k, v in statuses.items() if k != "200"},
        "requests_per_s": round(statuses.get("200", 0) / elapsed, 2),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(latencies), 2) if latencies else 0.0,
    }


if __name__ == "__main__":
    raise SystemExit(main())
