"""One capture interface for every frame source, with reconnection.

Sources: a camera (an index such as ``0``, or a V4L2 device path such as ``/dev/video0``
or the stable ``/dev/v4l/by-id/...``), an RTSP/HTTP URL, a video file, or a folder of
images.  A lost camera is retried with backoff and its state is reported; reading never
raises to the caller.  File sources replay at a fixed rate so the same code path that
serves a camera can be exercised with recorded footage, and a file or folder that
vanishes while it plays is a lost camera (retried until it is back), not the end of it.
An image file in a folder that is refused (see edge.image_guard) or cannot be decoded is
skipped, logged and counted in ``CaptureStats.rejected``; the next file is read in its
place.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from edge.config import CameraConfig

# Sets OpenCV's pixel limit, which OpenCV reads only when it loads: before cv2.
from edge.image_guard import RejectedImage, read_image_file  # isort: split

import cv2
import numpy as np

log = logging.getLogger(__name__)

CameraState = Literal["ok", "connecting", "lost", "ended"]
Frame = np.ndarray
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


class _Reader(Protocol):
    def read(self) -> Frame | None: ...
    def close(self) -> None: ...


class _CvReader:
    """cv2.VideoCapture over a device index, a device path, a URL or a file."""

    def __init__(
        self,
        target: int | str,
        width: int | None,
        height: int | None,
        fps: float | None = None,
        device: bool = False,
    ) -> None:
        # A device path given to CAP_ANY may be tried as a file by FFmpeg first.
        api = cv2.CAP_V4L2 if device and isinstance(target, str) else cv2.CAP_ANY
        self.cap = cv2.VideoCapture(target, api)
        if device and (width or height):
            # USB cameras give HD at full rate only compressed (raw YUYV 1080p is ~5 fps
            # on USB 2); the driver keeps its own format when it has no MJPG.
            self.cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        if width:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if device and fps:
            self.cap.set(cv2.CAP_PROP_FPS, fps)
        if not self.cap.isOpened():
            self.cap.release()
            raise OSError(f"cannot open {target!r}")
        if device:
            got = [self.cap.get(p) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT,
                                             cv2.CAP_PROP_FPS)]  # fmt: skip
            log.info("camera %s opened at %dx%d, %.1f fps", target, *got)

    def read(self) -> Frame | None:
        ok, frame = self.cap.read()
        return frame if ok else None

    def close(self) -> None:
        self.cap.release()


class _FolderReader:
    """Images of a folder in name order; bad files are skipped, logged and counted."""

    def __init__(self, folder: Path, stats: CaptureStats) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise OSError(f"no images in {folder}")
        self.stats = stats
        self.index = 0

    def read(self) -> Frame | None:
        while self.index < len(self.files):
            path = self.files[self.index]
            self.index += 1
            # Bytes first, then decode: imread would decode a truncated JPEG to a half-grey
            # frame, and an exception here would end the whole folder, not this file.
            try:
                data = read_image_file(path)
                frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                why = "not an image OpenCV can decode"
            except (OSError, RejectedImage, cv2.error) as exc:
                frame, why = None, str(exc)
            if frame is not None:
                return frame
            self.stats.rejected += 1
            log.warning("skipping image %s: %s", path, why)
        return None

    def close(self) -> None:
        self.index = len(self.files)


@dataclass
class CaptureStats:
    """What the status heartbeat reports about capture."""

    state: CameraState = "connecting"
    frames: int = 0
    reconnects: int = 0
    rejected: int = 0  # image files skipped: refused before decoding, or undecodable


def is_device(source: str) -> bool:
    """A camera (index or V4L2 device path), as opposed to a stream, a file or a folder."""
    return source.isdigit() or source.startswith("/dev/")


class FrameSource:
    """Frames from any source; :meth:`read` returns None when no frame is available now."""

    def __init__(
        self,
        source: str,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        loop: bool = False,
        reconnect_s: float = 2.0,
        reconnect_max_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.width, self.height = width, height
        self.loop = loop
        self.is_device = is_device(source)
        self.is_file = not self.is_device and "://" not in source
        # Files would be read as fast as the CPU allows; pace them like a camera.
        self.interval = 1.0 / fps if fps else (0.1 if self.is_file else 0.0)
        self.reconnect_s, self.reconnect_max_s = reconnect_s, reconnect_max_s
        self.fps = fps
        self.clock = clock
        self.stats = CaptureStats()
        self._reader: _Reader | None = None
        self._retry_at = 0.0
        self._delay = reconnect_s
        self._next_frame_at = 0.0
        self._frames_since_open = 0

    @classmethod
    def from_config(
        cls, camera: CameraConfig, clock: Callable[[], float] = time.monotonic
    ) -> FrameSource:
        """The source a device config's ``[camera]`` section describes."""
        return cls(
            camera.source,
            width=camera.width,
            height=camera.height,
            fps=camera.fps,
            loop=camera.loop,
            reconnect_s=camera.reconnect_s,
            reconnect_max_s=camera.reconnect_max_s,
            clock=clock,
        )

    def _open(self) -> _Reader:
        if self.is_device:
            target: int | str = int(self.source) if self.source.isdigit() else self.source
            if isinstance(target, str) and not Path(target).exists():
                raise OSError(f"{target} does not exist (unplugged?)")
            return _CvReader(target, self.width, self.height, self.fps, device=True)
        path = Path(self.source)
        if "://" not in self.source and path.is_dir():
            return _FolderReader(path, self.stats)
        if "://" not in self.source and not path.exists():
            raise OSError(f"{path} does not exist")
        return _CvReader(self.source, self.width, self.height)

    def read(self) -> Frame | None:
        """The next frame, or None (not yet time, reconnecting, or ended)."""
        now = self.clock()
        if self.stats.state == "ended" or now < self._next_frame_at:
            return None
        if self._reader is None:
            if now < self._retry_at:
                return None
            try:
                self._reader = self._open()
            except Exception as exc:  # an OpenCV backend can fail in many ways
                self._schedule_retry(now, f"open failed: {exc}")
                return None
            if self.stats.state == "lost":
                self.stats.reconnects += 1
            self.stats.state = "ok"
            self._delay = self.reconnect_s
            self._frames_since_open = 0
        elif self.is_file and not os.path.exists(self.source):
            # An open file can still be read after it is deleted or its medium pulled;
            # a camera would be gone at once, so the replayed one is too.
            self._reader.close()
            self._reader = None
            self._schedule_retry(now, "vanished")
            return None
        try:
            frame = self._reader.read()
        except Exception as exc:
            frame = None
            log.warning("reading %s failed: %s", self.source, exc)
        if frame is None:
            self._reader.close()
            self._reader = None
            if self.is_file and not self.loop:
                self.stats.state = "ended"
            elif self.is_file and self._frames_since_open:
                # Rewind at once and read on: a looped clip has no gap at its seam.  (At
                # most one level deep: a reopened file that gives nothing is retried later.)
                self._retry_at = now
                return self.read()
            else:
                # A camera, or a looped file that gave nothing (a folder of only bad
                # images): rewinding at once would re-read it in a busy loop.
                self._schedule_retry(now, "no frame")
            return None
        self.stats.frames += 1
        self._frames_since_open += 1
        self._next_frame_at = max(now, self._next_frame_at) + self.interval
        return frame

    def _schedule_retry(self, now: float, why: str) -> None:
        log.warning("camera %s %s; retrying in %.1fs", self.source, why, self._delay)
        self.stats.state = "lost"
        self._retry_at = now + self._delay
        self._delay = min(self._delay * 2, self.reconnect_max_s)

    def close(self) -> None:
        """Release the device."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
