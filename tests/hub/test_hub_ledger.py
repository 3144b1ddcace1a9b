"""The gap bookkeeping, checked against a brute-force model on random arrival orders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.ledger import Ledger, Position
from hub.store import Gap


def ranges(missing: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for seq in sorted(missing):
        if out and out[-1][1] == seq - 1:
            out[-1] = (out[-1][0], seq)
        else:
            out.append((seq, seq))
    return out


@given(st.lists(st.integers(min_value=1, max_value=60), max_size=80))
def test_gaps_are_exactly_the_missing_seqs(arrivals: list[int]) -> None:
    ledger = Ledger()
    seen: set[int] = set()
    for seq in arrivals:
        position = ledger.position(seq)
        assert (position is Position.STORED) == (seq in seen)
        if position is Position.STORED:
            continue
        if seq > ledger.last_seq:
            ledger.advance(seq, f"h{seq}", 0.0)
        else:
            ledger.fill(seq)
        seen.add(seq)
        top = max(seen)
        assert ledger.last_seq == top
        assert ledger.last_hash == f"h{top}"
        assert [(g.from_seq, g.to_seq) for g in ledger.gaps] == ranges(
            set(range(1, top + 1)) - seen
        )
        assert ledger.missing() == top - len(seen)


@given(
    st.lists(
        st.tuples(st.sampled_from(["event", "acked"]), st.integers(min_value=1, max_value=40)),
        max_size=60,
    )
)
def test_announced_acks_make_a_lost_tail_a_gap(steps: list[tuple[str, int]]) -> None:
    ledger = Ledger()
    seen: set[int] = set()
    announced = 0
    for kind, seq in steps:
        if kind == "acked":
            ledger.expect(seq, 0.0)
            announced = max(announced, seq)
        elif ledger.position(seq) is not Position.STORED:
            if seq > ledger.last_seq:
                ledger.advance(seq, f"h{seq}", 0.0)
            else:
                ledger.fill(seq)
            seen.add(seq)
        known = max([announced, *seen], default=0)
        assert ledger.last_seq == max(seen, default=0)
        assert [(g.from_seq, g.to_seq) for g in ledger.gaps] == ranges(
            set(range(1, known + 1)) - seen
        )


def test_positions_and_split_keeps_opened_at() -> None:
    ledger = Ledger()
    assert ledger.position(1) is Position.NEXT
    assert ledger.advance(1, "a", 1.0) is False
    assert ledger.position(5) is Position.AHEAD
    assert ledger.advance(5, "e", 2.0) is True
    assert ledger.gaps == [Gap(2, 4, 2.0)]
    assert ledger.position(3) is Position.LATE
    ledger.fill(3)
    assert ledger.gaps == [Gap(2, 2, 2.0), Gap(4, 4, 2.0)]
    assert ledger.position(1) is Position.STORED
    assert ledger.is_stored(3) and not ledger.is_stored(4) and not ledger.is_stored(6)


def test_misuse_raises_without_changing_anything() -> None:
    ledger = Ledger()
    ledger.advance(3, "c", 0.0)
    with pytest.raises(ValueError, match="not above"):
        ledger.advance(2, "b", 0.0)
    with pytest.raises(ValueError, match="not in a gap"):
        ledger.fill(3)
    assert ledger.gaps == [Gap(1, 2, 0.0)] and ledger.last_seq == 3
