"""A hub database filled like a busy checkpoint's, for ``bench/bench_ops.py``.

* ``devices`` cameras registered at Temirbaba's lanes, each with a chain of signed events
  ingested through the hub's own :class:`~hub.ingest.Ingestor` (real Ed25519 signatures,
  verified, in batches of 500): one ``device.status`` a minute over the last six hours
  (360 each: the outbox history the dashboard reads) and plate passages and barcode
  reads spread over the week before.  A second process signs while this one ingests.
* Presence: every device sent a birth; the first ``offline`` of them stopped 40 minutes
  ago and sent their will; the next ``rising`` report an outbox growing past 100.
* ``dead`` unparseable messages dead-lettered in the last ten minutes.
* The queue's week: ``trucks`` per direction and hour booked, checked in at the waiting
  zone, called forward 15-150 minutes later, read at control and at the exit.  The
  Turkmenistan → Kazakhstan lane calls nobody in the last five hours, so its line grows.

With the hub's default thresholds this holds device_offline, outbox_growing,
dead_letters and long_wait alerts, so every rule has something to find.
"""

from __future__ import annotations

import heapq
import multiprocessing
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.ingest import Ingestor, Message
from hub.outcome import Kind
from hub.queue.core import hour_start
from hub.queue.policy import DEFAULT_CONFIG, Category
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.queue_sql import QueueStore
from shekara import wire
from shekara.ids import new_ulid

CHECKPOINT = "temirbaba"
LANES = ("wait-out", "entry-1", "entry-2", "exit-1", "wait-in", "entry-3", "exit-2")
STATUS_REPORTS = 360  # six hours of the edge's 60-second heartbeat
BATCH = 500
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Lanes of each direction: (waiting zone, control, exit).
ROUTE = {"kz-tm": ("wait-out", "entry-1", "exit-1"), "tm-kz": ("wait-in", "entry-3", "exit-2")}


def plate(n: int) -> str:
    """The n-th distinct Kazakh private plate (999AAA02)."""
    rest = n // 1000
    return f"{n % 1000:03d}" + "".join(LETTERS[(rest // 26**k) % 26] for k in range(3)) + "02"


@dataclass(frozen=True, slots=True)
class Chain:
    """What one device signs, in a signer process."""

    key: bytes  # raw Ed25519 private key
    lane: str
    device: str
    others: int  # passages and barcode reads before and between the status reports
    reports: int
    end: float  # Unix time of its last status report
    days: float
    rising: bool
    offline: bool
    seed: int


def _stamp(unix: float) -> str:
    return wire.utc_timestamp(datetime.fromtimestamp(unix, UTC))


def _body(rng: random.Random, kind: str, seen: str) -> dict[str, object]:
    if kind == wire.EventType.BARCODE_READ:
        text = f"MSKU{rng.randrange(10**7):07d}"
        return {"symbology": "Code128", "text": text, "raw_b64": "QUJD", "decoder": "zxing-cpp"}
    p = plate(rng.randrange(100_000))
    return {
        "plate": p, "country": "KZ", "format": "kz_private", "confidence": 0.93,
        "candidates": [{"text": p, "country": "KZ", "confidence": 0.93}],
        "first_seen": seen, "last_seen": seen, "frames": 8, "direction": "toward",
        "evidence": None,
    }  # fmt: skip


def sign_chain(chain: Chain) -> list[tuple[str, bytes, float]]:
    """(topic, payload, received_at) of the device's events in order, then its presence."""
    rng = random.Random(chain.seed)
    key = Ed25519PrivateKey.from_private_bytes(chain.key)
    address = wire.Address(CHECKPOINT, chain.lane, chain.device)
    first_report = chain.end - 60 * (chain.reports - 1)
    times = [(first_report + 60 * k, k) for k in range(chain.reports)]
    times += [(chain.end - rng.uniform(0, chain.days * 86400), -1) for _ in range(chain.others)]
    times.sort()
    out, prev = [], wire.GENESIS_HASH
    for seq, (at, report) in enumerate(times, 1):
        seen = _stamp(at)
        if report >= 0:
            kind = wire.EventType.DEVICE_STATUS
            left = chain.reports - report  # 1 for the last report
            depth = max(0, 200 - 8 * left) if chain.rising else rng.choice((0, 0, 0, 1, 2))
            body: dict[str, object] = {
                "fps": 10.0, "outbox_depth": depth, "camera": "ok", "software_version": "0.1.0",
                "uptime_s": int(at - first_report) + 60, "disk_free_mb": 12_000,
                "cpu_temp_c": 51.5,
            }  # fmt: skip
        else:
            kind = rng.choice((wire.EventType.VEHICLE_PASSAGE, wire.EventType.BARCODE_READ))
            body = _body(rng, kind, seen)
        event = wire.make_event(key, address, seq=seq, prev_hash=prev, event_type=kind,
                                body=body, captured_at=seen, event_id=new_ulid())  # fmt: skip
        prev = wire.event_hash(event)
        out.append((address.topic(wire.Channel.EVENTS), wire.encode(event), at + 0.5))
    states = ("online", "offline") if chain.offline else ("online",)
    for n, state in enumerate(states):
        message = {"v": 1, "device_id": chain.device, "checkpoint": CHECKPOINT,
                   "lane": chain.lane, "state": state, "session": 1, "at": _stamp(chain.end),
                   "software_version": "0.1.0", "last_seq": len(times)}  # fmt: skip
        signed = wire.encode(wire.sign(wire.PRESENCE_DOMAIN, message, key))
        out.append((address.topic(wire.Channel.STATUS), signed, chain.end + 1 + 30 * n))
    return out


def fill_events(
    store: Store, now: datetime, devices: int, events: int, *, days: float = 7,
    offline: int = 3, rising: int = 2, dead: int = 25,
) -> None:  # fmt: skip
    """Register ``devices`` and store ``events`` signed events among them (see above)."""
    per_device = events // devices
    reports = min(STATUS_REPORTS, per_device)
    chains = []
    for i in range(devices):
        key = Ed25519PrivateKey.generate()
        lane, name = LANES[i % len(LANES)], f"cam-{i + 1:02d}"
        store.add_device(name, key.public_key(), CHECKPOINT, lane)
        gone = i < offline
        end = now.timestamp() - (40 * 60 if gone else 60)
        extra = 1 if i < events % devices else 0  # the remainder, so the total is exact
        chains.append(Chain(key.private_bytes_raw(), lane, name, per_device - reports + extra,
                            reports, end, days, offline <= i < offline + rising, gone,
                            seed=i))  # fmt: skip
    ingestor = Ingestor(store)
    stored = 0
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        for chain, signed in zip(chains, pool.imap(sign_chain, chains), strict=True):
            before = stored
            for i in range(0, len(signed), BATCH):
                outcomes = ingestor.ingest([Message(*m) for m in signed[i : i + BATCH]])
                kinds = {o.kind for o in outcomes}
                if not kinds <= {Kind.STORED, Kind.PRESENCE}:
                    raise RuntimeError(f"{chain.device}: {outcomes[:3]}")
                stored += sum(1 for o in outcomes if o.kind is Kind.STORED)
            if stored // 20_000 != before // 20_000:
                print(f"  stored {stored:,}/{events:,} events", flush=True)
    topic = wire.Address(CHECKPOINT, LANES[0], "cam-01").topic(wire.Channel.EVENTS)
    for k in range(dead):
        (outcome,) = ingestor.ingest([Message(topic, b"{not json", now.timestamp() - 20 * k)])
        if outcome.kind is not Kind.DEAD_LETTER:
            raise RuntimeError(f"expected a dead letter, got {outcome}")


class Clock:
    """The queue's clock, moved by :func:`fill_queue`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fill_queue(
    store: Store, now: datetime, trucks: int, days: int = 7, journal_key: bytes = b"b" * 32
) -> int:
    """The week's trucks (see above) up to ``now``; returns how many were booked."""
    first = hour_start(now) - timedelta(days=days)
    clock = Clock(first - timedelta(hours=3))
    service = QueueService(QueueStore(store), DEFAULT_CONFIG, journal_key, clock)
    service.publish_policy()
    rng = random.Random(8)
    booked = 0
    # (time, step, direction, plate): step orders what happens at the same moment.
    todo: list[tuple[datetime, int, str, str]] = []
    closed = now - timedelta(hours=5)
    n = 0
    for h in range(days * 24 + 1):
        slot = first + timedelta(hours=h)
        for direction in ROUTE:
            for k in range(trucks):
                arrive = slot + timedelta(minutes=60 * k / trucks + rng.uniform(0, 10))
                call = arrive + timedelta(minutes=rng.uniform(15, 150))
                todo.append((slot - timedelta(hours=2), 0, direction, plate(n)))
                todo.append((arrive, 1, direction, plate(n)))
                if not (direction == "tm-kz" and call > closed):
                    todo.append((call, 2, direction, plate(n)))
                n += 1
    heapq.heapify(todo)
    while todo and todo[0][0] <= now:
        at, step, direction, text = heapq.heappop(todo)
        clock.now = at
        wait, control, exit_lane = ROUTE[direction]
        if step == 0:
            category = Category.PERISHABLE if rng.random() < 0.2 else Category.GENERAL
            slot = hour_start(at + timedelta(hours=2))
            service.book(direction, category, slot, (text, "KZ"), [], "Bench Driver",
                         "+7 701 555 0101", "Bench Freight")  # fmt: skip
            booked += 1
        elif step == 1:
            service.on_passage(new_ulid(), wait, [text], "KZ", at)
        elif step == 2:
            called = service.call_next(direction, control, "officer1")
            if called is not None:
                heapq.heappush(todo, (at + timedelta(minutes=5), 3, direction,
                                      called.tractor.text))  # fmt: skip
                heapq.heappush(todo, (at + timedelta(minutes=35), 4, direction,
                                      called.tractor.text))  # fmt: skip
        else:
            service.on_passage(new_ulid(), control if step == 3 else exit_lane, [text], "KZ", at)
    clock.now = now
    return booked
