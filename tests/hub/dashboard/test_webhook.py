"""Alert deliveries to a real HTTP server on 127.0.0.1: signed, retried with backoff,
recorded, and given up on after the last attempt."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import webhook_receiver
from mqtt_helpers import wait_until
from queue_helpers import Clock, make_service

from hub.config import HubSettings
from hub.dashboard.alerts import AlertEvaluator, AlertRules, webhook_body
from hub.dashboard.webhook import WebhookSender, http_post, signature
from hub.store import Store
from hub.store.alert_sql import AlertTables, NewAlert
from hub.store.dashboard_sql import DashboardQueries
from shekara.localbroker import free_port
from shekara.wire import utc_timestamp

SECRET = b"s" * 32
OFFLINE = NewAlert("device_offline", "cam1", "cam1 offline", {"device": "cam1", "minutes": 12})


def real_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def tables(store: Store) -> AlertTables:
    return AlertTables(store)


@pytest.fixture
def sender_of(tables: AlertTables) -> Iterator[list[WebhookSender]]:
    made: list[WebhookSender] = []
    yield made
    for sender in made:
        sender.stop()


def sender(
    tables: AlertTables, url: str, made: list[WebhookSender], **options: float
) -> WebhookSender:
    s = WebhookSender(tables, url, SECRET, real_now, timeout_s=2, **options)  # type: ignore[arg-type]
    made.append(s)
    return s


def test_a_raised_and_a_cleared_alert_are_posted_signed(
    tables: AlertTables, sender_of: list[WebhookSender]
) -> None:
    body_of = webhook_body("temirbaba")
    tables.sync([OFFLINE], utc_timestamp(real_now()), body_of)
    tables.sync([], utc_timestamp(real_now()), body_of)
    with webhook_receiver(200) as receiver:
        s = sender(tables, receiver.url, sender_of)
        assert s.tick() is False
        raised, cleared = receiver.got()
    for post, kind in ((raised, "raised"), (cleared, "cleared")):
        assert post.path == "/hook"
        assert post.headers["Content-Type"] == "application/json"
        assert post.headers["X-Shekara-Event"] == f"alert.{kind}"
        expected = "sha256=" + hmac.new(SECRET, post.body, hashlib.sha256).hexdigest()
        assert post.headers["X-Shekara-Signature"] == expected
        data = json.loads(post.body)
        assert (data["event"], data["hub"], data["alert"]["rule"]) == (
            f"alert.{kind}", "temirbaba", "device_offline")  # fmt: skip
    assert json.loads(raised.body)["alert"]["open"] is True
    assert json.loads(cleared.body)["alert"]["cleared_at"] is not None
    assert {d.state for d in tables.deliveries()} == {"delivered"}


def test_a_receiver_that_fails_first_gets_the_same_post_again(
    tables: AlertTables, sender_of: list[WebhookSender]
) -> None:
    tables.sync([OFFLINE], utc_timestamp(real_now()), webhook_body("temirbaba"))
    with webhook_receiver(500, 200) as receiver:
        s = sender(tables, receiver.url, sender_of, backoff_s=0.05)
        s.start()
        wait_until(lambda: tables.delivery_counts() == {"delivered": 1}, 10, "the retry")
        first, second = receiver.got()
    (delivery,) = tables.deliveries()
    assert (delivery.attempts, delivery.last_error) == (2, None)
    assert first.body == second.body == delivery.body.encode()
    assert first.headers["X-Shekara-Delivery"] == second.headers["X-Shekara-Delivery"] == "1"


def test_backoff_doubles_and_the_delivery_fails_after_the_last_attempt(
    tables: AlertTables, sender_of: list[WebhookSender]
) -> None:
    tables.sync([OFFLINE], utc_timestamp(real_now()), webhook_body("temirbaba"))
    with webhook_receiver(503) as receiver:
        s = sender(tables, receiver.url, sender_of, backoff_s=10, max_attempts=3)
        (due,) = tables.due(utc_timestamp(real_now()))
        before = real_now()
        assert s.attempt(due) is False
        (pending,) = tables.deliveries()
        assert pending.state == "pending" and pending.last_error == "HTTP 503: ok"
        pause = datetime.fromisoformat(pending.next_at.replace("Z", "+00:00")) - before
        assert 10 <= pause.total_seconds() < 11
        assert tables.due(utc_timestamp(real_now())) == []  # not before its time
        assert s.attempt(pending) is False
        (again,) = tables.deliveries()
        pause = datetime.fromisoformat(again.next_at.replace("Z", "+00:00")) - before
        assert 20 <= pause.total_seconds() < 21  # doubled
        assert s.attempt(again) is False
    (failed,) = tables.deliveries()
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert len(receiver.got()) == 3


def test_unreachable_and_redirecting_receivers_are_failures() -> None:
    closed = f"http://127.0.0.1:{free_port()}/hook"
    assert "ConnectionRefusedError" in (http_post(closed, b"{}", {}, 2) or "")
    with webhook_receiver(302) as receiver:
        assert http_post(receiver.url, b"{}", {}, 2) == "HTTP 302: ok"
    with webhook_receiver(204) as receiver:
        assert http_post(receiver.url, b"{}", {}, 2) is None


def test_the_signature_is_hmac_sha256_of_the_body() -> None:
    assert signature(b"key", b"body") == (
        "sha256=" + hmac.new(b"key", b"body", hashlib.sha256).hexdigest())  # fmt: skip


def test_a_hanging_receiver_does_not_hold_up_the_evaluation(
    tmp_path: Path, sender_of: list[WebhookSender]
) -> None:
    clock = Clock(real_now())
    store, queue = make_service(tmp_path / "evaluated.db", clock)
    settings = HubSettings(db_path=tmp_path / "evaluated.db", alert_offline_minutes=10)
    tables = AlertTables(store)
    rules = AlertRules(settings, store, queue, DashboardQueries(store))
    hold = threading.Event()
    try:
        with webhook_receiver(200, hold=hold) as receiver:
            s = WebhookSender(tables, receiver.url, None, clock, timeout_s=20)
            sender_of.append(s)
            evaluator = AlertEvaluator(rules, tables, 30, webhook_body("temirbaba"), s.wake)
            s.start()
            store.add_device("quiet1", Ed25519PrivateKey.generate().public_key(), "tb", "l1")
            clock.advance(minutes=11)
            evaluator.evaluate()
            wait_until(lambda: receiver.got(), 10, "the post the receiver holds")
            # The sender is stuck in that post; the evaluation goes on regardless.
            store.add_device("quiet2", Ed25519PrivateKey.generate().public_key(), "tb", "l1")
            clock.advance(minutes=11)
            (raised,), _ = evaluator.evaluate()
            assert raised.subject == "quiet2" and len(receiver.got()) == 1
            assert tables.delivery_counts() == {"pending": 2}
            hold.set()
            wait_until(lambda: tables.delivery_counts() == {"delivered": 2}, 10, "both posts")
    finally:
        hold.set()
        store.close()
