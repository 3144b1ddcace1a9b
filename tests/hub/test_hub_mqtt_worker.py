"""Through a real Mosquitto: hostile inputs, duplicates, redelivery, gaps and resend
commands, presence, and a broker outage; the hub keeps ingesting good events."""

from __future__ import annotations

import json
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, as_operator, register
from mqtt_helpers import TestClientMQTT, wait_until
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.app import create_app
from hub.config import HubSettings
from hub.store import Store
from shekara import wire
from shekara.localbroker import LocalBroker
from shekara.wire import encode


def health(hub: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = hub.get("/healthz").json()
    return body


def stored(hub: TestClient) -> int:
    return int(health(hub)["totals"]["events"])


def test_hostile_inputs_are_dead_lettered_and_good_events_flow(
    hub: TestClient, mqttc: TestClientMQTT, device: SimDevice, store: Store
) -> None:
    register(store, Ed25519PrivateKey.generate(), wire.Address("cp1", "lane1", "cam2"))
    topic = device.topic()
    first = device.next()
    mqttc.publish(topic, encode(first))

    forged = device.next()
    forged_body = {**forged, "body": {**forged["body"], "text": "FORGED"}}
    device.seq, device.prev_hash = 1, wire.event_hash(first)  # forged one never counts
    stranger = SimDevice(Ed25519PrivateKey.generate(), wire.Address("cp1", "lane1", "ghost"))
    lane9 = SimDevice(device.key, wire.Address("cp1", "lane9", device.device_id))
    hostile = [
        (topic, encode(forged_body), "bad_signature"),
        (stranger.topic(), encode(stranger.next()), "unknown_device"),
        (topic, encode(device.craft(seq=1, prev_hash=wire.GENESIS_HASH)), "replay"),
        (topic, encode(device.craft(seq=2, prev_hash="e" * 64)), "chain_break"),
        (topic, b'{"v": 1, "event_id": ', "malformed_json"),
        (topic, b"{" + b"x" * (10 * 1024 * 1024), "oversized"),
        ("shekara/v1/cp1/lane1/cam2/events", encode(device.craft(seq=2, prev_hash="0" * 64)),
         "topic_mismatch"),
        (lane9.topic(), encode(lane9.next()), "wrong_lane"),
    ]  # fmt: skip
    for t, payload, _ in hostile:
        mqttc.publish(t, payload)
    for _ in range(2):
        mqttc.publish(topic, encode(device.next()))

    wait_until(lambda: stored(hub) == 3, what="3 good events stored")
    wait_until(lambda: health(hub)["totals"]["dead_letters"] == len(hostile), what="dead letters")
    letters = hub.get("/api/dead-letters").json()
    assert sorted(d["reason"] for d in letters) == sorted(r for _, _, r in hostile)
    oversized = next(d for d in letters if d["reason"] == "oversized")
    assert oversized["size"] == 10 * 1024 * 1024 + 1 and oversized["stored_bytes"] == 64 * 1024
    events = hub.get("/api/events", params={"device_id": "cam1"}).json()["events"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert health(hub)["status"] == "ok"


def test_same_event_twice_is_stored_once(
    hub: TestClient, mqttc: TestClientMQTT, device: SimDevice
) -> None:
    payload = encode(device.next())
    mqttc.publish(device.topic(), payload)
    mqttc.publish(device.topic(), payload)
    mqttc.publish(device.topic(), encode(device.next()))
    wait_until(lambda: health(hub)["counters"]["duplicates"] == 1, what="one duplicate")
    wait_until(lambda: stored(hub) == 2)
    assert health(hub)["totals"]["dead_letters"] == 0


def test_unacked_messages_are_redelivered_to_the_hub_session(
    hub_settings: HubSettings, broker: LocalBroker, device: SimDevice, store: Store
) -> None:
    app = create_app(hub_settings)
    with TestClient(app):  # creates the persistent session, then leaves
        assert app.state.hub.worker.wait_connected(10)
    events = [device.next() for _ in range(3)]
    publisher = TestClientMQTT(broker.host, broker.port)
    for event in events:
        publisher.publish(device.topic(), encode(event))  # queued by the broker for the hub
    publisher.close()

    # Something takes the hub's session, receives the events, never acknowledges them.
    got: list[int] = []
    thief = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=hub_settings.mqtt_client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
        manual_ack=True,
    )
    thief.on_message = lambda c, u, m: got.append(m.mid)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    thief.connect(broker.host, broker.port, clean_start=False, properties=props)
    thief.loop_start()
    wait_until(lambda: len(got) == 3, what="the thief to receive the queued events")
    thief.disconnect()
    thief.loop_stop()
    assert store.count_events() == 0

    with TestClient(create_app(hub_settings)) as again:
        as_operator(again)
        wait_until(lambda: stored(again) == 3, what="redelivered events stored")
        assert [e["seq"] for e in again.get("/api/events").json()["events"]] == [1, 2, 3]


def test_gap_triggers_resend_command_then_late_event_fills_it(
    hub: TestClient, mqttc: TestClientMQTT, device: SimDevice
) -> None:
    mqttc.subscribe(device.topic(wire.Channel.COMMANDS))
    e1, e2, e3 = device.next(), device.next(), device.next()
    mqttc.publish(device.topic(), encode(e1))
    mqttc.publish(device.topic(), encode(e3))
    wait_until(lambda: hub.get("/api/devices/cam1").json()["gaps"] == [[2, 2]], what="gap")

    def commands() -> list[wire.Command]:
        sent = [wire.parse_command(p) for t, p in mqttc.messages() if t.endswith("/commands")]
        return [c for c in sent if c.to_seq != wire.MAX_SEQ]  # not the new-session request

    (command,) = wait_until(commands, what="a resend command")
    assert (command.cmd, command.from_seq, command.to_seq) == ("resend", 2, 2)

    mqttc.publish(device.topic(), encode(e2))
    wait_until(lambda: hub.get("/api/devices/cam1").json()["gaps"] == [], what="gap filled")
    assert stored(hub) == 3
    assert health(hub)["mqtt"]["resends_sent"] >= 1


def test_new_session_asks_every_device_to_resend_above_what_is_stored(
    hub_settings: HubSettings, broker: LocalBroker, store: Store, device: SimDevice
) -> None:
    # Events published before the hub ever subscribed reached no one; the hub cannot
    # know, so on a connection without a session it asks each device for everything
    # above its top.
    listener = TestClientMQTT(broker.host, broker.port, subscribe="shekara/+/+/+/+/commands")
    try:
        with TestClient(create_app(hub_settings)):
            (payload,) = wait_until(lambda: listener.on("/commands"), what="rebirth request")
        command = wire.parse_command(payload)
        assert (command.from_seq, command.to_seq) == (1, wire.MAX_SEQ)
    finally:
        listener.close()


def test_presence_birth_will_and_stale_will(
    hub: TestClient, mqttc: TestClientMQTT, device: SimDevice
) -> None:
    status_topic = device.topic(wire.Channel.STATUS)

    def state() -> tuple[str, int | None]:
        d = hub.get("/api/devices/cam1").json()
        return d["state"], d["session"]

    assert state() == ("unknown", None)
    mqttc.publish(status_topic, device.presence("online"), retain=True)  # session 1
    wait_until(lambda: state() == ("online", 1), what="online")
    mqttc.publish(status_topic, device.presence("online"), retain=True)  # session 2
    wait_until(lambda: state() == ("online", 2))
    mqttc.publish(status_topic, device.presence("offline", session=1), retain=True)
    wait_until(lambda: health(hub)["counters"]["stale"] == 1, what="stale will counted")
    assert state() == ("online", 2)
    mqttc.publish(status_topic, device.presence("offline"), retain=True)  # will of session 2
    wait_until(lambda: state() == ("offline", 2), what="offline")
    assert health(hub)["totals"]["dead_letters"] == 0


def test_broker_outage_does_not_stop_the_hub(
    hub: TestClient, broker: LocalBroker, device: SimDevice
) -> None:
    broker.kill()
    wait_until(lambda: health(hub)["mqtt"]["connected"] is False, what="disconnect noticed")
    assert health(hub)["status"] == "degraded"
    broker.start()
    wait_until(lambda: health(hub)["mqtt"]["connected"], timeout=15, what="reconnected")
    publisher = TestClientMQTT(broker.host, broker.port)
    try:
        publisher.publish(device.topic(), encode(device.next()))
        wait_until(lambda: stored(hub) == 1, what="event after the outage")
    finally:
        publisher.close()
    assert json.loads(hub.get("/healthz").text)["status"] == "ok"
