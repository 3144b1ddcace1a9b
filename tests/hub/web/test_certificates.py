"""The printable certificate and the public verify page, in the four languages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from form_helpers import post_form
from queue_helpers import Clock, password_hash
from terminal_helpers import hub_runtime, officer_login, truck_at_entry

from hub.app import create_app
from hub.config import HubSettings


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db", checkpoint="temirbaba")
    with TestClient(create_app(settings, start_worker=False, clock=Clock())) as client:
        hub_runtime(client).queue.store.add_user("officer1", password_hash(), "officer", "-")
        yield client


def _released(api: TestClient) -> str:
    _, arrival = truck_at_entry(api)
    resp = api.post(f"/api/arrivals/{arrival}/decision", headers=officer_login(api),
                    json={"action": "release"})  # fmt: skip
    cert_id: str = resp.json()["certificates"][0]
    return cert_id


def test_the_print_page_shows_the_body_keys_and_a_qr_holding_the_bundle(
    api: TestClient,
) -> None:
    cert_id = _released(api)
    page = api.get(f"/officer/certificates/{cert_id}?lang=ru")
    assert page.status_code == 200
    html = page.text
    assert "Сертификат выпуска партии товаров" in html and cert_id in html
    assert 'data-holds="bundle"' in html and "<svg" in html
    assert hub_runtime(api).certs.log.verifier_key in html
    assert "123ABC12" in html and "officer1" in html
    assert "@media print" in api.get("/static/style.css").text


def test_the_print_page_needs_a_login_and_a_known_certificate(api: TestClient) -> None:
    cert_id = _released(api)
    missing = api.get("/officer/certificates/TEMIRBABA-2026-NOPE0000?lang=en")
    assert missing.status_code == 404 and "No such certificate." in missing.text
    api.post("/api/auth/logout")
    page = api.get(f"/officer/certificates/{cert_id}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("lang", "verified", "changed"),
    [("ru", "Подтверждено", "Не подтверждено: текст сертификата изменён."),
     ("kk", "Расталды", "Расталмады: сертификат мәтіні өзгертілген."),
     ("tk", "Tassyklandy", "Tassyklanmady: şahadatnamanyň teksti üýtgedilen."),
     ("en", "Verified: signed", "Not verified: the certificate text was changed.")],
)  # fmt: skip
def test_the_verify_page_says_verified_or_why_not(
    api: TestClient, lang: str, verified: str, changed: str
) -> None:
    cert_id = _released(api)
    text = api.get(f"/api/certificates/{cert_id}").text
    good = post_form(api, f"/verify?lang={lang}", {"bundle": text})
    assert good.status_code == 200 and verified in good.text and cert_id in good.text
    value = json.loads(text)
    value["body"]["vehicle"]["tractor"] = "999ZZZ02"
    bad = post_form(api, f"/verify?lang={lang}", {"bundle": json.dumps(value)})
    assert bad.status_code == 422 and changed in bad.text
    assert 'data-reason="body_hash_mismatch"' in bad.text and "999ZZZ02" not in bad.text.split(
        "<textarea")[0]  # fmt: skip


def test_a_scanned_url_finds_the_certificate_by_its_digest(api: TestClient) -> None:
    cert_id = _released(api)
    digest = json.loads(api.get(f"/api/certificates/{cert_id}").text)["body_sha256"]
    scanned = f"http://127.0.0.1:8080/verify?leaf={digest}"
    moved = post_form(api, "/verify?lang=en", {"bundle": scanned}, follow_redirects=False)
    assert moved.status_code == 303 and f"/verify?leaf={digest}" in moved.headers["location"]
    found = api.get(f"/verify?leaf={digest}&lang=en")
    assert found.status_code == 200 and 'data-reason="verified"' in found.text
    unknown = api.get(f"/verify?leaf={'0' * 64}&lang=en")
    assert unknown.status_code == 404 and "This hub holds no such certificate." in unknown.text
    garbage = post_form(api, "/verify?lang=en", {"bundle": "not a bundle"})
    assert garbage.status_code == 422 and "the bundle is malformed" in garbage.text
