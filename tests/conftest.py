"""Shared fixtures: a real Mosquitto, device keys, the shared datasets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shekara.localbroker import LocalBroker

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATASETS = SHARED / "datasets"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A real Mosquitto on a free loopback port, stopped after the test."""
    b = LocalBroker(tmp_path / "broker")
    b.start()
    yield b
    b.kill()


@pytest.fixture
def device_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 device key."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
def datasets() -> Path:
    """../shared/datasets, or skip when the checkout has no shared folder beside it."""
    if not DATASETS.is_dir():
        pytest.skip(f"{DATASETS} is absent (shared datasets are not part of the repo)")
    return DATASETS
