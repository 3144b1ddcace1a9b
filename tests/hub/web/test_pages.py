"""The pages through the ASGI app: languages, form errors beside their field, the booking flow,
the officer console's login and CSRF checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import START, Clock

from hub.app import create_app
from hub.auth import hash_password
from hub.config import HubSettings
from hub.queue.service import QueueService


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def web(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        queue: QueueService = client.app.state.hub.queue  # type: ignore[attr-defined]
        queue.store.add_user("officer1", hash_password("long enough pw"), "officer", "-")
        yield client


def _book(web: TestClient, plate: str = "123ABC02", lang: str = "ru") -> str:
    # 06:00 UTC is 11:00 at Temirbaba; book 15:00 local.
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
            "tractor": plate, "tractor_country": "KZ"}  # fmt: skip
    held = web.post(f"/book?lang={lang}", data=form, follow_redirects=False)
    assert held.status_code == 303, held.text
    details = held.headers["location"]
    done = web.post(details, data={"driver_name": "Aidos", "phone": "+7 701 555 0101"},
                    follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    return done.headers["location"].split("/b/")[1].split("?")[0]


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("ru", "Бронирование"), ("kk", "Өту уақытын"), ("tk", "Geçiş wagtyny"), ("en", "Book a")],
)
def test_the_booking_form_speaks_four_languages(web: TestClient, lang: str, heading: str) -> None:
    page = web.get("/book", params={"lang": lang})
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert heading in page.text and 'name="viewport"' in page.text


def test_a_bad_plate_is_shown_beside_its_field_in_the_language(web: TestClient) -> None:
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
            "tractor": "12", "tractor_country": "KZ"}  # fmt: skip
    page = web.post("/book?lang=ru", data=form)
    assert page.status_code == 422
    error = re.search(r'<label class="field-error">(.*?)</label>', page.text, re.S)
    assert error and 'name="tractor"' in error.group(1)
    assert "Это не номер выбранной страны" in error.group(1) and "999AAA##" in error.group(1)
    assert 'value="12"' in page.text  # what was typed is kept


def test_booking_flow_shows_the_reference_and_times_in_the_checkpoint_zone(
    web: TestClient,
) -> None:
    reference = _book(web)
    page = web.get(f"/b/{reference}?lang=ru")
    assert reference in page.text and "Забронировано" in page.text
    assert "15:00" in page.text  # 10:00 UTC shown at UTC+5
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'http-equiv="refresh"' in page.text


def test_a_second_booking_of_the_same_truck_is_refused_in_the_language(web: TestClient) -> None:
    _book(web)
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "16",
            "tractor": "123 АВС 02", "tractor_country": "KZ"}  # fmt: skip
    page = web.post("/book?lang=kk", data=form)
    assert page.status_code == 409 and "белсенді броны бар" in page.text


def test_cancel_from_the_status_page(web: TestClient) -> None:
    reference = _book(web)
    page = web.post(f"/b/{reference}/cancel?lang=en", follow_redirects=True)
    assert "Cancelled" in page.text


def test_an_unknown_reference_is_404(web: TestClient) -> None:
    assert web.get("/b/AAAA-BBBB-CCCC-DDDD").status_code == 404


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


def test_public_page_and_board_render(web: TestClient) -> None:
    _book(web)
    public = web.get("/?lang=tk")
    assert "Nobatdaky ýük ulaglary" in public.text and "15:00" in public.text
    board = web.get("/board?lang=ru")
    assert "Пока никого не вызвали" in board.text
    assert web.get("/static/style.css").status_code == 200


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
