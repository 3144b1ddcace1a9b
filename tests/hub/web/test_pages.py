"""The pages through the ASGI app: languages, form errors beside their field, the booking flow,
the officer console's login and CSRF checks."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from form_helpers import form_token, post_form


def _book(web: TestClient, plate: str = "123ABC02", lang: str = "ru") -> str:
    # 06:00 UTC is 11:00 at Temirbaba; book 15:00 local.
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
            "tractor": plate, "tractor_country": "KZ"}  # fmt: skip
    held = post_form(web, f"/book?lang={lang}", form, follow_redirects=False)
    assert held.status_code == 303, held.text
    details = held.headers["location"]
    done = post_form(web, details, {"driver_name": "Aidos", "phone": "+7 701 555 0101"},
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
    page = post_form(web, "/book?lang=ru", form)
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
    page = post_form(web, "/book?lang=kk", form)
    assert page.status_code == 409 and "белсенді броны бар" in page.text


def test_cancel_from_the_status_page(web: TestClient) -> None:
    reference = _book(web)
    page = post_form(web, f"/b/{reference}/cancel?lang=en", follow_redirects=True)
    assert "Cancelled" in page.text


def test_an_unknown_reference_is_404(web: TestClient) -> None:
    assert web.get("/b/AAAA-BBBB-CCCC-DDDD").status_code == 404


def test_public_page_and_board_render(web: TestClient) -> None:
    _book(web)
    public = web.get("/?lang=tk")
    assert "Nobatdaky ýük ulaglary" in public.text and "15:00" in public.text
    board = web.get("/board?lang=ru")
    assert "Пока никого не вызвали" in board.text
    assert web.get("/static/style.css").status_code == 200


def test_a_road_train_books_with_both_trailers(web: TestClient) -> None:
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
            "tractor": "123ABC02", "trailer": "456ABD02", "trailer2": "457 ABD 02"}  # fmt: skip
    held = post_form(web, "/book?lang=en", form, follow_redirects=False)
    assert held.status_code == 303, held.text
    reference = held.headers["location"].split("/book/")[1].split("?")[0]
    status = web.get(f"/api/queue/bookings/{reference}").json()
    assert status["booking"]["trailers"] == ["456ABD02 KZ", "457ABD02 KZ"]


def test_a_bad_second_trailer_is_marked_on_its_own_field(web: TestClient) -> None:
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
            "tractor": "123ABC02", "trailer": "456ABD02", "trailer2": "4"}  # fmt: skip
    page = post_form(web, "/book?lang=en", form)
    assert page.status_code == 422
    error = re.search(r'<label class="field-error">(.*?)</label>', page.text, re.S)
    assert error and 'name="trailer2"' in error.group(1)
    assert "Not a plate of this country" in error.group(1)


def test_the_booking_form_shares_the_apis_limit_per_address(web: TestClient) -> None:
    token = form_token(web, "/book")
    api = {"direction": "kz-tm", "category": "general", "slot": "2026-11-21T10:00:00Z",
           "tractor": {"plate": "100 ABC 02", "country": "KZ"}}  # fmt: skip
    held = [web.post("/api/queue/holds", json=api).status_code for _ in range(10)]
    form = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
            "csrf": token}  # fmt: skip
    posted = [web.post("/book", data={**form, "tractor": f"{n + 200}ABC02"},
                       follow_redirects=False).status_code for n in range(10)]  # fmt: skip
    assert held == [201] + [409] * 9 and posted == [303] * 10  # 20 requests a minute
    flood = web.post("/book?lang=kk", data={**form, "tractor": "300ABC02"})
    assert flood.status_code == 429 and flood.headers["retry-after"] == "60"
    assert "Сұраулар тым көп" in flood.text
    assert web.post("/api/queue/holds", json=api).status_code == 429
