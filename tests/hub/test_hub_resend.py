"""Resend scheduling: only gaps open long enough, at most one round per device per period."""

from __future__ import annotations

from hub.resend import MAX_GAPS_PER_ROUND, ResendPlanner, resend_command
from hub.store import Gap
from shekara import wire

A = wire.Address("cp1", "lane1", "cam1")
B = wire.Address("cp1", "lane2", "cam2")


def test_waits_for_the_gap_to_age_then_rate_limits_per_device() -> None:
    planner = ResendPlanner(after_s=10)
    gaps_a = [Gap(2, 3, opened_at=100.0), Gap(7, 7, opened_at=105.0)]
    gaps_b = [Gap(1, 1, opened_at=100.0)]
    assert planner.due([(A, gaps_a), (B, gaps_b)], now=105.0) == []
    assert planner.due([(A, gaps_a), (B, gaps_b)], now=110.0) == [(A, gaps_a[0]), (B, gaps_b[0])]
    assert planner.due([(A, gaps_a), (B, gaps_b)], now=115.0) == []  # asked 5 s ago
    assert planner.due([(A, gaps_a)], now=120.0) == [(A, gaps_a[0]), (A, gaps_a[1])]


def test_a_round_asks_for_the_oldest_gaps_only() -> None:
    gaps = [Gap(2 * i, 2 * i, opened_at=0.0) for i in range(1, 20)]
    due = ResendPlanner(after_s=1).due([(A, gaps)], now=5.0)
    assert [g for _, g in due] == gaps[:MAX_GAPS_PER_ROUND]


def test_command_payload_follows_the_contract() -> None:
    command = wire.parse_command(resend_command(Gap(4, 9, 0.0), "2025-01-01T00:00:00.000Z"))
    assert command == wire.Command(
        v=1, cmd="resend", from_seq=4, to_seq=9, issued_at="2025-01-01T00:00:00.000Z"
    )
