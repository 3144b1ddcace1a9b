"""Fixtures of the queue tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from queue_helpers import Clock, make_service

from hub.queue.service import QueueService


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Iterator[QueueService]:
    store, svc = make_service(tmp_path / "hub.db", clock)
    yield svc
    store.close()
