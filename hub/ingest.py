"""The verification pipeline: one MQTT message in, one :class:`Outcome` out.

Checks, in order, each failing into a dead letter with a stable reason: size (before
any parsing), topic, JSON, version, envelope and body, topic/envelope agreement,
registration, lane, signature (:mod:`hub.registry`), then the device's hash chain
(replay, chain break).  The exact same event twice is a duplicate, counted and not
stored again.  Gaps in a device's seqs are tracked by its :class:`~hub.ledger.Ledger`.

A batch is one transaction.  Chain positions live in memory during the batch; if the
transaction fails they are read back from the store, which stays the truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.ledger import Position
from hub.outcome import Counters, Kind, Outcome, Reason, Rejected
from hub.registry import KnownDevice, Registry
from hub.store import (
    ChainLink,
    DeviceKey,
    DeviceUpdate,
    Gap,
    NewDeadLetter,
    NewEvent,
    NewEvidence,
    PresenceUpdate,
    Store,
    WriteBatch,
)
from shekara import wire
from shekara.errors import WireError

log = logging.getLogger(__name__)

JPEG_MAGIC = b"\xff\xd8\xff"
DEAD_LETTER_CAP = 64 * 1024  # bytes of a rejected payload kept; size and SHA-256 cover all
_DETAIL_CAP = 1000
_TOPIC_CAP = 1024


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message as received."""

    topic: str
    payload: bytes
    received_at: float  # Unix seconds, hub clock


class Ingestor:
    """Verifies messages and writes their outcomes to a :class:`Store`."""

    def __init__(self, store: Store, *, max_payload_bytes: int = wire.MAX_PAYLOAD_BYTES) -> None:
        self.store = store
        self.max_payload_bytes = max_payload_bytes
        self.counters = Counters()
        self.devices = Registry(store)
        # Told of every committed batch with its outcomes (the metrics); must not block.
        self.on_commit: list[Callable[[WriteBatch, Sequence[Outcome]], None]] = []
        # Events of the batch being built, not yet in the database (chain lookups).
        self._pending: dict[tuple[str, int], ChainLink] = {}

    # --- entry points -------------------------------------------------------------

    def process(self, topic: str, payload: bytes, received_at: float | None = None) -> Outcome:
        """Verify and commit one message."""
        stamp = time.time() if received_at is None else received_at
        return self.ingest([Message(topic, payload, stamp)])[0]

    def ingest(self, messages: Sequence[Message]) -> list[Outcome]:
        """Verify ``messages`` and commit all their outcomes in one transaction.

        A message never raises: whatever goes wrong becomes its dead letter.  When the
        database refuses the batch, the messages are retried one by one so a single
        poison message cannot block the rest; this raises only when the database
        cannot even keep a dead letter (nothing of that message was committed).
        """
        try:
            return self._commit(messages)
        except Exception:
            log.exception("batch of %d messages failed to commit; retrying one by one",
                          len(messages))  # fmt: skip
            self.devices.reload()
        outcomes = []
        for message in messages:
            try:
                outcomes.extend(self._commit([message]))
            except Exception as exc:
                log.exception("message on %r failed to commit", message.topic[:200])
                self.devices.reload()
                outcomes.append(self._dead_letter_alone(message, exc))
        return outcomes

    def open_gaps(self) -> Iterator[tuple[wire.Address, list[Gap]]]:
        """Every device that has gaps, with them (for the resend schedule)."""
        for known in self.devices:
            if known.ledger.gaps:
                yield known.address, list(known.ledger.gaps)

    # --- one batch ----------------------------------------------------------------

    def _commit(self, messages: Sequence[Message]) -> list[Outcome]:
        batch = WriteBatch()
        self._pending = {}
        try:
            outcomes = [self._guarded(m, batch) for m in messages]
            self.store.write(batch)
        finally:
            self._pending = {}
        for outcome in outcomes:
            self.counters.count(outcome)
        self.counters.batches += 1
        self._committed(batch, outcomes)
        return outcomes

    def _committed(self, batch: WriteBatch, outcomes: Sequence[Outcome]) -> None:
        for listener in self.on_commit:
            try:
                listener(batch, outcomes)
            except Exception:  # what is committed stays committed and gets acknowledged
                log.exception("commit listener %r failed", listener)

    def _dead_letter_alone(self, message: Message, exc: Exception) -> Outcome:
        batch = WriteBatch()
        detail = f"{type(exc).__name__}: {exc}"
        reason = Reason.INTERNAL_ERROR
        if "events.event_id" in str(exc):
            reason, detail = Reason.REPLAY, f"event_id already stored for another event ({exc})"
        outcome = self._dead(batch, message, reason, detail, _claimed_device(message.topic))
        self.store.write(batch)
        self.counters.count(outcome)
        self._committed(batch, [outcome])
        return outcome

    def _guarded(self, message: Message, batch: WriteBatch) -> Outcome:
        try:
            return self._handle(message, batch)
        except Rejected as rej:
            reason, detail = rej.reason, rej.detail
        except Exception as exc:
            log.exception("internal error on a message from %r", message.topic[:200])
            reason, detail = Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
        return self._dead(batch, message, reason, detail, _claimed_device(message.topic))

    def _dead(
        self, batch: WriteBatch, m: Message, reason: str, detail: str, device_id: str | None
    ) -> Outcome:
        batch.dead_letters.append(
            NewDeadLetter(
                received_at=_timestamp(m.received_at),
                topic=m.topic[:_TOPIC_CAP],
                reason=reason,
                detail=detail[:_DETAIL_CAP],
                device_id=device_id,
                payload=m.payload[:DEAD_LETTER_CAP],
                payload_size=len(m.payload),
                payload_sha256=hashlib.sha256(m.payload).hexdigest(),
            )
        )
        log.info("dead letter %s from %r: %s", reason, m.topic[:200], detail,
                 extra={"reason": reason, "device_id": device_id})  # fmt: skip
        return Outcome(Kind.DEAD_LETTER, reason, detail, device_id)

    def _handle(self, m: Message, batch: WriteBatch) -> Outcome:
        size = len(m.payload)
        if size > self.max_payload_bytes:
            raise Rejected(
                Reason.OVERSIZED, f"payload is {size} bytes; the limit is {self.max_payload_bytes}"
            )
        try:
            address, channel = wire.parse_topic(m.topic)
        except WireError as exc:
            raise Rejected(exc.reason, str(exc)) from None
        if channel is wire.Channel.EVENTS:
            return self._event(m, address, batch)
        if channel is wire.Channel.STATUS:
            return self._presence(m, address, batch)
        if channel is wire.Channel.EVIDENCE:
            return self._evidence(m, address, batch)
        raise Rejected(Reason.BAD_TOPIC, f"the hub accepts no messages on {channel.value} topics")

    # --- the checks ---------------------------------------------------------------

    def _event(self, m: Message, address: wire.Address, batch: WriteBatch) -> Outcome:
        try:
            env, data = wire.parse_envelope(m.payload)
            known = self.devices.lookup(address, env.address)
            event_hash = hashlib.sha256(known.verify(wire.EVENT_DOMAIN, data, env.seq)).hexdigest()
        except WireError as exc:
            raise Rejected(exc.reason, str(exc)) from None
        ledger = known.ledger
        position = ledger.position(env.seq)
        if position is Position.STORED:
            link = self._link(known.device_id, env.seq)
            if link is not None and link.hash == event_hash:
                return Outcome(Kind.DUPLICATE, None, None, known.device_id, env.seq, env.event_id)
            if link is not None:
                raise Rejected(
                    Reason.REPLAY,
                    f"seq {env.seq} of {known.device_id!r} is already stored as event "
                    f"{link.event_id} (hash {link.hash}); event {env.event_id} has hash "
                    f"{event_hash}",
                )
            log.warning("seq %d of %s is marked stored but not found", env.seq, known.device_id)
        self._check_chain(known, env, event_hash, position)
        if env.type == wire.EventType.DEVICE_KEY_ROTATED:
            self._rotate(known, env, batch, m.received_at)
        return self._accept(m, known, env, data, event_hash, batch)

    def _rotate(
        self, known: KnownDevice, env: wire.Envelope, batch: WriteBatch, received_at: float
    ) -> None:
        """Take the new key (the event itself was signed by the old one)."""
        try:
            key = known.rotate(env.body, env.seq)
        except WireError as exc:
            raise Rejected(exc.reason, str(exc)) from None
        batch.keys.append(DeviceKey(known.device_id, key.key_id, env.body["public_key"],
                                    key.from_seq, _timestamp(received_at)))  # fmt: skip
        log.info("device %s rotated to key %s from seq %d", known.device_id, key.key_id,
                 key.from_seq, extra={"device_id": known.device_id})  # fmt: skip

    def _evidence(self, m: Message, address: wire.Address, batch: WriteBatch) -> Outcome:
        """Keep a crop whose SHA-256 a signed passage of the same device names."""
        known = self.devices.lookup(address, address)
        if not m.payload.startswith(JPEG_MAGIC):
            raise Rejected(Reason.NOT_AN_IMAGE, "an evidence message must be a JPEG file")
        digest = hashlib.sha256(m.payload).hexdigest()
        named = any(e.device_id == known.device_id and digest in e.body_json
                    for e in batch.events)  # fmt: skip
        if not named and not self.store.evidence_referenced(known.device_id, digest):
            raise Rejected(
                Reason.UNREFERENCED_EVIDENCE,
                f"no recent passage of {known.device_id!r} names evidence {digest}",
            )
        batch.evidence.append(NewEvidence(digest, known.device_id, "image/jpeg",
                                          _timestamp(m.received_at), m.payload))  # fmt: skip
        return Outcome(Kind.EVIDENCE, None, digest, known.device_id)

    def _link(self, device_id: str, seq: int) -> ChainLink | None:
        return self._pending.get((device_id, seq)) or self.store.chain_link(device_id, seq)

    def _check_chain(
        self, known: KnownDevice, env: wire.Envelope, event_hash: str, position: Position
    ) -> None:
        ledger, seq = known.ledger, env.seq
        expected_prev: str | None = None
        if seq == 1:
            expected_prev = wire.GENESIS_HASH
        elif position is Position.NEXT:
            expected_prev = ledger.last_hash
        elif ledger.is_stored(seq - 1):
            link = self._link(known.device_id, seq - 1)
            expected_prev = link.hash if link else None
        if expected_prev is not None and env.prev_hash != expected_prev:
            raise Rejected(
                Reason.CHAIN_BREAK,
                f"seq {seq} of {known.device_id!r} has prev_hash {env.prev_hash}, "
                f"but seq {seq - 1} has hash {expected_prev}",
            )
        if position is not Position.NEXT and ledger.is_stored(seq + 1):
            after = self._link(known.device_id, seq + 1)
            if after is not None and after.prev_hash != event_hash:
                raise Rejected(
                    Reason.CHAIN_BREAK,
                    f"seq {seq} of {known.device_id!r} has hash {event_hash}, but the stored "
                    f"seq {seq + 1} names prev_hash {after.prev_hash}",
                )

    def _accept(
        self,
        m: Message,
        known: KnownDevice,
        env: wire.Envelope,
        data: dict[str, Any],
        event_hash: str,
        batch: WriteBatch,
    ) -> Outcome:
        received_at = _timestamp(m.received_at)
        body_json = json.dumps(data["body"], ensure_ascii=False, separators=(",", ":"))
        ledger, device_id = known.ledger, known.device_id
        # The ledger first: it raises (if ever) before changing anything, so an
        # internal error cannot leave the event half-accepted in the batch.
        is_top = env.seq > ledger.last_seq
        if is_top:
            gaps_changed = ledger.advance(env.seq, event_hash, m.received_at)
        else:
            ledger.fill(env.seq)
            gaps_changed = True
        batch.events.append(
            NewEvent(env.event_id, device_id, env.checkpoint, env.lane, env.seq, env.type,
                     env.captured_at, received_at, body_json, event_hash, env.prev_hash,
                     m.payload)
        )  # fmt: skip
        self._pending[(device_id, env.seq)] = ChainLink(env.event_id, event_hash, env.prev_hash)
        if gaps_changed:
            batch.gaps[device_id] = list(ledger.gaps)
        update = batch.devices.get(device_id)
        if update is None:
            update = batch.devices[device_id] = DeviceUpdate(
                ledger.last_seq, ledger.last_hash, received_at
            )
        update.last_seq, update.last_hash, update.last_seen = (
            ledger.last_seq, ledger.last_hash, received_at
        )  # fmt: skip
        update.stored_delta += 1
        if is_top and env.type == wire.EventType.DEVICE_STATUS:
            update.last_status_json = body_json
        return Outcome(Kind.STORED, None, None, device_id, env.seq, env.event_id)

    def _presence(self, m: Message, address: wire.Address, batch: WriteBatch) -> Outcome:
        try:
            pres, data = wire.parse_presence(m.payload)
            claimed = wire.Address(pres.checkpoint, pres.lane, pres.device_id)
            known = self.devices.lookup(address, claimed)
            # Signed by the key that signs the device's next event.
            known.verify(wire.PRESENCE_DOMAIN, data, pres.last_seq + 1)
        except WireError as exc:
            raise Rejected(exc.reason, str(exc)) from None
        # Within a session the will (offline) comes after the birth, so order by
        # (session, online=0/offline=1): anything below what is known is stale.
        order = (pres.session, 0 if pres.state == "online" else 1)
        if known.presence is not None and order < known.presence:
            detail = (
                f"{pres.state} of session {pres.session} is older than "
                f"session {known.presence[0]} already known"
            )
            log.info("stale presence of %s: %s", known.device_id, detail,
                     extra={"device_id": known.device_id})  # fmt: skip
            return Outcome(Kind.STALE, None, detail, known.device_id)
        known.presence = order
        if pres.acked_seq is not None and known.ledger.expect(pres.acked_seq, m.received_at):
            batch.gaps[known.device_id] = list(known.ledger.gaps)
        online = pres.state == "online"
        received_at = _timestamp(m.received_at)
        batch.presence[known.device_id] = PresenceUpdate(
            online, pres.session, pres.at, received_at if online else None
        )
        return Outcome(Kind.PRESENCE, None, pres.state, known.device_id)


def _claimed_device(topic: str) -> str | None:
    try:
        return wire.parse_topic(topic)[0].device
    except WireError:
        return None


def _timestamp(unix: float) -> str:
    return wire.utc_timestamp(datetime.fromtimestamp(unix, UTC))
