"""When to ask a device to resend the events the hub is missing.

A gap may just be events still on their way (out of order after a reconnect), so a
resend is asked only once a gap has been open ``after_s`` seconds, and a device is
asked again no sooner than ``after_s`` later: resent events are duplicates at worst,
but a flood of commands would load the very device that is behind.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.store import Gap
from shekara import wire

MAX_GAPS_PER_ROUND = 8  # the oldest first; the others wait for a later round


class ResendPlanner:
    """Decides which resend commands are due; keeps per-device rate limits."""

    def __init__(self, after_s: float) -> None:
        self.after_s = after_s
        self._last_round: dict[str, float] = {}

    def due(
        self, open_gaps: Iterable[tuple[wire.Address, list[Gap]]], now: float
    ) -> list[tuple[wire.Address, Gap]]:
        """The (device, gap) pairs to ask for now; records the round per device."""
        out: list[tuple[wire.Address, Gap]] = []
        for address, gaps in open_gaps:
            last = self._last_round.get(address.device)
            if last is not None and now - last < self.after_s:
                continue
            ripe = [g for g in gaps if now - g.opened_at >= self.after_s][:MAX_GAPS_PER_ROUND]
            if ripe:
                self._last_round[address.device] = now
                out.extend((address, g) for g in ripe)
        return out


def resend_command(gap: Gap, issued_at: str | None = None) -> bytes:
    """The payload asking for ``gap`` again, as published on ``.../commands``."""
    command = wire.Command(
        v=1,
        cmd="resend",
        from_seq=gap.from_seq,
        to_seq=gap.to_seq,
        issued_at=issued_at or wire.utc_timestamp(),
    )
    return wire.encode(command.model_dump())
