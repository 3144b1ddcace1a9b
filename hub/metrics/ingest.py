"""What the ingest pipeline counts: events stored, dead letters, verify failures, latency.

Fed by :class:`~hub.ingest.Ingestor` after each committed batch, so a batch the
database refused (and the pipeline retried message by message) is counted once, as
what was finally committed.  These counters start at zero with the process, as
Prometheus counters do; the stored totals (which survive restarts) are read at scrape
time by :mod:`hub.metrics.collectors`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from hub.outcome import Kind, Outcome, Reason
from hub.store import WriteBatch

log = logging.getLogger(__name__)

# The dead-letter reasons that say a message failed to prove who sent it or where it
# sits in its device's chain (as opposed to a message that is merely malformed).
VERIFY_REASONS = frozenset(
    {
        Reason.TOPIC_MISMATCH,
        Reason.UNKNOWN_DEVICE,
        Reason.WRONG_LANE,
        Reason.DEVICE_REVOKED,
        Reason.BAD_SIGNATURE,
        Reason.REPLAY,
        Reason.CHAIN_BREAK,
        Reason.UNREFERENCED_EVIDENCE,
    }
)
# Capture to storage spans a LAN hop (tens of ms) up to an outbox backlog replayed after
# an outage (hours); a device clock ahead of the hub's counts as 0.
INGEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600)
# Receipt to commit: the hub's own queue, verification and one SQLite transaction.
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class IngestMetrics:
    """Counters and histograms of the ingest pipeline, in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "shekara_hub_messages", "MQTT messages by outcome (committed ones)",
            ["outcome"], registry=registry,
        )  # fmt: skip
        self.events = Counter(
            "shekara_hub_events_ingested", "Events verified and stored, by event type",
            ["type"], registry=registry,
        )  # fmt: skip
        self.dead_letters = Counter(
            "shekara_hub_dead_letters", "Messages dead-lettered since start, by reason",
            ["reason"], registry=registry,
        )  # fmt: skip
        self.verify_failures = Counter(
            "shekara_hub_verify_failures",
            "Messages that failed authentication or the hash chain, by dead-letter reason",
            ["reason"], registry=registry,
        )  # fmt: skip
        self.ingest_latency = Histogram(
            "shekara_hub_ingest_latency_seconds",
            "Event captured_at (device clock) to committed in the hub database",
            buckets=INGEST_BUCKETS, registry=registry,
        )  # fmt: skip
        self.commit_latency = Histogram(
            "shekara_hub_commit_latency_seconds",
            "Event received from the broker to committed (hub clock only)",
            buckets=COMMIT_BUCKETS, registry=registry,
        )  # fmt: skip
        # Present from the first scrape, so rate() and alerts see a 0 rather than nothing.
        for kind in Kind:
            self.messages.labels(kind.value)
        for reason in VERIFY_REASONS:
            self.verify_failures.labels(reason.value)

    def committed(self, batch: WriteBatch, outcomes: Sequence[Outcome]) -> None:
        """Count one committed batch (an :attr:`hub.ingest.Ingestor.on_commit` listener)."""
        now = time.time()
        for outcome in outcomes:
            self.messages.labels(outcome.kind.value).inc()
            if outcome.kind is Kind.DEAD_LETTER:
                reason = outcome.reason or "?"
                self.dead_letters.labels(reason).inc()
                if reason in VERIFY_REASONS:
                    self.verify_failures.labels(reason).inc()
        for event in batch.events:
            self.events.labels(event.type).inc()
            for histogram, stamp in (
                (self.ingest_latency, event.captured_at),
                (self.commit_latency, event.received_at),
            ):
                seconds = _since(stamp, now)
                if seconds is not None:
                    histogram.observe(seconds)


def _since(stamp: str, now: float) -> float | None:
    try:
        return max(0.0, now - datetime.fromisoformat(stamp).timestamp())
    except ValueError:  # the contract guarantees RFC 3339; a bug must not stop the count
        log.warning("unparsable timestamp %r in a stored event", stamp)
        return None
