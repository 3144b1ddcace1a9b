"""Free space where the device writes, watched against one threshold.

Below ``min_free_mb`` on the file system of any watched folder (the outbox's, the
evidence crops') the device is low on disk: the agent logs one WARNING, reports
``disk_low`` in a heartbeat sent at once, and the evidence store sheds crops
(:mod:`edge.evidence`) so the outbox keeps the room for events.  Free space is what an
unprivileged writer may use (``f_bavail``), the cautious figure when the agent runs as
root and could also eat the file system's reserve.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

MB = 1024 * 1024


def free_bytes(path: Path) -> int:
    """Bytes free for an unprivileged writer on the file system holding ``path``.

    A folder that does not exist yet is measured at its nearest existing parent."""
    while not path.exists() and path != path.parent:
        path = path.parent
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


class DiskWatch:
    """Whether any watched folder is under the free-space threshold (checked when due)."""

    def __init__(
        self,
        folders: Iterable[Path],
        min_free_mb: float,
        every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folders = list(dict.fromkeys(folders))
        self.min_free = int(min_free_mb * MB)
        self.every_s, self.clock = every_s, clock
        self.low = False
        self._next_at = 0.0

    def check(self) -> bool:
        """Measure again when due; True only when the device has just become low."""
        now = self.clock()
        if now < self._next_at:
            return False
        self._next_at = now + self.every_s
        short: list[str] = []
        for folder in self.folders:
            try:
                free = free_bytes(folder)
            except OSError as exc:  # a vanished mount: say so, keep watching the others
                log.warning("cannot measure free space of %s: %s", folder, exc)
                continue
            if free < self.min_free:
                short.append(f"{folder} has {free / MB:.1f} MB free")
        was_low, self.low = self.low, bool(short)
        if self.low and not was_low:
            log.warning("disk nearly full (%s; threshold %.0f MB): evidence crops are shed, "
                        "events kept", "; ".join(short), self.min_free / MB)  # fmt: skip
        elif was_low and not self.low:
            log.info("disk space back above %.0f MB", self.min_free / MB)
        return self.low and not was_low
