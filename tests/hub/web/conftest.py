"""Fixtures of the page tests: the hub app on a real database, an officer's login, and
Debian's Chromium driven by Playwright (the browser tests skip where it is missing)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
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


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium for one test."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium (make test installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()
