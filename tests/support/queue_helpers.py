"""Helpers for the queue tests: a settable clock and a service on a real SQLite file."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.auth import hash_password
from hub.queue.policy import DEFAULT_CONFIG, Category, QueueConfig
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.queue_sql import QueueStore

START = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
KEY = b"k" * 32
PASSWORD = "long enough pw"


@functools.cache
def password_hash() -> str:
    """The argon2id hash of :data:`PASSWORD`, made once: each hash costs about 0.1 s."""
    return hash_password(PASSWORD)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_service(
    path: Path, clock: Clock, config: QueueConfig = DEFAULT_CONFIG
) -> tuple[Store, QueueService]:
    """A store on ``path`` and a queue service over it, its policy journalled."""
    store = Store(path)
    service = QueueService(QueueStore(store), config, KEY, clock)
    service.publish_policy()
    return store, service


def book(
    service: QueueService,
    plate: str,
    slot: datetime,
    category: Category = Category.GENERAL,
    direction: str = "kz-tm",
    trailers: tuple[str, ...] = (),
) -> str:
    """Book a Kazakh tractor; returns the reference."""
    reference, _ = service.book(
        direction, category, slot, (plate, "KZ"), [(t, "KZ") for t in trailers],
        "Aidos Serikbayev", "+7 701 555 0101", "Caspian Freight",
    )  # fmt: skip
    return reference
