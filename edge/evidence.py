"""Evidence crops kept on the edge: the signed event carries the SHA-256 of the file.

A crop is JPEG-encoded once; those exact bytes are hashed and written (to a temporary
name, fsynced, then renamed, so a power cut never leaves a file whose hash differs
from the event).  The file is named by its hash, so any later change is visible.
Retention: files older than ``retention_days`` go first, then the oldest until the
folder fits ``max_mb``; evidence is shed before events, which live in the outbox.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)
SUFFIX = ".jpg"


class EvidenceStore:
    """A folder of crops named ``<sha256>.jpg``."""

    def __init__(self, folder: Path, retention_days: float = 30, max_mb: float = 1024) -> None:
        self.folder = folder
        self.retention_s = retention_days * 86400
        self.max_bytes = int(max_mb * 1024 * 1024)
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, crop: np.ndarray, quality: int = 90) -> dict[str, Any]:
        """Store a crop; return the wire ``Evidence`` body describing it."""
        ok, encoded = cv2.imencode(SUFFIX, crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"cannot encode a crop of shape {crop.shape} as JPEG")
        data = encoded.tobytes()
        digest = hashlib.sha256(data).hexdigest()
        path = self.folder / f"{digest}{SUFFIX}"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        height, width = crop.shape[:2]
        return {
            "sha256": digest,
            "file": path.name,
            "media_type": "image/jpeg",
            "width": int(width),
            "height": int(height),
        }

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
