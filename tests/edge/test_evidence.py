"""Evidence crops: the file's bytes hash to what the event says; retention sheds old crops."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from edge.evidence import EvidenceStore
from shekara import wire


def crop(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (60, 240, 3), dtype=np.uint8)


def test_saved_file_has_the_hash_in_the_body(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    body = store.save(crop(1))
    wire.Evidence.model_validate(body)
    data = (tmp_path / "evidence" / body["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
    assert (body["width"], body["height"]) == (240, 60)
    assert not list((tmp_path / "evidence").glob("*.tmp"))


def test_saving_the_same_crop_twice_keeps_one_file(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    assert store.save(crop(2)) == store.save(crop(2))
    assert len(list(tmp_path.glob("*.jpg"))) == 1


def test_retention_removes_old_files_then_oldest_over_the_size_cap(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, retention_days=1, max_mb=1)
    bodies = [store.save(crop(i)) for i in range(3)]
    now = 1_000_000_000.0
    for age_days, body in zip((3, 0.5, 0.1), bodies, strict=True):
        os.utime(tmp_path / body["file"], (now - age_days * 86400,) * 2)
    assert store.purge(now) == 1
    assert sorted(p.name for p in tmp_path.glob("*.jpg")) == sorted(b["file"] for b in bodies[1:])
    tight = EvidenceStore(tmp_path, retention_days=1, max_mb=1e-6)
    assert tight.purge(now) == 2
