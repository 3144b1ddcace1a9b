"""Ceilings measured in the same run as a benchmark, so noisy-machine figures compare.

* Ed25519 verifications per second on one core (the hub verifies every event);
* Mosquitto's QoS 1 delivery rate from a paho publisher to a plain paho subscriber in
  another process, with TCP_NODELAY on both sockets and the real event payload size.
  Every event takes this path (paho on the edge, paho in the hub), so this is the
  ceiling of our transport, not of Mosquitto alone, which idles far below it.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from multiprocessing.connection import Connection
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion

TOPIC = "ceiling/t"


def ed25519_verifies_per_second(seconds: float = 2.0) -> float:
    """Verifications per second of a 700-byte message on one core."""
    key = Ed25519PrivateKey.generate()
    message = b"x" * 700
    sig = key.sign(message)
    public = key.public_key()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            public.verify(sig, message)
        count += 100
    return count / (time.perf_counter() - start)


def _nodelay(client: mqtt.Client) -> None:
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _subscriber(port: int, n: int, timeout: float, pipe: Connection) -> None:
    """Child process: count n messages, report (received, first, last) wall times."""
    state = {"n": 0, "first": 0.0, "last": 0.0}

    def on_connect(client: mqtt.Client, *_: Any) -> None:
        _nodelay(client)
        client.subscribe(TOPIC, qos=1)

    def on_subscribe(*_: Any) -> None:
        pipe.send("ready")

    def on_message(_c: mqtt.Client, _u: Any, _m: mqtt.MQTTMessage) -> None:
        now = time.time()
        state["first"] = state["first"] or now
        state["n"] += 1
        state["last"] = now

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ceiling-sub", protocol=mqtt.MQTTv5)
    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + timeout
    while state["n"] < n and time.monotonic() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()
    pipe.send((state["n"], state["first"], state["last"]))


def mosquitto_qos1_rate(port: int, n: int = 20_000, payload_size: int = 700) -> float:
    """Messages per second from the first publish to the last delivery, QoS 1 both ways."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_subscriber, args=(port, n, 120.0, theirs), daemon=True
    )
    child.start()
    if not ours.poll(30) or ours.recv() != "ready":
        child.kill()
        raise RuntimeError("ceiling subscriber did not subscribe")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ceiling-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(100)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", port)
    _nodelay(pub)
    pub.loop_start()
    payload = b"p" * payload_size
    start = time.time()
    for _ in range(n):
        pub.publish(TOPIC, payload, qos=1)
    received, _first, last = ours.recv()
    child.join(10)
    pub.disconnect()
    pub.loop_stop()
    if received < n:
        raise RuntimeError(f"ceiling subscriber got {received} of {n} messages before timing out")
    return float(n / (last - start))
