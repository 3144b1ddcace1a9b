"""Lines that make one plate together: side by side, stacked; and what counts as near."""

from __future__ import annotations

from plate_helpers import probs

from edge.plate_lines import Line, joined, near
from edge.plate_reader import read_line


def line(text: str, bbox: tuple[int, int, int, int]) -> Line:
    return Line(probs(text), bbox, (bbox,))


def test_lines_side_by_side_or_stacked_are_joined() -> None:
    number, region = line("123ABC", (100, 50, 120, 30)), line("02", (225, 52, 30, 28))
    far = line("777", (600, 50, 90, 30))
    top, bottom = line("123", (400, 200, 60, 25)), line("ABC02", (395, 228, 70, 25))
    texts = {read_line(j.log_probs, j.bbox).raw_text for j in joined([number, region, far])}  # type: ignore[union-attr]
    assert texts == {"123ABC02"}
    stacked = [j for j in joined([bottom, top]) if j.parts == (top.bbox, bottom.bbox)]
    hit = read_line(stacked[0].log_probs, stacked[0].bbox)
    assert hit is not None and hit.readings[0].text == "123ABC02"
    assert stacked[0].bbox == (395, 200, 70, 53)


def test_near_is_beside_stacked_or_overlapping() -> None:
    number = (100, 50, 120, 30)
    assert near(number, (225, 52, 30, 28))  # the region box to its right
    assert near(number, (95, 82, 130, 30))  # a second row under it
    assert near(number, (150, 55, 40, 20))  # overlapping
    assert not near(number, (600, 50, 90, 30))
    assert not near(number, (100, 300, 120, 30))


def test_with_newest_only_the_joins_that_include_it() -> None:
    number, region = line("123ABC", (100, 50, 120, 30)), line("02", (225, 52, 30, 28))
    row2 = line("777", (100, 82, 120, 30))
    every = joined([number, region, row2])
    fresh = joined([number, region, row2], newest=row2)
    assert {j.parts for j in fresh} == {j.parts for j in every if row2.bbox in j.parts}
    assert fresh and all(row2.bbox in j.parts for j in fresh)
