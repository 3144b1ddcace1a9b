"""Fixtures of the page tests: the hub app on a real database, an officer's login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import START, Clock, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.queue.service import QueueService


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def web(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        queue: QueueService = client.app.state.hub.queue  # type: ignore[attr-defined]
        queue.store.add_user("officer1", password_hash(), "officer", "-")
        yield client
