"""The live view over a real server: server-sent events follow the lane as reads come in."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import passage_body, register
from live_hub import live_hub
from queue_helpers import Clock, password_hash

from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.notify.feeder import ArrivalFeeder
from hub.runtime import HubRuntime
from shekara import wire
from shekara.wire import encode


def _events(lines: Any, count: int) -> list[dict[str, Any]]:
    """The next ``count`` SSE data payloads (keep-alive comments skipped)."""
    out: list[dict[str, Any]] = []
    for line in lines:
        if line.startswith("data: "):
            out.append(json.loads(line[6:]))
            if len(out) == count:
                break
    return out


def test_the_live_view_pushes_each_new_read(tmp_path: Path) -> None:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with live_hub(settings, Clock()) as (url, app):
        runtime: HubRuntime = app.state.hub
        runtime.queue.store.add_user("officer1", password_hash(), "officer", "x")
        feeder = ArrivalFeeder(runtime.store, runtime.queue.store, "temirbaba", runtime.arrivals)
        feeder.step()
        cam = register(runtime.store, Ed25519PrivateKey.generate(),
                       wire.Address("temirbaba", "entry-1", "cam-1"))  # fmt: skip
        with httpx2.Client(base_url=url, timeout=10) as client:
            client.post("/api/auth/login",
                        json={"username": "officer1", "password": "long enough pw"})  # fmt: skip
            with client.stream("GET", "/api/lanes/entry-1/live") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.iter_lines()
                assert _events(lines, 1)[0]["arrival"] is None

                def read_plate() -> None:
                    event = cam.next(wire.EventType.VEHICLE_PASSAGE, passage_body("777XYZ12"))
                    Ingestor(runtime.store).process(cam.topic(), encode(event))
                    feeder.step()

                threading.Thread(target=read_plate).start()
                pushed = _events(lines, 1)[0]["arrival"]
                assert pushed["sighting"]["readings"][0]["text"] == "777XYZ12"
                assert pushed["level"] == "none"
