"""Helpers for the dashboard tests: status reports and presence through the real ingest
pipeline at chosen hub times, and a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hub_support import SimDevice, status_body

from hub.ingest import Ingestor
from hub.outcome import Kind
from shekara import wire


def report(ingestor: Ingestor, device: SimDevice, at: datetime, depth: int, **extra: Any) -> None:
    """The device signs a ``device.status`` with ``outbox_depth=depth``; the hub gets it at
    ``at`` (its receive time, which the dashboard's windows use)."""
    body = {**status_body(), "outbox_depth": depth, **extra}
    event = device.next(wire.EventType.DEVICE_STATUS, body)
    outcome = ingestor.process(device.topic(), wire.encode(event), at.timestamp())
    assert outcome.kind is Kind.STORED, outcome


def presence(ingestor: Ingestor, device: SimDevice, state: str, at: datetime) -> None:
    """A signed birth (a new session) or will (of the current one), received at ``at``."""
    topic = device.topic(wire.Channel.STATUS)
    outcome = ingestor.process(topic, device.presence(state), at.timestamp())
    assert outcome.kind is Kind.PRESENCE, outcome


@dataclass
class Post:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What a :func:`webhook_receiver` got, and what it answers next."""

    url: str
    statuses: list[int]  # answered in turn; the last one from then on
    posts: list[Post] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def got(self) -> list[Post]:
        """The posts so far."""
        with self.lock:
            return list(self.posts)


@contextmanager
def webhook_receiver(
    *statuses: int, port: int = 0, hold: threading.Event | None = None
) -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 (``port``, or a free one) answering POSTs with
    ``statuses`` in turn (200 when none are given), recording each; with ``hold``, each
    answer waits until it is set (a receiver that hangs)."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.posts.append(Post(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else (
                    receiver.statuses[0])  # fmt: skip
            if hold is not None:
                hold.wait(30)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_port}/hook", list(statuses or (200,)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
