"""The officer's terminal: a lane's current arrival in full, decisions, and search.

A decision moves the queue first (release → CLEARED, refuse → REFUSED, inspect →
INSPECTION), then appends the control result, closes the arrival and the notification
in one transaction.  When the queue cannot move (no booking, or the booking is not at
control) the decision still stands and its record says why: nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from hub.cert.desk import CertDesk
from hub.notify.arrivals import LaneBell
from hub.notify.decisions import FINAL, Action, SealState, control_result
from hub.notify.match import reading_keys
from hub.notify.records import KeyKind, NotificationState, StoredVersion
from hub.queue.records import Booking, NotFound, QueueError
from hub.queue.service import QueueService
from hub.store.arrival_sql import Arrival, ArrivalTables
from hub.store.log_sql import StoredCertificate
from hub.store.notify_sql import NotifyStore
from shekara import codes
from shekara.plates import confusion_key
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)

_CLOSES = {Action.RELEASE: NotificationState.RELEASED, Action.REFUSE: NotificationState.REFUSED}


def _version_summary(v: StoredVersion) -> dict[str, Any]:
    return {"submitter": v.submitter, "notification": v.notification, "amendment": v.amendment,
            "received_at": v.received_at, "digest": v.digest}  # fmt: skip


class LaneTerminal:
    """What the officer's pages and API ask of arrivals and notifications."""

    def __init__(
        self,
        notify: NotifyStore,
        arrivals: ArrivalTables,
        queue: QueueService,
        bell: LaneBell,
        certs: CertDesk,
    ) -> None:
        self.notify = notify
        self.arrivals = arrivals
        self.queue = queue
        self.bell = bell
        self.certs = certs
        self._issuing = threading.Lock()

    def view(self, lane: str) -> dict[str, Any]:
        """The lane's current arrival with the notification version in force at arrival."""
        arrival = self.arrivals.current_arrival(lane)
        if arrival is None:
            return {"lane": lane, "arrival": None}
        return {"lane": lane, "arrival": self._arrival_view(arrival)}

    def _arrival_view(self, arrival: Arrival) -> dict[str, Any]:
        best = arrival.result.get("best")
        in_force = self._in_force(arrival, best)
        booking = self._booking(arrival, best)
        return {
            "id": arrival.id, "lane": arrival.lane, "started_at": arrival.started_at,
            "updated_at": arrival.updated_at, "decided": arrival.decided,
            "level": arrival.level, "score": arrival.score, "sighting": arrival.sighting,
            "best": best, "others": arrival.result.get("others", []),
            "notification": None if in_force is None else {
                **_version_summary(in_force), "body": in_force.body,
                "amended_since": bool(best and best["amendment"] != in_force.amendment)},
            "booking": None if booking is None else {
                "tractor": booking.tractor.text, "state": booking.state.value,
                "category": booking.category.value, "slot": booking.slot},
            "decisions": [b for _, _, _, b in self.arrivals.decisions(arrival.id)],
            "certificates": [c.cert_id for c in
                             self.certs.log.tables.certificates_of(arrival.id)],
        }  # fmt: skip

    def _in_force(self, arrival: Arrival, best: dict[str, Any] | None) -> StoredVersion | None:
        if best is None:
            return None
        at_arrival = self.notify.in_force_at(
            best["submitter"], best["notification"], arrival.started_at
        )
        # A notification first sent after the truck arrived has no version at arrival.
        return at_arrival or self.notify.version(best["version"])

    def _booking(self, arrival: Arrival, best: dict[str, Any] | None) -> Booking | None:
        if best and best.get("booking"):
            found = self.queue.store.get(best["booking"])
            if found is not None:
                return found
        for reading in arrival.sighting["readings"]:
            found = self.queue.store.active_by_plate(confusion_key(reading["text"]))
            if found is not None:
                return found
        return None

    def decide(
        self,
        arrival_id: int,
        action: Action,
        officer: str,
        remarks: str = "",
        seals: SealState = SealState.NOT_CHECKED,
        item_remarks: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Record the officer's decision and move the queue; returns the control result."""
        arrival = self.arrivals.arrival(arrival_id)
        if arrival is None:
            raise NotFound(f"no arrival {arrival_id}")
        view = self._arrival_view(arrival)
        booking = self._booking(arrival, view["best"])
        queue_outcome = self._move_queue(booking, action, remarks, officer)
        at = utc_timestamp(self.queue.now())
        notification = view["notification"]
        body = control_result(
            arrival={"id": arrival.id, "lane": arrival.lane, "started_at": arrival.started_at,
                     "evidence": [e["hash"] for e in arrival.sighting["events"]]},
            best=view["best"],
            notification=None if notification is None else {
                k: notification[k] for k in ("submitter", "notification", "amendment",
                                             "digest")},
            action=action, seals=seals, remarks=remarks.strip()[:500],
            item_remarks=item_remarks or {}, officer=officer, at=at, queue=queue_outcome,
        )  # fmt: skip
        close = None
        if notification is not None and action in _CLOSES:
            close = (notification["submitter"], notification["notification"],
                     _CLOSES[action].value)  # fmt: skip
        seq, digest = self.arrivals.record_decision(
            arrival.id, officer, action.value, body, action in FINAL, close
        )
        log.info("decision %d on arrival %d by %s: %s (%s)", seq, arrival.id, officer,
                 action.value, queue_outcome)  # fmt: skip
        certificates: list[str] = []
        if action is Action.RELEASE and notification is not None:
            try:
                certificates = [c.cert_id for c in self.certify(arrival.id)]
            except Exception:
                # The release stands; POST /api/arrivals/{id}/certificates issues later.
                log.exception("certificate for arrival %d not issued", arrival.id)
        self.bell.ring(arrival.lane)  # every screen on the lane shows the decision
        return {**body, "seq": seq, "hash": digest, "certificates": certificates}

    def certify(self, arrival_id: int) -> list[StoredCertificate]:
        """The certificates of a released arrival, issued now if they were not yet."""
        with self._issuing:
            issued = self.certs.log.tables.certificates_of(arrival_id)
            if issued:
                return issued
            arrival = self.arrivals.arrival(arrival_id)
            if arrival is None:
                raise NotFound(f"no arrival {arrival_id}")
            releases = [d for d in self.arrivals.decisions(arrival_id)
                        if d[3]["action"] == Action.RELEASE.value]  # fmt: skip
            if not releases or releases[-1][3]["notification"] is None:
                raise NotReleased(f"arrival {arrival_id} has no release of a notified truck")
            seq, _, digest, body = releases[-1]
            ref = body["notification"]
            version = next(v for v in self.notify.history(ref["submitter"], ref["notification"])
                           if v.amendment == ref["amendment"])  # fmt: skip
            return self.certs.issue_release(
                decision=body, seq=seq, decision_hash=digest, arrival=arrival_id,
                notification={**_version_summary(version), "body": version.body},
                sighting=arrival.sighting,
            )  # fmt: skip

    def _move_queue(
        self, booking: Booking | None, action: Action, remarks: str, officer: str
    ) -> str:
        if booking is None:
            return "no queue booking"
        try:
            if action is Action.INSPECT:
                moved = self.queue.inspect(booking.booking, officer)
            else:
                moved = self.queue.decide(booking.booking, action is Action.RELEASE,
                                          remarks or action.value, officer)  # fmt: skip
        except QueueError as exc:
            return f"queue not moved: {exc}"
        return f"booking {moved.state.value}"

    def search(self, text: str, limit: int = 20) -> dict[str, Any]:
        """Recent arrivals and notifications by plate, container or SSCC."""
        raw = text.strip()
        keys: list[tuple[KeyKind, str]] = []
        container = codes.interpret_container(raw)
        if container is not None:
            keys.append((KeyKind.CONTAINER, container.code))
        digits = "".join(c for c in raw if c.isdigit())
        if len(digits) in (18, 20):
            keys.append((KeyKind.SSCC, digits[-18:]))
        if not keys and raw:
            keys = [k for k in reading_keys(raw) if k[0] is not KeyKind.NEAR][:2]
            keys.append((KeyKind.SEAL, raw.upper().replace(" ", "")))
        found = self.notify.search(keys, limit) if keys else []
        wanted = {k for _, k in keys}
        arrivals = [a for a in self.arrivals.recent(200)
                    if wanted & _arrival_keys(a)][:limit]  # fmt: skip
        return {
            "query": raw,
            "notifications": [{**_version_summary(v), "state": v.state.value,
                               "direction": v.direction, "eta_from": v.eta_from,
                               "tractor": v.body["conveyance"]["tractor"]["plate"]}
                              for v in found],
            "arrivals": [{"id": a.id, "lane": a.lane, "started_at": a.started_at,
                          "level": a.level, "decided": a.decided,
                          "plates": [r["text"] for r in a.sighting["readings"] if not r["rank"]]}
                         for a in arrivals],
        }  # fmt: skip


class NotReleased(QueueError):
    """A certificate was asked for an arrival that was not released with a notification."""

    code = "not_released"
    status = 409


def _arrival_keys(arrival: Arrival) -> set[str]:
    keys = {confusion_key(r["text"]) for r in arrival.sighting["readings"]}
    return keys | {c["code"] for c in arrival.sighting["codes"]}
