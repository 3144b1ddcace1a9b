"""CTC decoding: greedy and format-held paths, checked against brute force on small lattices."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.ctc import best_path, constrained_path


def collapse(path: tuple[int, ...]) -> list[int]:
    return [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]


def brute_force(lp: np.ndarray, slots: list[np.ndarray]) -> tuple[list[int], float] | None:
    best: tuple[list[int], float] | None = None
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        label = collapse(path)
        if len(label) == len(slots) and all(slots[j][c] for j, c in enumerate(label)):
            score = float(sum(lp[t, c] for t, c in enumerate(path)))
            if best is None or score > best[1] + 1e-12:
                best = (label, score)
    return best


def test_best_path_merges_repeats_and_drops_blanks() -> None:
    # frames: a a blank a b b  ->  label a a b
    classes = [1, 1, 0, 1, 2, 2]
    lp = np.log(np.full((6, 3), 0.05))
    lp[np.arange(6), classes] = np.log(0.9)
    label, score = best_path(lp)
    assert label == [1, 1, 2]
    assert np.isclose(score, np.log(0.9) * 6)


def test_constrained_path_takes_the_runner_up_where_the_slot_forbids_the_best() -> None:
    lp = np.log(np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]]))
    only_two = np.array([False, False, True])
    label, score = constrained_path(lp, [only_two])  # type: ignore[misc]
    assert label == [2]
    assert np.isclose(score, np.log(0.2) + np.log(0.9))


def test_no_path_when_the_line_is_shorter_than_the_format() -> None:
    lp = np.log(np.full((2, 3), 1 / 3))
    anything = np.array([False, True, True])
    assert constrained_path(lp, [anything] * 3) is None
    assert constrained_path(lp, []) is None


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
)
def test_constrained_path_is_the_best_fitting_path(frames: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lp = np.log(rng.dirichlet(np.ones(4), size=frames))
    slots = [rng.random(4) < 0.6 for _ in range(n)]
    for mask in slots:
        mask[0] = False  # the blank is never a character
    expected = brute_force(lp, slots)
    got = constrained_path(lp, slots)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert got[0] == expected[0]
        assert np.isclose(got[1], expected[1])
