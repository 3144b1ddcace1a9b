"""The publisher drains the outbox through a real Mosquitto and loses nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import passage_body
from mqtt_helpers import TestClientMQTT, wait_until

from edge.config import MqttConfig
from edge.outbox import Outbox
from edge.publisher import Publisher
from shekara import wire
from shekara.localbroker import LocalBroker

ADDR = wire.Address("temirbaba", "entry-1", "tmb-entry-1")
STATUS = {"fps": 1.0, "outbox_depth": 0, "camera": "ok", "software_version": "t", "uptime_s": 0}


@pytest.fixture
def outbox(tmp_path: Path, device_key: Ed25519PrivateKey) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db", device_key, ADDR)
    yield box


def _fill(outbox: Outbox, n: int) -> None:
    outbox.append_many([("device.status", STATUS, wire.utc_timestamp())] * n)


def _seqs(payloads: list[bytes]) -> list[int]:
    return [wire.parse_envelope(p)[0].seq for p in payloads]


def test_drains_backlog_in_order_and_empties_outbox(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    _fill(outbox, 500)
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port, max_inflight=20))
    publisher.start()
    try:
        wait_until(lambda: outbox.depth() == 0, what="outbox drained")
        wait_until(lambda: len(recorder.on("/events")) == 500, what="500 events at subscriber")
        assert _seqs(recorder.on("/events")) == list(range(1, 501))
        assert publisher.acked_total == 500
    finally:
        publisher.stop()
        recorder.close()


def test_queues_while_broker_is_down_then_drains(
    tmp_path: Path, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    broker = LocalBroker(tmp_path / "late-broker")
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port))
    publisher.start()
    try:
        _fill(outbox, 300)
        publisher.wake()
        assert not publisher.connected.wait(1.5)
        assert outbox.depth() == 300, "nothing may leave the outbox without a broker ack"
        broker.start()
        recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
        wait_until(
            lambda: outbox.depth() == 0, timeout=30, what="backlog drained after broker came up"
        )
        wait_until(lambda: len(recorder.on("/events")) >= 300, what="events at subscriber")
        assert sorted(set(_seqs(recorder.on("/events")))) == list(range(1, 301))
        recorder.close()
    finally:
        publisher.stop()
        broker.kill()


def test_presence_birth_is_retained_and_signed(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port))
    publisher.start()
    assert publisher.connected.wait(10)
    late = TestClientMQTT(
        broker.host, broker.port, "late-joiner", subscribe="shekara/#"
    )  # subscribes after the birth
    try:
        wait_until(lambda: bool(late.on("/status")), what="retained birth")
        presence, raw = wire.parse_presence(late.on("/status")[-1])
        wire.verify(wire.PRESENCE_DOMAIN, raw, device_key.public_key())
        assert presence.state == "online"
        assert presence.session == publisher.session
    finally:
        publisher.stop()
        late.close()


def test_clean_stop_publishes_offline(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port))
    publisher.start()
    assert publisher.connected.wait(10)
    publisher.stop()
    wait_until(lambda: len(recorder.on("/status")) >= 2, what="offline presence")
    states = [wire.parse_presence(p)[0].state for p in recorder.on("/status")]
    assert states[-1] == "offline"
    recorder.close()


def test_resend_command_republishes_acknowledged_events(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    _fill(outbox, 20)
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port))
    publisher.start()
    try:
        wait_until(lambda: outbox.depth() == 0, what="drained")
        wait_until(lambda: len(recorder.on("/events")) == 20, what="first delivery")
        command = {
            "v": 1,
            "cmd": "resend",
            "from_seq": 5,
            "to_seq": 7,
            "issued_at": wire.utc_timestamp(),
        }
        recorder.publish(ADDR.topic(wire.Channel.COMMANDS), wire.encode(command))
        wait_until(lambda: len(recorder.on("/events")) == 23, what="resent events")
        events = recorder.on("/events")
        assert _seqs(events[20:]) == [5, 6, 7]
        assert events[20:] == events[4:7], "a resend carries the original signed bytes"
    finally:
        publisher.stop()
        recorder.close()


def test_open_ended_resend_is_paced_by_the_inflight_window(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    _fill(outbox, 250)
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port, max_inflight=10))
    publisher.start()
    try:
        wait_until(lambda: len(recorder.on("/events")) == 250, what="first delivery")
        command = {
            "v": 1,
            "cmd": "resend",
            "from_seq": 1,
            "to_seq": wire.MAX_SEQ,
            "issued_at": wire.utc_timestamp(),
        }
        recorder.publish(ADDR.topic(wire.Channel.COMMANDS), wire.encode(command))
        wait_until(lambda: len(recorder.on("/events")) == 500, what="everything resent")
        assert _seqs(recorder.on("/events")[250:]) == list(range(1, 251))
        assert len(publisher._inflight) <= 10
    finally:
        publisher.stop()
        recorder.close()


def test_malformed_command_is_ignored_and_publisher_keeps_going(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey
) -> None:
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port))
    publisher.start()
    try:
        assert publisher.connected.wait(10)
        recorder.publish(ADDR.topic(wire.Channel.COMMANDS), b"{not json")
        _fill(outbox, 5)
        publisher.wake()
        wait_until(lambda: len(recorder.on("/events")) == 5, what="events after bad command")
    finally:
        publisher.stop()
        recorder.close()


def test_an_evidence_crop_follows_its_passage(
    broker: LocalBroker, outbox: Outbox, device_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    crop = b"\xff\xd8\xff\xe0 a JPEG, as far as the test cares"
    digest = hashlib.sha256(crop).hexdigest()
    (folder / f"{digest}.jpg").write_bytes(crop)
    body = passage_body("123ABC12")
    body["evidence"] = {"sha256": digest, "file": f"{digest}.jpg", "media_type": "image/jpeg",
                        "width": 120, "height": 40}  # fmt: skip
    gone = passage_body("777XYZ12")  # its crop was already removed by retention
    gone["evidence"] = {**body["evidence"], "sha256": "b" * 64, "file": "b" * 64 + ".jpg"}
    outbox.append_many([("vehicle.passage", body, wire.utc_timestamp()),
                        ("vehicle.passage", gone, wire.utc_timestamp())])  # fmt: skip
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    publisher = Publisher(outbox, device_key, ADDR, MqttConfig(port=broker.port), folder)
    publisher.start()
    try:
        wait_until(lambda: outbox.depth() == 0, what="outbox drained")
        wait_until(lambda: recorder.on("/evidence"), what="the crop at the subscriber")
        assert recorder.on("/evidence") == [crop]
        topics = [t.rsplit("/", 1)[1] for t, _ in recorder.messages() if "/status" not in t]
        assert topics == ["events", "evidence", "events"]
    finally:
        publisher.stop()
        recorder.close()


def test_broker_loss_on_a_full_disk_keeps_the_network_thread(
    tmp_path: Path, broker: LocalBroker, device_key: Ed25519PrivateKey
) -> None:
    # The session number cannot be persisted then; paho's thread must survive that and
    # reconnect, with a new session number all the same.
    from disk_helpers import Ballast, small_disk

    with small_disk(tmp_path / "disk", "4m") as disk:
        box = Outbox(disk / "outbox.db", device_key, ADDR)
        _fill(box, 3)
        publisher = Publisher(box, device_key, ADDR, MqttConfig(port=broker.port))
        publisher.start()
        ballast = Ballast(disk / "ballast")
        try:
            wait_until(lambda: box.depth() == 0, what="first events sent")
            first = publisher.session
            ballast.fill()
            broker.kill()
            wait_until(lambda: not publisher.connected.is_set(), what="disconnect seen")
            broker.start()
            wait_until(publisher.connected.is_set, timeout=40, what="reconnected")
            assert publisher.session == first + 1
            ballast.release()
            _fill(box, 2)
            publisher.wake()
            wait_until(lambda: box.depth() == 0, what="later events sent")
        finally:
            publisher.stop()
            box.close()
