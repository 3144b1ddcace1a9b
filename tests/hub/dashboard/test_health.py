"""Device health from real signed status reports and presence through the ingest pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import presence, report
from hub_support import register

from hub.dashboard.health import fleet_health, trend
from hub.ingest import Ingestor
from hub.store import Store
from hub.store.dashboard_sql import DashboardQueries
from hub.store.device_sql import DeviceTables
from shekara import wire

NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)  # any time: every stamp is given


@pytest.mark.parametrize(
    ("depths", "expected"),
    [
        ([0, 3, 3, 9, 40], "rising"),
        ([40, 9, 9, 3, 0], "falling"),
        ([0, 30, 10, 50], "steady"),  # up and down: not a pile-up
        ([7, 7, 7], "steady"),
        ([5], "steady"),
        ([], "steady"),
    ],
)
def test_the_outbox_trend(depths: list[int], expected: str) -> None:
    assert trend(depths) == expected


def test_devices_grouped_by_checkpoint_with_their_latest_status(
    store: Store, ingestor: Ingestor
) -> None:
    cam = register(
        store, Ed25519PrivateKey.generate(), wire.Address("temirbaba", "entry-1", "cam1")
    )
    far = register(store, Ed25519PrivateKey.generate(), wire.Address("garabogaz", "exit-9", "gb1"))
    register(store, Ed25519PrivateKey.generate(), wire.Address("temirbaba", "exit-1", "cam0"))
    presence(ingestor, cam, "online", NOW - timedelta(hours=7))
    report(ingestor, cam, NOW - timedelta(hours=7), 900)  # before the 6-hour window
    for minutes, depth in ((50, 0), (40, 12), (30, 12), (20, 80), (10, 150)):
        report(ingestor, cam, NOW - timedelta(minutes=minutes), depth,
               cpu_temp_c=61.5, disk_free_mb=812, fps=9.5)  # fmt: skip
    presence(ingestor, far, "online", NOW - timedelta(minutes=30))
    report(ingestor, far, NOW - timedelta(minutes=30), 300)
    report(ingestor, far, NOW - timedelta(minutes=20), 20, camera="lost")
    presence(ingestor, far, "offline", NOW - timedelta(minutes=15))
    DeviceTables(store).revoke("gb1", "stolen", "ops", wire.utc_timestamp(NOW))

    groups = fleet_health(store, DashboardQueries(store), NOW, window=5)

    assert [(g.checkpoint, [d.device_id for d in g.devices]) for g in groups] == [
        ("garabogaz", ["gb1"]), ("temirbaba", ["cam0", "cam1"])]  # fmt: skip
    never, cam1 = groups[1].devices
    assert (never.presence, never.last_seen, never.outbox_depth, never.fps) == (
        "unknown", None, None, None)  # fmt: skip
    assert never.outbox_history == [] and never.outbox_trend == "steady"
    assert cam1.presence == "online" and groups[1].online == 1
    assert cam1.last_seen == wire.utc_timestamp(NOW - timedelta(minutes=10))
    assert (cam1.fps, cam1.cpu_temp_c, cam1.disk_free_mb, cam1.software_version) == (
        9.5, 61.5, 812, "0.1.0")  # fmt: skip
    assert cam1.outbox_depth == 150 and cam1.outbox_history == [0, 12, 12, 80, 150]
    assert cam1.outbox_trend == "rising" and cam1.disk_low is None
    (gb1,) = groups[0].devices
    assert (gb1.presence, gb1.revoked, gb1.camera) == ("offline", True, "lost")
    assert gb1.outbox_history == [300, 20] and gb1.outbox_trend == "falling"
    assert groups[0].online == 0


@pytest.mark.skipif("disk_low" not in wire.DeviceStatus.model_fields,
                    reason="this wire contract has no disk_low")  # fmt: skip
def test_the_devices_own_low_disk_flag_is_shown_when_it_sends_one(
    store: Store, ingestor: Ingestor
) -> None:
    cam = register(
        store, Ed25519PrivateKey.generate(), wire.Address("temirbaba", "entry-1", "cam1")
    )
    report(ingestor, cam, NOW - timedelta(minutes=1), 3, disk_low=True, disk_free_mb=40)
    (group,) = fleet_health(store, DashboardQueries(store), NOW, window=5)
    assert (group.devices[0].disk_low, group.devices[0].disk_free_mb) == (True, 40)


def test_the_trend_window_is_the_last_k_reports(store: Store, ingestor: Ingestor) -> None:
    cam = register(
        store, Ed25519PrivateKey.generate(), wire.Address("temirbaba", "entry-1", "cam1")
    )
    for minutes, depth in ((50, 100), (40, 5), (30, 6), (20, 7)):
        report(ingestor, cam, NOW - timedelta(minutes=minutes), depth)
    (group,) = fleet_health(store, DashboardQueries(store), NOW, window=3)
    assert group.devices[0].outbox_trend == "rising"  # 5, 6, 7; the 100 before is history
    (group,) = fleet_health(store, DashboardQueries(store), NOW, window=4)
    assert group.devices[0].outbox_trend == "steady"
