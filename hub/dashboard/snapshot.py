"""Everything the operators' dashboard shows at one moment (the page and the JSON API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.config import HubSettings
from hub.dashboard.figures import DirectionFigures, checkpoint_figures
from hub.dashboard.health import CheckpointDevices, fleet_health
from hub.dashboard.setup import AlertParts
from hub.queue.service import QueueService
from hub.store import DeadLetter, Store
from hub.store.alert_sql import Alert
from shekara.wire import utc_timestamp

RECENT_ALERTS = 20


@dataclass(frozen=True, slots=True)
class DeadLetterSummary:
    """Dead letters in the alert rule's window, and the newest few."""

    window_minutes: float
    in_window: int
    total: int
    newest: list[DeadLetter]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The dashboard's content."""

    checkpoint: str
    name: str
    timezone: str
    generated_at: datetime
    directions: list[DirectionFigures]
    devices: list[CheckpointDevices]
    open_alerts: list[Alert]
    cleared_alerts: list[Alert]  # the newest that ended
    dead_letters: DeadLetterSummary
    deliveries: dict[str, int]  # webhook deliveries by state


def take(settings: HubSettings, store: Store, queue: QueueService, alerts: AlertParts) -> Snapshot:
    """The dashboard now."""
    now = queue.now()
    window = settings.alert_dead_letter_minutes
    in_window = alerts.queries.dead_letters_since(utc_timestamp(now - timedelta(minutes=window)))
    return Snapshot(
        checkpoint=queue.config.checkpoint,
        name=queue.config.name,
        timezone=queue.config.timezone,
        generated_at=now,
        directions=checkpoint_figures(queue, alerts.queries),
        devices=fleet_health(store, alerts.queries, now, settings.alert_outbox_reports),
        open_alerts=alerts.tables.open_alerts(),
        cleared_alerts=[a for a in alerts.tables.recent(RECENT_ALERTS * 2) if not a.open][
            :RECENT_ALERTS
        ],
        dead_letters=DeadLetterSummary(
            window, in_window, store.count_dead_letters(), store.list_dead_letters(limit=10)
        ),
        deliveries=alerts.tables.delivery_counts(),
    )
