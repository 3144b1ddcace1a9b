"""The free-space watch: low under the threshold on any watched folder, said once each way."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_helpers import FakeClock
from disk_helpers import Ballast, small_disk

from edge.disk import DiskWatch, free_bytes


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs to fill up (skips where it cannot be mounted)."""
    with small_disk(tmp_path / "disk", "4m") as folder:
        yield folder


def test_free_bytes_of_a_folder_not_made_yet_is_its_parents(disk: Path) -> None:
    assert free_bytes(disk / "not" / "yet") == free_bytes(disk)
    assert 3 * 1024 * 1024 < free_bytes(disk) <= 4 * 1024 * 1024


def test_low_is_reported_once_when_it_starts_and_logged_each_way(
    disk: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    watch = DiskWatch([tmp_path / "elsewhere", disk / "evidence"], min_free_mb=1, clock=clock)
    assert watch.check() is False and not watch.low
    ballast = Ballast(disk / "ballast")
    ballast.fill(leave=512 * 1024)
    with caplog.at_level(logging.INFO, logger="edge.disk"):
        assert watch.check() is False, "not measured again within a second"
        clock.advance(1)
        assert watch.check() is True, "just became low: the agent sends a heartbeat now"
        assert watch.low
        clock.advance(1)
        assert watch.check() is False, "still low, but not news"
        assert watch.low
        ballast.release()
        clock.advance(1)
        assert watch.check() is False
        assert not watch.low
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(levels) == 2
    assert levels[0][0] == "WARNING"
    assert f"{disk / 'evidence'} has 0.5 MB free" in levels[0][1]
    assert str(tmp_path / "elsewhere") not in levels[0][1], "only the short folder is named"
    assert levels[1] == ("INFO", "disk space back above 1 MB")


def test_a_zero_threshold_is_never_low(disk: Path) -> None:
    Ballast(disk / "ballast").fill()
    watch = DiskWatch([disk], min_free_mb=0)
    assert watch.check() is False and not watch.low
