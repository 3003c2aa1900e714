"""Drawing for the HTML report: inline SVG charts and small HTML pieces (tables, highlighted error contexts),
built as strings: no plotting library, no JavaScript, nothing fetched.

Every chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` for screen readers, and every mark
carries its own ``<title>`` (the browser shows it as a tooltip). All text goes through :func:`esc`. The
``xmlns`` attribute is left out on purpose: inline SVG in HTML does not need it, and the report then holds no
``http://`` string at all, which makes "nothing external" easy to check.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), then a few dark extras.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#8C564B", "#555555", "#7F3C8D")
FONT = 12
CHAR_W = 0.6 * FONT  # rough advance of one character of the sans-serif font; only used to avoid overlaps


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _n(x: float) -> str:
    """Coordinates with one decimal: enough for a screen, and the file stays small."""
    return f"{x:.1f}"


def svg_open(chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-t {esc(chart_id)}-d">'
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title><desc id="{esc(chart_id)}-d">{esc(desc)}</desc>'
    )


def si(value: float) -> str:
    """1234 -> 1.2k, 2500000 -> 2.5M: tick labels that fit."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"


def log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2, 5 times powers of ten inside [lo, hi]; only powers of ten when that still gives three ticks."""
    ticks = []
    for exponent in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**exponent
            if lo <= value <= hi:
                ticks.append(value)
    powers = [t for t in ticks if math.log10(t).is_integer()]
    return powers if len(powers) >= 3 else ticks


def linear_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    span = max(hi - lo, 1e-9)
    step = next((s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0) if span / s <= target), 1.0)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 6) for i in range(int((hi - first) / step + 1e-9) + 1)]


def f1_domain(values: Sequence[float]) -> tuple[float, float]:
    """A y range around the F1 values, on 0.05 steps, inside [0, 1]: differences of a point or two stay visible."""
    lo, hi = min(values), max(values)
    lo = max(0.0, math.floor((lo - 0.03) * 20) / 20)
    hi = min(1.0, math.ceil((hi + 0.03) * 20) / 20)
    if hi - lo < 0.1:
        lo, hi = max(0.0, hi - 0.1), max(hi, 0.1)
    return lo, hi


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    color: str
    hollow: bool = False
    """Hollow markers: throughput not measured by the benchmark at one thread (less comparable)."""
    y_ci: tuple[float, float] | None = None
    tooltip: str = ""


def pareto_front(points: Sequence[Point]) -> list[Point]:
    """Points no other point beats on both axes (higher x and higher y are better), in increasing x."""
    front: list[Point] = []
    best_y = -math.inf
    for p in sorted(points, key=lambda p: (-p.x, -p.y)):
        if p.y > best_y:
            front.append(p)
            best_y = p.y
    return sorted(front, key=lambda p: p.x)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_label(
    x: float, y: float, text: str, placed: list[tuple[float, float, float, float]], width: float, height: float
) -> tuple[float, float, str]:
    """Greedy: right, left, above, below the marker; the first spot clear of earlier labels and inside the chart."""
    w = len(text) * CHAR_W
    candidates = [(x + 8, y + 4, "start"), (x - 8, y + 4, "end"), (x, y - 10, "middle"), (x, y + 17, "middle")]
    for tx, ty, anchor in candidates:
        left = tx if anchor == "start" else tx - w if anchor == "end" else tx - w / 2
        box = (left, ty - FONT, left + w, ty + 2)
        if (
            box[0] >= 0
            and box[2] <= width
            and box[1] >= 0
            and box[3] <= height
            and not any(_overlaps(box, other) for other in placed)
        ):
            placed.append(box)
            return tx, ty, anchor
    return (x - 8, y + 4, "end") if x + 8 + w > width else (x + 8, y + 4, "start")


def scatter(chart_id: str, points: Sequence[Point], *, x_label: str, y_label: str, title: str, desc: str) -> str:
    """F1 (y, linear) against throughput (x, log): one labelled marker per point, the Pareto front dashed."""
    width, height = 760, 440
    left, right, top, bottom = 64, 24, 20, 52
    pw, ph = width - left - right, height - top - bottom
    xs = [p.x for p in points]
    x_lo, x_hi = min(xs) / 1.6, max(xs) * 1.6
    y_lo, y_hi = f1_domain([v for p in points for v in (p.y, *(p.y_ci or ()))])

    def sx(v: float) -> float:
        return left + (math.log10(v) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo)) * pw

    def sy(v: float) -> float:
        return top + (1 - (v - y_lo) / (y_hi - y_lo)) * ph

    out = [svg_open(chart_id, width, height, title, desc), '<g class="axes">']
    for t in log_ticks(x_lo, x_hi):
        out.append(f'<line class="grid" x1="{_n(sx(t))}" x2="{_n(sx(t))}" y1="{top}" y2="{top + ph}"/>')
        out.append(f'<text x="{_n(sx(t))}" y="{top + ph + 16}" text-anchor="middle">{esc(si(t))}</text>')
    for t in linear_ticks(y_lo, y_hi):
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{_n(sy(t))}" y2="{_n(sy(t))}"/>')
        out.append(f'<text x="{left - 6}" y="{_n(sy(t) + 4)}" text-anchor="end">{t:.2f}</text>')
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 10}" text-anchor="middle">{esc(x_label)}</text>')
    out.append(
        f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{esc(y_label)}</text></g>'
    )
    front = pareto_front(points)
    if len(front) > 1:
        path = " ".join(f"{_n(sx(p.x))},{_n(sy(p.y))}" for p in front)
        out.append(f'<polyline class="pareto" points="{path}"><title>Pareto front</title></polyline>')
    placed: list[tuple[float, float, float, float]] = []
    for p in sorted(points, key=lambda p: (p not in front, p.x)):  # front labels get the best spots
        x, y = sx(p.x), sy(p.y)
        tip = esc(p.tooltip or f"{p.label}: F1 {p.y:.3f}, {si(p.x)}")
        out.append(f'<g class="point{" front" if p in front else ""}"><title>{tip}</title>')
        if p.y_ci:
            lo, hi = sy(p.y_ci[0]), sy(p.y_ci[1])
            out.append(f'<line class="whisker" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(lo)}" y2="{_n(hi)}"/>')
        fill = "#fff" if p.hollow else p.color
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5.5" fill="{fill}" stroke="{p.color}" stroke-width="2"/>')
        if p in front:
            out.append(f'<circle class="ring" cx="{_n(x)}" cy="{_n(y)}" r="9"/>')
        tx, ty, anchor = _place_label(x, y, p.label, placed, width, height)
        out.append(f'<text x="{_n(tx)}" y="{_n(ty)}" text-anchor="{anchor}">{esc(p.label)}</text></g>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Bar:
    group: str
    """Row label (an entity type with its support)."""
    series: str
    """Model name (the colour)."""
    value: float
    ci: tuple[float, float] | None
    color: str
    tooltip: str


def grouped_bars(chart_id: str, groups: Sequence[str], bars: Sequence[Bar], *, title: str, desc: str) -> str:
    """Horizontal bars on [0, 1], one group of bars per row label, with CI whiskers and the value printed."""
    series = list(dict.fromkeys(b.series for b in bars))
    bar_h, gap, group_pad = 13, 2, 12
    label_w = min(220, max(len(g) for g in groups) * CHAR_W + 12)
    left, right, top, bottom = label_w, 56, 10, 34
    group_h = len(series) * (bar_h + gap) - gap
    pw = 440
    width = int(left + pw + right)
    height = int(top + len(groups) * (group_h + group_pad) + bottom)
    by_key = {(b.group, b.series): b for b in bars}

    def sx(v: float) -> float:
        return left + max(0.0, min(1.0, v)) * pw

    out = [svg_open(chart_id, width, height, title, desc)]
    plot_bottom = height - bottom
    for t in linear_ticks(0.0, 1.0):
        out.append(f'<line class="grid" x1="{_n(sx(t))}" x2="{_n(sx(t))}" y1="{top}" y2="{plot_bottom}"/>')
        out.append(f'<text x="{_n(sx(t))}" y="{plot_bottom + 15}" text-anchor="middle">{t:.1f}</text>')
    out.append(f'<text x="{_n(left + pw / 2)}" y="{height - 4}" text-anchor="middle">F1</text>')
    for gi, group in enumerate(groups):
        y0 = top + gi * (group_h + group_pad) + group_pad / 2
        shown = group if len(group) * CHAR_W <= label_w - 12 else group[: int((label_w - 12) / CHAR_W) - 1] + "…"
        out.append(f'<text x="{_n(left - 8)}" y="{_n(y0 + group_h / 2 + 4)}" text-anchor="end">')
        out.append(f"<title>{esc(group)}</title>{esc(shown)}</text>")
        for si_, name in enumerate(series):
            bar = by_key.get((group, name))
            if bar is None:
                continue
            y = y0 + si_ * (bar_h + gap)
            out.append(f"<g><title>{esc(bar.tooltip)}</title>")
            out.append(
                f'<rect x="{left}" y="{_n(y)}" width="{_n(sx(bar.value) - left)}" height="{bar_h}" fill="{bar.color}"/>'
            )
            end = sx(bar.value)
            if bar.ci:
                lo, hi, mid = sx(bar.ci[0]), sx(bar.ci[1]), y + bar_h / 2
                out.append(f'<path class="whisker" d="M{_n(lo)} {_n(mid)}H{_n(hi)}M{_n(lo)} {_n(y + 2)}V')
                out.append(f'{_n(y + bar_h - 2)}M{_n(hi)} {_n(y + 2)}V{_n(y + bar_h - 2)}"/>')
                end = max(end, hi)
            out.append(f'<text class="value" x="{_n(end + 4)}" y="{_n(y + bar_h - 2)}">{bar.value:.3f}</text></g>')
    out.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{plot_bottom}"/></svg>')
    return "".join(out)


def _axes(
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[float],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    plot: tuple[float, float, float, float],
    height: int,
    x_label: str,
    y_label: str,
) -> list[str]:
    """Grid lines and tick labels (``x_ticks``: value and label; y as F1 with two decimals), the plot frame
    ``(left, top, width, height)`` and both axis titles."""
    left, top, pw, ph = plot
    out = []
    for t, label in x_ticks:
        out.append(f'<line class="grid" x1="{_n(sx(t))}" x2="{_n(sx(t))}" y1="{top}" y2="{top + ph}"/>')
        out.append(f'<text x="{_n(sx(t))}" y="{top + ph + 16}" text-anchor="middle">{esc(label)}</text>')
    for t in y_ticks:
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{_n(sy(t))}" y2="{_n(sy(t))}"/>')
        out.append(f'<text x="{left - 6}" y="{_n(sy(t) + 4)}" text-anchor="end">{t:.2f}</text>')
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 10}" text-anchor="middle">{esc(x_label)}</text>')
    out.append(f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{esc(y_label)}</text>')
    return out


@dataclass(frozen=True)
class Curve:
    label: str
    color: str
    points: Sequence[tuple[float, float, str]]
    """``(x, y, marker label)`` in any order."""
    start: tuple[float, float, str] | None = None
    end: tuple[float, float, str] | None = None
    """Reference points drawn as squares (the primary alone at x=0, the fallback alone at x=1)."""


def line_chart(chart_id: str, curve: Curve, *, x_label: str, y_label: str, title: str, desc: str) -> str:
    """y against a share on [0, 1] (x as percent): the curve, its labelled markers, and the two references
    joined by a dotted line (what mixing the two models at random would give, roughly)."""
    width, height = 640, 360
    left, right, top, bottom = 60, 30, 24, 50
    pw, ph = width - left - right, height - top - bottom
    refs = [r for r in (curve.start, curve.end) if r is not None]
    y_lo, y_hi = f1_domain([p[1] for p in [*curve.points, *refs]])

    def sx(v: float) -> float:
        return left + v * pw

    def sy(v: float) -> float:
        return top + (1 - (v - y_lo) / (y_hi - y_lo)) * ph

    out = [svg_open(chart_id, width, height, title, desc)]
    x_ticks = [(t, f"{t:.0%}") for t in linear_ticks(0.0, 1.0)]
    out += _axes(x_ticks, linear_ticks(y_lo, y_hi), sx, sy, (left, top, pw, ph), height, x_label, y_label)
    if len(refs) == 2:
        (x1, y1, _), (x2, y2, _) = refs
        out.append(f'<line class="baseline" x1="{_n(sx(x1))}" y1="{_n(sy(y1))}" x2="{_n(sx(x2))}" y2="{_n(sy(y2))}"/>')
    pts = sorted(curve.points)
    path = " ".join(f"{_n(sx(x))},{_n(sy(y))}" for x, y, _ in pts)
    out.append(f'<polyline class="curve" points="{path}" stroke="{curve.color}"/>')
    last_label_x = -math.inf
    for x, y, label in pts:
        out.append(f"<g><title>{esc(label)}: {x:.1%} deferred, F1 {y:.3f}</title>")
        out.append(f'<circle cx="{_n(sx(x))}" cy="{_n(sy(y))}" r="4" fill="{curve.color}"/>')
        if sx(x) - last_label_x > 26:  # skip labels that would sit on top of the previous one
            out.append(f'<text class="small" x="{_n(sx(x))}" y="{_n(sy(y) - 8)}" text-anchor="middle">')
            out.append(f"{esc(label)}</text>")
            last_label_x = sx(x)
        out.append("</g>")
    for x, y, label in refs:
        anchor = "start" if x < 0.5 else "end"
        dx = 9 if x < 0.5 else -9
        out.append(f"<g><title>{esc(label)}: F1 {y:.3f}</title>")
        out.append(f'<rect class="ref" x="{_n(sx(x) - 5)}" y="{_n(sy(y) - 5)}" width="10" height="10"/>')
        out.append(f'<text x="{_n(sx(x) + dx)}" y="{_n(sy(y) + 18)}" text-anchor="{anchor}">{esc(label)}</text></g>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    points: Sequence[tuple[float, float, tuple[float, float] | None]]
    """``(x, y, y interval or None)``."""


def learning_curves(
    chart_id: str,
    series: Sequence[Series],
    *,
    references: Sequence[tuple[str, float]] = (),
    x_label: str,
    y_label: str,
    title: str,
    desc: str,
) -> str:
    """y (with interval whiskers) against a count on x, one line per series; ``references`` are labelled
    horizontal dashed lines (e.g. the F1 of training on all gold)."""
    width, height = 700, 380
    left, right, top, bottom = 60, 150, 24, 50
    pw, ph = width - left - right, height - top - bottom
    ys = [v for s in series for _, y, ci in s.points for v in (y, *(ci or ()))] + [y for _, y in references]
    y_lo, y_hi = f1_domain(ys or [0.0, 1.0])
    x_hi = max([x for s in series for x, _, _ in s.points] or [1.0]) or 1.0

    def sx(v: float) -> float:
        return left + v / x_hi * pw

    def sy(v: float) -> float:
        return top + (1 - (v - y_lo) / (y_hi - y_lo)) * ph

    out = [svg_open(chart_id, width, height, title, desc)]
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10**9) if x_hi / s <= 8)
    x_ticks = [(float(t), si(t)) for t in range(0, int(x_hi) + 1, step)]
    out += _axes(x_ticks, linear_ticks(y_lo, y_hi), sx, sy, (left, top, pw, ph), height, x_label, y_label)
    for label, y in references:
        out.append(f"<g><title>{esc(label)}: {y:.3f}</title>")
        out.append(f'<line class="baseline" x1="{left}" x2="{left + pw}" y1="{_n(sy(y))}" y2="{_n(sy(y))}"/>')
        out.append(f'<text x="{left + pw + 6}" y="{_n(sy(y) + 4)}">{esc(label)} {y:.3f}</text></g>')
    for n, s in enumerate(series):
        pts = sorted(s.points)
        path = " ".join(f"{_n(sx(x))},{_n(sy(y))}" for x, y, _ in pts)
        out.append(f'<polyline class="curve" points="{path}" stroke="{s.color}"/>')
        dx = (n - (len(series) - 1) / 2) * 3  # whiskers of series side by side, not on top of each other
        for x, y, ci in pts:
            interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
            out.append(f"<g><title>{esc(s.label)}: {si(x)} corrected, F1 {y:.3f}{interval}</title>")
            if ci:
                out.append(f'<path class="whisker" stroke="{s.color}" d="M{_n(sx(x) + dx)} {_n(sy(ci[0]))}')
                out.append(f'V{_n(sy(ci[1]))}"/>')
            out.append(f'<circle cx="{_n(sx(x))}" cy="{_n(sy(y))}" r="4" fill="{s.color}"/></g>')
        if pts:
            x, y, _ = pts[-1]
            out.append(f'<text x="{left + pw + 6}" y="{_n(sy(y) + 4)}" fill="{s.color}">{esc(s.label)}</text>')
    out.append("</svg>")
    return "".join(out)


# -- HTML pieces ---------------------------------------------------------------------------------------------
def fmt(value: Any, digits: int = 3) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:,.{digits}f}"


def fmt_ci(value: Any, ci: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value:.3f}" + (f" <span class='muted'>[{ci[0]:.3f}, {ci[1]:.3f}]</span>" if ci else "")


def table(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "", left: int = 1) -> str:
    """Cells are HTML already (callers escape); the first ``left`` columns are left-aligned text."""
    head = "".join(f"<th scope='col' class='{'l' if i < left else ''}'>{h}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td class='{'l' if i < left else ''}'>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    cap = f"<caption>{caption}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def span_cell(info: Any) -> str:
    if not isinstance(info, Mapping):
        return "<span class='muted'>-</span>"
    return f"<b>{esc(info.get('label'))}</b> {esc(repr(info.get('text', '')))}"


def _segments(context: str) -> list[tuple[str, frozenset[str]]] | None:
    """Split a context marked ``[[gold]]`` / ``<<predicted>>`` into (text, roles) pieces; None if the markers
    do not pair up (the document itself contained such brackets)."""
    marks = {"[[": ("g", True), "]]": ("g", False), "<<": ("p", True), ">>": ("p", False)}
    out: list[tuple[str, frozenset[str]]] = []
    active: set[str] = set()
    buf: list[str] = []
    i = 0
    while i < len(context):
        mark = marks.get(context[i : i + 2])
        if mark is None:
            buf.append(context[i])
            i += 1
            continue
        role, opening = mark
        if opening == (role in active):
            return None
        out.append(("".join(buf), frozenset(active)))
        buf = []
        active.add(role) if opening else active.discard(role)
        i += 2
    out.append(("".join(buf), frozenset(active)))
    return None if active else [(text, roles) for text, roles in out if text]


def highlight(example: Mapping[str, Any]) -> str:
    """The example's context as HTML, spans in ``<mark>``: class ``g`` gold, ``p`` predicted, both when shared.

    The markers are checked against the gold and predicted texts; on any mismatch the context is shown as is.
    """
    context = str(example.get("context") or "")
    gold, pred = example.get("gold"), example.get("pred")
    segments = _segments(context)
    same = (
        isinstance(gold, Mapping)
        and isinstance(pred, Mapping)
        and gold.get("start") == pred.get("start")
        and (gold.get("end") == pred.get("end"))
    )
    if segments is not None and same:  # one [[...]] marks both spans when their boundaries agree
        segments = [(t, r | {"p"} if "g" in r else r) for t, r in segments]

    def text_of(role: str) -> str:
        return "".join(t for t, r in segments or [] if role in r)

    def expected(info: Any) -> str:
        return str(info.get("text", "")).replace("\n", " ") if isinstance(info, Mapping) else ""

    if segments is None or text_of("g") != expected(gold) or text_of("p") != expected(pred):
        return esc(context)
    names = {"g": f"gold {gold.get('label')}" if isinstance(gold, Mapping) else "",
             "p": f"predicted {pred.get('label')}" if isinstance(pred, Mapping) else ""}  # fmt: skip
    html_parts = []
    for text, roles in segments:
        if not roles:
            html_parts.append(esc(text))
            continue
        title = ", ".join(names[r] for r in sorted(roles))
        html_parts.append(f"<mark class='{' '.join(sorted(roles))}' title='{esc(title)}'>{esc(text)}</mark>")
    return "".join(html_parts)
