"""The agent's /metrics over real HTTP: a real agent decodes generated footage and
publishes to a real broker, and its figures agree with what the broker received; a
raising stage is counted; a port already taken is logged and the lane goes on."""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from mqtt_helpers import TestClientMQTT, wait_until
from prometheus_client.parser import text_string_to_metric_families

from edge import synth
from edge.agent import Agent, FrameProcessor
from edge.capture import Frame
from edge.config import DeviceConfig
from shekara import __version__, wire
from shekara.keys import write_keypair
from shekara.localbroker import LocalBroker, free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    """Every sample the agent serves at /metrics, parsed as Prometheus parses it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, or None when the series is absent."""
    return samples.get((name, frozenset(labels.items())))


def _config(tmp_path: Path, mqtt_port: int, source: Path, **extra: Any) -> DeviceConfig:
    write_keypair(tmp_path / "d.key")
    return DeviceConfig.model_validate(
        {
            "device_id": "tmb-bc-1", "checkpoint": "temirbaba", "lane": "bc-1",
            "role": "barcode_station", "key_file": tmp_path / "d.key",
            "mqtt": {"port": mqtt_port},
            "camera": {"source": str(source), "fps": 25},
            "outbox": {"path": tmp_path / "outbox.db"},
            **extra,
        }
    )  # fmt: skip


@pytest.fixture
def start_agent() -> Iterator[Callable[[Agent], threading.Event]]:
    """Runs agents in threads; stops them (and checks they stop) after the test."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(agent: Agent) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return stop

    yield start
    for stop, thread in running:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def _published(recorder: TestClientMQTT) -> dict[str, int]:
    counts: dict[str, int] = {}
    for payload in recorder.on("/events"):
        envelope, _ = wire.parse_envelope(payload)
        counts[envelope.type] = counts.get(envelope.type, 0) + 1
    return counts


def test_a_real_agent_on_footage_serves_figures_that_match_the_broker(
    tmp_path: Path, broker: LocalBroker, start_agent: Callable[[Agent], threading.Event]
) -> None:
    footage = synth.write_footage(tmp_path / "footage", seed=7, n_frames=30, video=True)
    assert footage.video is not None
    port = free_port()
    agent = Agent(_config(tmp_path, broker.port, footage.video,
                          metrics={"enabled": True, "port": port}))  # fmt: skip
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    stop = start_agent(agent)
    wait_until(lambda: agent.source.stats.state == "ended", timeout=60, what="footage ended")
    wait_until(lambda: agent.outbox.depth() == 0, what="every event acknowledged")
    published = _published(recorder)
    wait_until(lambda: agent.publisher.acked_total == sum(_published(recorder).values()),
               what="acknowledgements settled")  # fmt: skip
    m = scrape(port)

    assert published.get("barcode.read", 0) >= 1
    for event_type, count in published.items():
        assert value(m, "shekara_edge_events_appended_total", type=event_type) == count
    assert value(m, "shekara_edge_publish_acks_total") == sum(published.values())
    assert value(m, "shekara_edge_outbox_depth") == 0
    assert value(m, "shekara_edge_frames_total") == 30
    assert value(m, "shekara_edge_decode_seconds_count", stage="barcode") == 30
    assert value(m, "shekara_edge_decode_seconds_bucket", stage="barcode", le="+Inf") == 30
    assert (value(m, "shekara_edge_decode_seconds_sum", stage="barcode") or 0) > 0
    assert value(m, "shekara_edge_frame_errors_total", stage="barcode") == 0
    assert value(m, "shekara_edge_camera_state", state="ended") == 1
    assert value(m, "shekara_edge_camera_state", state="ok") == 0
    assert value(m, "shekara_edge_camera_reconnects_total") == 0
    assert value(m, "shekara_edge_mqtt_connected") == 1
    assert (value(m, "shekara_edge_disk_free_bytes") or 0) > 0
    assert value(m, "shekara_edge_disk_low") == 0
    assert value(m, "shekara_edge_events_held") == 0
    assert value(m, "shekara_edge_events_dropped_total") == 0
    assert (value(m, "shekara_edge_uptime_seconds") or 0) > 0
    assert value(m, "shekara_edge_info", device="tmb-bc-1", checkpoint="temirbaba",
                 lane="bc-1", role="barcode_station", version=__version__) == 1  # fmt: skip
    assert value(m, "process_resident_memory_bytes") is not None

    stop.set()  # the server goes with the agent
    wait_until(lambda: agent.metrics.port is None, what="metrics server stopped")
    with pytest.raises(OSError):
        scrape(port)
    recorder.close()


def test_a_stage_that_raises_is_counted_under_its_name(
    tmp_path: Path, broker: LocalBroker, start_agent: Callable[[Agent], threading.Event]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        cv2.imwrite(str(frames / f"{i}.png"), np.full((48, 64, 3), i, np.uint8))
    calls = {"n": 0}

    def flaky(frame: Frame, now: float) -> list[tuple[str, dict[str, Any]]]:
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("decoder blew up on this frame")
        return []

    port = free_port()
    processors: list[FrameProcessor] = [flaky]
    agent = Agent(_config(tmp_path, broker.port, frames, metrics={"enabled": True, "port": port}),
                  processors)  # fmt: skip
    start_agent(agent)
    wait_until(lambda: agent.source.stats.state == "ended", what="frames read")
    m = scrape(port)
    assert value(m, "shekara_edge_frame_errors_total", stage="flaky") == 2
    assert value(m, "shekara_edge_decode_seconds_count", stage="flaky") == 4
    assert value(m, "shekara_edge_frames_total") == 4


def test_a_taken_port_is_logged_and_the_lane_goes_on(
    tmp_path: Path,
    broker: LocalBroker,
    start_agent: Callable[[Agent], threading.Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0.png"), np.zeros((48, 64, 3), np.uint8))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        agent = Agent(
            _config(tmp_path, broker.port, frames, metrics={"enabled": True, "port": port})
        )
        recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
        with caplog.at_level(logging.ERROR, logger="edge.metrics"):
            start_agent(agent)
            wait_until(lambda: _published(recorder).get("device.status", 0) >= 1,
                       what="the heartbeat published all the same")  # fmt: skip
        recorder.close()
    assert agent.metrics.port is None
    assert f"metrics: cannot listen on 127.0.0.1:{port}" in caplog.text
    assert "the agent runs on without /metrics" in caplog.text


def test_metrics_are_off_unless_the_config_turns_them_on(tmp_path: Path) -> None:
    config = _config(tmp_path, free_port(), tmp_path)
    assert (config.metrics.enabled, config.metrics.host, config.metrics.port) == (
        False, "127.0.0.1", 9108,
    )  # fmt: skip
    agent = Agent(config)
    assert agent.metrics.serve(config.metrics) is False and agent.metrics.port is None
    agent.outbox.close()
