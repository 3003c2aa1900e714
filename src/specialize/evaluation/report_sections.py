"""The sections of the HTML report (see :mod:`specialize.evaluation.report`): tables here, charts drawn by
:mod:`.report_charts`. Every value read from a record is escaped before it reaches the page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from specialize.evaluation.report_charts import (
    Bar,
    Curve,
    Point,
    Series,
    color,
    esc,
    fmt,
    fmt_ci,
    grouped_bars,
    highlight,
    learning_curves,
    line_chart,
    scatter,
    span_cell,
    table,
)
from specialize.evaluation.report_data import ReportData, cost_per_million, throughputs
from specialize.evaluation.report_summary import Entry, best_of, dataset_entries, document_set, speed_ratio

CATEGORIES = ("missed", "spurious", "wrong_type", "wrong_boundary", "wrong_type_boundary")

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin-bottom: .3em; }
nav ul { display: flex; flex-wrap: wrap; gap: .3em 1.2em; padding: 0; list-style: none; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: .88em; padding-top: .3em; }
.note { color: #555; font-size: .9em; } .muted { color: #888; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .35em; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .2em 1.2em; font-size: .9em; }
svg.chart { max-width: 100%; height: auto; display: block; margin: .5em 0; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #333; } svg.chart text.small { font-size: 10px; }
.grid { stroke: #e8e8e8; } .frame { fill: none; stroke: #999; } .axis { stroke: #999; }
.pareto { fill: none; stroke: #444; stroke-width: 1.5; stroke-dasharray: 6 4; }
.ring { fill: none; stroke: #222; stroke-width: 1; } .whisker { stroke: #222; stroke-width: 1.2; fill: none; }
.curve { fill: none; stroke-width: 2; } .baseline { stroke: #888; stroke-dasharray: 2 3; }
.ref { fill: #fff; stroke: #222; stroke-width: 1.5; }
g.point text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
table.confusion td { text-align: center; min-width: 3em; }
mark { padding: 0 .1em; border-radius: 2px; }
mark.g { background: #c8ecc8; box-shadow: inset 0 -2px #2e7d32; }
mark.p { background: #ffe1c4; outline: 1px dashed #c25700; }
mark.g.p { background: linear-gradient(#c8ecc8 50%, #ffe1c4 50%); }
td.ctx { text-align: left; max-width: 40em; }
details { margin: .5em 0; } pre { white-space: pre-wrap; font-size: .85em; }
"""


def _speed(e: Entry | None) -> str:
    if e is None or e.per_s is None:
        return "-"
    return f"{fmt(e.per_s, 0)} {e.unit}/s" + ("" if e.speed_source == "benchmark" else " *")


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.2g}×"


class _Page:
    def __init__(self, data: ReportData, price: float) -> None:
        self.data = data
        self.price = price
        self.colors = {name: color(i) for i, name in enumerate(data.models())}
        self.speed = throughputs(data)
        candidates = [
            *((r, "tokens") for r in data.evaluations),
            *((r, "tokens") for r in data.records["speed"] if r.get("dataset")),
            *((r, "texts") for r in data.records["classification"]),
        ]
        self.entries = dataset_entries(candidates, self.speed)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in data.evaluations:
            groups.setdefault(document_set(r), []).append(r)
        self.groups = groups

    def model(self, name: Any) -> str:
        swatch = f"<span class='swatch' style='background:{self.colors.get(str(name), '#999')}'></span>"
        return swatch + esc(name)

    def legend(self, names: Sequence[str]) -> str:
        return "<ul class='legend'>" + "".join(f"<li>{self.model(n)}</li>" for n in names) + "</ul>"

    @staticmethod
    def group_name(key: tuple[str, str]) -> str:
        return f"{key[0]} ({key[1]})" if key[1] else key[0]

    # -- sections ------------------------------------------------------------------------------------------
    def summary(self) -> str:
        # A model scored on a data set by several files (a teacher in each distillation experiment) shows once.
        shown = {(*document_set(r), r["model"], r.get("f1")): r for r in self.data.evaluations}
        rows = [
            [esc(r.get("dataset") or "-"), esc(document_set(r)[1] or "-"), self.model(r["model"]),
             fmt_ci(r.get("f1"), r.get("f1_ci")), fmt(r.get("precision")), fmt(r.get("recall")),
             fmt_ci(r.get("macro_f1"), r.get("macro_f1_ci")), esc(r.get("n_docs", "-"))]
            for r in shown.values()
        ]  # fmt: skip
        if not rows:
            return "<p class='note'>No evaluation records (specialize evaluate --json) among the inputs.</p>"
        header = ["dataset", "split", "model", "micro F1 [95% CI]", "P", "R", "macro F1", "documents"]
        caption = "Strict span match (start, end and type); intervals are bootstrap resamples of documents."
        return table(header, rows, caption, left=3)

    def classification(self) -> str:
        records = self.data.records["classification"]
        if not records:
            return "<p class='note'>No text classification records among the inputs.</p>"
        rows = [
            [esc(r.get("dataset") or "-"), self.model(r["model"]), esc(r.get("role") or "-"),
             fmt_ci(r.get("accuracy"), r.get("accuracy_ci")), fmt_ci(r.get("micro_f1"), r.get("micro_f1_ci")),
             fmt_ci(r.get("macro_f1"), r.get("macro_f1_ci")), esc(r.get("n_docs", "-"))]
            for r in records
        ]  # fmt: skip
        header = ["dataset", "model", "role", "accuracy", "micro F1 [95% CI]", "macro F1", "texts"]
        caption = (
            "Accuracy is the exact label-set match for multi-label models; intervals are bootstrap resamples of "
            "texts. Per-label F1 below, most frequent labels first."
        )
        parts = [table(header, rows, caption, left=3)]
        by_dataset: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_dataset.setdefault(str(r.get("dataset") or "?"), []).append(r)
        for dataset, group in by_dataset.items():
            support: dict[str, float] = {}
            for r in group:
                for label, scores in r["per_label"].items():
                    support[label] = max(support.get(label, 0.0), float(scores.get("support") or 0))
            labels = sorted(support, key=lambda label: (-support[label], label))[: self.MAX_LABELS]
            label_rows = [
                [esc(label), fmt(support[label], 0)] + [fmt(r["per_label"].get(label, {}).get("f1")) for r in group]
                for label in labels
            ]
            more = f" ({len(support) - len(labels)} rarer labels not shown)" if len(support) > len(labels) else ""
            parts.append(f"<h3>{esc(dataset)}: F1 per label{more}</h3>")
            parts.append(table(["label", "support", *(self.model(r["model"]) for r in group)], label_rows, left=1))
        return "".join(parts)

    MAX_LABELS = 15

    def overview(self) -> str:
        rows = []
        for key, entries in self.entries.items():
            best, ref, teacher = best_of(entries)
            if best is None and ref is None:
                continue
            gain = f"{(best.f1 - ref.f1) * 100:+.1f}" if best and ref else "-"
            ratio = speed_ratio(best, ref)
            rows.append([
                esc(self.group_name(key)), *(self.model(e.model) if e else "-" for e in (best, ref)),
                *(fmt_ci(e.f1, e.f1_ci) if e else "-" for e in (best, ref)), gain,
                *(_speed(e) for e in (best, ref)), _ratio(ratio),
                *(fmt(e.size_mb, 1) if e else "-" for e in (best, ref)),
                self.model(teacher.model) if teacher else "-", fmt_ci(teacher.f1, teacher.f1_ci) if teacher else "-",
                _speed(teacher),
            ])  # fmt: skip
        if not rows:
            return "<p class='note'>No scores on a named data set among the inputs.</p>"
        header = ["data set", "best specialist", "general model or baseline", "F1 specialist [95% CI]",
                  "F1 general", "F1 difference (points)", "speed specialist", "speed general", "speed ratio",
                  "size MB specialist", "size MB general", "big teacher", "F1 teacher", "speed teacher"]  # fmt: skip
        caption = (
            "Per data set, the specialist with the best F1 against the best general model or baseline (spaCy, "
            "Presidio, TF-IDF: recognised by name, or role baseline), and the big teacher a specialist learned "
            "from where one was scored (role teacher). Speed: tokens/s for span models, texts/s for classifiers, "
            "from a benchmark at its lowest thread count where there is one, else from the evaluation pass (marked "
            "*: comparable only roughly). Speed ratio: specialist ÷ general model, left out (-) where both were "
            "benchmarked, but in different runs."
        )
        out = table(header, rows, esc(caption), left=3)
        if self.data.aliases:
            names = "; ".join(f"{esc(k)} = {esc(', '.join(v))}" for k, v in self.data.aliases.items())
            out += f"<p class='note'>One name per model across the files (same scores, same documents): {names}.</p>"
        return out

    def tradeoff(self) -> str:
        parts = []
        for n, (key, entries) in enumerate(self.entries.items()):
            points = [self._point(e) for e in entries if e.per_s]
            if not points:
                continue
            unit = entries[0].unit
            title = f"F1 against throughput on {self.group_name(key)}"
            desc = "; ".join(f"{p.label}: F1 {p.y:.3f} at {p.x:,.0f} {unit}/s" for p in points)
            chart = scatter(
                f"chart-tradeoff-{n}", points, x_label=f"{unit} per second (log scale)", y_label="micro F1",
                title=title, desc=desc,
            )  # fmt: skip
            parts.append(f"<h3>{esc(title)}</h3>{chart}")
        if not parts:
            return (
                "<p class='note'>Needs F1 and throughput of a model on a data set (evaluation and speed records).</p>"
            )
        return "".join(parts) + (
            "<p class='note'>One chart per data set: F1 on different data sets does not compare. Filled markers: "
            "<code>specialize benchmark</code> at its lowest thread count (fresh process, fixed threads). Hollow: "
            "throughput measured during evaluation or distillation (default threads, shared process), comparable only "
            "roughly. Vertical lines: 95% CI of F1. Dashed line and rings: the Pareto front of the data set, the "
            "models no other model beats on both speed and F1.</p>"
        )

    def _point(self, e: Entry) -> Point:
        assert e.per_s is not None
        ci = e.f1_ci
        return Point(
            label=e.model, x=e.per_s, y=e.f1, color=self.colors.get(e.model, "#999"),
            hollow=e.speed_source != "benchmark",
            y_ci=(float(ci[0]), float(ci[1])) if ci else None,
            tooltip=f"{e.model}: F1 {e.f1:.3f}, {e.per_s:,.0f} {e.unit}/s ({e.speed_source})",
        )  # fmt: skip

    def per_type(self) -> str:
        parts = []
        for n, (key, records) in enumerate(self.groups.items()):
            support: dict[str, int] = {}
            for r in records:
                for t, s in (r.get("per_type") or {}).items():
                    support[t] = max(support.get(t, 0), int(s.get("support") or 0))
            types = sorted(t for t, s in support.items() if s > 0)  # support 0: predicted-only types, F1 is 0
            if not types:
                continue
            labels = {t: f"{t} (n={support[t]})" for t in types}
            bars = []
            for r in records:
                name = str(r["model"])
                for t in types:
                    s = (r.get("per_type") or {}).get(t)
                    if s is None:
                        continue
                    ci = s.get("f1_ci")
                    tip = f"{name}, {t}: F1 {s['f1']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
                    ci_pair = (float(ci[0]), float(ci[1])) if ci else None
                    bars.append(Bar(labels[t], name, float(s["f1"]), ci_pair, self.colors.get(name, "#999"), tip))
            title = f"F1 per type on {self.group_name(key)}"
            desc = "; ".join(b.tooltip for b in bars)
            chart = grouped_bars(f"chart-types-{n}", [labels[t] for t in types], bars, title=title, desc=desc)
            parts.append(f"<h3>{esc(title)}</h3>{self.legend([str(r['model']) for r in records])}{chart}")
        if not parts:
            return "<p class='note'>No per-type scores among the inputs.</p>"
        return "".join(parts) + "<p class='note'>Whiskers: 95% bootstrap CI; n = gold spans of the type.</p>"

    def errors(self) -> str:
        parts = []
        for key, group in self.groups.items():
            records = [r for r in group if r.get("errors")]  # a table of dashes would read as zero errors
            if not records:
                continue
            names = [str(r["model"]) for r in records]
            rows = [[esc(c), *(esc(r["errors"].get(c, "-")) for r in records)] for c in CATEGORIES]
            rows.append(["<b>total</b>", *(esc(sum(r["errors"].values())) for r in records)])
            parts.append(f"<h3>Error breakdown on {esc(self.group_name(key))}</h3>")
            parts.append(table(["error", *(self.model(n) for n in names)], rows))
            for r in records:
                if r.get("confusions") is not None:
                    parts.append(self._confusion(r))
        if not parts:
            return "<p class='note'>No error counts among the inputs.</p>"
        if not any(r.get("confusions") is not None for r in self.data.evaluations):
            parts.append(
                "<p class='note'>Type confusions need records written by <code>specialize evaluate --json</code> "
                "from this version (they carry <code>confusions</code>); these records only count errors.</p>"
            )
        return "".join(parts) + (
            "<p class='note'>missed: gold span with no overlapping prediction; spurious: prediction with no "
            "overlapping gold span; wrong_type: same boundaries, other type; wrong_boundary: overlap, same type; "
            "wrong_type_boundary: overlap, other type and boundaries.</p>"
        )

    def _confusion(self, r: Mapping[str, Any]) -> str:
        """Gold type (rows) against predicted type (columns); missed and spurious as a "none" column and row,
        boundary errors of a type on the diagonal."""
        cells: dict[tuple[str, str], int] = {}
        for pair, count in (r.get("confusions") or {}).items():
            gold_type, _, pred_type = str(pair).partition("->")
            cells[(gold_type, pred_type)] = cells.get((gold_type, pred_type), 0) + int(count)
        for t, counts in (r.get("errors_per_type") or {}).items():
            for category, key in (("missed", (t, "")), ("spurious", ("", t)), ("wrong_boundary", (t, t))):
                if counts.get(category):
                    cells[key] = cells.get(key, 0) + int(counts[category])
        if not cells:
            return f"<p class='note'>{self.model(r['model'])}: no type or boundary errors.</p>"
        gold = [*sorted({g for g, _ in cells if g}), ""]
        pred = [*sorted({p for _, p in cells if p}), ""]
        top = max(cells.values())

        def cell(g: str, p: str) -> str:
            n = cells.get((g, p), 0)
            shade = f" style='background:rgba(213,94,0,{0.08 + 0.6 * n / top:.2f})'" if n else ""
            return f"<td{shade}>{n or '<span class=muted>·</span>'}</td>"

        head = "".join(f"<th scope='col'>{esc(p) or '<i>none (missed)</i>'}</th>" for p in pred)
        body = "".join(
            f"<tr><th scope='row' class='l'>{esc(g) or '<i>none (spurious)</i>'}</th>"
            + "".join(cell(g, p) for p in pred)
            + "</tr>"
            for g in gold
        )
        caption = "Rows: gold type; columns: predicted type; diagonal: right type, wrong boundaries."
        return (
            f"<h3>Type confusions of {self.model(r['model'])}</h3><table class='confusion'><caption>{caption}"
            f"</caption><thead><tr><th class='l'>gold \\ predicted</th>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def cascade(self) -> str:
        parts = []
        for n, c in enumerate(self.data.records["cascade"]):
            primary, fallback = str(c["primary"]), str(c["fallback"])
            points = [(float(p["deferred"]), float(p["f1"]), f"{p['threshold']:g}") for p in c["points"]]
            curve = Curve(
                primary, self.colors.get(primary, color(n)), points,
                start=(0.0, float(c["primary_f1"]), f"{primary} alone"),
                end=(1.0, float(c["fallback_f1"]), f"{fallback} alone"),
            )  # fmt: skip
            title = f"Cascade {primary} → {fallback} (confidence: {c.get('confidence')}, {c.get('n_docs')} documents)"
            desc = "; ".join(f"threshold {t}: {x:.1%} deferred, F1 {y:.3f}" for x, y, t in points)
            chart = line_chart(
                f"chart-cascade-{n}", curve, x_label="share of documents deferred to the fallback",
                y_label="micro F1", title=title, desc=desc,
            )  # fmt: skip
            rows = [
                [f"{p['threshold']:g}", f"{p['deferred']:.1%}", esc(p.get("n_deferred", "-")), fmt(p["f1"]),
                 fmt(p.get("precision")), fmt(p.get("recall"))]
                for p in c["points"]
            ]  # fmt: skip
            points_table = table(["threshold", "deferred", "documents", "F1", "P", "R"], rows, left=0)
            parts.append(f"<h3>{esc(title)}</h3>{chart}<details><summary>table</summary>{points_table}</details>")
        if not parts:
            return "<p class='note'>No cascade curve (specialize evaluate MODEL --cascade FALLBACK --json).</p>"
        return "".join(parts) + (
            "<p class='note'>Labels: confidence thresholds; documents whose confidence is below go to the fallback. "
            "Dotted line: the two models alone joined, about what deferring documents at random gives.</p>"
        )

    def cost(self) -> str:
        rows, guessed = [], False
        for t in self.speed.values():
            hours, dollars = cost_per_million(t, self.price)
            guessed |= not t.threads_known
            threads = esc(t.threads) if t.threads_known else f"≤ {esc(t.threads or '?')} *"
            rows.append([self.model(t.model), esc(t.source), threads, fmt(t.size_mb, 1), fmt(t.tokens_per_doc, 1),
                         fmt(t.docs_per_s, 1), fmt(t.tokens_per_s, 0), fmt(hours, 2), fmt(dollars, 2)])  # fmt: skip
        if not rows:
            return "<p class='note'>No throughput measurements among the inputs.</p>"
        header = ["model", "measured by", "threads", "size MB", "tokens/doc", "docs/s", "tokens/s",
                  "CPU-hours per 1M docs", "$ per 1M docs"]  # fmt: skip
        caption = (
            f"CPU-hours = threads × 10⁶ / (docs/s) / 3600, at ${self.price:g} per vCPU-hour (set with "
            "--price-per-cpu-hour). Costs scale with document length: compare rows with similar tokens/doc."
            + (" * threads not recorded: the machine's core count, an upper bound on the cost." if guessed else "")
        )
        return table(header, rows, esc(caption), left=2)

    def distillation(self) -> str:
        rows = []
        for r in self.data.records["distillation"]:
            own = r.get("throughput") or {}
            # accuracy.json records: the scoring pass's words/s (1 thread unless "threads" says otherwise).
            tokens_per_s = own.get("tokens_per_s", r.get("words_per_s"))
            parameters = r.get("parameters")
            rows.append([esc(r.get("experiment") or "-"), esc(f"{r.get('dataset')} ({r.get('split')})"),
                         esc(r.get("role") or "-"), self.model(r["model"]),
                         fmt(parameters / 1e6 if isinstance(parameters, int | float) else None, 1),
                         fmt_ci(r.get("f1"), r.get("f1_ci")), fmt((r.get("agreement") or {}).get("f1")),
                         fmt(own.get("docs_per_s"), 1), fmt(tokens_per_s, 0), fmt(own.get("speedup_vs_teacher"), 2),
                         fmt(r.get("train_seconds"), 0)])  # fmt: skip
        if not rows:
            return "<p class='note'>No distillation records (benchmarks/results/distill.json) among the inputs.</p>"
        header = [
            "experiment",
            "data",
            "role",
            "model",
            "params (M)",
            "F1 [95% CI]",
            "agreement F1",
            "docs/s",
            "tokens/s",
            "× teacher",
            "train s",
        ]
        caption = (
            "agreement: the student's span F1 against the teacher's predictions. tokens/s: whitespace tokens of the "
            "test texts per second, in the run that scored the model (compare within one run and machine)."
        )
        return table(header, rows, caption, left=4)

    def llm(self) -> str:
        rows = []
        for r in self.data.records["llm"]:
            prompt, completion = r.get("prompt_tokens_per_doc"), r.get("completion_tokens_per_doc")
            tokens = f"{fmt(prompt, 0)} + {fmt(completion, 0)}" if prompt is not None else "-"
            rejected = ", ".join(f"{k} {v}" for k, v in (r.get("rejected") or {}).items()) or "-"
            rows.append([esc(r.get("dataset") or "-"), esc(r.get("role") or "-"), self.model(r["model"]),
                         fmt_ci(r.get("f1"), r.get("f1_ci")), fmt(r.get("docs_per_s"), 2), tokens,
                         fmt(r.get("usd_per_1m_docs"), 2), esc(rejected), esc(r.get("n_docs", "-"))])  # fmt: skip
        parts = []
        if rows:
            servers = sorted({f"{r['llm'].get('model')} on {r.get('server')}" for r in self.data.records["llm"]
                              if isinstance(r.get("llm"), Mapping)})  # fmt: skip
            header = ["dataset", "role", "model", "F1 [95% CI]", "docs/s", "prompt + completion tokens/doc",
                      "$ per 1M docs", "LLM answers rejected", "documents"]  # fmt: skip
            caption = (
                f"Measured here, every model at the same thread count, on one fixed random subset of the test "
                f"sentences; LLM: {', '.join(servers) or '-'}. $ per 1M docs = threads × 10⁶ / (docs/s) / 3600 × the "
                "price per CPU-hour in the record. Rejected: LLM mentions grounding could not place in the text."
            )
            parts.append(table(header, rows, esc(caption), left=3))
        published = [
            [esc(r.get("dataset") or "-"), esc(r["model"]), esc(r.get("setting") or "-"), fmt(r.get("f1")),
             esc(r.get("n_docs") or "-"), esc(r.get("note") or ""), esc(r.get("citation") or "")]
            for r in self.data.records["published"]
        ]  # fmt: skip
        if published:
            parts.append("<h3>Published figures of hosted LLMs (published, not measured here)</h3>")
            header = ["dataset", "model", "setting", "F1", "documents", "how", "source"]
            caption = "Copied from the cited papers: other test samples, prompts and matching rules than ours."
            parts.append(table(header, published, caption, left=3))
        if not parts:
            return "<p class='note'>No LLM records (benchmarks/llm_vs_specialist.py writes llm.json).</p>"
        return "".join(parts)

    def correction(self) -> str:
        records = self.data.records["correction"]
        if not records:
            return "<p class='note'>No correction-loop records (benchmarks/results/correction.json).</p>"
        start = next((r for r in records if r["strategy"] == "silver"), None)
        ceiling = next((r for r in records if r["strategy"] == "all gold"), None)
        strategies = list(dict.fromkeys(r["strategy"] for r in records if r["strategy"] not in ("silver", "all gold")))
        series = []
        for n, strategy in enumerate(strategies):
            points = [r for r in records if r["strategy"] == strategy]
            if start is not None:
                points = [start, *points]
            xy = [(float(r["corrected_documents"]), float(r["f1"]), _interval(r.get("f1_ci"))) for r in points]
            series.append(Series(strategy, color(n), xy))
        references = [("all gold", float(ceiling["f1"]))] if ceiling else []
        desc = "; ".join(f"{s.label}: " + ", ".join(f"{x:g} docs F1 {y:.3f}" for x, y, _ in s.points) for s in series)
        chart = learning_curves(
            "chart-correction", series, references=references, x_label="documents corrected",
            y_label="micro F1 on the test set", title="F1 against the number of corrected documents", desc=desc,
        )  # fmt: skip
        rows = []
        for r in sorted(records, key=lambda r: (r["corrected_documents"], r["strategy"])):
            diff = r.get("f1_minus_random") or {}
            rows.append([esc(r["strategy"]), esc(r.get("round", "-")), esc(r["corrected_documents"]),
                         fmt_ci(r.get("f1"), r.get("f1_ci")), fmt(r.get("precision")), fmt(r.get("recall")),
                         fmt_ci(diff.get("difference"), diff.get("ci")), esc(r.get("selected_silver_wrong", "-")),
                         fmt(r.get("train_seconds"), 0)])  # fmt: skip
        header = ["strategy", "round", "corrected", "F1 [95% CI]", "P", "R", "F1 − random [95% CI]",
                  "selected with wrong silver", "train s"]  # fmt: skip
        caption = (
            "Each round's corrected documents replace their silver versions and a student is trained on the merged "
            "pool; F1 − random is a paired bootstrap over test documents. “selected with wrong silver”: of that "
            "round's picks, how many had silver labels that differ from gold (the corrections that change something)."
        )
        settings = records[0].get("settings") or {}
        note = ", ".join(f"{k}: {v}" for k, v in settings.items() if isinstance(v, str | int | float))
        return chart + table(header, rows, esc(caption), left=1) + f"<p class='note'>{esc(note)}</p>"

    def examples(self) -> str:
        parts = []
        for r in self.data.evaluations:
            examples = r.get("error_examples") or []
            if not examples:
                continue
            rows = [[esc(e.get("category")), esc(e.get("doc_id")), span_cell(e.get("gold")), span_cell(e.get("pred")),
                     highlight(e)] for e in examples]  # fmt: skip
            group = self.group_name(document_set(r))
            parts.append(f"<h3>{self.model(r['model'])} on {esc(group)}</h3>")
            parts.append(table(["error", "document", "gold", "predicted", "context"], rows, left=5))
        if not parts:
            return (
                "<p class='note'>No error examples: write records with <code>specialize evaluate --json OUT "
                "--json-examples</code>.</p>"
            )
        legend = "<p class='note'><mark class='g'>gold span</mark> <mark class='p'>predicted span</mark> "
        return legend + "<mark class='g p'>both</mark></p>" + "".join(parts)

    def provenance(self) -> str:
        commands: dict[str, None] = {}  # dicts as ordered sets: first-seen order, no repeats
        machines: dict[str, None] = {}
        for records in self.data.records.values():
            for r in records:
                if r.get("command"):
                    commands[str(r["command"])] = None
                if r.get("machine"):
                    machines[json.dumps(r["machine"], sort_keys=True)] = None
        out = ["<ul>", *(f"<li><code>{esc(s)}</code></li>" for s in self.data.sources), "</ul>"]
        if commands:
            out.append("<h3>Commands</h3><ul>" + "".join(f"<li><code>{esc(c)}</code></li>" for c in commands) + "</ul>")
        for m in machines:
            out.append(
                f"<details><summary>machine</summary><pre>{esc(json.dumps(json.loads(m), indent=2))}</pre></details>"
            )
        if self.data.skipped:
            out.append("<h3>Skipped</h3><ul>" + "".join(f"<li>{esc(s)}</li>" for s in self.data.skipped) + "</ul>")
        return "".join(out)


SECTIONS: tuple[tuple[str, str, Callable[[_Page], str]], ...] = (
    ("overview", "At a glance: best specialist against the general model", _Page.overview),
    ("summary", "Scores", _Page.summary),
    ("tradeoff", "F1 against throughput, per data set", _Page.tradeoff),
    ("per-type", "F1 per entity type", _Page.per_type),
    ("errors", "Errors and type confusions", _Page.errors),
    ("cascade", "Cascade: F1 against share deferred", _Page.cascade),
    ("cost", "Model size and cost per million documents", _Page.cost),
    ("distillation", "Distillation: teacher and student", _Page.distillation),
    ("llm", "Compared with an LLM", _Page.llm),
    ("classification", "Text classification", _Page.classification),
    ("correction", "Correction loop: F1 against documents corrected", _Page.correction),
    ("examples", "Example errors", _Page.examples),
    ("provenance", "Inputs, commands and machines", _Page.provenance),
)


def render_report(data: ReportData, *, title: str, price_per_cpu_hour: float) -> str:
    """The whole page as one string."""
    page = _Page(data, price_per_cpu_hour)
    nav = "".join(f"<li><a href='#{sid}'>{esc(heading)}</a></li>" for sid, heading, _ in SECTIONS)
    counts = ", ".join(f"{len(v)} {k}" for k, v in data.records.items() if v) or "no records"
    body = "".join(
        f"<section id='{sid}' aria-labelledby='{sid}-h'><h2 id='{sid}-h'>{esc(heading)}</h2>{render(page)}</section>"
        for sid, heading, render in SECTIONS
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><header><h1>{esc(title)}</h1>"
        f"<p class='note'>From {len(data.sources)} result file(s): {esc(counts)} records.</p>"
        f"<nav aria-label='sections'><ul>{nav}</ul></nav></header><main>{body}</main></body></html>\n"
    )


def _interval(ci: Any) -> tuple[float, float] | None:
    return (float(ci[0]), float(ci[1])) if isinstance(ci, list | tuple) and len(ci) == 2 else None
