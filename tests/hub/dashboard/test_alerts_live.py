"""The running hub: a device's will over a real Mosquitto raises an alert that reaches a
real webhook receiver, and clears with the next birth; an alert the receiver could not
take is delivered after the hub restarts."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import webhook_receiver
from fastapi.testclient import TestClient
from hub_support import SimDevice, register
from mqtt_helpers import TestClientMQTT, wait_until

from hub.app import create_app
from hub.config import HubSettings
from hub.dashboard.webhook import signature
from hub.runtime import HubRuntime
from hub.store import Store
from hub.store.alert_sql import AlertTables
from shekara import wire
from shekara.localbroker import LocalBroker, free_port

SECRET = "w" * 32


def settings_for(tmp_path: Path, broker: LocalBroker, url: str) -> HubSettings:
    return HubSettings(
        db_path=tmp_path / "hub.db", mqtt_host=broker.host, mqtt_port=broker.port,
        alert_interval_s=1, alert_offline_minutes=0.02, alert_webhook_url=url,
        alert_webhook_secret=SECRET, alert_webhook_backoff_s=0.2,
    )  # fmt: skip


def registered(tmp_path: Path) -> SimDevice:
    with Store(tmp_path / "hub.db") as store:
        return register(store, Ed25519PrivateKey.generate(),
                        wire.Address("temirbaba", "entry-1", "cam1"))  # fmt: skip


def runtime_of(client: TestClient) -> HubRuntime:
    runtime: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
    return runtime


def test_a_will_raises_an_alert_the_webhook_gets_and_a_birth_clears_it(
    tmp_path: Path, broker: LocalBroker, mqttc: TestClientMQTT
) -> None:
    device = registered(tmp_path)
    status = device.topic(wire.Channel.STATUS)
    with webhook_receiver(200) as receiver:
        app = create_app(settings_for(tmp_path, broker, receiver.url))
        with TestClient(app) as client:
            runtime = runtime_of(client)
            assert runtime.worker is not None and runtime.worker.wait_connected(10)
            tables = runtime.alerts.tables
            mqttc.publish(status, device.presence("online"))
            wait_until(lambda: runtime.store.get_device("cam1").online, 10, "the birth")  # type: ignore[union-attr]
            mqttc.publish(status, device.presence("offline"))
            (alert,) = wait_until(
                lambda: [a for a in tables.open_alerts() if a.rule == "device_offline"], 15,
                "the offline alert")  # fmt: skip
            mqttc.publish(status, device.presence("online"))
            wait_until(lambda: tables.get(alert.id).cleared_at, 15, "the alert to clear")  # type: ignore[union-attr]
            wait_until(lambda: len([p for p in receiver.got()
                                    if json.loads(p.body)["alert"]["id"] == alert.id]) == 2,
                       15, "both posts")  # fmt: skip
            threads = [runtime.alerts.evaluator._thread, runtime.alerts.sender._thread]  # type: ignore[union-attr]
    assert all(t is not None and not t.is_alive() for t in threads)  # stopped on shutdown
    posts = [p for p in receiver.got() if json.loads(p.body)["alert"]["id"] == alert.id]
    assert [p.headers["X-Shekara-Event"] for p in posts] == ["alert.raised", "alert.cleared"]
    for post in posts:
        assert post.headers["X-Shekara-Signature"] == signature(SECRET.encode(), post.body)
    assert json.loads(posts[0].body)["alert"]["subject"] == "cam1"


def test_an_alert_the_receiver_missed_is_delivered_after_a_restart(
    tmp_path: Path, broker: LocalBroker
) -> None:
    registered(tmp_path)  # and never seen: the alert comes by itself
    port = free_port()
    settings = settings_for(tmp_path, broker, f"http://127.0.0.1:{port}/hook")
    with TestClient(create_app(settings)) as client:
        tables = runtime_of(client).alerts.tables
        wait_until(lambda: [d for d in tables.deliveries() if d.attempts >= 1], 15,
                   "a failed attempt")  # fmt: skip
    with Store(settings.db_path) as store:
        (pending,) = AlertTables(store).deliveries()
    assert pending.state == "pending" and "ConnectionRefusedError" in (pending.last_error or "")
    with webhook_receiver(200, port=port) as receiver:
        with TestClient(create_app(settings)) as client:
            tables = runtime_of(client).alerts.tables
            wait_until(lambda: tables.delivery_counts() == {"delivered": 1}, 15, "the delivery")
        (post,) = receiver.got()
    assert post.body == pending.body.encode()
    assert json.loads(post.body)["alert"]["rule"] == "device_never_seen"
