"""A video of trucks goes through the edge agent into the hub as verified vehicle.passage events.

The evidence crop is kept on the edge and sent after its event; the hub holds its SHA-256
inside the signed event, keeps the crop only because that event names it, and the bytes
must hash to it on both sides.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from mqtt_helpers import wait_until

from edge.plate_synth import truck_clip
from hub.store import Store
from shekara.localbroker import LocalBroker
from shekara.localstack import EdgeProcess, HubProcess
from shekara.plates import formats

pytestmark = pytest.mark.slow
DEVICE = "tmb-entry-1"


def test_truck_video_to_verified_passages_with_evidence(tmp_path: Path) -> None:
    kz = next(f for f in formats() if f.name == "KZ 2012, private")
    uz = next(f for f in formats() if f.name == "UZ 2008, private")
    clip = truck_clip([(kz, "777KZA12"), (uz, "01A123BC")], np.random.default_rng(8))
    video = tmp_path / "lane.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 10, (1280, 720))
    for frame in clip:
        writer.write(frame)
    writer.release()

    broker = LocalBroker(tmp_path / "broker")
    broker.start()
    hub = HubProcess(tmp_path / "hub", broker.port)
    edge = EdgeProcess(
        tmp_path / "edge",
        device_id=DEVICE,
        checkpoint="temirbaba",
        lane="entry-1",
        source=str(video),
        mqtt_port=broker.port,
        fps=10,
        until_drained=True,
        plates=True,
    )
    try:
        hub.add_device(DEVICE, edge.public_key, "temirbaba", "entry-1")
        hub.start()
        edge.start()
        assert edge.proc is not None
        assert edge.proc.wait(240) == 0, edge.log_path.read_text()[-3000:]
        events = hub.get(f"/api/events?device_id={DEVICE}&type=vehicle.passage")["events"]
        with Store(tmp_path / "hub" / "hub.db") as store:
            wait_until(lambda: all(store.evidence(e["body"]["evidence"]["sha256"])
                                   for e in events), what="crops at the hub")  # fmt: skip
            crops = {e["event_id"]: store.evidence(e["body"]["evidence"]["sha256"])
                     for e in events}  # fmt: skip
    finally:
        edge.stop()
        hub.stop()
        broker.kill()

    assert [(e["body"]["plate"], e["body"]["country"]) for e in events] == [
        ("777KZA12", "KZ"),
        ("01A123BC", "UZ"),
    ]
    for event in events:
        assert event["verified"] is True
        evidence = event["body"]["evidence"]
        data = (edge.evidence_dir / evidence["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == evidence["sha256"]
        assert crops[event["event_id"]] == ("image/jpeg", data)
