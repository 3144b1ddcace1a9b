"""The carrier's pages through the ASGI app: token sign-in, the form, errors, JSON, amending."""

from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from form_helpers import form_token, post_form
from notify_helpers import notification

from hub.notify.desk import new_token, token_hash
from hub.notify.model import NotificationIn
from hub.runtime import HubRuntime
from hub.web.carrier_form import form_values

ZONE = ZoneInfo("Asia/Aqtau")


@pytest.fixture
def carrier(web: TestClient) -> str:
    """Signed in as KZ-CARRIER-1; returns the form's CSRF value."""
    runtime: HubRuntime = web.app.state.hub  # type: ignore[attr-defined]
    token = new_token()
    runtime.notify.store.add_token(token_hash(token), "KZ-CARRIER-1", "-")
    assert post_form(web, "/carrier/login", {"token": "nonsense"}).status_code == 401
    signed = post_form(web, "/carrier/login", {"token": token}, follow_redirects=False)
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    page = web.get("/carrier?lang=en")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found and 'value="KZ-CARRIER-1"' in page.text
    return found.group(1)


def _values(**changes: object) -> dict[str, str]:
    body = NotificationIn.model_validate(notification(**changes)).model_dump(mode="json")
    return form_values(body, ZONE)


def test_without_a_token_the_page_asks_for_one(web: TestClient) -> None:
    page = web.get("/carrier?lang=ru")
    assert page.status_code == 200 and 'name="token"' in page.text
    assert web.post("/carrier/notify", data={}, follow_redirects=False).status_code == 303


def test_a_carrier_notifies_by_form_and_amends(web: TestClient, carrier: str) -> None:
    sent = web.post("/carrier/notify?lang=en", data={**_values(), "csrf": carrier})
    assert sent.status_code == 201, sent.text
    assert "Notification CF-2026-0001, version 0 received" in sent.text
    runtime: HubRuntime = web.app.state.hub  # type: ignore[attr-defined]
    stored = runtime.notify.store.history("KZ-CARRIER-1", "CF-2026-0001")[-1]
    assert stored.body["equipment"]["containers"] == ["CSQU3054383"]
    assert stored.body["eta"]["earliest"] == "2026-11-21T10:00:00Z"  # typed at UTC+5
    form = web.get("/carrier?amend=CF-2026-0001&lang=en").text
    assert 'name="amendment" type="number" value="1"' in form
    values = _values(amendment=1, **{"equipment.seals": ["KZ778813"]})
    again = web.post("/carrier/notify?lang=en", data={**values, "csrf": carrier})
    assert again.status_code == 201 and "version 1" in again.text


def test_errors_are_shown_beside_their_fields(web: TestClient, carrier: str) -> None:
    values = {**_values(), "equipment.containers": "CSQU3054384", "csrf": carrier}
    page = web.post("/carrier/notify?lang=en", data=values)
    assert page.status_code == 422
    error = re.search(r'<label class="field-error">(.*?)</label>', page.text, re.S)
    assert error and 'name="equipment.containers"' in error.group(1)
    assert "wrong check digit in container CSQU3054384: expected 3, got 4" in error.group(1)
    late = {**_values(), "eta.earliest": "2026-11-21T12:00", "csrf": carrier}  # 07:00 UTC
    page = web.post("/carrier/notify?lang=en", data=late)
    assert page.status_code == 422 and "deadline missed" in page.text


def test_a_post_without_the_forms_csrf_value_is_403(web: TestClient, carrier: str) -> None:
    assert web.post("/carrier/notify", data={**_values(), "csrf": "forged"}).status_code == 403


def test_a_json_file_through_the_form(web: TestClient, carrier: str) -> None:
    files = {"file": ("n.json", json.dumps(notification()), "application/json")}
    sent = web.post("/carrier/notify?lang=en", data={"csrf": carrier}, files=files)
    assert sent.status_code == 201, sent.text
    broken = {"file": ("n.json", b"{oops", "application/json")}
    assert web.post("/carrier/notify", data={"csrf": carrier}, files=broken).status_code == 400


def test_sign_ins_from_one_address_are_limited(web: TestClient) -> None:
    runtime: HubRuntime = web.app.state.hub  # type: ignore[attr-defined]
    token = new_token()
    runtime.notify.store.add_token(token_hash(token), "KZ-CARRIER-1", "-")
    csrf = form_token(web, "/carrier")
    guesses = [web.post("/carrier/login", data={"token": new_token(), "csrf": csrf}).status_code
               for _ in range(10)]  # fmt: skip
    assert guesses == [401] * 10
    limited = web.post("/carrier/login?lang=en", data={"token": token, "csrf": csrf})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert "Too many requests. Wait a minute and try again." in limited.text
    assert "shekara_carrier" not in web.cookies
