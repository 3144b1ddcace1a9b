"""The alert rules and their evaluator on a real store, real signed device messages and
real queue bookings; each condition is raised once and cleared when it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import presence, report
from hub_support import SimDevice, register
from mqtt_helpers import wait_until
from queue_helpers import Clock, book, make_service

from hub.config import HubSettings
from hub.dashboard.alerts import AlertEvaluator, AlertRules
from hub.ingest import Ingestor
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.alert_sql import AlertTables, NewAlert
from hub.store.dashboard_sql import DashboardQueries
from hub.store.device_sql import DeviceTables
from shekara import wire


@dataclass
class Rig:
    now: datetime  # devices are registered at the real time: the hub's clock starts there
    store: Store
    queue: QueueService
    clock: Clock
    ingestor: Ingestor
    tables: AlertTables
    evaluator: AlertEvaluator

    def device(self, name: str, lane: str = "entry-1") -> SimDevice:
        return register(self.store, Ed25519PrivateKey.generate(),
                        wire.Address("temirbaba", lane, name))  # fmt: skip

    def evaluate(self) -> tuple[list[str], list[str]]:
        raised, cleared = self.evaluator.evaluate()
        return [f"{a.rule}:{a.subject}" for a in raised], [f"{a.rule}:{a.subject}" for a in cleared]

    def open(self) -> list[str]:
        return [f"{a.rule}:{a.subject}" for a in self.tables.open_alerts()]


SETTINGS = {
    "alert_offline_minutes": 10, "alert_outbox_reports": 3, "alert_outbox_floor": 50,
    "alert_wait_minutes": 60, "alert_dead_letters": 2, "alert_dead_letter_minutes": 10,
}  # fmt: skip


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    now = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(now)
    store, queue = make_service(tmp_path / "hub.db", clock)
    settings = HubSettings(db_path=tmp_path / "hub.db", **SETTINGS)
    queries = DashboardQueries(store)
    tables = AlertTables(store)
    evaluator = AlertEvaluator(AlertRules(settings, store, queue, queries), tables, 0.05)
    yield Rig(now, store, queue, clock, Ingestor(store), tables, evaluator)
    evaluator.stop()
    store.close()


def test_offline_and_never_seen_devices(rig: Rig) -> None:
    quiet, gone, fine, _ = (rig.device(n) for n in ("quiet", "gone", "fine", "revoked"))
    presence(rig.ingestor, gone, "online", rig.now)
    report(rig.ingestor, gone, rig.now, 0)
    presence(rig.ingestor, gone, "offline", rig.now + timedelta(minutes=1))
    presence(rig.ingestor, fine, "online", rig.now)
    DeviceTables(rig.store).revoke("revoked", "lost", "ops", wire.utc_timestamp(rig.now))
    rig.clock.now = rig.now + timedelta(minutes=9)
    assert rig.evaluate() == ([], [])  # not long enough yet
    rig.clock.now = rig.now + timedelta(minutes=11)
    assert rig.evaluate() == (["device_offline:gone", "device_never_seen:quiet"], [])
    assert rig.evaluate() == ([], [])  # raised once, not at every evaluation
    offline = rig.tables.open_alerts()[0]
    assert offline.detail["minutes"] == 11 and offline.detail["lane"] == "entry-1"
    assert "gone at temirbaba/entry-1 offline: last seen 11 min ago" in offline.message
    presence(rig.ingestor, gone, "online", rig.now + timedelta(minutes=12))
    assert rig.evaluate() == ([], ["device_offline:gone"])
    assert rig.open() == ["device_never_seen:quiet"]
    assert quiet.seq == 0  # it really never sent anything


def test_a_growing_outbox_above_the_floor(rig: Rig) -> None:
    cam, small = rig.device("cam"), rig.device("small")
    for minutes, depth in ((3, 10), (2, 60), (1, 120)):
        report(rig.ingestor, cam, rig.now - timedelta(minutes=minutes), depth)
        report(rig.ingestor, small, rig.now - timedelta(minutes=minutes), depth // 10)  # 1, 6, 12
    assert rig.evaluate() == (["outbox_growing:cam"], [])
    assert rig.tables.open_alerts()[0].detail == {"device": "cam", "from": 10, "depth": 120,
                                                  "reports": 3}  # fmt: skip
    report(rig.ingestor, cam, rig.now, 30)  # draining again
    assert rig.evaluate() == ([], ["outbox_growing:cam"])


def test_a_long_wait_in_a_direction(rig: Rig) -> None:
    book(rig.queue, "100ABC02", rig.now + timedelta(hours=1))
    assert rig.queue.on_passage("r1", "wait-out", ["100ABC02"], "KZ", rig.now) == "arrived"
    rig.clock.now = rig.now + timedelta(minutes=59)
    assert rig.evaluate() == ([], [])
    rig.clock.now = rig.now + timedelta(minutes=61)
    assert rig.evaluate() == (["long_wait:kz-tm"], [])
    assert rig.tables.open_alerts()[0].detail["minutes"] == 61
    assert rig.queue.call_next("kz-tm", "entry-1", "officer1") is not None
    assert rig.evaluate() == ([], ["long_wait:kz-tm"])


def test_a_dead_letter_spike(rig: Rig) -> None:
    cam = rig.device("cam")
    for i in range(3):
        rig.ingestor.process(cam.topic(), b"not json", (rig.now - timedelta(minutes=i)).timestamp())
    assert rig.evaluate() == (["dead_letters:hub"], [])
    assert rig.tables.open_alerts()[0].detail == {"count": 3, "minutes": 10, "limit": 2}
    rig.clock.now = rig.now + timedelta(minutes=9, seconds=30)  # the oldest left the window
    assert rig.evaluate() == ([], ["dead_letters:hub"])


class FlakyRules(AlertRules):
    """The real rules, after ``failures`` evaluations that fail (a locked database, a bug)."""

    def __init__(self, rules: AlertRules, failures: int) -> None:
        super().__init__(rules.settings, rules.store, rules.queue, rules.queries)
        self.failures = failures

    def find(self) -> list[NewAlert]:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("database is locked")
        return super().find()


def test_the_evaluator_survives_a_failing_round_and_stops_cleanly(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.device("quiet")
    rig.clock.now = rig.now + timedelta(minutes=11)
    rig.evaluate()
    assert rig.open() == ["device_never_seen:quiet"]
    rings: list[float] = []
    rules = FlakyRules(rig.evaluator.rules, failures=2)
    flaky = AlertEvaluator(rules, rig.tables, 0.05, lambda a, k: "{}", lambda: rings.append(1))
    DeviceTables(rig.store).revoke("quiet", "scrapped", "ops", wire.utc_timestamp(rig.now))
    with caplog.at_level(logging.ERROR, logger="hub.loop"):
        flaky.start()
        wait_until(lambda: flaky.evaluations >= 1, 10, "an evaluation after two failures")
    flaky.stop()
    assert flaky._thread is not None and not flaky._thread.is_alive()
    failures = [r.getMessage() for r in caplog.records if r.name == "hub.loop"]
    assert failures == ["alerts failed; retrying"] * 2
    # The failing rounds cleared nothing; the first good one cleared the revoked device's.
    assert rig.open() == [] and rings == [1]
    assert [(d.kind, d.alert) for d in rig.tables.deliveries()] == [("cleared", 1)]
    evaluations = flaky.evaluations
    time.sleep(0.2)
    assert flaky.evaluations == evaluations  # stopped for good
