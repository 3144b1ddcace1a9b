"""The inline SVG charts: well-formed, named for screen readers, scaled, escaped, no script."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hub.dashboard.charts import Bar, bars_svg, sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # Inline SVG in HTML needs no namespace; parse it as the SVG it is.
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def test_a_bar_chart_names_itself_and_every_bar() -> None:
    bars = [Bar("08", 5, 10, "08:00: 5 called, 10 slots"), Bar("", 12, 10, "09:00: 12 of 10"),
            Bar("10", 0, 10, "10:00: 0 called, 10 slots")]  # fmt: skip
    svg = parse(bars_svg("Throughput <today>", bars, over_class=True))
    assert svg.get("role") == "img" and svg.get("aria-label") == "Throughput <today>"
    assert svg.findtext(f"{SVG}title") == "Throughput <today>"
    groups = svg.findall(f"{SVG}g")
    assert [g.findtext(f"{SVG}title") for g in groups] == [b.text for b in bars]
    classes = [[r.get("class") for r in g.findall(f"{SVG}rect")] for g in groups]
    assert classes == [["ref", "bar"], ["ref", "over"], ["ref"]]  # over capacity stands out
    heights = [float(g.findall(f"{SVG}rect")[-1].get("height", "0")) for g in groups[:2]]
    assert heights[1] / heights[0] == 12 / 5  # to scale
    assert [t.text for t in svg.findall(f"{SVG}text")] == ["08", "10", "12"]  # labels, scale
    assert all(float(r.get("y", "0")) >= 0 for g in groups for r in g.findall(f"{SVG}rect"))


def test_text_is_escaped_and_there_is_no_script_or_style() -> None:
    markup = str(bars_svg('"><script>alert(1)</script>', [Bar("<b>", 1, None, "&")]))
    assert "<script" not in markup and "<b>" not in markup and "style" not in markup
    assert "&lt;script&gt;" in markup and "&amp;" in markup
    parse(markup)  # still well-formed


def test_an_empty_chart_still_draws_its_axis() -> None:
    svg = parse(bars_svg("nothing", []))
    assert svg.find(f"{SVG}line") is not None and svg.findall(f"{SVG}rect") == []


def test_a_sparkline_spans_its_box_from_low_to_high() -> None:
    svg = parse(sparkline_svg("outbox 0 → 40", [0, 10, 40]))
    assert svg.get("aria-label") == "outbox 0 → 40"
    points = [tuple(map(float, p.split(","))) for p in
              svg.find(f"{SVG}polyline").get("points", "").split()]  # type: ignore[union-attr]  # fmt: skip
    assert [x for x, _ in points] == [0, 60, 120]
    ys = [y for _, y in points]
    assert ys[0] > ys[1] > ys[2]  # higher depth, higher on the screen
    assert parse(sparkline_svg("none", [])).find(f"{SVG}polyline") is None
