"""The agent outlives what a lane box meets: a camera pulled out, a disk that fills up, a
wall clock that jumps.  Real agent, real broker, real file systems, real hub ingest."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from agent_helpers import AgentThreads, FakeClock, device_config, published, statuses
from disk_helpers import Ballast, small_disk
from hub_support import register
from mqtt_helpers import TestClientMQTT, wait_until
from outbox_helpers import check_chain_file
from virtual_camera import VirtualCamera, scene_frames

from edge.agent import Agent, plate_processor
from edge.capture import Frame
from edge.labels import qr_label
from edge.plate_lane import PlateLane
from edge.voting import FrameRead
from hub.ingest import Ingestor
from hub.outcome import Kind
from hub.store import EventFilter, Store
from shekara import wire
from shekara.localbroker import LocalBroker
from shekara.plates import PlateReading


@pytest.fixture
def agents() -> Iterator[AgentThreads]:
    """Agents started in threads, stopped after the test."""
    runner = AgentThreads()
    yield runner
    runner.close()


def _hub_ingests(agent: Agent, payloads: list[bytes], tmp_path: Path) -> Ingestor:
    """A hub that knows the device verifies every payload; none may be a dead letter."""
    store = Store(tmp_path / "hub.db")
    register(store, agent.outbox.key, agent.config.address)
    ingestor = Ingestor(store)
    topic = agent.config.address.topic(wire.Channel.EVENTS)
    for payload in payloads:
        outcome = ingestor.process(topic, payload)
        assert outcome.kind in (Kind.STORED, Kind.DUPLICATE), outcome
    assert list(ingestor.open_gaps()) == [], "the hub sees no gap in the chain"
    return ingestor


# --- the camera -------------------------------------------------------------------------


def test_a_camera_pulled_out_twice_is_reported_lost_and_back_twice(
    tmp_path: Path, broker: LocalBroker, agents: AgentThreads
) -> None:
    scene = np.full((120, 160), 255, np.uint8)
    camera = VirtualCamera(tmp_path / "camera", scene, 320, 240, 20)
    config = device_config(tmp_path / "agent", broker.port, {
        "source": camera.source, "fps": 20, "loop": True,
        "reconnect_s": 0.2, "reconnect_max_s": 0.5,
    })  # fmt: skip
    agent = Agent(config, [])
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    try:
        thread = agents.start(agent)
        for n in (1, 2):
            wait_until(lambda: statuses(recorder) and statuses(recorder)[-1]["camera"] == "ok",
                       what="the camera streaming")  # fmt: skip
            camera.unplug()
            wait_until(lambda: statuses(recorder)[-1]["camera"] == "lost", what="camera lost")
            assert thread.is_alive()
            camera.replug()
            wait_until(lambda n=n: statuses(recorder)[-1]["camera"] == "ok"
                       and statuses(recorder)[-1]["reconnects"] == n,
                       what="camera back")  # fmt: skip
        states = [s["camera"] for s in statuses(recorder)]
        runs = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
        assert runs[-4:] == ["lost", "ok", "lost", "ok"] and runs.count("lost") == 2, states
        assert agent.source.stats.reconnects == 2
        assert agent.frame_errors == 0
    finally:
        recorder.close()


# --- the disk ---------------------------------------------------------------------------


class VehiclePerFrame:
    """Every frame is one vehicle, voted and given its evidence crop by a real PlateLane.

    Only the OCR is skipped (its reading is given): what is under test is where the crop
    and the event go when the disk fills up, not the reading.
    """

    def __init__(self, lane: PlateLane) -> None:
        self.lane = lane
        self.rng = np.random.default_rng(8)
        self.count = 0
        self.running = True

    def __call__(self, frame: Frame, now: float) -> list[tuple[str, dict[str, Any]]]:
        if not self.running:
            return []
        self.count += 1
        reading = PlateReading(f"{self.count:03d}ABC02", "KZ", None, 1.0, 0)
        crop = self.rng.integers(0, 255, (60, 240, 3), dtype=np.uint8)  # ~35 KB as JPEG
        seen = wire.utc_timestamp()
        for dt in (0.0, 0.05):  # two frames agree: a passage
            read = FrameRead([reading], 0.9, (0, 0, 240, 60), crop, now + dt, seen)
            self.lane.tracker.feed(read, now + dt)
        return self.lane.flush()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs holding the outbox and the evidence (skips where it cannot mount)."""
    with small_disk(tmp_path / "disk", "16m") as folder:
        yield folder


def test_a_filling_disk_sheds_evidence_then_holds_events_and_never_corrupts_the_outbox(
    disk: Path,
    tmp_path: Path,
    broker: LocalBroker,
    agents: AgentThreads,
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i}.png"), np.full((120, 160, 3), 40 * i, np.uint8))
    config = device_config(
        disk, broker.port, {"source": str(frames), "fps": 2, "loop": True},
        plates={"enabled": True}, outbox={"min_free_mb": 2},
    )  # fmt: skip
    lane = VehiclePerFrame(plate_processor(config))  # type: ignore[arg-type]
    agent = Agent(config, [lane])
    evidence = disk / "evidence"
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    ballast = Ballast(disk / "ballast")
    caplog.set_level(logging.INFO)
    try:
        thread = agents.start(agent)

        def passages() -> list[dict[str, Any]]:
            return [e.body for e in published(recorder, "vehicle.passage")]

        # 1. Room: passages go out with their crops.
        wait_until(lambda: len(passages()) >= 3, what="passages with evidence")
        assert all(p["evidence"] for p in passages())
        crops_before = set(p.name for p in evidence.iterdir())
        assert crops_before

        # 2. Nearly full: the hub hears of it at once, crops are shed, events go on.
        ballast.fill(leave=1024 * 1024)  # under the 2 MB kept free
        seen = len(passages())
        wait_until(lambda: any(s["disk_low"] for s in statuses(recorder)), what="disk_low")
        wait_until(lambda: len(passages()) >= seen + 2, what="passages while disk is low")
        assert [p["evidence"] for p in passages()[seen + 1 :]] == [None] * len(
            passages()[seen + 1 :]
        ), "no crop written under the threshold"
        assert not crops_before & set(p.name for p in evidence.iterdir()), "old crops shed"

        # 3. Full: the outbox refuses; the agent holds events in memory and keeps running.
        ballast.fill()
        wait_until(lambda: agent.holding.held >= 2, what="events held in memory")
        frames_full = agent.source.stats.frames
        wait_until(lambda: agent.source.stats.frames >= frames_full + 2, what="capture goes on")
        assert thread.is_alive()

        # 4. Space again: held events are written in order and sent, crops come back.
        ballast.release()
        seen = len(passages())
        wait_until(lambda: agent.holding.held == 0, what="held events written")
        wait_until(lambda: any(p["evidence"] for p in passages()[seen:]), what="crops again")
        wait_until(lambda: statuses(recorder)[-1]["disk_low"] is False, what="disk_low cleared")
        lane.running = False
        wait_until(lambda: agent.outbox.depth() == 0, what="every event acknowledged")
        last_status = statuses(recorder)[-1]
    finally:
        agents.close()
        recorder.close()

    assert last_status["events_dropped"] == 0
    count = check_chain_file(disk / "outbox.db", agent.outbox.key.public_key())
    assert count == agent.outbox.last_seq
    _hub_ingests(agent, recorder.on("/events"), tmp_path)
    logged = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert any(n == "edge.disk" and lvl == "WARNING" and "disk nearly full" in m
               for n, lvl, m in logged)  # fmt: skip
    assert any(n == "edge.holding" and "holding" in m and "events in memory" in m
               for n, _, m in logged)  # fmt: skip
    assert any(n == "edge.holding" and m.startswith("outbox writable again")
               for n, _, m in logged)  # fmt: skip


# --- the wall clock ---------------------------------------------------------------------


def test_wall_clock_jumps_move_the_stamps_and_nothing_else(tmp_path: Path) -> None:
    # 10 s of a QR label at 10 fps: in view for 4 s, away for 4 s (longer than the 3 s
    # dedup window), in view again for 2 s.  The wall clock jumps a day forward while
    # the label is in view (a wall-clock dedup would send it again) and two days back
    # while it is away (a wall-clock dedup would take its return for the same sighting).
    label = qr_label("CLOCK-JUMP-1").image
    shown = scene_frames(label, 640, 480, 100, fill=0.5)
    blank = scene_frames(np.full_like(label, 255), 640, 480, 1)[0]
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    for i, frame in enumerate(shown):
        writer.write(blank if 40 <= i < 80 else frame)
    writer.release()
    config = device_config(tmp_path / "agent", 1883, {"source": str(clip), "fps": 10})
    mono = FakeClock()
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    offset = {"wall": timedelta()}

    def wall() -> datetime:
        return start + timedelta(seconds=mono.now) + offset["wall"]

    agent = Agent(config, clock=mono, wall=wall)
    try:
        while agent.source.stats.state != "ended":
            agent.step()
            frames = agent.source.stats.frames
            if frames == 20:
                offset["wall"] = timedelta(days=1)
            elif frames == 60:
                offset["wall"] = timedelta(days=-1)
            mono.advance(0.025 + 1e-9)
        events = [wire.parse_envelope(p.payload) for p in agent.outbox.pending(0, 1000)]
        payloads = [p.payload for p in agent.outbox.pending(0, 1000)]
    finally:
        agent.source.close()
        agent.outbox.close()

    envelopes = [e for e, _ in events]
    assert [e.seq for e in envelopes] == list(range(1, len(envelopes) + 1))
    heartbeats = [e for e in envelopes if e.type == "device.status"]
    assert [h.body["uptime_s"] for h in heartbeats] == list(range(len(heartbeats))), (
        "one heartbeat per second of monotonic time, whatever the wall clock did"
    )
    assert len(heartbeats) in (10, 11)
    stamps = [h.captured_at for h in heartbeats]
    assert stamps != sorted(stamps), "the stamps follow the wall clock, back and forth"
    reads = [e for e in envelopes if e.type == "barcode.read"]
    assert [r.body["text"] for r in reads] == ["CLOCK-JUMP-1"] * 2, "one read per sighting"
    assert reads[0].captured_at.startswith("2025-06-01T12:00:00")
    assert reads[1].captured_at.startswith("2025-05-31T12:00:08")
    # The hub takes them all: it orders a device's events by seq and its chain, and keeps
    # the device's stamp as captured_at beside its own received_at.
    before = wire.utc_timestamp()
    ingestor = _hub_ingests(agent, payloads, tmp_path)
    after = wire.utc_timestamp()
    stored = ingestor.store.query_events(EventFilter(type="barcode.read", limit=10))
    assert [e.captured_at for e in stored] == [r.captured_at for r in reads]
    assert all(before <= e.received_at <= after for e in stored), "received_at: the hub's clock"
