"""A lane camera: trucks driving past become one vehicle.passage each, with evidence."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from edge.evidence import EvidenceStore
from edge.plate_lane import PlateLane
from edge.plate_synth import truck_clip
from shekara import wire
from shekara.plates import formats


def test_two_trucks_two_passages_with_evidence(tmp_path: Path) -> None:
    kz = next(f for f in formats() if f.name == "KZ 2012, private")
    tm = next(f for f in formats() if f.name == "TM 2009")
    clip = truck_clip([(kz, "123ABC12"), (tm, "AB1234BN")], np.random.default_rng(3))
    lane = PlateLane(EvidenceStore(tmp_path / "evidence"))
    events = []
    for i, frame in enumerate(clip):
        events += lane(frame, i * 0.1)
    events += lane.flush()
    for event_type, body in events:
        wire.validate_body(event_type, body)
    passages = [body for t, body in events if t == "vehicle.passage"]
    assert [(p["plate"], p["country"]) for p in passages] == [
        ("123ABC12", "KZ"),
        ("AB1234BN", "TM"),
    ]
    for passage in passages:
        assert passage["frames"] >= 3
        assert passage["direction"] == "toward"
        evidence = passage["evidence"]
        data = (tmp_path / "evidence" / evidence["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == evidence["sha256"]
    reads = [body for t, body in events if t == "plate.read"]
    assert len(reads) >= sum(p["frames"] for p in passages)


def test_an_empty_lane_reads_nothing(tmp_path: Path) -> None:
    clip = truck_clip([], np.random.default_rng(4), gap_frames=20)
    lane = PlateLane(EvidenceStore(tmp_path))
    assert [e for i, f in enumerate(clip) for e in lane(f, i * 0.1)] == []
