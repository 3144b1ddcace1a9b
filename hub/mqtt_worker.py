"""The MQTT side of the hub: a persistent session, batched ingest, ack after commit.

paho's network thread only queues messages; one writer thread takes what is queued
(up to ``batch_max``), runs the pipeline, commits one transaction, and only then
acknowledges those messages.  Until the PUBACK the broker still owns a message, so a
hub crash at any point loses nothing: the broker redelivers and the pipeline stores
duplicates once.  The session is persistent (fixed client id, clean_start off, no
expiry), so the broker also keeps queueing while the hub is down.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.config import HubSettings
from hub.ingest import Ingestor, Message
from hub.resend import ResendPlanner, resend_command
from hub.store import Gap
from shekara import wire
from shekara.errors import ConfigError

log = logging.getLogger(__name__)

SESSION_NEVER_EXPIRES = 0xFFFFFFFF  # MQTT 5: the broker keeps the session for ever
_DB_RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class _Item:
    message: Message
    mid: int
    qos: int
    generation: int  # the connection it came on: a packet id means nothing on another


class IngestWorker:
    """Subscribes, ingests in batches, acknowledges after commit, asks for resends."""

    def __init__(self, settings: HubSettings, ingestor: Ingestor) -> None:
        self.settings = settings
        self.ingestor = ingestor
        self.planner = ResendPlanner(settings.gap_resend_after_s)
        self.resends_sent = 0
        # Called after each commit: the followers then look for new events at once.
        self.listeners: list[Callable[[], None]] = []
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._ack_lock = threading.Lock()
        self._generation = 0
        self._session_lost = threading.Event()
        self._writer: threading.Thread | None = None
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=s.mqtt_client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        # An exception in a callback must not end the network thread, and with it the
        # hub's ingest; the callbacks log their own errors.
        client.suppress_exceptions = True
        if s.mqtt_username:
            password = s.mqtt_password.get_secret_value() if s.mqtt_password else None
            client.username_pw_set(s.mqtt_username, password)
        if s.mqtt_tls_ca_file:
            try:
                client.tls_set(
                    ca_certs=str(s.mqtt_tls_ca_file),
                    certfile=str(s.mqtt_tls_cert_file) if s.mqtt_tls_cert_file else None,
                    keyfile=str(s.mqtt_tls_key_file) if s.mqtt_tls_key_file else None,
                )
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"cannot load the MQTT TLS files: {exc}") from None
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    @property
    def connected(self) -> bool:
        """Whether the broker session is up right now."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected (or ``timeout``); return whether connected."""
        return self._connected.wait(timeout)

    def queue_depth(self) -> int:
        """Messages received and not yet processed."""
        return self._queue.qsize()

    def start(self) -> None:
        """Connect in the background (retrying for ever) and start the writer."""
        s = self.settings
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_NEVER_EXPIRES
        # Bounds how many unacknowledged messages the broker pushes at us; the rest
        # wait in the broker's persistent queue rather than in this process's memory.
        props.ReceiveMaximum = min(65535, max(1000, 4 * s.batch_max))
        self._client.connect_async(
            s.mqtt_host, s.mqtt_port, s.mqtt_keepalive, clean_start=False, properties=props
        )
        self._client.loop_start()
        self._writer = threading.Thread(target=self._run, name="hub-ingest", daemon=True)
        self._writer.start()
        log.info(
            "MQTT ingest: broker %s:%d, client id %r, persistent session",
            s.mqtt_host,
            s.mqtt_port,
            s.mqtt_client_id,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Finish and acknowledge the queued messages, then disconnect (session kept)."""
        self._stopping.set()
        if self._writer is not None:
            self._writer.join(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        log.info("MQTT ingest stopped")

    # --- paho network thread --------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        with self._ack_lock:
            self._generation += 1
        sock = client.socket()
        if isinstance(sock, socket.socket):
            # Many tiny PUBACKs: Nagle plus delayed ACK would cap us near 80 msg/s.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        checkpoint = self.settings.checkpoint or "+"
        client.subscribe(
            [
                (wire.subscription(wire.Channel.EVENTS, checkpoint), 1),
                (wire.subscription(wire.Channel.STATUS, checkpoint), 1),
                (wire.subscription(wire.Channel.EVIDENCE, checkpoint), 1),
            ]
        )
        log.info("MQTT connected (session present: %s)", flags.session_present)
        if not flags.session_present:
            # First connection, or a broker that lost our session: whatever was
            # published meanwhile reached no one, and no later event need reveal it.
            self._session_lost.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        failed = [r for r in reasons if r.is_failure]
        if failed:
            log.error("MQTT broker refused the subscription: %s", failed)
            return
        # Connected means subscribed: from here on nothing published is missed.
        self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        with self._ack_lock:
            self._generation += 1
        self._connected.clear()
        if not self._stopping.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if self._stopping.is_set():
            return  # not acknowledged: the broker redelivers it to the next session
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = msg._topic.decode("utf-8", "replace")
        message = Message(topic, bytes(msg.payload), time.time())
        self._queue.put(_Item(message, msg.mid, msg.qos, self._generation))

    # --- writer thread --------------------------------------------------------------

    def _run(self) -> None:
        next_resend_check = 0.0
        check_every = min(1.0, self.settings.gap_resend_after_s / 2)
        while True:
            items = self._drain()
            if items:
                self._ingest(items)
            elif self._stopping.is_set():
                return
            now = time.monotonic()
            if now >= next_resend_check:
                next_resend_check = now + check_every
                self._send_resends()

    def _drain(self) -> list[_Item]:
        try:
            items = [self._queue.get(timeout=0.2)]
        except queue.Empty:
            return []
        # No waiting for a fuller batch: what piled up during the last commit is the
        # batch, so latency stays low at low rates and batches grow under load.
        while len(items) < self.settings.batch_max:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _ingest(self, items: list[_Item]) -> None:
        messages = [item.message for item in items]
        while True:
            try:
                self.ingestor.ingest(messages)
                break
            except Exception:
                # The database itself failed; nothing was acknowledged, so retry.
                log.exception("cannot commit %d messages; retrying", len(messages))
                if self._stopping.wait(_DB_RETRY_S):
                    return
        with self._ack_lock:
            for item in items:
                if item.qos and item.generation == self._generation:
                    self._client.ack(item.mid, item.qos)
        for listener in self.listeners:
            listener()

    def _send_resends(self) -> None:
        if not self.connected:
            return
        if self._session_lost.is_set():
            self._session_lost.clear()
            self._ask_everyone_to_resend()
        for address, gap in self.planner.due(self.ingestor.open_gaps(), time.time()):
            topic = address.topic(wire.Channel.COMMANDS)
            self._client.publish(topic, resend_command(gap), qos=1)
            self.resends_sent += 1
            log.info("asked %s to resend seq %d..%d", address.device, gap.from_seq, gap.to_seq,
                     extra={"device_id": address.device})  # fmt: skip

    def _ask_everyone_to_resend(self) -> None:
        """Sparkplug's "rebirth": every device republishes what it holds above our top."""
        devices = self.ingestor.store.list_devices()
        for device in devices:
            gap = Gap(device.last_seq + 1, wire.MAX_SEQ, time.time())
            address = wire.Address(device.checkpoint, device.lane, device.device_id)
            self._client.publish(address.topic(wire.Channel.COMMANDS), resend_command(gap), qos=1)
            self.resends_sent += 1
        log.info(
            "new MQTT session: asked %d devices to resend what we may have missed", len(devices)
        )
