"""An officer's terminal with a notified truck at lane entry-1, its signed reads fed."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, passage_body, register
from notify_helpers import CONTAINER, code_body, notification, sscc
from queue_helpers import START

from hub.ingest import Ingestor
from hub.notify.feeder import ArrivalFeeder
from hub.notify.model import NotificationIn
from hub.queue.policy import Category
from hub.runtime import HubRuntime
from shekara import wire
from shekara.wire import encode


def hub_runtime(client: TestClient) -> HubRuntime:
    runtime: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
    return runtime


def officer_login(api: TestClient) -> dict[str, str]:
    resp = api.post("/api/auth/login", json={"username": "officer1", "password": "long enough pw"})
    return {"X-CSRF-Token": resp.json()["csrf"]}


def truck_at_entry(api: TestClient) -> tuple[str, int]:
    """A booked truck called to entry-1, its notification, and its signed lane reads fed."""
    runtime = hub_runtime(api)
    queue, store = runtime.queue, runtime.store
    slot = START + timedelta(hours=1)
    reference, _ = queue.book("kz-tm", Category.GENERAL, slot, ("123ABC12", "KZ"), [],
                              "Aidos", "+77015550101", "Caspian")  # fmt: skip
    runtime.notify.submit(
        NotificationIn.model_validate(notification(booking_reference=reference)), "KZ-CARRIER-1"
    )
    queue.on_passage("e-wait", "wait-out", ["123ABC12"], "KZ", START)
    queue.call_next("kz-tm", "entry-1", "officer1")
    queue.on_passage("e-entry", "entry-1", ["123ABC12"], "KZ", START)
    feeder = ArrivalFeeder(store, queue.store, "temirbaba", runtime.arrivals)
    feeder.step()
    cam: SimDevice = register(store, Ed25519PrivateKey.generate(),
                              wire.Address("temirbaba", "entry-1", "cam-1"))  # fmt: skip
    ingestor = Ingestor(store)
    ingestor.process(cam.topic(), encode(cam.next(wire.EventType.VEHICLE_PASSAGE,
                                                  passage_body("123ABC12"))))  # fmt: skip
    for code in (CONTAINER, sscc(1), sscc(2)):
        ingestor.process(
            cam.topic(), encode(cam.next(wire.EventType.BARCODE_READ, code_body(code)))
        )
    assert feeder.step() == 4
    arrival = runtime.arrivals.arrivals.current_arrival("entry-1")
    assert arrival is not None
    return reference, arrival.id
