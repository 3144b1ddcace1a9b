"""The sliding-window limiter."""

from __future__ import annotations

from hub.queue.ratelimit import RateLimiter


def test_limit_per_key_within_a_minute() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another key has its own window
    now[0] = 59.9
    assert not limiter.allow("a")
    now[0] = 60.0
    assert limiter.allow("a")


def test_silent_keys_are_forgotten() -> None:
    now = [0.0]
    limiter = RateLimiter(1, clock=lambda: now[0])
    for n in range(100):
        limiter.allow(f"client-{n}")
    now[0] = 200.0
    limiter.allow("late")
    assert set(limiter._hits) == {"late"}


def test_logins_have_their_own_limit_and_window_per_address() -> None:
    now = [0.0]
    limiter = RateLimiter(20, clock=lambda: now[0])
    assert [limiter.allow_login("10.0.0.7", 2) for _ in range(3)] == [True, True, False]
    assert limiter.allow_client("10.0.0.7")  # bookings from that address: their own count
    assert limiter.allow_login("10.0.0.8", 2)
    now[0] = 60.0
    assert limiter.allow_login("10.0.0.7", 2)
