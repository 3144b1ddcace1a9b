"""Helpers for tests that run a real edge agent: its config, its thread, what it published."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from mqtt_helpers import TestClientMQTT

from edge.agent import Agent
from edge.config import DeviceConfig
from shekara import wire
from shekara.keys import write_keypair


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def device_config(folder: Path, port: int, camera: dict[str, Any], **sections: Any) -> DeviceConfig:
    """A device at hil/bench with a fresh key, a 1 s heartbeat and its outbox in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "device.key").exists():
        write_keypair(folder / "device.key")
    data: dict[str, Any] = {
        "device_id": "hil-camera",
        "checkpoint": "hil",
        "lane": "bench",
        "role": "barcode_station",
        "key_file": folder / "device.key",
        "mqtt": {"port": port},
        "camera": camera,
        "status": {"heartbeat_s": 1},
        "outbox": {"path": folder / "outbox.db"},
    }
    for name, section in sections.items():
        data[name] = {**data.get(name, {}), **section}
    return DeviceConfig.model_validate(data)


class AgentThreads:
    """Runs agents in threads; :meth:`close` stops them and checks that they stopped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, agent: Agent) -> threading.Thread:
        """Run ``agent`` until :meth:`close`."""
        thread = threading.Thread(target=agent.run, args=(self.stop,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def close(self) -> None:
        """Stop every agent; fails if one does not stop."""
        self.stop.set()
        for thread in self.threads:
            thread.join(15)
            assert not thread.is_alive(), "the agent did not stop"


def published(recorder: TestClientMQTT, event_type: str | None = None) -> list[wire.Envelope]:
    """Events the broker delivered to ``recorder``, of ``event_type`` if given."""
    out = []
    for payload in recorder.on("/events"):
        envelope, _ = wire.parse_envelope(payload)
        if event_type is None or envelope.type == event_type:
            out.append(envelope)
    return out


def statuses(recorder: TestClientMQTT) -> list[dict[str, Any]]:
    """Bodies of the device.status events delivered, in order of arrival."""
    return [e.body for e in published(recorder, wire.EventType.DEVICE_STATUS)]
