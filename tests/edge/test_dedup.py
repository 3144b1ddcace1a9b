"""One event per sighting, with an injected clock."""

from __future__ import annotations

import pytest

from edge.barcodes import CodeRead
from edge.dedup import Deduplicator


def read(text: str, symbology: str = "Code128", decoder: str = "zxing-cpp") -> CodeRead:
    return CodeRead(symbology, "]C0", text, text.encode(), decoder, (0, 0, 10, 10), "Text")


def run(dedup: Deduplicator, frames: list[tuple[float, list[CodeRead]]]) -> list[tuple[float, str]]:
    return [(now, r.text) for now, reads in frames for r in dedup.feed(reads, now)]


def test_a_code_held_in_view_is_one_event() -> None:
    dedup = Deduplicator(window_s=2.0)
    frames = [(t / 10, [read("A")]) for t in range(50)]
    assert run(dedup, frames) == [(0.0, "A")]
    assert dedup.active[0].frames == 50


def test_short_gaps_continue_the_sighting_long_ones_start_a_new_one() -> None:
    dedup = Deduplicator(window_s=2.0)
    frames = [(0.0, [read("A")]), (1.9, [read("A")]), (3.9, [read("A")]), (6.0, [read("A")])]
    assert run(dedup, frames) == [(0.0, "A"), (6.0, "A")]


def test_empty_frames_do_not_end_a_sighting_inside_the_window() -> None:
    dedup = Deduplicator(window_s=1.0)
    frames = [(0.0, [read("A")]), (0.5, []), (0.9, []), (1.0, [read("A")]), (2.5, [])]
    assert run(dedup, frames) == [(0.0, "A")]
    assert dedup.active == []


def test_different_codes_and_symbologies_are_separate_events() -> None:
    dedup = Deduplicator()
    emitted = dedup.feed([read("A"), read("B"), read("A", symbology="QRCode")], 0.0)
    assert [(r.symbology, r.text) for r in emitted] == [
        ("Code128", "A"),
        ("Code128", "B"),
        ("QRCode", "A"),
    ]


def test_the_same_code_twice_in_one_frame_counts_once() -> None:
    dedup = Deduplicator(min_frames=2)
    assert dedup.feed([read("A"), read("A", decoder="pyzbar")], 0.0) == []
    emitted = dedup.feed([read("A")], 0.1)
    assert [(r.text, r.frames, r.decoder) for r in emitted] == [("A", 2, "zxing-cpp")]


def test_min_frames_withholds_single_frame_glimpses() -> None:
    dedup = Deduplicator(window_s=1.0, min_frames=3)
    frames = [(0.0, [read("glimpse")])] + [(2.0 + t / 10, [read("B")]) for t in range(5)]
    assert run(dedup, frames) == [(2.2, "B")]


def test_expire_reports_ended_sightings_with_their_frame_counts() -> None:
    dedup = Deduplicator(window_s=1.0)
    for t in range(4):
        dedup.feed([read("A")], t * 0.1)
    dedup.feed([read("B")], 1.0)
    ended = dedup.expire(1.5)
    assert [(s.read.text, s.frames, s.first_seen) for s in ended] == [("A", 4, 0.0)]
    assert ended[0].last_seen == pytest.approx(0.3)
    assert [s.read.text for s in dedup.active] == ["B"]


@pytest.mark.parametrize(("window_s", "min_frames"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_refuses_nonsense_settings(window_s: float, min_frames: int) -> None:
    with pytest.raises(ValueError, match="window_s"):
        Deduplicator(window_s=window_s, min_frames=min_frames)
