"""Voting: one passage per vehicle, the right plate from noisy frames, no duplicates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge.voting import FrameRead, PassageTracker, edit_distance
from shekara.plates import LETTER_FOR_DIGIT, read_plate


def frame(text: str, at: float, conf: float = 0.9, y: int = 100) -> FrameRead[str]:
    return FrameRead(read_plate(text), conf, (50, y, 120, 30), f"crop@{at:.1f}", at, f"t{at:.1f}")


def run(tracker: PassageTracker[str], frames: list[FrameRead[str] | None], step: float = 0.1):
    out = []
    for i, f in enumerate(frames):
        out += tracker.feed(f, i * step)
    return out + tracker.flush()


def test_one_truck_many_frames_one_passage_with_the_majority_plate() -> None:
    tracker: PassageTracker[str] = PassageTracker()
    frames = [frame("123ABC12", i * 0.1) for i in range(8)]
    frames[2] = frame("123A8C12", 0.2, conf=0.7)  # a B read as 8: repaired, lower score
    frames[5] = frame("128ABC12", 0.5, conf=0.6)  # a wrong digit
    (passage,) = run(tracker, frames)
    assert passage.reading.text == "123ABC12"
    assert passage.reading.country == "KZ"
    assert passage.frames == 8
    assert 0.7 < passage.confidence <= 0.9
    assert [c.text for c, _ in passage.candidates][:2] == ["123ABC12", "128ABC12"]
    assert passage.best.readings[0].text == "123ABC12"
    assert (passage.first_seen, passage.last_seen) == ("t0.0", "t0.7")


def test_two_trucks_back_to_back_are_two_passages() -> None:
    tracker: PassageTracker[str] = PassageTracker()
    frames = [frame("123ABC12", i * 0.1) for i in range(5)]
    frames += [frame("AB1234BN", 0.5 + i * 0.1) for i in range(5)]
    passages = run(tracker, frames)
    assert [p.reading.text for p in passages] == ["123ABC12", "AB1234BN"]
    assert [p.reading.country for p in passages] == ["KZ", "TM"]


def test_a_truck_that_leaves_and_a_gap_close_the_passage() -> None:
    tracker: PassageTracker[str] = PassageTracker(leave_after_s=1.0)
    passages = []
    for i in range(5):
        passages += tracker.feed(frame("123ABC12", i * 0.1), i * 0.1)
    for t in (0.6, 1.0, 1.6):
        passages += tracker.feed(None, t)
    assert [p.reading.text for p in passages] == ["123ABC12"]
    # The same plate after the gap is another passage (the truck came round again).
    passages += tracker.feed(frame("123ABC12", 5.0), 5.0)
    passages += tracker.feed(frame("123ABC12", 5.1), 5.1)
    assert len(passages + tracker.flush()) == 2


def test_a_single_stray_reading_is_not_a_passage() -> None:
    tracker: PassageTracker[str] = PassageTracker(min_frames=2)
    assert run(tracker, [frame("123ABC12", 0.0), None, None]) == []


def test_direction_from_plate_motion() -> None:
    toward = run(PassageTracker(), [frame("123ABC12", i / 10, y=100 + 20 * i) for i in range(6)])
    away = run(PassageTracker(), [frame("123ABC12", i / 10, y=300 - 20 * i) for i in range(6)])
    still = run(PassageTracker(), [frame("123ABC12", i / 10, y=100 + i) for i in range(6)])
    assert [toward[0].direction, away[0].direction, still[0].direction] == ["toward", "away", None]


@given(
    st.lists(st.integers(min_value=0, max_value=7), min_size=0, max_size=3),
    st.integers(min_value=6, max_value=20),
)
def test_a_minority_of_confused_frames_never_changes_the_vote(bad: list[int], n: int) -> None:
    plate = "123ABC12"
    reads = []
    for i in range(n):
        text = plate
        if i < len(bad) and plate[bad[i]] in LETTER_FOR_DIGIT:
            j = bad[i]
            text = plate[:j] + LETTER_FOR_DIGIT[plate[j]] + plate[j + 1 :]
        reads.append(frame(text, i * 0.1))
    (passage,) = run(PassageTracker(), reads)
    assert passage.reading.text == plate
    assert passage.frames == n


def test_edit_distance() -> None:
    assert edit_distance("123ABC12", "123ABC12") == 0
    assert edit_distance("123ABC12", "123A8C12") == 1
    assert edit_distance("123ABC12", "23ABC12") == 1
    assert edit_distance("", "AB") == 2


def test_a_frame_that_missed_the_region_box_is_the_same_truck() -> None:
    from edge.voting import _alike

    assert _alike("K545YM527", "K545YM")
    assert _alike("K545YM", "K545YM527")
    assert not _alike("K545YM527", "545")  # too short a part to say
    assert not _alike("123ABC02", "777KZA12")
