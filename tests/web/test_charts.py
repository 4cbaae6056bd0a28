"""The SVG chart layouts: numbers are drawn, "<5" and missing values never are."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import i18n
from pipeline.web import charts
from pipeline.web.charts import PATTERNS, SERIES, SUPPRESSED, build_chart, nice_step, value_of


def tags(chart, tag: str, cls: str = "") -> list:
    return [s for s in chart.shapes if s.tag == tag and cls in s.attrs.get("class", "")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3, 3.0),
        (Decimal("2.5"), 2.5),
        ("6", 6.0),
        ("<5", SUPPRESSED),
        (" <10", SUPPRESSED),
        (None, None),
        ("n/a", None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_value_of(raw, expected) -> None:
    assert value_of(raw) == expected


def test_nice_step_is_round() -> None:
    assert [nice_step(x) for x in (4, 7, 40, 0.3, 1234)] == [1, 2, 10, 0.1, 500]


def test_table_reports_and_empty_series_have_no_chart() -> None:
    assert build_chart({"kind": "table", "labels": [], "series": []}) is None
    assert (
        build_chart({"kind": "bar", "labels": [], "series": [{"name": "a", "values": []}]}) is None
    )


def test_bars_draw_numbers_and_mark_suppressed_cells() -> None:
    chart = build_chart(
        {
            "kind": "bar",
            "labels": ["A", "B", "C"],
            "series": [{"name": "n", "values": [8, "<5", None]}],
        }
    )
    [bar] = tags(chart, "rect", "bar")
    assert bar.title == "A · n: 8"
    [marker] = tags(chart, "text", SUPPRESSED)
    assert marker.text == "<5" and marker.title.startswith("B · n: suppressed")
    assert chart.suppressed == 1
    # the y axis reaches the largest number; the tallest bar touches a round top
    assert float(bar.attrs["height"]) > 0 and chart.legend == [("s0", "n")]


def test_stacked_bars_leave_suppressed_segments_out_of_the_stack() -> None:
    chart = build_chart(
        {
            "kind": "stacked-bar",
            "labels": ["X"],
            "series": [{"name": "a", "values": [10]}, {"name": "b", "values": ["<5"]}],
        }
    )
    [segment] = tags(chart, "rect", "bar")
    assert segment.title == "X · a: 10"
    [marker] = tags(chart, "text", SUPPRESSED)
    assert "X · b: suppressed" in marker.title
    # the marker sits on top of the drawn stack, not at a made-up height
    assert float(marker.attrs["y"]) == pytest.approx(float(segment.attrs["y"]) - 4)


def test_lines_break_at_gaps() -> None:
    chart = build_chart(
        {
            "kind": "line",
            "labels": ["w1", "w2", "w3", "w4", "w5"],
            "series": [{"name": "flags", "values": [1, 2, "<5", 4, 5]}],
        }
    )
    lines = tags(chart, "polyline")
    assert [len(line.attrs["points"].split()) for line in lines] == [2, 2]
    assert len(tags(chart, "circle")) == 4 and chart.suppressed == 1


def test_intervals_draw_a_point_and_its_whisker() -> None:
    chart = build_chart(
        {
            "kind": "interval",
            "labels": ["personal", "official"],
            "series": [
                {"name": "miss_rate_pct", "values": [4.0, None]},
                {"name": "ci_low_pct", "values": [1.0, None]},
                {"name": "ci_high_pct", "values": [9.5, None]},
            ],
        }
    )
    [whisker] = tags(chart, "line", "whisker")
    [point] = tags(chart, "circle")
    assert float(whisker.attrs["y1"]) > float(point.attrs["cy"]) > float(whisker.attrs["y2"])
    assert point.title == "personal · miss_rate_pct: 4"


def test_many_labels_are_thinned() -> None:
    labels = [f"run {i}" for i in range(100)]
    chart = build_chart(
        {"kind": "bar", "labels": labels, "series": [{"name": "n", "values": list(range(100))}]}
    )
    assert len(tags(chart, "text", "label")) <= 25
    assert len(tags(chart, "rect", "bar")) == 100  # zero is a number: a bar of no height


def luminance(hex_colour: str) -> float:
    """WCAG 2.1's relative luminance of #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_series_colours_stand_out_from_the_background_and_from_each_other() -> None:
    css = (Path(charts.__file__).parent / "static" / "charts.css").read_text(encoding="utf-8")
    colours = [
        re.search(rf"\.s{i} {{ fill: (#[0-9a-f]{{6}});", css).group(1) for i in range(SERIES)
    ]
    assert len(set(colours)) == SERIES
    for i, colour in enumerate(colours):
        assert contrast(colour, "#ffffff") >= 3, colour  # WCAG 1.4.11, against the white ground
        beside = colours[(i + 1) % SERIES]  # the next series: side by side in bars and stacks
        assert contrast(colour, beside) >= 3, (colour, beside)
    # every series but the first also has a pattern, so colour is never the only cue
    assert all(PATTERNS[f"s{i}"] for i in range(1, SERIES))
    suppressed = re.search(r"\.chart \.suppressed { fill: (#[0-9a-f]{6});", css).group(1)
    assert contrast(suppressed, "#ffffff") >= 4.5  # the "<5" marks are text


def test_chart_words_follow_the_language_in_effect() -> None:
    spec = {
        "kind": "bar",
        "labels": ["A", "B"],
        "series": [{"name": "Flags", "values": [1234.5, "<5"]}],
    }
    with i18n.use_lang("fr"):
        chart = build_chart(spec, x_title="Catégorie", y_title="Signalements")
    assert chart.description == "Diagramme à barres : Flags, sur 2 catégories"
    [bar] = tags(chart, "rect", "bar")
    assert bar.title == "A · Flags : 1\u202f234,5"
    [marker] = tags(chart, "text", SUPPRESSED)
    assert marker.title.startswith("B · Flags : valeur masquée")
    assert chart.note.startswith("<5 indique 1 valeur masquée")
    assert [s.text for s in tags(chart, "text", "axis-title")] == ["Signalements", "Catégorie"]
