"""The agent loop: no exception from a frame stops it; camera state reaches the heartbeat."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from mqtt_helpers import TestClientMQTT, wait_until

from edge.agent import Agent, FrameProcessor
from edge.capture import Frame
from edge.config import DeviceConfig
from shekara import wire
from shekara.keys import write_keypair
from shekara.localbroker import LocalBroker


def _config(tmp_path: Path, port: int, source: Path) -> DeviceConfig:
    write_keypair(tmp_path / "d.key")
    return DeviceConfig.model_validate(
        {
            "device_id": "tmb-wait-1",
            "checkpoint": "temirbaba",
            "lane": "waiting-zone",
            "role": "waiting_zone",
            "key_file": tmp_path / "d.key",
            "mqtt": {"port": port},
            "camera": {
                "source": str(source),
                "fps": 50,
                "loop": True,
                "reconnect_s": 0.2,
                "reconnect_max_s": 0.5,
            },
            "status": {"heartbeat_s": 1},
            "outbox": {"path": tmp_path / "outbox.db"},
        }
    )


@pytest.fixture
def start_agent() -> Iterator[Callable[[Agent], None]]:
    """Runs agents in threads; stops them (and checks they stop) after the test."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(agent: Agent) -> None:
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()


def _statuses(recorder: TestClientMQTT) -> list[dict[str, Any]]:
    out = []
    for payload in recorder.on("/events"):
        envelope, _ = wire.parse_envelope(payload)
        if envelope.type == "device.status":
            out.append(envelope.body)
    return out


def test_a_processor_that_raises_does_not_stop_the_lane(
    tmp_path: Path, broker: LocalBroker, start_agent: Callable[[Agent], None]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i}.png"), np.full((60, 80, 3), i, np.uint8))
    calls = {"n": 0}

    def flaky(frame: Frame, now: float) -> list[tuple[str, dict[str, Any]]]:
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("decoder blew up on this frame")
        return [
            (
                "device.status",
                {
                    "fps": 0.0,
                    "outbox_depth": 0,
                    "camera": "ok",
                    "software_version": "t",
                    "uptime_s": 0,
                },
            )
        ]

    processors: list[FrameProcessor] = [flaky]
    agent = Agent(_config(tmp_path, broker.port, frames), processors)
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    start_agent(agent)
    wait_until(lambda: agent.frame_errors >= 5 and calls["n"] >= 10, what="frames after errors")
    wait_until(lambda: len(recorder.on("/events")) >= 5, what="events still published")
    recorder.close()


def test_lost_camera_is_reported_and_recovers(
    tmp_path: Path, broker: LocalBroker, start_agent: Callable[[Agent], None]
) -> None:
    frames = tmp_path / "not-plugged-in"
    agent = Agent(_config(tmp_path, broker.port, frames), processors=[])
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    start_agent(agent)
    wait_until(lambda: any(s["camera"] == "lost" for s in _statuses(recorder)), what="lost")
    frames.mkdir()
    cv2.imwrite(str(frames / "0.png"), np.zeros((60, 80, 3), np.uint8))
    wait_until(lambda: _statuses(recorder)[-1]["camera"] == "ok", what="camera back")
    last = _statuses(recorder)[-1]
    assert last["reconnects"] >= 1
    assert last["fps"] > 0
    assert last["disk_free_mb"] > 0
    recorder.close()


def test_plate_settings_reach_the_reader(tmp_path: Path) -> None:
    from edge.agent import plate_processor
    from edge.plate_lane import PlateLane

    config = _config(tmp_path, 1883, tmp_path / "lane.avi")
    config = config.model_copy(
        update={"plates": config.plates.model_copy(update={"detect_side": 960, "proposals": 0})}
    )
    lane = plate_processor(config)
    assert isinstance(lane, PlateLane)
    assert (lane.reader.detect_side, lane.reader.proposals) == (960, 0)


def test_hostile_images_in_the_frame_folder_are_skipped_and_the_agent_stays_up(
    tmp_path: Path, broker: LocalBroker, start_agent: Callable[[Agent], None]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "1-empty.png").write_bytes(b"")
    jpeg = cv2.imencode(".jpg", np.full((60, 80, 3), 90, np.uint8))[1].tobytes()
    (frames / "2-truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    ihdr = (20000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    crc = zlib.crc32(b"IHDR" + ihdr).to_bytes(4, "big")
    (frames / "3-huge.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + len(ihdr).to_bytes(4, "big") + b"IHDR" + ihdr + crc
    )
    cv2.imwrite(str(frames / "4-good.png"), np.full((60, 80, 3), 7, np.uint8))
    seen: list[int] = []

    def record(frame: Frame, now: float) -> list[tuple[str, dict[str, Any]]]:
        seen.append(int(frame[0, 0, 0]))
        return []

    agent = Agent(_config(tmp_path, broker.port, frames), [record])
    start_agent(agent)
    # The folder loops: the good file is read again and again, each time after the bad ones.
    wait_until(lambda: len(seen) >= 3, what="the good frame, read past the bad ones")
    assert set(seen) == {7}
    assert agent.source.stats.rejected >= 3 * 3
    assert agent.source.stats.state == "ok"
    assert agent.frame_errors == 0
