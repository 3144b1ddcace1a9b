"""Fault drills: real Mosquitto, hub and edge processes; each ends with every event stored once.

The edge's outbox is filled before the agent starts (as if the camera had produced
the events), then the agent drains it through the broker into the hub while the drill
breaks something.  The agent also signs one ``device.status`` heartbeat each time it
starts, so the expected total is the backlog plus the number of agent starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from mqtt_helpers import wait_until

from edge.outbox import Outbox
from shekara import wire
from shekara.keys import load_private_key
from shekara.localbroker import LocalBroker
from shekara.localstack import EdgeProcess, HubProcess

pytestmark = pytest.mark.slow
DEVICE = "tmb-entry-1"
STATUS = {"fps": 10.0, "outbox_depth": 0, "camera": "ok", "software_version": "t", "uptime_s": 1}


@dataclass
class Stack:
    broker: LocalBroker
    hub: HubProcess
    edge: EdgeProcess

    def device(self) -> dict[str, Any]:
        result: dict[str, Any] = self.hub.get(f"/api/devices/{DEVICE}")
        return result

    def stored(self) -> int:
        try:
            return int(self.device()["stored"])
        except OSError:
            return -1  # the hub is down in this instant

    def prefill(self, n: int) -> None:
        key = load_private_key(self.edge.key_file)
        outbox = Outbox(self.edge.outbox_path, key, wire.Address("temirbaba", "entry-1", DEVICE))
        for start in range(0, n, 1000):
            outbox.append_many(
                [("device.status", STATUS, wire.utc_timestamp())] * min(1000, n - start)
            )
        outbox.close()

    def assert_exactly_once(self, total: int, timeout: float = 120) -> None:
        def settled() -> bool:
            d = self.device()
            return bool(d["stored"] == total and d["last_seq"] == total and d["gaps"] == [])

        wait_until(settled, timeout=timeout, what=f"{total} events stored exactly once")
        health = self.hub.get("/healthz")
        assert health["totals"]["dead_letters"] == 0, health
        # UNIQUE(device_id, seq) and the event_id key make stored == last_seq with no gaps
        # mean every seq 1..total is there once; check the chain end as well.
        last = self.hub.get(f"/api/events?device_id={DEVICE}&order=desc&limit=1")["events"][0]
        assert last["seq"] == total


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    broker = LocalBroker(tmp_path / "broker")
    broker.start()
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0.png"), np.zeros((120, 160, 3), np.uint8))
    hub = HubProcess(tmp_path / "hub", broker.port, gap_resend_after_s=1.0)
    edge = EdgeProcess(
        tmp_path / "edge",
        device_id=DEVICE,
        checkpoint="temirbaba",
        lane="entry-1",
        source=str(frames),
        mqtt_port=broker.port,
        heartbeat_s=3600,
    )
    hub.add_device(DEVICE, edge.public_key, "temirbaba", "entry-1")
    s = Stack(broker, hub, edge)
    yield s
    edge.stop()
    hub.stop()
    broker.kill()


def test_broker_killed_mid_stream_and_restarted(stack: Stack) -> None:
    stack.prefill(4000)
    stack.hub.start()
    stack.edge.start()
    wait_until(lambda: stack.stored() >= 800, timeout=60, what="ingest under way")
    stack.broker.kill()  # SIGKILL: whatever it had not saved is gone
    time.sleep(1)
    stack.broker.start()
    stack.assert_exactly_once(4001)


def test_hub_killed_mid_ingest_and_restarted(stack: Stack) -> None:
    stack.prefill(4000)
    stack.hub.start()
    stack.edge.start()
    wait_until(lambda: stack.stored() >= 800, timeout=60, what="ingest under way")
    stack.hub.kill()
    time.sleep(1)
    stack.hub.start()
    stack.assert_exactly_once(4001)


def test_edge_killed_mid_publish_and_restarted(stack: Stack) -> None:
    stack.prefill(4000)
    stack.hub.start()
    stack.edge.start()
    wait_until(lambda: stack.stored() >= 800, timeout=60, what="publishing under way")
    stack.edge.kill()
    before = stack.stored()
    assert before < 4001, "the drill must interrupt publishing"
    stack.edge.start()
    # The restart signs a second heartbeat: seq 4002 must chain onto 4001.
    stack.assert_exactly_once(4002)
    last = stack.hub.get(f"/api/events?device_id={DEVICE}&order=desc&limit=2")["events"]
    assert last[0]["prev_hash"] == last[1]["hash"]


def test_edge_offline_while_10000_events_queue_then_drained(stack: Stack) -> None:
    stack.broker.stop()
    stack.prefill(10_000)
    stack.hub.start()  # retries the broker in the background
    stack.edge.start()
    time.sleep(3)
    assert stack.edge.alive() and stack.hub.alive()
    assert stack.stored() == 0
    stack.broker.start()
    stack.assert_exactly_once(10_001, timeout=180)
