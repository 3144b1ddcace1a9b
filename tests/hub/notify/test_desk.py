"""The notification desk on a real SQLite file: deadline, amendments, references, keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from notify_helpers import CONTAINER, notification, sscc
from queue_helpers import START, Clock, book, make_service

from hub.notify.desk import NotifyDesk
from hub.notify.match import reading_keys
from hub.notify.model import NotificationIn
from hub.notify.records import (
    AmendmentOutOfOrder,
    DeadlineMissed,
    KeyKind,
    NotificationClosed,
    NotificationState,
    UnknownReference,
)
from hub.queue.service import QueueService
from hub.store.notify_sql import NotifyStore

CARRIER = "KZ-CARRIER-1"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(tmp_path: Path, clock: Clock) -> Iterator[QueueService]:
    store, service = make_service(tmp_path / "hub.db", clock)
    yield service
    store.close()


@pytest.fixture
def desk(queue: QueueService, clock: Clock) -> NotifyDesk:
    return NotifyDesk(NotifyStore(queue.store._store), queue, 2.0, clock)


def _submit(desk: NotifyDesk, **changes: Any) -> Any:
    return desk.submit(NotificationIn.model_validate(notification(**changes)), CARRIER)


def test_a_notification_is_stored_with_its_digest(desk: NotifyDesk) -> None:
    v = _submit(desk)
    assert (v.amendment, v.state, v.latest) == (0, NotificationState.OPEN, True)
    assert v.received_at == "2026-11-21T06:00:00.000Z" and len(v.digest) == 64
    assert v.body["conveyance"]["tractor"]["plate"] == "123ABC12"
    assert desk.store.count_open() == 1


def test_the_deadline_is_the_hubs_clock_against_the_eta(desk: NotifyDesk, clock: Clock) -> None:
    clock.advance(hours=2, minutes=50)  # 1 h 10 min before the window opens
    with pytest.raises(DeadlineMissed) as info:
        _submit(desk, submitted_at=START.isoformat())  # the carrier's clock says on time
    assert str(info.value) == (
        "deadline missed: received 1 h 10 min before the ETA window opens; at least "
        "2 h 00 min are required"
    )
    assert info.value.details == {"field": "eta.earliest"}
    assert desk.store.count_open() == 0


def test_amendments_keep_history_and_the_version_in_force(desk: NotifyDesk, clock: Clock) -> None:
    first = _submit(desk)
    clock.advance(hours=3)  # amendments are taken after the deadline, until a decision
    second = _submit(desk, amendment=1, **{"equipment.seals": ["KZ778813"]})
    history = desk.store.history(CARRIER, "CF-2026-0001")
    assert [(v.amendment, v.latest) for v in history] == [(0, False), (1, True)]
    assert history[1].body["equipment"]["seals"] == ["KZ778813"]
    at_arrival = desk.store.in_force_at(CARRIER, "CF-2026-0001", first.received_at)
    assert at_arrival is not None and at_arrival.id == first.id
    assert desk.store.in_force_at(CARRIER, "CF-2026-0001", second.received_at).id == second.id


@pytest.mark.parametrize("amendment", [0, 2])
def test_amendments_come_in_order(desk: NotifyDesk, amendment: int) -> None:
    _submit(desk)
    with pytest.raises(AmendmentOutOfOrder, match=f"amendment {amendment} of CF-2026-0001: "
                       "expected 1"):  # fmt: skip
        _submit(desk, amendment=amendment)
    assert len(desk.store.history(CARRIER, "CF-2026-0001")) == 1


def test_a_first_version_must_be_zero(desk: NotifyDesk) -> None:
    with pytest.raises(AmendmentOutOfOrder, match="expected 0"):
        _submit(desk, amendment=1)


def test_a_closed_notification_takes_no_amendment(desk: NotifyDesk) -> None:
    v = _submit(desk)
    desk.store.set_state(CARRIER, v.notification, NotificationState.RELEASED, v.received_at)
    with pytest.raises(NotificationClosed, match="is released"):
        _submit(desk, amendment=1)


def test_references_must_exist_here(desk: NotifyDesk, queue: QueueService) -> None:
    with pytest.raises(UnknownReference, match="no queue booking has the reference"):
        _submit(desk, booking_reference="AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(UnknownReference, match="not 'garabogaz'"):
        _submit(desk, crossing="garabogaz")
    with pytest.raises(UnknownReference, match="direction 'kz-cn' is not one of kz-tm, tm-kz"):
        _submit(desk, direction="kz-cn")
    reference = book(queue, "123ABC12", START + timedelta(hours=5))
    v = _submit(desk, booking_reference=reference)
    assert v.booking is not None and queue.get(v.booking).tractor.text == "123ABC12"
    assert desk.store.count_open() == 1


def test_keys_find_open_notifications_by_plate_trailer_and_code(desk: NotifyDesk) -> None:
    v = _submit(desk)
    _submit(desk, notification_id="CF-2026-0002",
            **{"conveyance.tractor.plate": "777XYZ12", "conveyance.trailers": [],
               "equipment.containers": [], "equipment.seals": [],
               "consignments.0.items.0.ssccs": [sscc(50)]})  # fmt: skip
    by_misread = desk.store.open_with_keys(reading_keys("123A8C12"))
    assert [f.id for f in by_misread] == [v.id]
    by_near_miss = desk.store.open_with_keys(reading_keys("123ABD12"))  # D for C
    assert [f.id for f in by_near_miss] == [v.id]
    assert [f.id for f in desk.store.open_with_keys([(KeyKind.CONTAINER, CONTAINER)])] == [v.id]
    assert [f.id for f in desk.store.open_with_keys([(KeyKind.SSCC, sscc(1))])] == [v.id]
    assert desk.store.open_with_keys([(KeyKind.SSCC, sscc(1))], direction="tm-kz") == []
    desk.store.set_state(CARRIER, v.notification, NotificationState.RELEASED, v.received_at)
    assert desk.store.open_with_keys([(KeyKind.CONTAINER, CONTAINER)]) == []
    assert [f.id for f in desk.store.search([(KeyKind.CONTAINER, CONTAINER)])] == [v.id]
