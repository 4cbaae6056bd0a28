"""Server-side SVG charts for the reports: geometry here, markup in ``_chart.html``.

Input is ``pipeline.reports.runner.report_chart_data(...)["chart"]`` (``kind``, ``labels``, ``series``).
Output is a plain layout (shapes with attributes and text) that the template writes as inline
SVG, every value escaped by Jinja; no script, no inline style (the app's CSP forbids both).
Small-cell suppressed values ("<5") and missing values are never plotted as numbers: they are
marked as suppressed or left out.

Read by everyone (WCAG 2.1 AA): each series has a colour with at least 3:1 contrast against the
white background and against the series beside it (dark and mid tones alternate), and a
pattern too (``PATTERNS``: stripes, dots, hatching; lines get dashes), so colour is never the
only cue; stacked segments are parted by a white line. The "<5" marks are dark enough for text
(at least 4.5:1). Titles, axis names and numbers follow the language in effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipeline import i18n

WIDTH, HEIGHT = 760, 340
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 12, 112
MAX_LABELS = 24
LABEL_CHARS = 28  # a category's name under the axis, at most
SUPPRESSED = "suppressed"
SERIES = 8  # colours (s0..s7 in charts.css); a ninth series takes the first again
# each series' fill: None (plain colour) or (the mark drawn in white over it, its rotation)
PATTERNS: dict[str, tuple[str, int] | None] = {
    "s0": None,
    "s1": ("M0 0V8", 45),
    "s2": ("M2 2h2v2h-2zM6 6h2v2h-2z", 0),
    "s3": ("M0 0V8", -45),
    "s4": ("M0 4H8", 0),
    "s5": ("M0 0V8M0 4H8", 45),
    "s6": ("M4 0V8", 0),
    "s7": ("M0 0V8M4 2h2v2h-2z", 0),
}
KINDS = {
    "bar": i18n.N_("Bar chart"),
    "stacked-bar": i18n.N_("Stacked bar chart"),
    "line": i18n.N_("Line chart"),
    "interval": i18n.N_("Chart of estimates and their intervals"),
}


@dataclass
class Shape:
    tag: str
    attrs: dict[str, Any]
    text: str | None = None
    title: str | None = None


@dataclass
class Chart:
    kind: str
    width: int = WIDTH
    height: int = HEIGHT
    shapes: list[Shape] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, series name)
    suppressed: int = 0
    description: str = ""
    x_title: str = ""
    y_title: str = ""
    note: str = ""  # what the "<5" marks mean, when the chart has any
    patterns: dict[str, tuple[str, int] | None] = field(default_factory=lambda: dict(PATTERNS))


def value_of(raw: Any) -> float | str | None:
    """A number, ``SUPPRESSED`` for a small-cell value such as "<5", or None when missing."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | Decimal):
        number = float(raw)
        return number if math.isfinite(number) else None
    text = str(raw).strip()
    if text.startswith("<"):
        return SUPPRESSED
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def nice_step(top: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) covering ``top`` in ``ticks`` steps."""
    raw = max(top, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def fmt(number: float) -> str:
    """A number as the language in effect writes it: 1,234.5 in English, 1 234,5 in French."""
    text = f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"
    if i18n.current() == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


class _Plot:
    """Coordinates of the plotting area for ``n`` categories and a y range [0, top]."""

    def __init__(self, n: int, top: float) -> None:
        self.n = max(n, 1)
        self.step = nice_step(top)
        self.top = self.step * math.ceil(max(top, 1e-9) / self.step)
        self.x0, self.x1 = LEFT, WIDTH - RIGHT
        self.y0, self.y1 = HEIGHT - BOTTOM, TOP
        self.band = (self.x1 - self.x0) / self.n

    def y(self, value: float) -> float:
        return round(self.y0 - (self.y0 - self.y1) * max(value, 0) / self.top, 1)

    def x(self, index: int) -> float:
        return round(self.x0 + self.band * (index + 0.5), 1)


def _point(label: str, series: str, value: float) -> str:
    """A drawn value's title: its category, its series and the number."""
    return i18n.gettext("%(label)s · %(series)s: %(value)s") % {
        "label": label,
        "series": series,
        "value": fmt(value),
    }


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    """A category's name cut to fit under the axis; the whole name is the label's title."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _axes(plot: _Plot, labels: list[str], x_title: str, y_title: str) -> list[Shape]:
    shapes = []
    if y_title:
        x, y = 14, (plot.y0 + plot.y1) / 2
        shapes.append(
            Shape(
                "text",
                {
                    "x": x,
                    "y": y,
                    "class": "axis-title",
                    "text-anchor": "middle",
                    "transform": f"rotate(-90 {x} {y})",
                },
                y_title,
            )
        )
    if x_title:
        shapes.append(
            Shape(
                "text",
                {
                    "x": (plot.x0 + plot.x1) / 2,
                    "y": HEIGHT - 6,
                    "class": "axis-title",
                    "text-anchor": "middle",
                },
                x_title,
            )
        )
    ticks = round(plot.top / plot.step)
    for i in range(ticks + 1):
        value = plot.step * i
        y = plot.y(value)
        shapes.append(
            Shape("line", {"x1": plot.x0, "x2": plot.x1, "y1": y, "y2": y, "class": "grid"})
        )
        shapes.append(
            Shape(
                "text",
                {"x": plot.x0 - 6, "y": y + 4, "class": "tick", "text-anchor": "end"},
                fmt(value),
            )
        )
    every = math.ceil(len(labels) / MAX_LABELS) or 1
    for i, label in enumerate(labels):
        if i % every:
            continue
        x, y = plot.x(i), plot.y0 + 14
        shapes.append(
            Shape(
                "text",
                {
                    "x": x,
                    "y": y,
                    "class": "label",
                    "text-anchor": "end",
                    "transform": f"rotate(-35 {x} {y})",
                },
                _short(str(label)),
                title=str(label) if _short(str(label)) != str(label) else None,
            )
        )
    shapes.append(
        Shape("line", {"x1": plot.x0, "x2": plot.x1, "y1": plot.y0, "y2": plot.y0, "class": "axis"})
    )
    return shapes


def _marker(plot: _Plot, x: float, y: float, label: str, series: str) -> Shape:
    return Shape(
        "text",
        {"x": x, "y": y, "class": SUPPRESSED, "text-anchor": "middle"},
        "<5",
        i18n.gettext("%(label)s · %(series)s: suppressed (fewer than the minimum cell size)")
        % {"label": label, "series": series},
    )


def build_chart(chart: dict[str, Any], *, x_title: str = "", y_title: str = "") -> Chart | None:
    """The layout of a report's chart, or None when the report is a table only; ``x_title``
    and ``y_title`` name the axes (in the page's words)."""
    kind = chart.get("kind", "table")
    labels = [str(label) for label in chart.get("labels", [])]
    series = [(str(s["name"]), [value_of(v) for v in s["values"]]) for s in chart.get("series", [])]
    if kind == "table" or not labels or not series:
        return None
    numbers = [v for _, values in series for v in values if isinstance(v, float)]
    if kind == "stacked-bar":
        sums = [
            sum(values[i] for _, values in series if isinstance(values[i], float))
            for i in range(len(labels))
        ]
        top = max(sums, default=0)
    else:
        top = max(numbers, default=0)
    plot = _Plot(len(labels), top if top > 0 else 1)
    out = Chart(kind, shapes=_axes(plot, labels, x_title, y_title))
    out.x_title, out.y_title = x_title, y_title
    out.legend = [(f"s{i % SERIES}", name) for i, (name, _) in enumerate(series)]
    draw = {"bar": _bars, "stacked-bar": _stacked, "line": _lines, "interval": _intervals}
    draw.get(kind, _bars)(plot, labels, series, out)
    out.description = i18n.ngettext(
        "%(kind)s of %(series)s over %(n)s category",
        "%(kind)s of %(series)s over %(n)s categories",
        len(labels),
    ) % {
        "kind": i18n.gettext(KINDS.get(kind, KINDS["bar"])),
        "series": ", ".join(name for name, _ in series),
        "n": len(labels),
    }
    if out.suppressed:
        out.note = i18n.ngettext(
            "<5 marks %(num)s value withheld (fewer people than the minimum cell size): not drawn.",
            "<5 marks %(num)s values withheld (fewer people than the minimum cell size): "
            "not drawn.",
            out.suppressed,
        ) % {"num": out.suppressed}
    return out


Series = list[tuple[str, list[float | str | None]]]


def _bars(plot: _Plot, labels: list[str], series: Series, out: Chart) -> None:
    width = plot.band * 0.8 / len(series)
    for s, (name, values) in enumerate(series):
        for i, value in enumerate(values):
            x = round(plot.x0 + plot.band * (i + 0.1) + width * s, 1)
            if value == SUPPRESSED:
                out.suppressed += 1
                out.shapes.append(_marker(plot, x + width / 2, plot.y0 - 4, labels[i], name))
            elif isinstance(value, float):
                y = plot.y(value)
                out.shapes.append(
                    Shape(
                        "rect",
                        {
                            "x": x,
                            "y": y,
                            "width": round(width, 1),
                            "height": round(plot.y0 - y, 1),
                            "class": f"bar s{s % SERIES}",
                        },
                        title=_point(labels[i], name, value),
                    )
                )


def _stacked(plot: _Plot, labels: list[str], series: Series, out: Chart) -> None:
    width = round(plot.band * 0.7, 1)
    for i, label in enumerate(labels):
        base, hidden = 0.0, []
        x = round(plot.x0 + plot.band * (i + 0.15), 1)
        for s, (name, values) in enumerate(series):
            value = values[i]
            if value == SUPPRESSED:
                hidden.append(name)
            elif isinstance(value, float) and value > 0:
                y_top, y_base = plot.y(base + value), plot.y(base)
                out.shapes.append(
                    Shape(
                        "rect",
                        {
                            "x": x,
                            "y": y_top,
                            "width": width,
                            "height": round(y_base - y_top, 1),
                            "class": f"bar s{s % SERIES}",
                        },
                        title=_point(label, name, value),
                    )
                )
                base += value
        if hidden:
            out.suppressed += len(hidden)
            out.shapes.append(
                _marker(plot, x + width / 2, plot.y(base) - 4, label, ", ".join(hidden))
            )


def _lines(plot: _Plot, labels: list[str], series: Series, out: Chart) -> None:
    for s, (name, values) in enumerate(series):
        run: list[str] = []
        for i, value in enumerate([*values, None]):
            if isinstance(value, float):
                x, y = plot.x(i), plot.y(value)
                run.append(f"{x},{y}")
                out.shapes.append(
                    Shape(
                        "circle",
                        {"cx": x, "cy": y, "r": 3, "class": f"dot s{s % SERIES}"},
                        title=_point(labels[i], name, value),
                    )
                )
                continue
            if len(run) > 1:  # a gap (missing or suppressed) breaks the line
                out.shapes.append(
                    Shape("polyline", {"points": " ".join(run), "class": f"line s{s % SERIES}"})
                )
            run = []
            if value == SUPPRESSED:
                out.suppressed += 1
                out.shapes.append(_marker(plot, plot.x(i), plot.y0 - 4, labels[i], name))


def _intervals(plot: _Plot, labels: list[str], series: Series, out: Chart) -> None:
    (name, points), *bounds = series
    low = bounds[0][1] if bounds else [None] * len(labels)
    high = bounds[1][1] if len(bounds) > 1 else [None] * len(labels)
    for i, value in enumerate(points):
        x = plot.x(i)
        if isinstance(low[i], float) and isinstance(high[i], float):
            out.shapes.append(
                Shape(
                    "line",
                    {
                        "x1": x,
                        "x2": x,
                        "y1": plot.y(low[i]),
                        "y2": plot.y(high[i]),
                        "class": "whisker",
                    },
                    title=i18n.gettext("%(label)s: %(low)s to %(high)s")
                    % {"label": labels[i], "low": fmt(low[i]), "high": fmt(high[i])},
                )
            )
        if isinstance(value, float):
            out.shapes.append(
                Shape(
                    "circle",
                    {"cx": x, "cy": plot.y(value), "r": 4, "class": "dot s0"},
                    title=_point(labels[i], name, value),
                )
            )
        elif value == SUPPRESSED:
            out.suppressed += 1
            out.shapes.append(_marker(plot, x, plot.y0 - 4, labels[i], name))
