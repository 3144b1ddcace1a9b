"""Ceilings measured in the same run as a benchmark, so noisy-machine figures compare.

* Ed25519 verifications per second (the hub verifies every event);
* Mosquitto's raw QoS 1 delivery rate from a paho publisher to a plain paho subscriber,
  with TCP_NODELAY on both sockets and the same payload size as real events.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion


def ed25519_verifies_per_second(seconds: float = 2.0) -> float:
    """Verifications per second of a 600-byte message on one core."""
    key = Ed25519PrivateKey.generate()
    message = b"x" * 600
    sig = key.sign(message)
    public = key.public_key()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            public.verify(sig, message)
        count += 100
    return count / (time.perf_counter() - start)


def _nodelay(client: mqtt.Client, *_: Any) -> None:
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def mosquitto_qos1_rate(port: int, n: int = 20_000, payload_size: int = 700) -> float:
    """Messages per second from first publish to last delivery at a QoS 1 subscriber."""
    received = 0
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: Any, _m: mqtt.MQTTMessage) -> None:
        nonlocal received
        received += 1
        if received == n:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ceiling-sub", protocol=mqtt.MQTTv5)
    sub.on_connect = lambda c, *a: (_nodelay(c), c.subscribe("ceiling/#", qos=1))
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ceiling-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(100)
    pub.max_queued_messages_set(0)
    pub.on_connect = _nodelay
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    time.sleep(0.5)  # both subscriptions and connections settled
    payload = b"p" * payload_size
    start = time.perf_counter()
    for _ in range(n):
        pub.publish("ceiling/t", payload, qos=1)
    done.wait(120)
    elapsed = time.perf_counter() - start
    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    return received / elapsed
