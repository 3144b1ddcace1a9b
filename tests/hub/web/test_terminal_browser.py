"""End to end, as issue 5 asks: a notification over the API, signed plate and SSCC reads
through a real Mosquitto, the officer watching the lane in headless Chromium sees the
match arrive live and releases the truck; the decision and the queue move are recorded."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta
from pathlib import Path

import cv2
import httpx2
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import passage_body, register
from live_hub import live_hub
from mqtt_helpers import TestClientMQTT, wait_until
from notify_helpers import CONTAINER, code_body, notification, sscc
from playwright.sync_api import sync_playwright
from queue_helpers import START, Clock, password_hash

from hub.cli import main
from hub.config import HubSettings
from hub.notify.decisions import verify_chain
from hub.queue.policy import Category, State
from hub.runtime import HubRuntime
from hub.store import Store
from shekara import wire
from shekara.localbroker import LocalBroker
from shekara.wire import encode

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make test installs it)")


@pytest.fixture
def settings(tmp_path: Path, broker: LocalBroker) -> HubSettings:
    return HubSettings(db_path=tmp_path / "hub.db", mqtt_host=broker.host, mqtt_port=broker.port)


def test_the_officer_sees_the_match_live_and_releases(
    settings: HubSettings, mqttc: TestClientMQTT, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(settings.db_path) as store:
        cam = register(store, Ed25519PrivateKey.generate(),
                       wire.Address("temirbaba", "entry-1", "cam-entry-1"))  # fmt: skip
    assert main(["carrier", "token", "KZ-CARRIER-1", "--db", str(settings.db_path)]) == 0
    token = capsys.readouterr().out.strip()
    with live_hub(settings, Clock(START), start_worker=True) as (url, app):
        runtime: HubRuntime = app.state.hub
        assert runtime.worker is not None and runtime.worker.wait_connected(10)
        queue = runtime.queue
        queue.store.add_user("officer1", password_hash(), "officer", "-")
        reference, _ = queue.book("kz-tm", Category.GENERAL, START + timedelta(hours=1),
                                  ("123ABC12", "KZ"), [], "Aidos", "+77015550101", "")  # fmt: skip
        queue.on_passage("e-wait", "wait-out", ["123ABC12"], "KZ", START)
        queue.call_next("kz-tm", "entry-1", "officer1")
        # 1. The carrier's notification arrives through the API.
        sent = httpx2.post(f"{url}/api/notifications", headers={"Authorization": f"Bearer {token}"},
                           json=notification(booking_reference=reference))  # fmt: skip
        assert sent.status_code == 201, sent.text
        wait_until(lambda: queue.store.meta("arrival_event_cursor"), what="feeders started")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{url}/login?lang=ru")
            page.fill("input[name=username]", "officer1")
            page.fill("input[name=password]", "long enough pw")
            page.click("button[type=submit]")
            page.goto(f"{url}/officer/lanes/entry-1?lang=ru")
            page.wait_for_selector("#link:text('В эфире')")
            assert "Ожидание следующего транспорта" in page.inner_text("#vehicle")
            # 2. Signed lane events through the real broker: the plate, then two scans.
            crop = cv2.imencode(".jpg", np.full((40, 120, 3), 200, np.uint8))[1].tobytes()
            passage = passage_body("123ABC12")
            digest = hashlib.sha256(crop).hexdigest()
            passage["evidence"] = {"sha256": digest, "file": f"{digest}.jpg", "width": 120,
                                   "height": 40, "media_type": "image/jpeg"}  # fmt: skip
            for kind, body in ((wire.EventType.VEHICLE_PASSAGE, passage),
                               (wire.EventType.BARCODE_READ, code_body(CONTAINER)),
                               (wire.EventType.BARCODE_READ, code_body(sscc(1)))):  # fmt: skip
                mqttc.publish(cam.topic(), encode(cam.next(kind, body)))
                if kind == wire.EventType.VEHICLE_PASSAGE:  # the crop follows its event
                    mqttc.publish(cam.address.topic(wire.Channel.EVIDENCE), crop)
            # 3. The officer sees the match arrive, without reloading.
            page.wait_for_selector(".verdict[data-level=match]")
            page.wait_for_selector(f"tr[data-status=declared_seen] >> text={sscc(1)}")
            assert "123ABC12" in page.inner_text(".plate")
            page.wait_for_function("document.querySelector('img.evidence')?.naturalWidth === 120")
            missing = page.locator("tr[data-status=declared_not_seen]").all_inner_texts()
            assert any(sscc(2) in row for row in missing)  # a discrepancy, highlighted
            assert "Заявлено, не обнаружено" in "".join(missing)
            wait_until(lambda: queue.status(reference).booking.state is State.AT_CONTROL,
                       what="at control")  # fmt: skip
            # 4. The officer releases the truck.
            page.select_option("select[name=seals]", "intact")
            page.fill("textarea[name=remarks]", "SSCC 2 under the tarp")
            page.click("button[value=release]")
            page.wait_for_selector("#result[data-action=release]")
            browser.close()
        assert queue.status(reference).booking.state is State.CLEARED
        log = runtime.arrivals.arrivals.decisions()
        assert verify_chain([(prev, digest, body) for _, prev, digest, body in log]) == 1
        record = log[0][3]
        assert (record["action"], record["officer"], record["seals"]) == (
            "release",
            "officer1",
            "intact",
        )
        assert record["queue"] == "booking cleared" and not record["conform"]  # SSCC 2 unseen
        assert len(record["arrival"]["evidence"]) == 3
