"""Drains the outbox to MQTT at QoS 1 and deletes a row only when the broker acknowledged it.

At most ``max_inflight`` events are handed to paho at once; the rest stay on disk, so a
long outage costs no memory and a crash loses nothing (paho keeps its own session in
memory only).  Presence: a retained birth on every connection and a signed last will
marking the device offline; the session number lets the hub ignore a stale will.  The
hub may ask, on ``.../commands``, for a seq range to be resent from the ``sent`` table.
"""

from __future__ import annotations

import collections
import logging
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge.config import MqttConfig
from edge.outbox import Outbox, OutboxUnavailable
from shekara import __version__, wire
from shekara.errors import WireError

log = logging.getLogger(__name__)

RETRY_REJECTED_S = 5.0
# The evidence hash in a canonical (JCS: sorted keys, no spaces) passage event.
_EVIDENCE_SHA = re.compile(rb'"evidence":\{[^{}]*"sha256":"([0-9a-f]{64})"')


class Publisher:
    """Owns the MQTT connection of one device."""

    def __init__(
        self,
        outbox: Outbox,
        key: Ed25519PrivateKey,
        address: wire.Address,
        config: MqttConfig,
        evidence_dir: Path | None = None,
    ) -> None:
        self.outbox, self.key, self.address, self.config = outbox, key, address, config
        self.evidence_dir = evidence_dir  # crops named <sha256>.jpg, sent after their event
        self.events_topic = address.topic(wire.Channel.EVENTS)
        self.evidence_topic = address.topic(wire.Channel.EVIDENCE)
        self.status_topic = address.topic(wire.Channel.STATUS)
        self.commands_topic = address.topic(wire.Channel.COMMANDS)
        self.connected = threading.Event()
        self.acked_total = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Written by paho's network thread, read by the drain thread: deques need no lock.
        self._acks: collections.deque[tuple[int, bool, str]] = collections.deque()
        self._commands: collections.deque[wire.Command] = collections.deque()
        self._inflight: dict[int, int] = {}  # mid -> seq (0 for a resend), drain thread only
        self._resend: list[list[int]] = []  # [from_seq, to_seq] still to republish
        self._cursor = 0  # highest seq handed to paho
        self._retry_at: float | None = None
        self._thread: threading.Thread | None = None
        self.session = outbox.next_session()
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.address.device,
            protocol=mqtt.MQTTv5,
        )
        client.max_inflight_messages_set(self.config.max_inflight)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(1, 30)
        if self.config.username:
            password = None
            if self.config.password_file:
                password = self.config.password_file.read_text().strip()
            client.username_pw_set(self.config.username, password)
        if self.config.tls_ca_file:
            client.tls_set(
                ca_certs=str(self.config.tls_ca_file),
                certfile=str(self.config.tls_cert_file) if self.config.tls_cert_file else None,
                keyfile=str(self.config.tls_key_file) if self.config.tls_key_file else None,
            )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.will_set(self.status_topic, self._presence("offline"), qos=1, retain=True)
        return client

    def _presence(self, state: str) -> bytes:
        message = {
            "v": wire.SCHEMA_VERSION,
            "device_id": self.address.device,
            "checkpoint": self.address.checkpoint,
            "lane": self.address.lane,
            "state": state,
            "session": self.session,
            "at": wire.utc_timestamp(),
            "software_version": __version__,
            "last_seq": self.outbox.last_seq,
            "acked_seq": self.outbox.acked_through(),
        }
        return wire.encode(wire.sign(wire.PRESENCE_DOMAIN, message, self.key))

    # --- paho callbacks (network thread) -------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Properties | None
    ) -> None:
        if reason.is_failure:
            # A refused connection is not a connection (Frigate got this wrong).
            log.error("broker refused connection: %s", reason)
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):
            # Many tiny PUBACKs: without NODELAY, Nagle + delayed ACK cap QoS 1 throughput.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe(self.commands_topic, qos=1)
        client.publish(self.status_topic, self._presence("online"), qos=1, retain=True)
        log.info(
            "connected to %s:%s (session %d)", self.config.host, self.config.port, self.session
        )
        self.connected.set()
        self._wake.set()

    def _on_disconnect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Properties | None
    ) -> None:
        self.connected.clear()
        if self._stop.is_set():
            return
        log.warning("disconnected from broker: %s; queuing on disk", reason)
        # The next connection gets a new session so the hub can tell this connection's
        # will (which the broker may deliver late) from the next birth.
        try:
            self.session = self.outbox.next_session()
        except OutboxUnavailable as exc:
            # A full disk must not kill paho's network thread.  The number is then
            # unique only within this process; the hub still orders presence by it.
            self.session += 1
            log.warning("session %d not persisted: %s", self.session, exc)
        client.will_set(self.status_topic, self._presence("offline"), qos=1, retain=True)

    def _on_publish(
        self, _c: mqtt.Client, _u: Any, mid: int, reason: ReasonCode, _p: Properties | None
    ) -> None:
        self._acks.append((mid, not reason.is_failure, str(reason)))
        self._wake.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._commands.append(wire.parse_command(bytes(message.payload)))
        except WireError as exc:
            log.warning("ignoring malformed command on %s: %s", message.topic, exc)
        self._wake.set()

    # --- drain thread ----------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and start draining."""
        self.client.connect_async(
            self.config.host, self.config.port, keepalive=self.config.keepalive_s, clean_start=True
        )
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="outbox-drain", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Tell the drain loop new events are waiting."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop draining, say offline, disconnect cleanly."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        if self.connected.is_set():
            info = self.client.publish(self.status_topic, self._presence("offline"), 1, True)
            info.wait_for_publish(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            try:
                self._step()
            except Exception:  # the agent must outlive any single failure
                log.exception("outbox drain step failed; retrying")
                time.sleep(0.5)
        self._settle_acks()

    def _step(self) -> None:
        self._settle_acks()
        while self._commands:
            command = self._commands.popleft()
            log.info("hub asked for seq %d..%d again", command.from_seq, command.to_seq)
            self._resend.append([command.from_seq, command.to_seq])
        if self._retry_at is not None and time.monotonic() >= self._retry_at:
            self._retry_at = None
            # Rewind to the oldest unacknowledged event; anything published twice is
            # stored once by the hub (idempotent on event_id).
            first = self.outbox.first_pending_seq()
            if first is not None:
                self._cursor = first - 1
        if not self.connected.is_set():
            return
        room = self.config.max_inflight - len(self._inflight)
        for item in self.outbox.pending(self._cursor, room) if room > 0 else []:
            info = self.client.publish(self.events_topic, item.payload, qos=1)
            self._inflight[info.mid] = item.seq
            self._cursor = item.seq
            room -= 1
            self._send_evidence(item.payload)
        self._republish(room)

    def _send_evidence(self, payload: bytes) -> None:
        # After its event on the same connection, so the hub has the hash first. Best
        # effort: a crop that is gone (retention) or lost is not worth holding events for.
        found = _EVIDENCE_SHA.search(payload) if self.evidence_dir is not None else None
        if found is None or self.evidence_dir is None:
            return
        path = self.evidence_dir / f"{found.group(1).decode()}.jpg"
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.warning("evidence crop %s not sent: %s", path.name, exc)
            return
        self.client.publish(self.evidence_topic, data, qos=1)

    def _republish(self, room: int) -> None:
        # Resent events share the in-flight window with the backlog, so an open-ended
        # request ("everything from seq N") never floods paho's memory.
        while room > 0 and self._resend:
            span = self._resend[0]
            items = self.outbox.lookup(span[0], span[1], limit=room)
            if not items:
                self._resend.pop(0)
                continue
            for item in items:
                info = self.client.publish(self.events_topic, item.payload, qos=1)
                self._inflight[info.mid] = 0
            room -= len(items)
            span[0] = items[-1].seq + 1

    def _settle_acks(self) -> None:
        done: list[int] = []
        while self._acks:
            mid, ok, reason = self._acks.popleft()
            seq = self._inflight.pop(mid, None)
            if not seq:
                continue  # a resend (already acknowledged once) or a presence message
            if ok:
                done.append(seq)
            else:
                log.error("broker rejected seq %d: %s; will retry", seq, reason)
                self._retry_at = time.monotonic() + RETRY_REJECTED_S
        if done:
            self.outbox.mark_acked(done)
            self.acked_total += len(done)
            self._wake.set()
