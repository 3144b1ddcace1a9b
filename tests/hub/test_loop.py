"""The background loop: a failing tick does not stop it; wake() ticks at once."""

from __future__ import annotations

import threading

from hub.loop import BackgroundLoop


class Counter(BackgroundLoop):
    name = "counter"

    def __init__(self) -> None:
        super().__init__(interval_s=3600)  # only wake() makes it tick again
        self.ticks = 0
        self.ticked = threading.Event()

    def tick(self) -> bool:
        self.ticks += 1
        self.ticked.set()
        if self.ticks == 1:
            raise RuntimeError("a locked database")
        return False


def test_a_failing_tick_is_logged_and_the_loop_ticks_again_when_woken() -> None:
    loop = Counter()
    loop.start()
    try:
        assert loop.ticked.wait(5) and loop.ticks == 1
        loop.ticked.clear()
        loop.wake()
        assert loop.ticked.wait(5) and loop.ticks == 2
    finally:
        loop.stop()
    assert loop._thread is not None and not loop._thread.is_alive()
