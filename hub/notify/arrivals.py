"""Arrivals: lane events become a visit per vehicle, matched against open notifications.

A ``vehicle.passage`` at a lane opens a visit, unless the lane's last visit started
less than :data:`JOIN_S` ago, is undecided and has fewer than :data:`MAX_PASSAGES`
passages: then it is the same vehicle seen by a second camera (the trailer's plate at
the rear) and its readings join the visit.  A
``barcode.read`` joins the lane's undecided visit, or opens one without a plate.  After
every event the visit is matched again (:mod:`hub.notify.match`) against the open
notifications that share a lookup key with it, and the lane's listeners are woken.
The visit keeps the id and hash of every event it rests on: the evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from hub.notify.match import (
    Level,
    PlateReading,
    Sighting,
    VehicleMatch,
    match_vehicle,
    reading_keys,
)
from hub.notify.records import KeyKind, StoredVersion
from hub.queue.journal import parse_time
from hub.store.arrival_sql import Arrival, ArrivalTables
from hub.store.models import StoredEvent
from hub.store.notify_sql import NotifyStore
from shekara import wire

log = logging.getLogger(__name__)

JOIN_S = 60.0  # a second passage this soon at the same lane is the same vehicle
MAX_PASSAGES = 3  # front, rear, one more: a fourth is another vehicle however soon
CODES_FIRST_S = 600.0  # codes scanned before any plate wait this long for the plate
VISIT_S = 1800.0  # an undecided visit takes codes for this long
RUNNERS_UP = 3
_RANK = {Level.MATCH: 2, Level.PROBABLE: 1, Level.NONE: 0}


def code_of(body: dict[str, Any]) -> tuple[KeyKind | None, str]:
    """A scanned code in the form notifications declare it, and what it may be."""
    if body.get("iso6346"):
        return KeyKind.CONTAINER, str(body["iso6346"]["code"])
    for element in (body.get("gs1") or {}).get("elements", []):
        if element["ai"] == "00":
            return KeyKind.SSCC, str(element["value"])
    text = re.sub(r"[\s\-.]", "", str(body.get("text", ""))).upper()
    return (KeyKind.SEAL if 3 <= len(text) <= 20 and text.isalnum() else None), text


class LaneBell:
    """Per-lane change counters, and the live views waiting on them.

    The event loop's live views :meth:`subscribe` and get an :class:`asyncio.Event` set
    from the ringing thread, so a waiting browser holds no thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def ring(self, lane: str) -> None:
        """Say that ``lane``'s view changed."""
        with self._lock:
            self._versions[lane] = self._versions.get(lane, 0) + 1
            waiting = list(self._subscribers.get(lane, ()))
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # that loop closed: its view is gone
                loop.call_soon_threadsafe(event.set)

    def version(self, lane: str) -> int:
        """How many times the lane's view changed."""
        with self._lock:
            return self._versions.get(lane, 0)

    def subscribe(self, lane: str) -> tuple[asyncio.Event, Callable[[], None]]:
        """An event set on every change of ``lane``, and the call that unsubscribes it."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._subscribers.setdefault(lane, set()).add(entry)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers.get(lane, set()).discard(entry)

        return entry[1], unsubscribe


class ArrivalDesk:
    """Turns stored lane events into matched visits."""

    def __init__(self, notify: NotifyStore, arrivals: ArrivalTables, bell: LaneBell) -> None:
        self.notify = notify
        self.arrivals = arrivals
        self.bell = bell

    def feed(self, event: StoredEvent) -> Arrival | None:
        """Apply one stored event; returns the visit it changed (None: not a lane read)."""
        if event.type == wire.EventType.VEHICLE_PASSAGE:
            arrival = self._on_passage(event)
        elif event.type == wire.EventType.BARCODE_READ:
            arrival = self._on_code(event)
        else:
            return None
        arrival = self.rematch(arrival, event.received_at)
        self.bell.ring(event.lane)
        return arrival

    def _evidence(self, event: StoredEvent) -> dict[str, str]:
        return {"event_id": event.event_id, "hash": event.hash, "type": event.type,
                "device_id": event.device_id, "captured_at": event.captured_at}  # fmt: skip

    def _current(self, lane: str, at: str, join_s: float) -> Arrival | None:
        current = self.arrivals.current_arrival(lane)
        if current is None or current.decided:
            return None
        if not current.sighting["readings"]:
            join_s = max(join_s, CODES_FIRST_S)
        elapsed = parse_time(at) - parse_time(current.started_at)
        return current if elapsed <= timedelta(seconds=join_s) else None

    def _on_passage(self, event: StoredEvent) -> Arrival:
        body = event.body
        readings = [{"text": body["plate"], "confidence": body["confidence"], "rank": 0,
                     "country": body.get("country"), "event_id": event.event_id}]  # fmt: skip
        readings += [{"text": c["text"], "confidence": c["confidence"], "rank": i,
                      "country": c.get("country"), "event_id": event.event_id}
                     for i, c in enumerate(body.get("candidates", [])[1:], 1)]  # fmt: skip
        current = self._current(event.lane, event.captured_at, JOIN_S)
        if current is not None and _passages(current) >= MAX_PASSAGES:
            current = None
        sighting = current.sighting if current else _new_sighting()
        sighting["readings"] += readings
        sighting["events"].append(self._evidence(event))
        if body.get("evidence"):
            sighting["evidence"].append({**body["evidence"], "device_id": event.device_id,
                                         "event_id": event.event_id})  # fmt: skip
        if current is None:
            return self.arrivals.open_arrival(event.lane, event.captured_at, sighting)
        return self._with(current, sighting)

    def _on_code(self, event: StoredEvent) -> Arrival:
        kind, code = code_of(event.body)
        current = self._current(event.lane, event.captured_at, VISIT_S)
        sighting = current.sighting if current else _new_sighting()
        if code and code not in {c["code"] for c in sighting["codes"]}:
            sighting["codes"].append({"code": code, "kind": kind.value if kind else None,
                                      "event_id": event.event_id})  # fmt: skip
        sighting["events"].append(self._evidence(event))
        if current is None:
            return self.arrivals.open_arrival(event.lane, event.captured_at, sighting)
        return self._with(current, sighting)

    @staticmethod
    def _with(arrival: Arrival, sighting: dict[str, Any]) -> Arrival:
        return Arrival(arrival.id, arrival.lane, arrival.started_at, arrival.updated_at,
                       sighting, arrival.result, arrival.version, arrival.level,
                       arrival.score, arrival.decided)  # fmt: skip

    def rematch(self, arrival: Arrival, at: str) -> Arrival:
        """Match the visit against every open notification sharing a key; store the result."""
        sighting = Sighting(
            tuple(PlateReading(r["text"], r["confidence"], r["rank"])
                  for r in arrival.sighting["readings"]),
            frozenset(c["code"] for c in arrival.sighting["codes"]),
        )  # fmt: skip
        keys = [k for r in sighting.readings for k in reading_keys(r.text)]
        keys += [(KeyKind(c["kind"]), c["code"]) for c in arrival.sighting["codes"] if c["kind"]]
        scored: list[tuple[VehicleMatch, StoredVersion]] = [
            (match_vehicle(sighting, v.body), v) for v in self.notify.open_with_keys(keys)
        ]
        scored = [s for s in scored if s[0].level is not Level.NONE]
        scored.sort(key=lambda s: (_RANK[s[0].level], s[0].score), reverse=True)
        best = scored[0] if scored else None
        result = {
            "best": _summary(*best) if best else None,
            "others": [_summary(m, v) for m, v in scored[1 : 1 + RUNNERS_UP]],
        }
        level = best[0].level.value if best else Level.NONE.value
        score = best[0].score if best else 0.0
        version = best[1].id if best else None
        self.arrivals.update_arrival(
            arrival.id, at, arrival.sighting, result, version, level, score
        )
        log.info("arrival %d at %s: %s %.2f", arrival.id, arrival.lane, level, score)
        return Arrival(arrival.id, arrival.lane, arrival.started_at, at, arrival.sighting,
                       result, version, level, score, arrival.decided)  # fmt: skip


def _passages(arrival: Arrival) -> int:
    return sum(e["type"] == wire.EventType.VEHICLE_PASSAGE for e in arrival.sighting["events"])


def _new_sighting() -> dict[str, list[Any]]:
    return {"readings": [], "codes": [], "events": [], "evidence": []}


def _summary(m: VehicleMatch, v: StoredVersion) -> dict[str, Any]:
    return {
        "version": v.id, "submitter": v.submitter, "notification": v.notification,
        "amendment": v.amendment, "booking": v.booking, "level": m.level.value,
        "score": round(m.score, 3), "tractor_changed": m.tractor_changed,
        "reasons": list(m.reasons), "tractor": asdict(m.tractor),
        "trailers": [asdict(t) for t in m.trailers],
        "items": [{"kind": i.kind, "code": i.code, "status": i.status.value} for i in m.items],
    }  # fmt: skip
