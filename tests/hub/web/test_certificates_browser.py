"""End to end, as issue 6 asks: the officer releases a truck in headless Chromium at
Temirbaba; the certificate is issued and cosigned by the Garabogaz hub's witness over
HTTP; the bundle is downloaded and verifies offline with only the two public keys; the
printed page's QR code decodes back to the bundle, which the Turkmen verify page accepts."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import cv2
import httpx2
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from form_helpers import post_form
from hub_support import passage_body, register
from live_hub import live_hub
from mqtt_helpers import TestClientMQTT, wait_until
from notify_helpers import CONTAINER, code_body, notification, sscc
from playwright.sync_api import sync_playwright
from queue_helpers import START, Clock, password_hash

from hub.cert import note
from hub.cert.bundle import parse_bundle
from hub.cli import main
from hub.config import HubSettings
from hub.notify.model import NotificationIn
from hub.queue.policy import Category
from hub.runtime import HubRuntime
from hub.store import Store
from shekara import wire
from shekara.keys import write_keypair
from shekara.localbroker import LocalBroker
from shekara.wire import encode

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make test installs it)")


def test_release_issue_download_verify_print_scan(
    tmp_path: Path, broker: LocalBroker, mqttc: TestClientMQTT,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    kz_key = write_keypair(tmp_path / "kz-log.key")
    tm_witness_key = write_keypair(tmp_path / "tm-witness.key")
    kz_log_vkey = note.verifier_key("shekara.temirbaba/log", kz_key.public_key())
    tm_witness_vkey = note.verifier_key(
        "shekara.garabogaz/log/witness", tm_witness_key.public_key(), note.COSIGNATURE_V1
    )
    tm = HubSettings(
        db_path=tmp_path / "tm.db", checkpoint="garabogaz",
        witness_key_file=tmp_path / "tm-witness.key", witness_for=[kz_log_vkey],
    )  # fmt: skip
    with live_hub(tm, Clock(START)) as (tm_url, _):
        kz = HubSettings(db_path=tmp_path / "kz.db", checkpoint="temirbaba",
                         log_key_file=tmp_path / "kz-log.key", mqtt_host=broker.host,
                         mqtt_port=broker.port,
                         witnesses=[f"{tm_witness_vkey} {tm_url}/witness"])  # fmt: skip
        with Store(kz.db_path) as store:
            cam = register(store, Ed25519PrivateKey.generate(),
                           wire.Address("temirbaba", "entry-1", "cam-entry-1"))  # fmt: skip
        with live_hub(kz, Clock(START), start_worker=True) as (url, app):
            runtime: HubRuntime = app.state.hub
            assert runtime.worker is not None and runtime.worker.wait_connected(10)
            queue = runtime.queue
            queue.store.add_user("officer1", password_hash(), "officer", "-")
            slot = START + timedelta(hours=1)
            reference, _ = queue.book("kz-tm", Category.GENERAL, slot, ("123ABC12", "KZ"), [],
                                      "Aidos", "+77015550101", "")  # fmt: skip
            runtime.notify.submit(NotificationIn.model_validate(
                notification(booking_reference=reference)), "KZ-CARRIER-1")  # fmt: skip
            queue.on_passage("e-wait", "wait-out", ["123ABC12"], "KZ", START)
            queue.call_next("kz-tm", "entry-1", "officer1")
            wait_until(lambda: queue.store.meta("arrival_event_cursor"), what="feeders started")
            for kind, body in ((wire.EventType.VEHICLE_PASSAGE, passage_body("123ABC12")),
                               (wire.EventType.BARCODE_READ, code_body(CONTAINER)),
                               (wire.EventType.BARCODE_READ, code_body(sscc(1))),
                               (wire.EventType.BARCODE_READ, code_body(sscc(2)))):  # fmt: skip
                mqttc.publish(cam.topic(), encode(cam.next(kind, body)))

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                context = browser.new_context(viewport={"width": 1280, "height": 900},
                                              accept_downloads=True)  # fmt: skip
                page = context.new_page()
                page.goto(f"{url}/login?lang=en")
                page.fill("input[name=username]", "officer1")
                page.fill("input[name=password]", "long enough pw")
                page.click("button[type=submit]")
                # 1. Release in the officer terminal.
                page.goto(f"{url}/officer/lanes/entry-1?lang=en")
                page.wait_for_selector(".verdict[data-level=match]")
                page.select_option("select[name=seals]", "intact")
                page.click("button[value=release]")
                # 2. The certificate is issued: the lane view links to it.
                link = page.wait_for_selector("#vehicle a[href^='/officer/certificates/']")
                cert_id = link.inner_text()
                page.goto(f"{url}/officer/certificates/{cert_id}?lang=en")
                # The Turkmen witness cosigns within the cosigner's second; reload until then.
                for _ in range(40):
                    if page.locator("text=Awaiting the cosignature").count() == 0:
                        break
                    page.wait_for_timeout(250)
                    page.reload()
                status = runtime.certs.cosigner.status
                assert "Awaiting" not in page.inner_text("main"), status
                assert "shekara.garabogaz/log/witness" in page.inner_text("main")
                # 3. The bundle is downloaded.
                with page.expect_download() as download:
                    page.click("text=Download (JSON)")
                saved = tmp_path / f"{cert_id}.json"
                download.value.save_as(saved)
                # 5. Printed: the print stylesheet, the QR code as a camera would see it.
                page.emulate_media(media="print")
                assert page.locator("header").is_hidden()
                page.locator("figure.qr svg").screenshot(path=str(tmp_path / "qr.png"))
                pdf = page.pdf(format="A4")
                assert pdf.startswith(b"%PDF")
                browser.close()
    # 4. Verified offline, with only the two public keys (both hubs are stopped now).
    assert main(["cert", "verify", str(saved), "--log-key", kz_log_vkey,
                 "--witness-key", tm_witness_vkey]) == 0  # fmt: skip
    assert f"VERIFIED certificate {cert_id}" in capsys.readouterr().out
    bundle = parse_bundle(saved.read_bytes())
    # 5. The QR code decodes back to the bundle.
    image = cv2.imread(str(tmp_path / "qr.png"))
    assert image is not None
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    scanned = parse_bundle(found[0].text)
    assert scanned.body == bundle.body, (scanned.body, bundle.body)
    assert scanned.proof == bundle.proof, (scanned.proof, bundle.proof)
    assert found[0].text == bundle.to_json(ascii_only=True)
    with live_hub(tm, Clock(START)) as (tm_url, _), httpx2.Client(base_url=tm_url) as http:
        page_text = post_form(http, "/verify?lang=en", {"bundle": found[0].text}).text
    assert "Verified: signed by the issuing log and included in it." in page_text
    assert "<code>shekara.garabogaz/log/witness</code>" in page_text
