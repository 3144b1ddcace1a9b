"""The alerting parts of a running hub: the tables, the rules, the evaluator, the sender."""

from __future__ import annotations

from dataclasses import dataclass

from hub.config import HubSettings
from hub.dashboard.alerts import AlertEvaluator, AlertRules, webhook_body
from hub.dashboard.webhook import WebhookSender
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.alert_sql import AlertTables
from hub.store.dashboard_sql import DashboardQueries


@dataclass(slots=True)
class AlertParts:
    """What the dashboard and the alert API read, and the two threads behind them."""

    tables: AlertTables
    queries: DashboardQueries
    rules: AlertRules
    evaluator: AlertEvaluator
    sender: WebhookSender | None  # None when no alert_webhook_url is set

    def start(self) -> None:
        """Start the sender (it resumes deliveries left pending), then the evaluator."""
        if self.sender is not None:
            self.sender.start()
        self.evaluator.start()

    def stop(self) -> None:
        """Stop the evaluator, then the sender, each after the work in hand."""
        self.evaluator.stop()
        if self.sender is not None:
            # A post in flight may take its whole timeout; the store closes after this.
            self.sender.stop(timeout=self.sender.timeout_s + 5)


def build(settings: HubSettings, store: Store, queue: QueueService) -> AlertParts:
    """The parts for ``settings``; nothing runs until :meth:`AlertParts.start`."""
    tables = AlertTables(store)
    queries = DashboardQueries(store)
    rules = AlertRules(settings, store, queue, queries)
    sender = None
    if settings.alert_webhook_url:
        secret = settings.alert_webhook_secret
        sender = WebhookSender(
            tables, settings.alert_webhook_url,
            secret.get_secret_value().encode() if secret else None, queue.now,
            timeout_s=settings.alert_webhook_timeout_s,
            backoff_s=settings.alert_webhook_backoff_s,
            max_attempts=settings.alert_webhook_max_attempts,
        )  # fmt: skip
    evaluator = AlertEvaluator(
        rules, tables, settings.alert_interval_s,
        webhook_body(settings.checkpoint or queue.config.checkpoint) if sender else None,
        sender.wake if sender else None,
    )  # fmt: skip
    return AlertParts(tables, queries, rules, evaluator, sender)
