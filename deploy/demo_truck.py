"""The demo's scripted truck: notified, seen at a lane, released, certified, witnessed.

A carrier notifies a truck with a token from ``shekara-hub carrier token``; a third
``shekara-edge`` agent replays generated footage of that truck's plate and then its
cargo labels at lane entry-2; an officer login releases the matched arrival through
the API, which issues the certificate.  The script then waits for the Garabogaz
witness's cosignature in the certificate's bundle and has the Garabogaz hub verify it,
so the whole issue-6 path runs live on every ``make demo``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import SubprocessError
from typing import Any
from urllib.error import HTTPError

import cv2
import numpy as np

from edge.labels import container_label, make_container_code, make_sscc, sscc_label
from edge.plate_synth import truck_clip
from edge.synth import MILD, distort, place
from shekara.localstack import EdgeProcess, HubProcess, HubSession
from shekara.plates import formats

log = logging.getLogger(__name__)
DEVICE, LANE = "tmb-entry-2", "entry-2"
CARRIER = "KZ-DEMO-CARRIER"
FPS = 8.0
WAIT_S = 180.0  # the truck's footage lasts ~12 s; a busy 2-core machine may be much slower


@dataclass(frozen=True)
class Cargo:
    """What the truck carries and its footage shows."""

    plate: str
    container: str
    ssccs: tuple[str, ...]

    def codes(self) -> set[str]:
        """Every code the lane must scan before the officer releases."""
        return {self.container, *self.ssccs}


def truck_footage(folder: Path, seed: int = 21) -> tuple[Path, Cargo]:
    """A video of one KZ truck's plate, then its container and SSCC labels; made once."""
    video, truth = folder / "truck.avi", folder / "truck.json"
    if video.is_file() and truth.is_file():
        data = json.loads(truth.read_text(encoding="utf-8"))
        return video, Cargo(data["plate"], data["container"], tuple(data["ssccs"]))
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cargo = Cargo("777KZA12", make_container_code(rng), (make_sscc(rng), make_sscc(rng)))
    kz = next(f for f in formats() if f.name == "KZ 2012, private")
    frames = truck_clip([(kz, cargo.plate)], rng)
    labels = [container_label(cargo.container)] + [sscc_label(s) for s in cargo.ssccs]
    # A bare background: stencilled words on clutter would read as more "plates".
    bare = np.full((720, 1280, 3), 95, np.uint8)
    for label in labels:
        frames += [bare] * 4
        diag = int(np.hypot(*label.image.shape)) + 2  # place() pastes a diag x diag square
        x, y = (1280 - diag) // 2 - 30, (720 - diag) // 2
        for k in range(10):
            scene = place(bare, label.image, (x + 6 * k, y), 2.0)
            frames.append(distort(scene, MILD, rng))
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (1280, 720))
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    truth.write_text(json.dumps(asdict(cargo)), encoding="utf-8")
    return video, cargo


def notification(cargo: Cargo, now: datetime) -> dict[str, Any]:
    """The carrier's advance notification for the truck (ETA after the 2-hour deadline)."""
    return {
        "notification_id": "DEMO-0001", "amendment": 0, "submitted_at": now.isoformat(),
        "crossing": "temirbaba", "direction": "kz-tm",
        "eta": {"earliest": (now + timedelta(hours=2, minutes=5)).isoformat(),
                "latest": (now + timedelta(hours=8)).isoformat()},
        "references": {"cmr": "CMR-DEMO-1"},
        "conveyance": {"tractor": {"plate": cargo.plate, "country": "KZ"},
                       "vin": "XTC65115X90000001",
                       "carrier_id": CARRIER, "carrier_name": "Demo Freight"},
        "drivers": [{"name": "Demo Driver", "document": "N00000001", "nationality": "KZ",
                     "phone": "+7 701 555 0199"}],
        "equipment": {"containers": [cargo.container]},
        "consignments": [{
            "consignor": "Mangystau Flour LLP", "consignee": "Balkan Trade HJ",
            "transport_document": "CMR-DEMO-1", "gross_kg": 20500,
            "items": [{"hs_code": "110100", "description": "Wheat flour", "packages": 20,
                       "package_type": "PX", "gross_kg": 20500, "net_kg": 20000,
                       "ssccs": list(cargo.ssccs)}],
        }],
    }  # fmt: skip


class _Stopped(Exception):
    """The demo is stopping."""


class ScriptedTruck(threading.Thread):
    """Drives the truck through notification, lane, release, certificate and witness.

    Runs beside the demo's live count; a failure is printed, never raised, so the rest
    of the demo goes on.
    """

    def __init__(
        self, hub: HubProcess, neighbour: HubProcess, edge: EdgeProcess, cargo: Cargo,
        say: Callable[[str], None] = print,
    ) -> None:  # fmt: skip
        super().__init__(name="scripted-truck", daemon=True)
        self.hub, self.neighbour, self.edge, self.cargo = hub, neighbour, edge, cargo
        self.say = say
        self.stopping = threading.Event()
        self.finished = threading.Event()  # certified and verified, or given up

    def run(self) -> None:
        try:
            self._drive()
        except _Stopped:
            pass
        except (OSError, SubprocessError, TimeoutError, ValueError, KeyError) as exc:
            # An HTTP refusal says why in its body (a notification field, say).
            said = exc.read().decode(errors="replace") if isinstance(exc, HTTPError) else ""
            self.say(f"  scripted truck stopped: {exc} {said}".rstrip())
            log.debug("scripted truck stopped", exc_info=True)
        finally:
            self.finished.set()

    def _drive(self) -> None:
        carrier = self.hub.carrier(CARRIER)
        carrier.post("/api/notifications", notification(self.cargo, datetime.now(UTC)))
        officer = self.hub.add_user("officer-demo", "officer")
        self.edge.start()
        self.say(f"  truck {self.cargo.plate} notified by {CARRIER}; driving into {LANE} ...")
        arrival = self._until(lambda: self._ready(officer), "the truck's arrival to match")
        officer.post(f"/api/arrivals/{arrival}/decision", {"action": "release"})
        released = time.monotonic()
        cert_id = str(officer.get(f"/api/arrivals/{arrival}/certificates")[0]["id"])
        self.say(f"  certificate {cert_id} issued on release at {LANE}\n"
                 f"    print    {self.hub.url}/officer/certificates/{cert_id}  (after login)\n"
                 f"    download {self.hub.url}/api/certificates/{cert_id}")  # fmt: skip
        witness = self.neighbour.verifier_keys()[1].split("+")[0]
        text = self._until(lambda: self._cosigned(officer, cert_id, witness), "the cosignature")
        waited = time.monotonic() - released
        verdict = json.loads(
            HubSession(self.neighbour.url).request(
                "POST", "/api/certificates/verify", text.encode()
            )
        )
        self.say(f"    cosigned by {witness} {waited:.1f} s after release; "
                 f"Garabogaz verifies it: {verdict['reason']}")  # fmt: skip

    def _until(self, check: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + WAIT_S
        while not self.stopping.wait(0.5):
            if (found := check()) is not None:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting for {what}")
        raise _Stopped

    def _ready(self, officer: HubSession) -> int | None:
        arrival = officer.get(f"/api/lanes/{LANE}/arrival")["arrival"]
        if arrival is None or arrival["level"] != "match":
            return None
        seen = {c["code"] for c in arrival["sighting"]["codes"]}
        return int(arrival["id"]) if self.cargo.codes() <= seen else None

    @staticmethod
    def _cosigned(officer: HubSession, cert_id: str, witness: str) -> str | None:
        text = officer.request("GET", f"/api/certificates/{cert_id}").decode()
        proof = json.loads(text)["tlog_proof"]
        return text if f"\u2014 {witness} " in proof else None
