"""The officer console through the ASGI app: login, CSRF, walk-ins."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from queue_helpers import Clock


def test_the_officer_console_needs_a_login_and_the_csrf_token(
    web: TestClient, clock: Clock
) -> None:
    assert web.get("/officer", follow_redirects=False).headers["location"].startswith("/login")
    bad = web.post("/login", data={"username": "officer1", "password": "wrong password!"})
    assert bad.status_code == 401
    web.post("/login", data={"username": "officer1", "password": "long enough pw"})
    console = web.get("/officer?lang=en")
    assert "Call next to entry-1" in console.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', console.text)
    assert csrf is not None
    call = {"direction": "kz-tm", "lane": "entry-1"}
    assert web.post("/officer/call", data={**call, "csrf": "forged"}).status_code == 403
    done = web.post("/officer/call?lang=en", data={**call, "csrf": csrf.group(1)})
    assert done.status_code == 200 and "Nobody is waiting." in done.text


def test_an_officer_registers_a_walk_in_from_the_console(web: TestClient) -> None:
    web.post("/login", data={"username": "officer1", "password": "long enough pw"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/officer").text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "direction": "kz-tm", "category": "empty",
            "tractor": "555 zzz 02", "tractor_country": "KZ", "driver_name": "Walk In",
            "phone": "+7 701 000 0000"}  # fmt: skip
    page = web.post("/officer/walk-in?lang=ru", data=form)
    assert "555ZZZ02 добавлен в живую очередь." in page.text
    again = web.post("/officer/walk-in?lang=ru", data=form)
    assert "уже есть действующая бронь" in again.text
