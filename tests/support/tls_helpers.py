"""An MQTT v5 client over mutual TLS that reports what the broker answered, for attacks."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from shekara.localbroker import ClientTLS, LocalBroker
from shekara.localstack import HubProcess

NOT_AUTHORIZED = 135  # MQTT v5 reason code in PUBACK and SUBACK


class Attacker:
    """Connects with a given certificate (or none) and records CONNACK, PUBACK, SUBACK."""

    def __init__(self, broker: LocalBroker, tls: ClientTLS | None, ca: str | None = None) -> None:
        self.connected = threading.Event()
        self.refused = threading.Event()
        self.acks: dict[int, int] = {}
        self._acked = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.tls_set(
            ca_certs=ca or str(broker.pki_dir / "ca.crt"),
            certfile=str(tls.cert_file) if tls else None,
            keyfile=str(tls.key_file) if tls else None,
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_a: self.refused.set()
        self.client.on_connect_fail = lambda *_a: self.refused.set()
        self.client.on_publish = self._on_ack
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda _c, _u, msg: self.received.append(msg.topic)
        self.received: list[str] = []
        self.handshake_error: Exception | None = None
        try:
            self.client.connect(broker.host, broker.port)
        except (ssl.SSLError, OSError) as exc:
            self.handshake_error = exc
            self.refused.set()
            return
        self.client.loop_start()

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        (self.refused if reason.is_failure else self.connected).set()

    def _on_ack(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        with self._acked:
            self.acks[mid] = reason.value
            self._acked.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        with self._acked:
            self.acks[mid] = reasons[0].value
            self._acked.notify_all()

    def accepted(self, timeout: float = 5.0) -> bool:
        """Whether the broker completed the connection (CONNACK success)."""
        deadline = time.monotonic() + timeout
        while not (self.connected.is_set() or self.refused.is_set()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(0.1)  # a TLS 1.3 server refuses the client's certificate after CONNECT
        return self.connected.is_set() and not self.refused.is_set()

    def _wait(self, mid: int) -> int:
        with self._acked:
            assert self._acked.wait_for(lambda: mid in self.acks, 10), "no acknowledgement"
            return self.acks[mid]

    def may_publish(self, topic: str, payload: bytes = b"{}") -> bool:
        """Whether the broker accepted a QoS 1 publish (PUBACK 0 or 16 "no subscribers");
        anything else must be 135, not authorised."""
        code = self._wait(self.client.publish(topic, payload, qos=1).mid)
        assert code in (0, 16, NOT_AUTHORIZED), code
        return code != NOT_AUTHORIZED

    def subscribe(self, topic: str) -> None:
        """Subscribe at QoS 1.  Mosquitto grants it whatever the ACL says and checks
        read access per message: :attr:`received` shows what got through."""
        assert self._wait(self.client.subscribe(topic, qos=1)[1]) == 1

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def secure_stack(
    tmp_path: Path, checkpoint: str = "temirbaba"
) -> Iterator[tuple[LocalBroker, HubProcess]]:
    """Mosquitto on the production config and a hub process (not started) that holds
    the CA, writes the broker's ACL and reloads it with SIGHUP."""
    broker = LocalBroker(tmp_path / "broker", secure=True)
    broker.start()
    assert broker.proc is not None
    tls = broker.client(f"shekara-hub-{checkpoint}")
    hub = HubProcess(
        tmp_path / "hub", broker.port, checkpoint=checkpoint,
        mqtt_tls_ca_file=str(tls.ca_file), mqtt_tls_cert_file=str(tls.cert_file),
        mqtt_tls_key_file=str(tls.key_file), broker_acl_file=str(broker.acl_file),
        broker_reload_command=["kill", "-HUP", str(broker.proc.pid)],
        pki_dir=str(broker.pki_dir),
    )  # fmt: skip
    try:
        yield broker, hub
    finally:
        hub.stop()
        broker.kill()
