"""Edge device configuration (``firmware_configs/<device>.toml``), validated strictly.

Unknown keys are errors, so a typo in a station's config fails at start with the key
and the file named instead of being silently ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shekara.errors import ConfigError
from shekara.wire import SEGMENT_PATTERN, Address


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MqttConfig(_Strict):
    """How the agent reaches the checkpoint broker."""

    host: str = Field("127.0.0.1", description="Broker host name or address")
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port")
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive, seconds")
    username: str | None = Field(None, description="Broker user name, if the broker wants one")
    password_file: Path | None = Field(None, description="File holding the broker password")
    tls_ca_file: Path | None = Field(None, description="CA certificate; setting it enables TLS")
    tls_cert_file: Path | None = Field(None, description="Client certificate for mutual TLS")
    tls_key_file: Path | None = Field(None, description="Client certificate key for mutual TLS")
    max_inflight: int = Field(
        100, ge=1, le=65535, description="QoS 1 messages awaiting PUBACK at once (count)"
    )


class CameraConfig(_Strict):
    """Where frames come from; all kinds go through the same capture interface."""

    source: str = Field(
        description="Camera index ('0'), RTSP/HTTP URL, video file, or folder of images"
    )
    width: int | None = Field(None, ge=16, description="Requested capture width, pixels")
    height: int | None = Field(None, ge=16, description="Requested capture height, pixels")
    fps: float | None = Field(
        None, gt=0, le=120, description="Frames per second to process (files: replay rate)"
    )
    loop: bool = Field(False, description="Replay a file or folder forever (demo, soak tests)")
    reconnect_s: float = Field(
        2.0, gt=0, le=300, description="First retry delay after a loss, seconds (then doubles)"
    )
    reconnect_max_s: float = Field(30.0, gt=0, le=3600, description="Longest retry delay, seconds")


class BarcodeConfig(_Strict):
    """Barcode reading on this device."""

    enabled: bool = Field(True, description="Decode barcodes in every processed frame")
    dedup_window_s: float = Field(
        3.0,
        gt=0,
        le=600,
        description="A code unseen this long, seconds, and seen again is a new event",
    )
    rescue: bool = Field(
        True,
        description="On frames zxing-cpp reads nothing in, also try pyzbar (more EAN-13, QR "
        "and blurred Code 128 reads; an empty frame costs 2-3x as much, see docs/benchmarks.md)",
    )


class PlateConfig(_Strict):
    """Licence-plate reading on this device (lane cameras)."""

    enabled: bool = Field(False, description="Read plates and send vehicle.passage events")
    emit_reads: bool = Field(True, description="Also send plate.read for every frame with a plate")
    leave_after_s: float = Field(
        1.5,
        gt=0,
        le=60,
        description="No plate this long, seconds, while the lane moves: the vehicle left",
    )
    evidence_dir: Path | None = Field(
        None, description="Folder of evidence crops; default 'evidence' beside the outbox"
    )
    detect_side: int = Field(
        640, ge=320, le=1920, description="Longest side of the frame the text detector sees, px"
    )
    proposals: int = Field(
        4,
        ge=0,
        le=16,
        description="Classical plate regions read beside the detector's lines (count)",
    )
    retention_days: float = Field(30, gt=0, description="Evidence crops older than this go, days")
    max_evidence_mb: float = Field(
        1024, gt=0, description="Oldest crops go beyond this size, MB (MiB: 1024 × 1024 bytes)"
    )


class StatusConfig(_Strict):
    """Heartbeat and presence."""

    heartbeat_s: float = Field(
        60.0, ge=1, le=3600, description="Interval of device.status events, seconds"
    )


class OutboxConfig(_Strict):
    """The on-disk outbox that keeps events until the broker acknowledges them."""

    path: Path = Field(description="SQLite file of the outbox (on persistent storage)")
    keep_sent: int = Field(
        100_000, ge=0, description="Acknowledged events kept for hub resend requests (count)"
    )
    min_free_mb: float = Field(
        256,
        ge=0,
        description="Free space kept for events, MB (MiB), where the outbox or the evidence "
        "crops live: under it the heartbeat reports disk_low and the oldest crops are deleted, "
        "new ones not written (docs/edge.md); 0 turns this off",
    )
    hold_max_events: int = Field(
        10_000,
        ge=0,
        description="Events kept in memory while the disk refuses the outbox (count); past "
        "this the oldest are dropped, logged and counted in device.status events_dropped",
    )


class MetricsConfig(_Strict):
    """Prometheus /metrics of the agent (docs/observability.md)."""

    enabled: bool = Field(
        False, description="Serve /metrics over HTTP (no authentication: bind it to a trusted net)"
    )
    host: str = Field(
        "127.0.0.1",
        description="Address to listen on: 127.0.0.1 for the box only, the lane network's "
        "address (or 0.0.0.0) for the checkpoint's Prometheus",
    )
    port: int = Field(9108, ge=1, le=65535, description="TCP port of /metrics")


class DeviceConfig(_Strict):
    """One edge device: a lane or zone camera at a checkpoint."""

    device_id: str = Field(pattern=SEGMENT_PATTERN, description="Unique device id")
    checkpoint: str = Field(pattern=SEGMENT_PATTERN, description="Checkpoint id, e.g. 'temirbaba'")
    lane: str = Field(pattern=SEGMENT_PATTERN, description="Lane or zone id at the checkpoint")
    role: Literal["entry_lane", "exit_lane", "waiting_zone", "barcode_station"] = Field(
        description="What the device watches: entry_lane and exit_lane (plates at control and "
        "at the exit), waiting_zone (check-in at the truck park), barcode_station (cargo "
        "labels at close range)"
    )
    key_file: Path = Field(description="Ed25519 private key (PEM, mode 0600)")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="Broker connection")
    camera: CameraConfig = Field(description="Frame source")
    barcode: BarcodeConfig = Field(default_factory=BarcodeConfig, description="Barcode reading")
    plates: PlateConfig = Field(default_factory=PlateConfig, description="Plate reading")
    status: StatusConfig = Field(default_factory=StatusConfig, description="Heartbeat")
    outbox: OutboxConfig = Field(description="Durable outbox")
    metrics: MetricsConfig = Field(
        default_factory=MetricsConfig, description="Prometheus metrics endpoint"
    )

    @property
    def address(self) -> Address:
        """The device's MQTT address."""
        return Address(self.checkpoint, self.lane, self.device_id)


def load_config(path: Path) -> DeviceConfig:
    """Read and validate a device config; relative paths resolve against the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = DeviceConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{path}: {key}: {what}")
        raise ConfigError("\n".join(problems)) from None
    base = path.resolve().parent
    config.key_file = _resolve(base, config.key_file)
    config.outbox.path = _resolve(base, config.outbox.path)
    config.plates.evidence_dir = _resolve(
        base, config.plates.evidence_dir or config.outbox.path.parent / "evidence"
    )
    for name in ("password_file", "tls_ca_file", "tls_cert_file", "tls_key_file"):
        value = getattr(config.mqtt, name)
        if value is not None:
            setattr(config.mqtt, name, _resolve(base, value))
    source = config.camera.source
    if not source.isdigit() and "://" not in source:
        config.camera.source = str(_resolve(base, Path(source)))
    return config


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path
