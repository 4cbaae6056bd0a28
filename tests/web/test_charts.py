"""The SVG chart layouts: numbers are drawn, "<5" and missing values never are."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.web.charts import SUPPRESSED, build_chart, nice_step, value_of


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
