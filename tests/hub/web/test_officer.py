"""The officer console through the ASGI app: login, CSRF, walk-ins."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from form_helpers import form_token, post_form
from queue_helpers import Clock


def test_the_officer_console_needs_a_login_and_the_csrf_token(
    web: TestClient, clock: Clock
) -> None:
    assert web.get("/officer", follow_redirects=False).headers["location"].startswith("/login")
    bad = post_form(web, "/login", {"username": "officer1", "password": "wrong password!"})
    assert bad.status_code == 401
    post_form(web, "/login", {"username": "officer1", "password": "long enough pw"})
    console = web.get("/officer?lang=en")
    assert "Call next to entry-1" in console.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', console.text)
    assert csrf is not None
    call = {"direction": "kz-tm", "lane": "entry-1"}
    assert web.post("/officer/call", data={**call, "csrf": "forged"}).status_code == 403
    done = web.post("/officer/call?lang=en", data={**call, "csrf": csrf.group(1)})
    assert done.status_code == 200 and "Nobody is waiting." in done.text


def test_an_officer_registers_a_walk_in_from_the_console(web: TestClient) -> None:
    post_form(web, "/login", {"username": "officer1", "password": "long enough pw"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/officer").text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "direction": "kz-tm", "category": "empty",
            "tractor": "555 zzz 02", "tractor_country": "KZ", "driver_name": "Walk In",
            "phone": "+7 701 000 0000"}  # fmt: skip
    page = web.post("/officer/walk-in?lang=ru", data=form)
    assert "555ZZZ02 добавлен в живую очередь." in page.text
    again = web.post("/officer/walk-in?lang=ru", data=form)
    assert "уже есть действующая бронь" in again.text


def _csrf(web: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', web.get("/officer").text)
    assert found is not None
    return found.group(1)


def test_log_out_needs_the_sessions_csrf_token(web: TestClient) -> None:
    post_form(web, "/login", {"username": "officer1", "password": "long enough pw"})
    csrf = _csrf(web)
    forged = web.post("/logout?lang=kk", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and "Пішіннің мерзімі өтті" in forged.text
    assert web.get("/officer", follow_redirects=False).status_code == 200  # still logged in
    out = web.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith("/login")
    assert web.get("/officer", follow_redirects=False).status_code == 303


def test_the_console_closes_after_30_idle_minutes_and_12_hours(
    web: TestClient, clock: Clock
) -> None:
    post_form(web, "/login", {"username": "officer1", "password": "long enough pw"})
    for _ in range(35):  # an officer at work: a page every 20 minutes, for 11 h 40 min
        clock.advance(minutes=20)
        assert web.get("/officer", follow_redirects=False).status_code == 200
    clock.advance(minutes=21)  # 12 h 1 min after the login, 1 min after the last page
    assert web.get("/officer", follow_redirects=False).headers["location"].startswith("/login")
    post_form(web, "/login", {"username": "officer1", "password": "long enough pw"})
    clock.advance(minutes=29)
    csrf = _csrf(web)
    clock.advance(minutes=31)  # walked away from the terminal
    call = {"direction": "kz-tm", "lane": "entry-1", "csrf": csrf}
    refused = web.post("/officer/call", data=call, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def test_logins_from_one_address_are_limited_before_any_password_is_checked(
    web: TestClient,
) -> None:
    token = form_token(web)
    wrong = {"username": "officer1", "password": "wrong password!", "csrf": token}
    codes = [web.post("/login", data={**wrong, "username": f"guess{n}"}).status_code
             for n in range(10)]  # fmt: skip
    assert codes == [401] * 10
    right = {"username": "officer1", "password": "long enough pw", "csrf": token}
    limited = web.post("/login?lang=tk", data=right, follow_redirects=False)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert "Haýyşlar gaty köp" in limited.text
    assert "shekara_session" not in web.cookies
