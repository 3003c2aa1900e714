"""Just enough Prometheus: counters and histograms with labels, rendered in the text exposition format 0.0.4.

Written by hand rather than with ``prometheus_client`` so that serving needs no extra dependency and each
app has its own registry (the client's global registry refuses a second app in the same process, which
tests and multi-model setups need).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(x: float) -> str:
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


class _Metric:
    kind = ""

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.label_names = tuple(labels)
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {sorted(labels)}")
        return tuple(str(labels[n]) for n in self.label_names)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]

    def render(self) -> list[str]:
        raise NotImplementedError


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        self._values: dict[tuple[str, ...], float] = {} if labels else {(): 0.0}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        with self._lock:
            return self._values.get(self._key(labels), 0.0)

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return [*self.header(), *(f"{self.name}{_labels(self.label_names, k)} {_number(v)}" for k, v in items)]


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: Iterable[float], labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        self.buckets = tuple(sorted(float(b) for b in buckets))
        # Per label set: counts per bucket (non-cumulative, +Inf last), sum, count.
        self._series: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}
        if not labels:
            self._series[()] = ([0] * (len(self.buckets) + 1), [0.0, 0.0])

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        index = next((i for i, b in enumerate(self.buckets) if value <= b), len(self.buckets))
        with self._lock:
            counts, totals = self._series.setdefault(key, ([0] * (len(self.buckets) + 1), [0.0, 0.0]))
            counts[index] += 1
            totals[0] += value
            totals[1] += 1

    def count(self, **labels: str) -> int:
        with self._lock:
            series = self._series.get(self._key(labels))
            return int(series[1][1]) if series else 0

    def render(self) -> list[str]:
        lines = self.header()
        with self._lock:
            series = sorted((k, (list(c), list(t))) for k, (c, t) in self._series.items())
        for key, (counts, (total, n)) in series:
            running = 0
            for bound, c in zip([*self.buckets, math.inf], counts, strict=True):
                running += c
                le = _labels(self.label_names, key, f'le="{_number(bound)}"')
                lines.append(f"{self.name}_bucket{le} {running}")
            lines.append(f"{self.name}_sum{_labels(self.label_names, key)} {_number(total)}")
            lines.append(f"{self.name}_count{_labels(self.label_names, key)} {_number(n)}")
        return lines


class Registry:
    def __init__(self) -> None:
        self.metrics: list[_Metric] = []

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        metric = Counter(name, help, labels)
        self.metrics.append(metric)
        return metric

    def histogram(self, name: str, help: str, buckets: Iterable[float], labels: Sequence[str] = ()) -> Histogram:
        metric = Histogram(name, help, buckets, labels)
        self.metrics.append(metric)
        return metric

    def render(self) -> str:
        return "\n".join(line for m in self.metrics for line in m.render()) + "\n"


class ServerMetrics:
    """The metrics of one app: HTTP requests, latency, model batches, documents per model, deferrals, errors."""

    def __init__(self) -> None:
        self.registry = Registry()
        r = self.registry
        self.requests = r.counter(
            "specialize_http_requests_total", "HTTP requests by route and status code", ("path", "status")
        )
        self.latency = r.histogram(
            "specialize_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            LATENCY_BUCKETS,
            ("path",),
        )
        self.batch_size = r.histogram("specialize_batch_size", "Documents per model batch", BATCH_BUCKETS)
        self.batch_seconds = r.histogram("specialize_batch_duration_seconds", "Time per model batch", LATENCY_BUCKETS)
        self.documents = r.counter("specialize_documents_total", "Documents answered, by model", ("model",))
        self.deferrals = r.counter("specialize_deferrals_total", "Documents the primary deferred to the fallback")
        self.errors = r.counter("specialize_errors_total", "Failed requests by kind", ("kind",))

    def render(self) -> str:
        return self.registry.render()
