"""The report card: one self-contained HTML file from evaluation, speed, distillation and cascade JSON files.

``report(["eval.json", "speed.json"], "report.html")``: the files are read by :mod:`.report_data` (records by
kind, one name per model and data set), the page is drawn by :mod:`.report_sections` and :mod:`.report_charts`.
This module only joins the two, so neither imports the other's user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from specialize.errors import ConfigError
from specialize.evaluation.report_data import (
    DEFAULT_PRICE_PER_CPU_HOUR,
    KINDS,
    LLM_EXPERIMENT,
    ReportData,
    Throughput,
    cost_per_million,
    load_results,
    record_kind,
    throughputs,
)
from specialize.evaluation.report_sections import render_report

__all__ = [
    "DEFAULT_PRICE_PER_CPU_HOUR",
    "KINDS",
    "LLM_EXPERIMENT",
    "ReportData",
    "Throughput",
    "cost_per_million",
    "load_results",
    "record_kind",
    "report",
    "throughputs",
]


def report(
    results: Sequence[str | Path],
    output: str | Path,
    *,
    title: str = "specialize report",
    price_per_cpu_hour: float = DEFAULT_PRICE_PER_CPU_HOUR,
    aliases: Mapping[str, str] | None = None,
) -> Path:
    """Write the HTML report of ``results`` (JSON files) to ``output``; returns its path. ``aliases`` renames
    models (old name -> name) where the files' names and scores do not show they are one model."""
    if not results:
        raise ConfigError("no result files given")
    if price_per_cpu_hour < 0:
        raise ConfigError(f"price per CPU-hour must be >= 0, got {price_per_cpu_hour}")
    data = load_results(results, aliases)
    page = render_report(data, title=title, price_per_cpu_hour=price_per_cpu_hour)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    return output
