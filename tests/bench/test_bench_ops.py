"""``make bench-ops`` measures what it claims: the filled database holds the events,
presence, dead letters and queue traffic it says, every alert rule has something to
find, the ceilings replay the very SQL of the call and hash the same bytes (no timing
is asserted)."""

from __future__ import annotations

import importlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from hub.config import HubSettings
from hub.dashboard import setup
from hub.dashboard.snapshot import take
from hub.queue.policy import DEFAULT_CONFIG
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.backup import check
from hub.store.queue_sql import QueueStore

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # On sys.path, not loaded from a spec: the signer process imports hubfill by name.
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("bench_ops")


def test_filled_hub_has_what_the_bench_reports_and_every_rule_fires(
    bench: ModuleType, tmp_path: Path
) -> None:
    fill = importlib.import_module("hubfill")
    db = tmp_path / "hub.db"
    now = datetime.now(UTC).replace(microsecond=0)
    with Store(db) as store:
        booked = fill.fill_queue(store, now, trucks=1, days=1)
        fill.fill_events(store, now, devices=4, events=1_445, offline=1, rising=1, dead=21)
    with Store(db) as store:
        assert store.count_events() == 1_445  # 361 each, the remainder to the first device
        assert store.count_dead_letters() == 21
        devices = {d.device_id: d for d in store.list_devices()}
        assert sorted(devices) == ["cam-01", "cam-02", "cam-03", "cam-04"]
        assert [devices[f"cam-0{i}"].online for i in range(1, 5)] == [False, True, True, True]
        queue = QueueService(QueueStore(store), DEFAULT_CONFIG, bench.JOURNAL_KEY,
                             fill.Clock(now))  # fmt: skip
        settings = HubSettings(db_path=db, checkpoint=fill.CHECKPOINT)
        parts = setup.build(settings, store, queue)
        raised, _ = parts.evaluator.evaluate()
        assert sorted((a.rule, a.subject) for a in raised) == [
            ("dead_letters", "hub"), ("device_offline", "cam-01"), ("long_wait", "tm-kz"),
            ("outbox_growing", "cam-02"),
        ]  # fmt: skip
        snapshot = take(settings, store, queue, parts)
        health = {d.device_id: d for cp in snapshot.devices for d in cp.devices}
        assert len(health["cam-03"].outbox_history) == fill.STATUS_REPORTS
        assert health["cam-02"].outbox_trend == "rising"
        assert booked == 2 * 25  # one truck per direction in each of 25 hours
        waiting = {d.direction: d.waiting_total for d in snapshot.directions}
        assert waiting["tm-kz"] >= 4  # nobody called there for five hours
        assert snapshot.directions[0].week.count > 0

        # The ceiling replays exactly the SELECTs the snapshot ran, with their values.
        statements = bench.traced(store, lambda: take(settings, store, queue, parts))
        status = [s for s in statements if "device.status" in s]
        assert len(status) == 4 and all("?" not in s for s in status)
        with closing(sqlite3.connect(db)) as plain:
            rows = sum(len(plain.execute(s).fetchall()) for s in status)
            assert bench.replay(plain, statements) > 0
        assert rows == sum(len(h.outbox_history) for h in health.values())
        assert bench.traced(store, parts.evaluator.evaluate)  # its SELECTs, none raised anew


def test_backup_ceiling_copies_and_hashes_the_same_bytes(bench: ModuleType, tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    with Store(db) as store:
        importlib.import_module("hubfill").fill_events(
            store, datetime.now(UTC), devices=2, events=50, offline=0, rising=0, dead=0
        )
    copy = tmp_path / "copy.db"
    assert bench.copy_and_hash(db, copy) == check(db).sha256 == bench.sha256(copy)
    bench.integrity(copy)
    bench.vacuum_into(db, tmp_path / "vacuumed.db")
    assert check(tmp_path / "vacuumed.db").rows["events"] == 50
