"""Device health for the operators: presence, the latest status, the outbox and its trend.

Presence (online, offline, unknown before any birth or will) and ``last_seen`` are what
the ingest pipeline keeps from the retained status message and the last will; fps,
camera, CPU temperature, free disk, version and the optional ``disk_low`` flag come
from the device's latest ``device.status``.  The outbox depth's history is the
device's status reports of the last :data:`HISTORY_HOURS` hours, in the order the
device sent them.

The **trend** of the outbox over its last K reports is *rising* when no report is
lower than the one before and the last is higher than the first (events pile up and
none drain), *falling* for the mirror image, and *steady* otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from hub.store import Device, Store
from hub.store.dashboard_sql import DashboardQueries, StatusReport
from hub.store.device_sql import DeviceTables
from shekara.wire import utc_timestamp

Trend = Literal["rising", "falling", "steady"]
Presence = Literal["online", "offline", "unknown"]
HISTORY_HOURS = 6
HISTORY_REPORTS = 360  # six hours of the edge's default 60-second heartbeat


def trend(depths: Sequence[int]) -> Trend:
    """Rising, falling or steady (see the module's docstring)."""
    if len(depths) < 2:
        return "steady"
    steps = list(pairwise(depths))
    if depths[-1] > depths[0] and all(b >= a for a, b in steps):
        return "rising"
    if depths[-1] < depths[0] and all(b <= a for a, b in steps):
        return "falling"
    return "steady"


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """One device as the operators see it."""

    device_id: str
    checkpoint: str
    lane: str
    presence: Presence
    revoked: bool
    last_seen: str | None
    fps: float | None
    camera: str | None
    outbox_depth: int | None
    outbox_history: list[int]  # depths of the last HISTORY_HOURS hours, oldest first
    outbox_trend: Trend  # over the last K reports
    cpu_temp_c: float | None
    disk_free_mb: int | None
    disk_low: bool | None  # only when the device reports it
    software_version: str | None
    uptime_s: int | None
    reconnects: int | None


@dataclass(frozen=True, slots=True)
class CheckpointDevices:
    """The devices of one checkpoint."""

    checkpoint: str
    devices: list[DeviceHealth]

    @property
    def online(self) -> int:
        """How many are online."""
        return sum(1 for d in self.devices if d.presence == "online")


def presence_of(device: Device) -> Presence:
    """Online or offline from the latest birth or will; unknown before either."""
    if device.online is None:
        return "unknown"
    return "online" if device.online else "offline"


def depths(reports: Sequence[StatusReport]) -> list[int]:
    """The outbox depths the reports carry (reports without one are skipped)."""
    return [r.outbox_depth for r in reports if r.outbox_depth is not None]


def device_health(
    device: Device, reports: Sequence[StatusReport], window: int, revoked: bool
) -> DeviceHealth:
    """One device's health from its record and its recent status reports."""
    status: dict[str, Any] = device.last_status or {}
    history = depths(reports)
    latest = status.get("outbox_depth")
    disk_low = status.get("disk_low")
    return DeviceHealth(
        device_id=device.device_id,
        checkpoint=device.checkpoint,
        lane=device.lane,
        presence=presence_of(device),
        revoked=revoked,
        last_seen=device.last_seen,
        fps=_number(status.get("fps")),
        camera=str(status["camera"]) if "camera" in status else None,
        outbox_depth=latest if isinstance(latest, int) else None,
        outbox_history=history,
        outbox_trend=trend(history[-window:]),
        cpu_temp_c=_number(status.get("cpu_temp_c")),
        disk_free_mb=_integer(status.get("disk_free_mb")),
        disk_low=disk_low if isinstance(disk_low, bool) else None,
        software_version=str(status["software_version"]) if "software_version" in status else None,
        uptime_s=_integer(status.get("uptime_s")),
        reconnects=_integer(status.get("reconnects")),
    )


def fleet_health(store: Store, queries: DashboardQueries, now: datetime,
                 window: int) -> list[CheckpointDevices]:  # fmt: skip
    """Every registered device, grouped by checkpoint (by name, devices by id)."""
    since = utc_timestamp(now - timedelta(hours=HISTORY_HOURS))
    revoked = DeviceTables(store).revocations()
    groups: dict[str, list[DeviceHealth]] = {}
    for device in store.list_devices():
        reports = queries.status_reports(device.device_id, since, HISTORY_REPORTS)
        health = device_health(device, reports, window, device.device_id in revoked)
        groups.setdefault(device.checkpoint, []).append(health)
    return [CheckpointDevices(cp, groups[cp]) for cp in sorted(groups)]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
