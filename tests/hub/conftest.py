"""Fixtures of the hub tests: a store on a real file, registered simulated devices,
a running hub (FastAPI app with its MQTT worker) against the real broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, as_operator, register
from mqtt_helpers import TestClientMQTT

from hub.app import create_app
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.store import Store
from shekara import wire
from shekara.localbroker import LocalBroker


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hub.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def ingestor(store: Store) -> Ingestor:
    return Ingestor(store)


@pytest.fixture
def device(store: Store, device_key: Ed25519PrivateKey) -> SimDevice:
    """A registered device at cp1/lane1."""
    return register(store, device_key, wire.Address("cp1", "lane1", "cam1"))


@pytest.fixture
def hub_settings(tmp_path: Path, broker: LocalBroker, db_path: Path) -> HubSettings:
    return HubSettings(
        db_path=db_path,
        mqtt_host=broker.host,
        mqtt_port=broker.port,
        gap_resend_after_s=0.5,
    )


@pytest.fixture
def hub(hub_settings: HubSettings, device: SimDevice) -> Iterator[TestClient]:
    """A running hub (API + MQTT worker) with ``device`` registered, connected."""
    with TestClient(create_app(hub_settings)) as client:
        worker = client.app.state.hub.worker  # type: ignore[attr-defined]
        assert worker.wait_connected(10), "hub did not connect to the broker"
        yield as_operator(client)


@pytest.fixture
def mqttc(broker: LocalBroker) -> Iterator[TestClientMQTT]:
    """A test MQTT client on the broker."""
    c = TestClientMQTT(broker.host, broker.port)
    yield c
    c.close()
