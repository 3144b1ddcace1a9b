"""Hardware in the loop: a camera through the agent's own capture and processing.

Each test runs against the virtual camera (CI) and, marked ``hil``, against a real one
(``pytest -m hil``; tests/hil/README.md).  The test code is the same for both: only the
``camera`` fixture differs, and for a real camera it tells the engineer on the terminal
what to do and when.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from agent_helpers import AgentThreads, device_config, published, statuses
from hil_camera import HilCamera
from hil_label import SSCC
from mqtt_helpers import TestClientMQTT, wait_until

from edge.agent import Agent
from edge.capture import Frame
from shekara import wire
from shekara.localbroker import LocalBroker


def _camera_section(camera: HilCamera) -> dict[str, Any]:
    s = camera.settings
    return {
        "source": camera.source,
        "width": s.width,
        "height": s.height,
        "fps": s.fps,
        # A clip ends; a camera does not: the virtual one replays its clip forever.
        "loop": camera.kind == "virtual",
        "reconnect_s": s.reconnect_s,
        "reconnect_max_s": s.reconnect_max_s,
    }


def test_capture_matches_config(camera: HilCamera, tmp_path: Any) -> None:
    s = camera.settings
    clock = camera.clock()
    seen: list[tuple[float, tuple[int, ...]]] = []

    def record(frame: Frame, now: float) -> list[tuple[str, dict[str, Any]]]:
        seen.append((now, frame.shape))
        return []

    config = device_config(tmp_path / "agent", 1883, _camera_section(camera))
    agent = Agent(config, [record], clock=clock)
    warmup, measured = round(s.fps), round(3 * s.fps)  # a real camera starts slowly
    deadline = time.monotonic() + camera.wait_s
    try:
        while len(seen) < warmup + measured + 1:
            assert time.monotonic() < deadline, (
                f"{len(seen)} frames in {camera.wait_s:.0f} s; camera {agent.source.stats.state}"
            )
            if not agent.step():
                camera.idle(clock)
        heartbeats = [wire.parse_envelope(p.payload)[0].body for p in agent.outbox.pending(0, 1000)]
    finally:
        agent.source.close()
        agent.outbox.close()

    shapes = {shape for _, shape in seen}
    assert shapes == {(s.height, s.width, 3)}, f"asked for {s.width}x{s.height}, got {shapes}"
    (start, _), (end, _) = seen[warmup], seen[-1]
    rate = measured / (end - start)
    # The virtual camera runs on the test's clock, so its pacing is exact; a real camera
    # is allowed the jitter of USB and the driver.
    tolerance = 1e-6 if camera.kind == "virtual" else 0.2
    assert rate == pytest.approx(s.fps, rel=tolerance), f"{rate:.2f} fps, config asks {s.fps:g}"
    # The heartbeat reports what was captured (each covers a whole interval after the first).
    assert heartbeats[-1]["camera"] == "ok"
    assert heartbeats[-1]["fps"] == pytest.approx(s.fps, rel=max(tolerance, 0.1))


def test_reads_printed_label(
    camera: HilCamera, broker: LocalBroker, agents: AgentThreads, tmp_path: Any
) -> None:
    config = device_config(tmp_path / "agent", broker.port, _camera_section(camera))
    agent = Agent(config)  # the processing the config asks for: barcodes, deduplicated
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    try:
        agents.start(agent)
        camera.show_label()

        def reads() -> dict[str, dict[str, Any]]:
            return {e.body["text"]: e.body for e in published(recorder, "barcode.read")}

        wait_until(lambda: camera.sheet.expected.keys() <= reads().keys(),
                   timeout=camera.wait_s, what="every code of the HIL label read")  # fmt: skip
        got = reads()
        camera.say("label read: " + ", ".join(sorted(camera.sheet.expected)))
        for text, symbology in camera.sheet.expected.items():
            assert got[text]["symbology"] == symbology
            assert got[text]["invalid_check_digit"] is False
        sscc = next(b for b in got.values() if b.get("gs1"))
        assert sscc["gs1"]["sscc"] == SSCC
        # Signed by the device and chained, as the hub will check.
        public = agent.publisher.key.public_key()
        for payload in recorder.on("/events"):
            wire.verify(wire.EVENT_DOMAIN, wire.parse_envelope(payload)[1], public)
    finally:
        recorder.close()


def test_reconnects_after_unplug(
    camera: HilCamera, broker: LocalBroker, agents: AgentThreads, tmp_path: Any
) -> None:
    config = device_config(tmp_path / "agent", broker.port, _camera_section(camera))
    agent = Agent(config, [])
    recorder = TestClientMQTT(broker.host, broker.port, subscribe="shekara/#")
    try:
        thread = agents.start(agent)
        wait_until(lambda: any(b["camera"] == "ok" and b["fps"] > 0 for b in statuses(recorder)),
                   timeout=camera.wait_s, what="the camera streaming")  # fmt: skip
        camera.unplug()
        wait_until(lambda: statuses(recorder)[-1]["camera"] == "lost",
                   timeout=camera.wait_s, what="the camera reported lost")  # fmt: skip
        frames_while_lost = agent.source.stats.frames
        camera.replug()
        # Found again at the next retry, at most reconnect_max_s after the replug.
        patience = camera.wait_s + camera.settings.reconnect_max_s
        wait_until(lambda: statuses(recorder)[-1]["camera"] == "ok",
                   timeout=patience, what="the camera reported back")  # fmt: skip
        wait_until(lambda: agent.source.stats.frames > frames_while_lost + 3,
                   timeout=camera.wait_s, what="frames after the reconnect")  # fmt: skip
        camera.say("camera back: reconnect seen")
        states = [b["camera"] for b in statuses(recorder)]
        first_lost = states.index("lost")
        assert "ok" in states[:first_lost], states
        assert "ok" in states[first_lost:], states
        assert statuses(recorder)[-1]["reconnects"] == 1
        assert agent.source.stats.reconnects == 1
        assert thread.is_alive()
    finally:
        recorder.close()
