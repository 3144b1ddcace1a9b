"""Evidence crops kept on the edge: the signed event carries the SHA-256 of the file.

A crop is JPEG-encoded once; those exact bytes are hashed and written (to a temporary
name, fsynced, then renamed, so a power cut never leaves a file whose hash differs
from the event).  The file is named by its hash, so any later change is visible.
Retention: files older than ``retention_days`` go first, then the oldest until the
folder fits ``max_mb``; applied at the first save and then hourly.  Evidence is shed
before events, which live in the outbox: when the disk has less than ``min_free_mb``
free (see :mod:`edge.disk`), the oldest crops are deleted until there is room again,
and when deleting them all is not enough the new crop is not written
(:class:`EvidenceShed`): the event goes out without its evidence.  A write the disk
cuts short leaves no partial file behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.disk import MB, free_bytes

log = logging.getLogger(__name__)
SUFFIX = ".jpg"
PURGE_EVERY_S = 3600.0


class EvidenceShed(OSError):
    """The disk is nearly full: the crop was not written (the event goes without it)."""


class EvidenceStore:
    """A folder of crops named ``<sha256>.jpg``."""

    def __init__(
        self,
        folder: Path,
        retention_days: float = 30,
        max_mb: float = 1024,
        min_free_mb: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.retention_s = retention_days * 86400
        self.max_bytes = int(max_mb * MB)
        self.min_free = int(min_free_mb * MB)
        self.clock = clock
        self.shedding = False  # the disk is nearly full: new crops are not written
        self._purge_at = 0.0
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, crop: np.ndarray, quality: int = 90) -> dict[str, Any]:
        """Store a crop; return the wire ``Evidence`` body describing it."""
        ok, encoded = cv2.imencode(SUFFIX, crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"cannot encode a crop of shape {crop.shape} as JPEG")
        data = encoded.tobytes()
        digest = hashlib.sha256(data).hexdigest()
        path = self.folder / f"{digest}{SUFFIX}"
        if self.clock() >= self._purge_at:
            self._purge_at = self.clock() + PURGE_EVERY_S
            self.purge()
        if not path.exists():
            self._make_room(len(data))
            tmp = path.with_suffix(".tmp")
            try:
                with tmp.open("wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                tmp.replace(path)
            except OSError:
                tmp.unlink(missing_ok=True)
                raise
        height, width = crop.shape[:2]
        return {
            "sha256": digest,
            "file": path.name,
            "media_type": "image/jpeg",
            "width": int(width),
            "height": int(height),
        }

    def _make_room(self, size: int) -> None:
        """Keep ``min_free`` free after writing ``size`` bytes, shedding the oldest crops."""
        if not self.min_free:
            return
        free = free_bytes(self.folder)
        if free - size >= self.min_free:
            if self.shedding:
                log.info("evidence crops are written again (%.1f MB free)", free / MB)
            self.shedding = False
            return
        removed = 0
        for path in self._oldest_first():
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            free = free_bytes(self.folder)
            if free - size >= self.min_free:
                break
        room = free - size >= self.min_free
        if room:
            log.info("disk nearly full: removed %d oldest evidence crops to keep %.0f MB free",
                     removed, self.min_free / MB)  # fmt: skip
        elif not self.shedding:
            log.warning("disk nearly full (%.1f MB free, %.0f MB kept free for events): "
                        "removed %d evidence crops; new crops are not written until space "
                        "returns", free / MB, self.min_free / MB, removed)  # fmt: skip
        self.shedding = not room
        if not room:
            raise EvidenceShed(
                f"evidence crop not written: {free / MB:.1f} MB free in {self.folder}, "
                f"under the {self.min_free / MB:.0f} MB kept free for events"
            )

    def _oldest_first(self) -> list[Path]:
        def mtime(path: Path) -> float:
            try:
                return path.stat().st_mtime
            except FileNotFoundError:
                return 0.0

        return sorted(self.folder.glob(f"*{SUFFIX}"), key=mtime)

    def purge(self, now: float | None = None) -> int:
        """Apply retention; returns how many files were removed."""
        now = time.time() if now is None else now
        files = sorted(self.folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
        removed, total = 0, sum(p.stat().st_size for p in files)
        for path in files:
            too_old = now - path.stat().st_mtime > self.retention_s
            if not too_old and total <= self.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
            removed += 1
        if removed:
            log.info("evidence retention removed %d crops from %s", removed, self.folder)
        return removed
