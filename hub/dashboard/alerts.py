"""The alert rules, and the thread that evaluates them every ``alert_interval_s``.

Rules (thresholds in :class:`~hub.config.HubSettings`, ``alert_*``); ``subject`` is what
the alert is about, and (rule, subject) is one alert:

* ``device_offline`` — a device not online whose last message is older than
  ``alert_offline_minutes``; ``device_never_seen`` — registered that long ago and never
  heard from.  Revoked devices are left out.
* ``outbox_growing`` — the device's last ``alert_outbox_reports`` status reports show
  its outbox rising (:func:`hub.dashboard.health.trend`) to at least
  ``alert_outbox_floor`` events.
* ``long_wait`` — the longest current wait of a direction is over ``alert_wait_minutes``.
* ``dead_letters`` — more than ``alert_dead_letters`` messages dead-lettered in the
  last ``alert_dead_letter_minutes``.

Each evaluation raises what holds and is not open, and clears what is open and no
longer holds (:meth:`AlertTables.sync`): an alert is raised once, however many
evaluations see it.  An evaluation that fails changes nothing (a rule that cannot be
read must not look like a condition that ended); the loop logs it and tries again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from hub.config import HubSettings
from hub.dashboard.figures import longest_wait
from hub.dashboard.health import HISTORY_HOURS, depths, trend
from hub.loop import BackgroundLoop
from hub.queue.journal import parse_time
from hub.queue.service import QueueService
from hub.store import Device, Store
from hub.store.alert_sql import Alert, AlertTables, NewAlert
from hub.store.dashboard_sql import DashboardQueries
from hub.store.device_sql import DeviceTables
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)

HUB_SUBJECT = "hub"


class AlertRules:
    """What holds now, by the settings' thresholds."""

    def __init__(
        self, settings: HubSettings, store: Store, queue: QueueService, queries: DashboardQueries
    ) -> None:
        self.settings = settings
        self.store = store
        self.queue = queue
        self.queries = queries

    def find(self) -> list[NewAlert]:
        """Every condition that holds now."""
        now = self.queue.now()
        revoked = DeviceTables(self.store).revocations()
        found: list[NewAlert] = []
        for device in self.store.list_devices():
            if device.device_id in revoked:
                continue
            found.extend(self._presence(device, now))
            found.extend(self._outbox(device, now))
        found.extend(self._waits(now))
        found.extend(self._dead_letters(now))
        return found

    def _presence(self, device: Device, now: datetime) -> list[NewAlert]:
        if device.online:
            return []
        limit = self.settings.alert_offline_minutes
        where = {"device": device.device_id, "checkpoint": device.checkpoint, "lane": device.lane}
        if device.last_seen is None:
            minutes = _minutes(now, device.added_at)
            if minutes <= limit:
                return []
            return [NewAlert("device_never_seen", device.device_id,
                             f"{device.device_id} at {device.checkpoint}/{device.lane} was "
                             f"registered {minutes:.0f} min ago and never seen",
                             {**where, "minutes": round(minutes)})]  # fmt: skip
        minutes = _minutes(now, device.last_seen)
        if minutes <= limit:
            return []
        message = (f"{device.device_id} at {device.checkpoint}/{device.lane} offline: "
                   f"last seen {minutes:.0f} min ago ({device.last_seen})")  # fmt: skip
        detail = {**where, "minutes": round(minutes), "last_seen": device.last_seen}
        return [NewAlert("device_offline", device.device_id, message, detail)]

    def _outbox(self, device: Device, now: datetime) -> list[NewAlert]:
        window = self.settings.alert_outbox_reports
        since = utc_timestamp(now - timedelta(hours=HISTORY_HOURS))
        recent = depths(self.queries.status_reports(device.device_id, since, window))
        if len(recent) < window or trend(recent) != "rising":
            return []
        if recent[-1] < self.settings.alert_outbox_floor:
            return []
        return [NewAlert("outbox_growing", device.device_id,
                         f"outbox of {device.device_id} rose from {recent[0]} to {recent[-1]} "
                         f"events over its last {window} status reports",
                         {"device": device.device_id, "from": recent[0], "depth": recent[-1],
                          "reports": window})]  # fmt: skip

    def _waits(self, now: datetime) -> list[NewAlert]:
        limit = self.settings.alert_wait_minutes
        found = []
        for d in self.queue.config.directions:
            minutes = longest_wait(self.queue, d.id, now)
            if minutes is not None and minutes > limit:
                found.append(NewAlert("long_wait", d.id,
                                      f"longest wait in {d.name} is {minutes:.0f} min "
                                      f"(alert above {limit:g})",
                                      {"direction": d.id, "minutes": round(minutes),
                                       "limit": limit}))  # fmt: skip
        return found

    def _dead_letters(self, now: datetime) -> list[NewAlert]:
        window = self.settings.alert_dead_letter_minutes
        count = self.queries.dead_letters_since(utc_timestamp(now - timedelta(minutes=window)))
        if count <= self.settings.alert_dead_letters:
            return []
        return [NewAlert("dead_letters", HUB_SUBJECT,
                         f"{count} messages dead-lettered in the last {window:g} min "
                         f"(alert above {self.settings.alert_dead_letters})",
                         {"count": count, "minutes": window,
                          "limit": self.settings.alert_dead_letters})]  # fmt: skip


def alert_json(alert: Alert) -> dict[str, object]:
    """An alert as the API and the webhook show it."""
    return {**asdict(alert), "open": alert.open}


def webhook_body(hub: str) -> Callable[[Alert, str], str]:
    """The JSON posted for an alert raised or cleared, naming the hub."""

    def body(alert: Alert, kind: str) -> str:
        return json.dumps({"event": f"alert.{kind}", "hub": hub, "alert": alert_json(alert)},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # fmt: skip

    return body


class AlertEvaluator(BackgroundLoop):
    """Evaluates the rules every ``interval_s`` and records what changed."""

    name = "alerts"

    def __init__(
        self,
        rules: AlertRules,
        tables: AlertTables,
        interval_s: float,
        body_of: Callable[[Alert, str], str] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(interval_s)
        self.rules = rules
        self.tables = tables
        self.body_of = body_of  # None: no webhook, nothing queued
        self.on_change = on_change  # rings the webhook sender
        self.evaluations = 0

    def tick(self) -> bool:
        """One evaluation; the next comes after the interval."""
        self.evaluate()
        return False

    def evaluate(self) -> tuple[list[Alert], list[Alert]]:
        """Raise and clear what changed since the last evaluation; (raised, cleared)."""
        found = self.rules.find()
        raised, cleared = self.tables.sync(found, utc_timestamp(self.rules.queue.now()),
                                           self.body_of)  # fmt: skip
        for alert in raised:
            log.warning("alert %d raised: %s", alert.id, alert.message)
        for alert in cleared:
            log.info("alert %d cleared: %s", alert.id, alert.message)
        self.evaluations += 1
        if (raised or cleared) and self.body_of is not None and self.on_change is not None:
            self.on_change()
        return raised, cleared


def _minutes(now: datetime, stamp: str) -> float:
    return (now - parse_time(stamp)).total_seconds() / 60
