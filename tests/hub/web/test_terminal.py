"""The lane terminal and search pages through the ASGI app: login, 404, languages, results."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from form_helpers import post_form
from notify_helpers import CONTAINER, notification

from hub.notify.model import NotificationIn
from hub.runtime import HubRuntime


def _login(web: TestClient) -> None:
    post_form(web, "/login", {"username": "officer1", "password": "long enough pw"})


def test_the_pages_need_a_login(web: TestClient) -> None:
    for path in ("/officer/lanes/entry-1", "/officer/search?q=123ABC12"):
        assert web.get(path, follow_redirects=False).headers["location"].startswith("/login")


def test_the_lane_page_is_a_live_shell_in_the_language(web: TestClient) -> None:
    _login(web)
    page = web.get("/officer/lanes/entry-1?lang=kk")
    assert page.status_code == 200 and "entry-1 жолағы" in page.text
    assert 'src="/static/lane.js"' in page.text and 'data-csrf="' in page.text
    labels = re.search(r'<script type="application/json" id="labels">(.*?)</script>', page.text)
    assert labels and json.loads(labels.group(1))["declared_not_seen"] == "Мәлімделген, табылмаған"
    assert web.get("/static/lane.js").status_code == 200
    assert web.get("/officer/lanes/entry-9").status_code == 404


def test_search_finds_a_notification_by_container(web: TestClient) -> None:
    runtime: HubRuntime = web.app.state.hub  # type: ignore[attr-defined]
    runtime.notify.submit(NotificationIn.model_validate(notification()), "KZ-CARRIER-1")
    _login(web)
    page = web.get("/officer/search", params={"q": CONTAINER, "lang": "en"})
    assert "CF-2026-0001 / 0" in page.text and "123ABC12" in page.text
    empty = web.get("/officer/search", params={"q": "999ZZZ99", "lang": "ru"})
    assert empty.text.count("Ничего не найдено") == 2
