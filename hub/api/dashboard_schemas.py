"""Response models of the operators' dashboard and alert API (what /docs shows)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.dashboard.figures import DirectionFigures, WaitStats
from hub.dashboard.health import CheckpointDevices, DeviceHealth
from hub.dashboard.snapshot import Snapshot
from hub.store.alert_sql import Alert
from shekara.wire import utc_timestamp

_OUT = ConfigDict(extra="forbid")


class WaitsOut(BaseModel):
    """Waits (queued to called forward) of the trucks called in a period, minutes."""

    model_config = _OUT
    count: int = Field(description="Trucks called in the period")
    p50: float | None = Field(description="Median wait, nearest rank; null without trucks")
    p90: float | None = Field(description="90th percentile wait, nearest rank")

    @classmethod
    def of(cls, w: WaitStats) -> WaitsOut:
        """The API view."""
        return cls(count=w.count, p50=w.p50, p90=w.p90)


class DayWaitsOut(WaitsOut):
    """One local day's waits."""

    day: str = Field(description="Local date at the checkpoint, ISO")


class HourOut(BaseModel):
    """One local hour of today: trucks called forward against the hour's slots."""

    model_config = _OUT
    hour: str = Field(description="UTC start of the hour, RFC 3339")
    local: str = Field(description="Local start at the checkpoint, HH:MM")
    called: int = Field(description="Trucks called forward in the hour")
    capacity: int = Field(description="Slots of all categories in the hour")
    started: bool = Field(description="Whether the hour has begun")


class DirectionOut(BaseModel):
    """One direction's queue figures."""

    model_config = _OUT
    direction: str = Field(description="Direction id")
    name: str = Field(description="Direction name")
    waiting: dict[str, int] = Field(description="Checked-in trucks by cargo category")
    waiting_total: int = Field(description="Checked-in trucks in all")
    longest_wait_minutes: float | None = Field(description="Longest current wait; null if none")
    today: WaitsOut = Field(description="Waits of trucks called today (local day)")
    week: WaitsOut = Field(description="Waits of trucks called over the last 7 local days")
    days: list[DayWaitsOut] = Field(description="Each of the last 7 local days, oldest first")
    hours: list[HourOut] = Field(description="The 24 local hours of today")
    called_today: int = Field(description="Trucks called forward today")
    capacity_so_far: int = Field(description="Slots of the hours begun today")

    @classmethod
    def of(cls, f: DirectionFigures) -> DirectionOut:
        """The API view."""
        return cls(
            direction=f.direction, name=f.name, waiting=f.waiting, waiting_total=f.waiting_total,
            longest_wait_minutes=f.longest_wait_minutes, today=WaitsOut.of(f.today),
            week=WaitsOut.of(f.week),
            days=[DayWaitsOut(day=d.day.isoformat(), count=d.waits.count, p50=d.waits.p50,
                              p90=d.waits.p90) for d in f.days],
            hours=[HourOut(hour=utc_timestamp(h.hour), local=h.label, called=h.called,
                           capacity=h.capacity, started=h.started) for h in f.hours],
            called_today=f.called_today, capacity_so_far=f.capacity_so_far,
        )  # fmt: skip


class DeviceHealthOut(BaseModel):
    """One device's health."""

    model_config = _OUT
    device_id: str = Field(description="Device id")
    checkpoint: str = Field(description="Checkpoint it is registered at")
    lane: str = Field(description="Lane it is registered at")
    state: Literal["online", "offline", "unknown"] = Field(
        description="From the retained status message and the last will"
    )
    revoked: bool = Field(description="Whether the device is revoked")
    last_seen: str | None = Field(description="Last verified event or birth message")
    fps: float | None = Field(description="Frames per second, latest status")
    camera: str | None = Field(description="Capture state, latest status")
    outbox_depth: int | None = Field(description="Events not yet acknowledged, latest status")
    outbox_history: list[int] = Field(description="Outbox depths of the last 6 hours")
    outbox_trend: Literal["rising", "falling", "steady"] = Field(
        description="Over the last alert_outbox_reports reports"
    )
    cpu_temp_c: float | None = Field(description="SoC temperature, latest status")
    disk_free_mb: int | None = Field(description="Free disk where the outbox lives")
    disk_low: bool | None = Field(description="The device's own low-disk flag, when it sends one")
    software_version: str | None = Field(description="Edge agent version")
    uptime_s: int | None = Field(description="Seconds since the agent started")
    reconnects: int | None = Field(description="Camera reconnects since start")

    @classmethod
    def of(cls, d: DeviceHealth) -> DeviceHealthOut:
        """The API view."""
        return cls(
            device_id=d.device_id, checkpoint=d.checkpoint, lane=d.lane, state=d.presence,
            revoked=d.revoked, last_seen=d.last_seen, fps=d.fps, camera=d.camera,
            outbox_depth=d.outbox_depth, outbox_history=d.outbox_history,
            outbox_trend=d.outbox_trend, cpu_temp_c=d.cpu_temp_c, disk_free_mb=d.disk_free_mb,
            disk_low=d.disk_low, software_version=d.software_version, uptime_s=d.uptime_s,
            reconnects=d.reconnects,
        )  # fmt: skip


class CheckpointDevicesOut(BaseModel):
    """The devices of one checkpoint."""

    model_config = _OUT
    checkpoint: str = Field(description="Checkpoint id")
    online: int = Field(description="Devices online")
    devices: list[DeviceHealthOut] = Field(description="By device id")

    @classmethod
    def of(cls, c: CheckpointDevices) -> CheckpointDevicesOut:
        """The API view."""
        return cls(checkpoint=c.checkpoint, online=c.online,
                   devices=[DeviceHealthOut.of(d) for d in c.devices])  # fmt: skip


class AlertOut(BaseModel):
    """One spell of an alert condition."""

    model_config = _OUT
    id: int = Field(description="Alert id")
    rule: str = Field(description="device_offline, device_never_seen, outbox_growing, "
                      "long_wait or dead_letters")  # fmt: skip
    subject: str = Field(description="What it is about: a device, a direction, 'hub'")
    message: str = Field(description="What holds, in English")
    detail: dict[str, Any] = Field(description="The figures that raised it")
    raised_at: str = Field(description="When the condition was first seen")
    cleared_at: str | None = Field(description="When it ended; null while it holds")
    acked_at: str | None = Field(description="When an operator acknowledged it")
    acked_by: str | None = Field(description="Who acknowledged it")
    open: bool = Field(description="Whether the condition still holds")

    @classmethod
    def of(cls, a: Alert) -> AlertOut:
        """The API view."""
        return cls(id=a.id, rule=a.rule, subject=a.subject, message=a.message, detail=a.detail,
                   raised_at=a.raised_at, cleared_at=a.cleared_at, acked_at=a.acked_at,
                   acked_by=a.acked_by, open=a.open)  # fmt: skip


class DeadLettersOut(BaseModel):
    """Dead letters in the alert rule's window."""

    model_config = _OUT
    window_minutes: float = Field(description="alert_dead_letter_minutes")
    in_window: int = Field(description="Dead-lettered within the window")
    total: int = Field(description="Kept in all (GET /api/dead-letters lists them)")


class DashboardOut(BaseModel):
    """Everything the operators' dashboard shows."""

    model_config = _OUT
    checkpoint: str = Field(description="The queue's checkpoint id")
    name: str = Field(description="The checkpoint's name")
    timezone: str = Field(description="IANA zone of the local day")
    generated_at: str = Field(description="Hub time of these figures")
    directions: list[DirectionOut] = Field(description="Queue figures per direction")
    devices: list[CheckpointDevicesOut] = Field(description="Device health by checkpoint")
    open_alerts: list[AlertOut] = Field(description="Alerts whose condition holds, oldest first")
    cleared_alerts: list[AlertOut] = Field(description="The newest alerts that ended")
    dead_letters: DeadLettersOut = Field(description="Recent dead letters")
    webhook: dict[str, int] = Field(description="Webhook deliveries by state")

    @classmethod
    def of(cls, s: Snapshot) -> DashboardOut:
        """The API view."""
        return cls(
            checkpoint=s.checkpoint, name=s.name, timezone=s.timezone,
            generated_at=utc_timestamp(s.generated_at),
            directions=[DirectionOut.of(d) for d in s.directions],
            devices=[CheckpointDevicesOut.of(c) for c in s.devices],
            open_alerts=[AlertOut.of(a) for a in s.open_alerts],
            cleared_alerts=[AlertOut.of(a) for a in s.cleared_alerts],
            dead_letters=DeadLettersOut(window_minutes=s.dead_letters.window_minutes,
                                        in_window=s.dead_letters.in_window,
                                        total=s.dead_letters.total),
            webhook=s.deliveries,
        )  # fmt: skip
