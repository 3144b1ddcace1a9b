"""Evidence crops: the file's bytes hash to what the event says; retention and a nearly
full disk shed old crops, before any event is at risk."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from disk_helpers import Ballast, small_disk

from edge.disk import free_bytes
from edge.evidence import EvidenceShed, EvidenceStore
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


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs to fill up (skips where it cannot be mounted)."""
    with small_disk(tmp_path / "disk", "4m") as folder:
        yield folder


def test_a_nearly_full_disk_sheds_old_crops_and_writes_no_new_ones(
    disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EvidenceStore(disk / "evidence", min_free_mb=1)
    kept = [store.save(crop(i))["file"] for i in range(3)]
    ballast = Ballast(disk / "ballast")
    ballast.fill(leave=512 * 1024)  # under the 1 MB kept free, with room left for events
    with caplog.at_level(logging.INFO, logger="edge.evidence"):
        with pytest.raises(EvidenceShed, match="under the 1 MB kept free for events"):
            store.save(crop(10))
        with pytest.raises(EvidenceShed):
            store.save(crop(11))
    assert store.shedding
    assert list((disk / "evidence").iterdir()) == [], "old crops deleted, new ones not written"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one warning when shedding starts, not one per crop"
    assert "removed 3 evidence crops" in warnings[0]
    ballast.release()
    body = store.save(crop(12))
    assert (disk / "evidence" / body["file"]).is_file()
    assert not store.shedding
    assert body["file"] not in kept


def test_crops_that_fill_the_disk_themselves_roll_the_oldest_out(disk: Path) -> None:
    store = EvidenceStore(disk / "evidence", min_free_mb=1)
    Ballast(disk / "ballast").fill(leave=1024 * 1024 + 200 * 1024)
    saved = [store.save(crop(i))["file"] for i in range(20)]  # ~35 KB each: 700 KB in all
    left = sorted(p.name for p in (disk / "evidence").iterdir())
    assert saved[-1] in left, "the newest crop is written"
    assert saved[0] not in left, "the oldest made room for it"
    assert 0 < len(left) < 20
    assert free_bytes(disk) >= 1024 * 1024
    assert not store.shedding


def test_a_write_the_disk_cuts_short_leaves_no_partial_file(disk: Path) -> None:
    store = EvidenceStore(disk / "evidence")  # no free-space floor: the write itself fails
    Ballast(disk / "ballast").fill()
    with pytest.raises(OSError, match="No space left on device"):
        store.save(crop(1))
    assert list((disk / "evidence").iterdir()) == []


def test_retention_is_applied_by_saving(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, retention_days=1)
    old = tmp_path / ("0" * 64 + ".jpg")
    old.write_bytes(b"\xff\xd8\xff old crop")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    store.save(crop(1))
    assert not old.exists(), "the first save purges; then once an hour"
