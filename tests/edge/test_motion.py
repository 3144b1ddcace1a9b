"""Motion gating: still lanes and sensor noise pass nothing; a moving plate is located."""

from __future__ import annotations

from functools import cache

import numpy as np

from edge.motion import MotionGate


def lane(seed: int) -> np.ndarray:
    return _lane(seed % 4).copy()


@cache
def _lane(seed: int, noise: float = 3.0) -> np.ndarray:
    # Four noisy variants of one empty lane, reused: sensor noise without the cost.
    rng = np.random.default_rng(seed)
    base = np.full((1080, 1920, 3), 90, np.uint8)
    base[700:, :] = 60  # road
    noisy = base.astype(np.float32) + rng.normal(0, noise, base.shape[:2])[..., None]
    return np.clip(noisy, 0, 255).astype(np.uint8)


def test_a_still_noisy_lane_never_triggers() -> None:
    gate = MotionGate()
    assert all(gate.check(lane(i)) is None for i in range(30))


def test_slow_lighting_drift_is_learned_not_reported() -> None:
    gate = MotionGate()
    for i in range(60):
        frame = np.clip(lane(i).astype(np.int16) + i // 3, 0, 255).astype(np.uint8)
        assert gate.check(frame) is None, f"frame {i}"


def test_a_truck_entering_is_located() -> None:
    gate = MotionGate()
    for i in range(5):
        gate.check(lane(i))
    frame = lane(99)
    frame[400:900, 600:1300] = 220  # a bright truck front with its plate
    motion = gate.check(frame)
    assert motion is not None
    x, y, w, h = motion.box
    assert x <= 600 and y <= 400 and x + w >= 1300 and y + h >= 900
    assert w < 1920 and h < 1080, "only the moving region, not the whole frame"
