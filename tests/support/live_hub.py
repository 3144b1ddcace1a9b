"""A hub served by uvicorn on a free port in a thread: what a real browser talks to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

from hub.app import create_app
from hub.config import HubSettings
from shekara.localbroker import free_port


@contextmanager
def live_hub(
    settings: HubSettings, clock: Callable[[], datetime], start_worker: bool = False,
    **uvicorn_options: Any,
) -> Iterator[tuple[str, FastAPI]]:  # fmt: skip
    """(base URL, app) of a hub serving HTTP until the block ends; with ``start_worker``
    also its MQTT worker and feeders (``settings`` then name a broker).  ``uvicorn_options``
    go to uvicorn.Config (e.g. its logging)."""
    app = create_app(settings, start_worker=start_worker, clock=clock)
    port = free_port()
    options = {"log_level": "warning", "lifespan": "on", **uvicorn_options}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)
